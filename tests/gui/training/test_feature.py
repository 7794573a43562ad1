"""Train Live in the window: the Model menu's action, a real trainer process feeding the panel,
the live view following it, Use this model and Back to the shipped model, a killed trainer
(one line, the app goes on), the kept drawings going with a run, and presentation mode."""

import os
import signal

import numpy as np

from model.inference import Engine
from model.litert_net import check_in_step
from model.training.live_protocol import Started

from ..conftest import ONE, FakePredictor, draw, line, wait_for_result
from .test_panel import STARTED, report

START_MS = 120_000  # a new process imports TensorFlow: seconds, more on a busy machine


def test_the_model_menu_opens_train_live_on_the_windows_dataset(make_window):
    window = make_window("fashion")
    feature = window.training
    assert feature.action in window.model_menu.actions()
    assert feature.action.shortcut().toString() == "Ctrl+T"
    assert not feature.back_action.isEnabled()  # the shipped model is live
    feature.action.trigger()
    assert feature.dock.isVisible() and feature.panel.dataset() == "fashion"
    assert feature.model_label.text() == ""


def test_kept_drawings_go_with_a_run_at_the_weight_the_user_set(make_window, qtbot, monkeypatch):
    window = make_window()
    draw(window.canvas, ONE)
    wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert window.demos.keep_drawing(label=1)
    feature = window.training
    feature.action.trigger()
    assert feature.panel.gallery_count.text() == "1 kept digits"
    asked = []
    monkeypatch.setattr(feature.client, "start", lambda config: asked.append(config) or False)
    feature.panel.gallery_box.setValue(20)
    feature.panel.train_button.click()
    assert asked[0].gallery == os.path.join(os.environ["SKETCHSCOPE_DATA_DIR"], "gallery")
    assert asked[0].gallery_weight == 0.2 and asked[0].dataset == "mnist"


def _start_and_pause(qtbot, window):
    feature, panel = window.training, window.training.panel
    feature.action.trigger()
    panel.interval_box.setValue(5)
    panel.train_button.click()
    qtbot.waitUntil(lambda: panel.curves.steps[-1:] >= [5], timeout=START_MS)
    qtbot.waitUntil(lambda: panel.drawing.chart.probabilities() is not None, timeout=10_000)
    panel.pause_button.click()
    qtbot.waitUntil(lambda: panel.state == "paused", timeout=10_000)
    return feature, panel


def _reads_as(engine_run):
    """A check for wait_for_result: the probabilities are ``engine_run(net_input)``'s."""
    def check(result) -> bool:
        return result.probabilities is not None and np.allclose(
            result.probabilities, engine_run(result.net_input), atol=1e-5)
    return check


def test_a_live_run_the_live_view_following_it_use_this_model_a_kill_and_back(
        make_window, qtbot, settings):
    window = make_window(window_settings=settings)
    draw(window.canvas, ONE)
    shipped = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    feature, panel = _start_and_pause(qtbot, window)
    assert panel.progress.value() >= 5 and panel.kernels.rgba() is not None

    panel.follow_box.setChecked(True)  # the live view reads the network in training
    ones = np.ones((1, 4, 64), np.float32)
    wait_for_result(qtbot, window, _reads_as(
        lambda x: feature.client.ask("forward", x[None], ones)[-1][0]), timeout=30_000)
    assert feature.model_label.text() == "Live: the network in training"

    panel.use_button.click()  # saved in the data folder, and the live model from now on
    qtbot.waitUntil(lambda: feature.models.owned("mnist"), timeout=60_000)
    path = feature.models.path("mnist")
    assert str(path.parent.parent) == os.path.join(os.environ["SKETCHSCOPE_DATA_DIR"], "models")
    check_in_step(path)
    assert settings.value("live_models/mnist/cnn") == str(path) and not panel.follow_box.isChecked()
    assert feature.back_action.isEnabled() and feature.model_label.text() == "Live: your own model"

    os.kill(feature.client.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: panel.state == "failed", timeout=10_000)
    assert panel.status.text() == ("The trainer stopped unexpectedly (killed by SIGKILL); "
                                   "the app goes on with its own models")
    assert window.statusBar().currentMessage().startswith("Train Live: The trainer stopped")
    mine = Engine.load(path, "mnist")
    draw(window.canvas, line(60, 140, 220, 140))  # the app goes on, reading the saved model
    wait_for_result(qtbot, window, _reads_as(lambda x: mine.run(x).probabilities))

    feature.back_action.trigger()
    fake = FakePredictor("mnist", bias=1)
    wait_for_result(qtbot, window, _reads_as(lambda x: fake.run(x).probabilities))
    assert settings.value("live_models/mnist/cnn") is None and feature.model_label.text() == ""
    assert shipped.probabilities is not None


def test_presentation_mode_shows_the_run_in_large_type(make_window, qtbot):
    window = make_window()
    window.presenter.enter()
    feature = window.training
    feature.client.sig_event.emit(STARTED)  # as the trainer's reader would
    feature.client.sig_event.emit(report(100, 0.97))
    stage = feature.stage
    assert window.presenter.view.isAncestorOf(stage) and stage.isVisible()
    assert stage.headline.text() == "Step 100 of 100 · 97.0% right"
    assert stage.headline.font().pointSizeF() >= window.presenter.view.font().pointSizeF()
    assert stage.kernels.rgba() is not None
    assert window.presenter.view.minimumSizeHint().width() <= 1280  # it still fits a projector
    window.presenter.leave()
    window.close()
    assert not stage.parent()  # closing took it out of the presentation window before it went


def test_a_dense_run_cannot_be_followed_by_the_live_view(make_window):
    window = make_window()
    feature = window.training
    feature.client.sig_event.emit(Started("mnist", "dense", 10, 10, "", 2000, 60000, 0))
    feature.panel.set_state("running")
    assert not feature.panel.follow_box.isEnabled()
