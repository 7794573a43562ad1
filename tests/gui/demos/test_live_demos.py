"""Live demos: presentation mode, the test-set browser, stroke replay, the challenge,
drawings saved with their strokes, and keeping drawings in the gallery."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.demos.gallery_view import gallery_folder
from gui.demos.replay import PAUSE_MS, STROKE_MS
from gui.jobs import LiveRequest, LiveResult, ModelHub, read_drawing
from gui.views.canvas import render_drawing
from model.datasets import DataError
from model.drawing import NetworkPicture, step_drawings
from tests.gui.conftest import ONE, FakeLoader, FakePredictor, draw, line, wait_for_result

SEVEN = [line(60, 50, 220, 50), line(220, 50, 120, 240), line(100, 140, 180, 140)]


def draw_all(qtbot, window, strokes=SEVEN):
    for points in strokes:
        draw(window.canvas, points)
    return wait_for_result(qtbot, window, lambda r: r.probabilities is not None)


# ---------------------------------------------------------------- rendering


def test_a_page_rendered_from_its_strokes_is_the_page_the_user_drew(qtbot, make_window):
    window = make_window()
    draw_all(qtbot, window)
    assert np.array_equal(render_drawing(window.canvas.drawing()), window.canvas.image())


# ---------------------------------------------------------------- presentation mode


def test_presentation_mode_takes_the_canvas_full_screen_and_gives_it_back(qtbot, make_window):
    window = make_window()
    draw_all(qtbot, window)
    strokes = window.canvas.strokes()
    window.presenter.enter()
    view = window.presenter.view
    qtbot.waitExposed(view)
    qtbot.waitUntil(view.isFullScreen)  # the window system makes it so, a moment later
    assert window.presenter.presenting()
    assert window.canvas.window() is view
    assert view.windowTitle().startswith("Sketchscope")
    # The big answer is the top class of the result on screen.
    top = int(np.argmax(window.result().probabilities))
    assert view.answer_text().rstrip("?") == str(top)

    draw(window.canvas, line(40, 200, 240, 200))  # drawing goes on in presentation mode
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert len(window.canvas.strokes()) == len(strokes) + 1
    assert np.array_equal(view.chart.probabilities(), result.probabilities)
    assert np.array_equal(view.mosaic.rgba(), result.grids[0])

    QTest.keyClick(view, Qt.Key.Key_L)  # L cycles the shown layer
    assert view.layer_name() == "pool1"
    assert np.array_equal(view.mosaic.rgba(), result.grids[1])
    for _ in range(3):
        QTest.keyClick(view, Qt.Key.Key_L)
    assert view.layer_name() == "conv1"

    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert not window.presenter.presenting()
    assert window.canvas.window() is window
    assert len(window.canvas.strokes()) == len(strokes) + 1  # the drawing came back whole
    window.canvas.undo()  # and its history too
    assert window.canvas.strokes() == strokes


def test_f11_toggles_presentation_mode_and_delete_clears_there(qtbot, make_window):
    window = make_window()
    draw_all(qtbot, window)
    window.present_action.trigger()
    assert window.presenter.presenting()
    qtbot.waitExposed(window.presenter.view)
    QTest.keyClick(window.presenter.view, Qt.Key.Key_Delete)
    assert window.canvas.drawing().empty
    wait_for_result(qtbot, window, lambda r: r.empty)
    assert window.presenter.view.answer_text() == "Draw something"
    QTest.keyClick(window.presenter.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not window.canvas.drawing().empty  # undone
    QTest.keyClick(window.presenter.view, Qt.Key.Key_Backspace)  # the window's other Clear key
    assert window.canvas.drawing().empty
    window.present_action.trigger()
    assert not window.presenter.presenting()


def test_presentation_prefers_a_second_screen():
    from gui.demos.presentation import pick_screen

    class Screen:
        def __init__(self, name):
            self._name = name

        def name(self):
            return self._name

    laptop, projector = Screen("eDP-1"), Screen("HDMI-1")
    assert pick_screen([laptop, projector], laptop) is projector
    assert pick_screen([laptop, projector], projector) is laptop
    assert pick_screen([laptop], laptop) is laptop
    assert pick_screen([laptop, projector], projector, wanted="HDMI-1") is projector
    assert pick_screen([laptop, projector], laptop, wanted="gone") is projector


# ---------------------------------------------------------------- the test-set browser


def test_browser_next_random_class_and_mistakes(qtbot, make_window):
    from tests.gui.conftest import fake_test_split

    window = make_window()
    split = fake_test_split("mnist")
    browser = window.demos.browser
    browser.show_next()  # asks the worker for the split, then shows image 0
    qtbot.waitUntil(lambda: browser.index() == 0, timeout=10_000)
    background = window.canvas.drawing().background
    assert background is not None
    assert "true: <b>0</b>" in browser.info_text() and "✓ right" in browser.info_text()

    browser.show_next()
    assert browser.index() == 1 and "true: <b>1</b>" in browser.info_text()
    window.canvas.undo()  # a test image is an ordinary, undoable page change
    assert window.canvas.drawing().background is background

    browser.show_class(5)
    assert split.labels[browser.index()] == 5 and browser.index() > 1

    seen = {browser.index()}
    for _ in range(5):
        browser.show_random()
        assert 0 <= browser.index() < len(split)
        seen.add(browser.index())
    assert len(seen) > 1

    mistakes = list(split.mistakes())
    assert mistakes == [i for i in range(len(split)) if i % 7 == 3]
    browser.show_mistake(1)
    assert browser.index() == mistakes[0] and "✗ wrong" in browser.info_text()
    assert f"mistake 1 of {len(mistakes)}" in browser.info_text()
    browser.show_mistake(1)
    assert browser.index() == mistakes[1]
    browser.show_mistake(-1)
    browser.show_mistake(-1)  # before the first: wraps to the last
    assert browser.index() == mistakes[-1]

    # What goes on the canvas is the test image itself, dark on white, at its own 28 x 28 ...
    page = window.canvas.drawing().background
    assert np.array_equal(page, 255 - split.images[browser.index()])
    assert page.min() < 30 and page.max() > 225
    # ... and what the network should read of it is those very pixels, covering the page.
    picture = window.canvas.network_picture()
    assert np.array_equal(picture.pixels, page) and picture.scale == 10 and picture.offset == (0, 0)
    wait_for_result(qtbot, window, lambda r: r.probabilities is not None)


def test_browser_without_data_says_which_command_fetches_it(qtbot, make_window):
    def missing(dataset, engine):
        raise DataError("mnist is not fetched: run `python main.py data fetch --dataset mnist`")

    window = make_window(test_split_loader=missing)
    draw(window.canvas, ONE)
    before = window.canvas.drawing()
    window.demos.browser.show_next()
    qtbot.waitUntil(lambda: "No test images" in window.demos.browser.info_text(), timeout=10_000)
    assert "python main.py data fetch" in window.demos.browser.info_text()
    assert "\n" not in window.demos.browser.info_text()
    assert window.canvas.drawing() is before  # the drawing is untouched


def test_browser_asks_the_model_in_use_and_again_when_it_changes(qtbot, make_window):
    """Its mistakes are the answers of the engine the window reads with, not always the shipped
    model's (the cache is keyed by that engine's file)."""
    from tests.gui.conftest import fake_test_split

    asked = []

    def split_of(dataset, engine):
        asked.append(engine)
        return fake_test_split(dataset, engine)

    window = make_window(test_split_loader=split_of)
    browser = window.demos.browser
    browser.show_next()
    qtbot.waitUntil(lambda: browser.split() is not None, timeout=10_000)
    shipped = asked[-1]
    assert shipped.bias == 1  # the loader's own mnist engine
    mine = FakePredictor("mnist", bias=5)
    window.client.set_model("mnist", lambda dataset: mine)
    qtbot.waitUntil(lambda: browser.split() is None, timeout=10_000)  # the old answers go
    browser.show_next()
    qtbot.waitUntil(lambda: browser.split() is not None, timeout=10_000)
    assert asked[-1] is mine and len(asked) == 2


def test_browser_follows_the_dataset(qtbot, make_window):
    window = make_window()
    window.demos.browser.show_next()
    qtbot.waitUntil(lambda: window.demos.browser.index() == 0, timeout=10_000)
    window.set_dataset("fashion")
    assert window.demos.browser.index() == -1
    assert window.demos.browser.class_box.itemText(0) == "T-shirt/top"
    window.demos.browser.show_class(7)
    qtbot.waitUntil(lambda: window.demos.browser.index() == 7, timeout=10_000)
    assert "Sneaker" in window.demos.browser.info_text()


# ---------------------------------------------------------------- stroke replay


def test_replay_timeline_has_one_point_per_stroke_matching_direct_predictions(qtbot, make_window):
    window = make_window()
    draw_all(qtbot, window)
    state = window.canvas.drawing()
    with qtbot.waitSignal(window.demos.replay.sig_timeline_ready, timeout=10_000) as blocker:
        assert window.start_replay()
    probabilities, seconds = blocker.args
    assert probabilities.shape == (len(SEVEN), 10)
    assert seconds > 0
    direct = ModelHub(lambda dataset: FakePredictor("mnist", bias=1))
    for k, step in enumerate(step_drawings(state)):
        request = LiveRequest(0, "mnist", NetworkPicture(render_drawing(step)))
        expected = read_drawing(direct, request).probabilities
        np.testing.assert_allclose(probabilities[k], expected, atol=1e-6)
    # The last step is the drawing itself: the live answer for the whole page.
    window.demos.replay.stop()
    live = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    np.testing.assert_allclose(probabilities[-1], live.probabilities, atol=1e-6)
    assert window.demos.replay_panel.plot.n_steps() == len(SEVEN)


def test_replay_animates_a_preview_and_leaves_the_drawing_and_history_alone(qtbot, make_window):
    window = make_window()
    draw_all(qtbot, window)
    canvas, replay = window.canvas, window.demos.replay
    state, could_undo = canvas.drawing(), canvas.can_undo()
    steps = []
    replay.sig_step_changed.connect(steps.append)
    replay.start()
    replay.pause()  # the test moves the clock itself
    assert canvas.preview() is not None and canvas.preview().strokes == ()
    replay.advance(STROKE_MS / 2)  # half the first stroke
    shown = canvas.preview().strokes
    assert len(shown) == 1 and 1 <= len(shown[0].points) < len(state.strokes[0].points)
    replay.advance(STROKE_MS / 2 + 1)  # the first stroke complete
    assert canvas.preview().strokes == state.strokes[:1] and steps[-1] == 0
    replay.advance(STROKE_MS + PAUSE_MS)
    assert len(canvas.preview().strokes) == 2 and steps[-1] == 1
    replay.seek(0)
    assert canvas.preview().strokes == state.strokes[:1]
    replay.advance(10 * (STROKE_MS + PAUSE_MS))  # to the end: the drawing itself again
    assert canvas.preview() is None and steps[-1] == len(SEVEN) - 1
    assert canvas.drawing() is state and canvas.can_undo() == could_undo
    assert np.array_equal(canvas.image(), render_drawing(state))


def test_drawing_during_a_replay_stops_it_and_keeps_the_new_stroke(qtbot, make_window):
    window = make_window()
    draw_all(qtbot, window)
    n = len(window.canvas.strokes())
    window.demos.replay.start()
    assert window.demos.replay.running()
    draw(window.canvas, line(30, 30, 60, 60))
    assert not window.demos.replay.running() and window.canvas.preview() is None
    assert len(window.canvas.strokes()) == n + 1


def test_esc_stops_a_replay_or_the_challenge_and_never_wipes_the_drawing(qtbot, make_window):
    window = make_window()
    draw_all(qtbot, window)
    window.activateWindow()
    window.canvas.setFocus()
    assert window.start_replay() and window.demos.replay.running()
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert not window.demos.replay.active() and window.canvas.preview() is None
    assert len(window.canvas.strokes()) == len(SEVEN)
    window.challenge_action.trigger()
    draw(window.canvas, ONE)
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert not window.demos.challenge.running() and not window.demos.challenge_banner.isVisible()
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)  # nothing left to leave
    assert len(window.canvas.strokes()) == 1


def test_replay_of_an_empty_page_says_so(qtbot, make_window):
    window = make_window()
    assert not window.start_replay()
    assert "Nothing to replay" in window.statusBar().currentMessage()


# ---------------------------------------------------------------- drawings with strokes


@pytest.mark.parametrize("suffix", [".json", ".svg"])
def test_saved_drawings_reopen_with_the_very_same_strokes(qtbot, make_window, tmp_path, suffix):
    window = make_window()
    draw_all(qtbot, window)
    window.canvas.add_stroke([(10.125, 20.1, 7.3), (30.000000000000004, 40.5, 9.1)], erase=True)
    saved = window.canvas.drawing()
    path = window.files.save_drawing(tmp_path / f"seven{suffix}")
    window.canvas.clear()
    window.set_dataset("fashion")
    assert window.files.open_image(path)  # Open takes drawings as well as pictures
    assert window.dataset == "mnist"  # the drawing knows its dataset
    reopened = window.canvas.drawing()
    assert [(s.erase, list(s.points)) for s in reopened.strokes] == [
        (s.erase, list(s.points)) for s in saved.strokes]
    assert np.array_equal(render_drawing(reopened), render_drawing(saved))
    assert window.start_replay()  # and it replays


def test_a_bad_drawing_file_gives_one_line_and_keeps_the_drawing(qtbot, make_window, tmp_path,
                                                                   capture_warnings):
    window = make_window()
    draw(window.canvas, ONE)
    before = window.canvas.drawing()
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "sketchscope-drawing", "version": 1, "strokes": [{"erase": 1')
    assert not window.files.open_image(bad)
    assert len(capture_warnings) == 1 and "\n" not in capture_warnings[0]
    assert "broken.json" in capture_warnings[0]
    assert window.canvas.drawing() is before


# ---------------------------------------------------------------- the challenge


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_challenge_recognises_the_named_class_and_times_it(qtbot, make_window):
    from gui.demos.challenge import ROUND_SECONDS, Challenge

    clock = Clock()
    challenge = Challenge(clock=clock, seed=3)
    cleared = []
    challenge.sig_clear_requested.connect(lambda: (cleared.append(1), challenge.set_min_seq(5)))
    challenge.start("mnist")
    target = challenge.target()
    assert cleared and challenge.text().startswith(f"Draw a{'n' if target == 8 else ''} {target}!")

    def result(seq, top, p):
        probs = np.full(10, (1 - p) / 9, np.float32)
        probs[top] = p
        return LiveResult(seq, "mnist", image=np.zeros((28, 28), np.uint8), probabilities=probs)

    clock.now += 2.0
    challenge.on_result(result(4, target, 0.99))  # a drawing from before the round
    challenge.on_result(result(6, (target + 1) % 10, 0.99))  # the wrong class
    challenge.on_result(result(7, target, 0.5))  # the right class, not sure enough
    assert challenge.outcome() is None
    clock.now += 1.5
    challenge.on_result(result(8, target, 0.9))
    assert challenge.outcome().won and challenge.outcome().seconds == pytest.approx(3.5)
    assert "in 3.5 s" in challenge.text() and "1 of 1 recognised" in challenge.text()

    challenge.next_round()
    assert challenge.target() != target and challenge.outcome() is None
    clock.now += ROUND_SECONDS + 0.1
    challenge._on_tick()
    assert not challenge.outcome().won and "Time's up" in challenge.text()
    assert challenge.score() == "1 of 2 recognised, best 3.5 s"


def test_challenge_in_the_window_wipes_the_page_and_shows_a_banner(qtbot, make_window):
    window = make_window()
    draw(window.canvas, ONE)
    window.demos.start_challenge()
    assert window.canvas.drawing().empty and window.canvas.can_undo()  # wiped, undoable
    assert window.demos.challenge_banner.isVisible()
    assert window.demos.challenge_banner.label.text().startswith("Draw ")
    window.presenter.enter()
    assert window.presenter.view.banner.text().startswith("Draw ")
    window.presenter.leave()
    window.demos.challenge.stop()
    assert not window.demos.challenge_banner.isVisible()
    window.demos.start_challenge()
    window.set_dataset("fashion")  # a round of digits ends with the digits
    assert not window.demos.challenge.running() and not window.demos.challenge_banner.isVisible()


# ---------------------------------------------------------------- the gallery


def test_keep_drawings_in_the_gallery_and_export_them(qtbot, make_window, tmp_path):
    window = make_window()
    result = draw_all(qtbot, window)
    predicted = int(np.argmax(result.probabilities))
    assert window.demos.keep_drawing(label=7)
    window.canvas.clear()
    draw_all(qtbot, window, [ONE])
    assert window.demos.keep_drawing(label=1)
    items = window.demos.gallery.items
    assert [i.true_label for i in items] == [7, 1]
    assert items[0].predicted == predicted
    assert items[0].confidence == pytest.approx(float(result.probabilities[predicted]))
    folder = window.demos.gallery_panel.export_to(tmp_path)
    with open(folder / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["true_label"] for r in rows] == ["7", "1"]
    assert rows[0]["predicted"] == str(predicted)
    assert all((folder / r["file"]).is_file() for r in rows)

    # A kept drawing comes back with its strokes.
    window.canvas.clear()
    window.demos.open_gallery_item(items[0].id)
    assert len(window.canvas.strokes()) == len(SEVEN)


def test_delete_in_the_gallery_list_forgets_the_drawing_and_leaves_the_page(qtbot, make_window):
    window = make_window()
    draw_all(qtbot, window)
    assert window.demos.keep_drawing(label=7)
    assert window.demos.gallery.folder == gallery_folder()  # where the app keeps it
    window.gallery_action.trigger()
    panel = window.demos.gallery_panel
    qtbot.waitUntil(panel.list.isVisible)
    window.activateWindow()
    panel.list.setCurrentRow(0)
    panel.list.setFocus()
    QTest.keyClick(panel.list, Qt.Key.Key_Delete)
    assert window.demos.gallery.items == []
    assert len(window.canvas.strokes()) == len(SEVEN)  # Delete in the list is not Clear


def test_keep_with_nothing_drawn_keeps_nothing(qtbot, make_window):
    window = make_window()
    wait_for_result(qtbot, window, lambda r: r.empty)
    assert not window.demos.keep_drawing(label=3)
    assert len(window.demos.gallery.items) == 0


def test_pen_pressure_sets_the_width_and_the_eraser_end_erases(qtbot, make_window):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent

    window = make_window()
    canvas = window.canvas
    device = QPointingDevice("pen", 1, QInputDevice.DeviceType.Stylus,
                             QPointingDevice.PointerType.Pen,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
                             1, 3)
    eraser = QPointingDevice("eraser", 2, QInputDevice.DeviceType.Stylus,
                             QPointingDevice.PointerType.Eraser,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
                             1, 3)

    def stroke(dev, pressure):
        for kind, x in ((QTabletEvent.Type.TabletPress, 100), (QTabletEvent.Type.TabletMove, 160),
                        (QTabletEvent.Type.TabletRelease, 160)):
            pos = QPointF(canvas.page_rect().x() + x, canvas.page_rect().y() + 100)
            event = QTabletEvent(kind, dev, pos, canvas.mapToGlobal(pos), pressure, 0, 0, 0, 0,
                                 0, Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton,
                                 Qt.MouseButton.LeftButton)
            canvas.tabletEvent(event)

    stroke(device, 0.2)
    stroke(device, 1.0)
    stroke(eraser, 1.0)
    light, firm, rubbed = canvas.strokes()
    assert light.points[0][2] < firm.points[0][2] == pytest.approx(canvas.brush_width())
    assert not light.erase and not firm.erase and rubbed.erase


def test_a_broken_model_leaves_the_demos_usable(qtbot, make_window):
    from model.inference import ModelError

    window = make_window(loader=FakeLoader(fail={"mnist": ModelError("mnist_cnn.keras: broken")}))
    draw(window.canvas, ONE)
    with qtbot.waitSignal(window.demos.replay.sig_message, timeout=10_000) as blocker:
        window.start_replay()
    assert "No timeline" in blocker.args[0] and "broken" in blocker.args[0]


def test_opening_the_browser_fetches_the_split_before_the_first_click(qtbot, make_window):
    window = make_window()
    window.browser_action.trigger()
    qtbot.waitUntil(lambda: window.demos.browser.split() is not None, timeout=10_000)
    assert window.demos.browser.index() == -1  # nothing put on the canvas unasked
    assert "mistakes to browse" in window.demos.browser.summary.text()
    window.set_dataset("fashion")  # the open browser fetches the new dataset's split too
    qtbot.waitUntil(lambda: window.demos.browser.split() is not None
                    and window.demos.browser.split().dataset == "fashion", timeout=10_000)


def test_save_dialog_takes_the_format_from_the_chosen_filter(qtbot, make_window, tmp_path,
                                                              monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from model.drawing import read_drawing

    window = make_window()
    draw(window.canvas, ONE)
    folder = tmp_path / "saved"
    folder.mkdir()
    answers = iter([(str(folder / "plain"), "Drawing with strokes, SVG (*.svg)"),
                    (str(folder / "named.json"), "PNG image (*.png)")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: next(answers))
    window.save_action.trigger()
    window.save_action.trigger()
    assert len(read_drawing(folder / "plain.svg").strokes) == 1
    assert read_drawing(folder / "named.json").dataset == "mnist"  # a typed suffix wins
    assert sorted(p.name for p in folder.iterdir()) == ["named.json", "plain.svg"]


def test_keep_during_a_replay_asks_to_stop_it_first(qtbot, make_window):
    window = make_window()
    draw_all(qtbot, window)
    window.start_replay()
    window.demos.replay.pause()
    assert not window.demos.keep_drawing(label=7)
    assert "Stop the replay" in window.statusBar().currentMessage()
    window.demos.replay.stop()
    wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert window.demos.keep_drawing(label=7)
