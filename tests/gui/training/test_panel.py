"""The Train Live panel without a trainer: what it asks for, what it enables, what it shows."""

import numpy as np
import pytest

from gui.colormap import diverging
from gui.training.panel import TrainingPanel, clock
from gui.training.plots import Curves, kernel_mosaic
from model.training.live_protocol import DrawingAnswer, LiveConfig, Report, Started

from ..conftest import shown

STARTED = Started("mnist", "cnn", 100, 50, "Adam 0.001; batch 64", 2000, 60000, 3,
                  {"name": "sketchscope_cnn"})


def report(step: int, accuracy: float = 0.9, drawing=None) -> Report:
    kernels = np.linspace(-1, 1, 9 * 64, dtype=np.float32).reshape(3, 3, 1, 64)
    return Report(step=step, total_steps=100, epoch=step / 50, seconds=step / 10,
                  seconds_left=(100 - step) / 10, train_loss=0.5, train_accuracy=accuracy - 0.01,
                  test_loss=0.4, test_accuracy=accuracy, kernels=kernels, gallery_accuracy=0.75,
                  gallery_start=0.25, drawing=drawing)


@pytest.fixture
def panel(qtbot):
    return shown(qtbot, TrainingPanel("fashion"), 1300, 320)


def test_clock_reads_as_minutes_and_seconds():
    assert [clock(s) for s in (0, 59.6, 61, 3725)] == ["0:00", "1:00", "1:01", "1:02:05"]


def test_train_asks_for_what_the_controls_say(qtbot, panel):
    panel.arch_box.setCurrentIndex(panel.arch_box.findData("dense"))
    panel.start_box.setCurrentIndex(panel.start_box.findData("shipped"))
    panel.recipe_box.setCurrentIndex(panel.recipe_box.findData("sketchscope"))
    panel.epochs_box.setValue(3)
    panel.interval_box.setValue(20)
    panel.gallery_box.setValue(25)
    with qtbot.waitSignal(panel.sig_start) as started:
        panel.train_button.click()
    assert started.args[0] == LiveConfig(dataset="fashion", arch="dense", start="shipped",
                                         recipe="sketchscope", epochs=3, report_every=20,
                                         gallery_weight=0.25)


def test_the_buttons_follow_the_runs_state(qtbot, panel):
    assert not panel.pause_button.isEnabled() and not panel.use_button.isEnabled()
    panel.show_started(STARTED)
    panel.set_state("running")
    assert panel.pause_button.text() == "Pause" and panel.use_button.isEnabled()
    assert panel.follow_box.isEnabled()
    with qtbot.waitSignal(panel.sig_pause):
        panel.pause_button.click()
    panel.set_state("paused")
    assert panel.pause_button.text() == "Resume"
    with qtbot.waitSignal(panel.sig_resume):
        panel.pause_button.click()
    panel.follow_box.setChecked(True)
    panel.set_state("stopped")
    assert not panel.stop_button.isEnabled() and not panel.pause_button.isEnabled()
    assert panel.use_button.isEnabled() and panel.follow_box.isChecked()
    panel.set_state("failed")
    assert not panel.use_button.isEnabled() and not panel.follow_box.isChecked()
    panel.show_started(Started("mnist", "dense", 10, 10, "", 2000, 60000, 0))
    panel.set_state("running")
    assert not panel.follow_box.isEnabled()  # a dense network has no maps for the live view


def test_reports_fill_the_progress_the_curves_the_kernels_and_the_drawing(qtbot, panel):
    panel.show_started(STARTED)
    maps = tuple(np.random.default_rng(0).random(s, dtype=np.float32)
                 for s in ((26, 26, 64), (13, 13, 64), (11, 11, 64), (5, 5, 64)))
    probabilities = np.full(10, 0.02, np.float32)
    probabilities[5] = 0.82
    panel.show_report(report(50, 0.91))
    panel.show_report(report(100, 0.97, DrawingAnswer(3, probabilities, maps)))
    assert panel.progress.value() == 100 and panel.curves.steps == [50, 100]
    assert panel.curves.test_accuracy == [0.91, 0.97]
    assert "held-out 97.0%" in panel.time_left.text() and "left" not in panel.time_left.text()
    assert panel.kernels.rgba().shape == (31, 31, 4)
    assert panel.drawing.chart.top_class() == 5
    assert all(view.rgba() is not None for view in panel.drawing.maps)
    assert panel.gallery_line.text() == ("Your kept drawings: 25% right before training, 75% now")
    qtbot.waitUntil(lambda: panel.plot.painted_version == panel.plot.version)


def test_the_same_step_reported_twice_is_one_point():
    curves = Curves()
    curves.add(report(50))
    curves.add(report(50))
    assert curves.steps == [50]


def test_kernels_are_blue_below_zero_red_above_and_the_gaps_clear():
    kernels = np.zeros((3, 3, 1, 64), np.float32)
    kernels[0, 0, 0, 0], kernels[1, 1, 0, 0] = -2.0, 2.0
    mosaic = kernel_mosaic(kernels)
    assert mosaic.shape == (31, 31, 4)
    blue, red, white = mosaic[0, 0, :3], mosaic[1, 1, :3], mosaic[2, 2, :3]
    assert blue[2] > blue[0] and red[0] > red[2]
    assert (white == diverging(np.zeros(1), 1.0)[0]).all() and white.min() > 240  # Explore's
    assert mosaic[3, 0, 3] == 0 and mosaic[0, 0, 3] == 255  # a gap, a kernel's cell
    assert kernel_mosaic(np.zeros((28, 28, 64), np.float32)).shape == (8 * 29 - 1, 8 * 29 - 1, 4)
