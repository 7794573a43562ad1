"""Autosave and crash recovery: the drawing survives a kill; a bad autosave never stops the app."""


import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.autosave import AUTOSAVE_NAME, AutosaveError, read_autosave, write_autosave
from gui.devtools.bench_launch import worst_drawing
from gui.main_window import MainWindow
from model.drawing import Drawing

from .conftest import FakeLoader, draw, line

SAVE_TIMEOUT_MS = 5_000


@pytest.fixture
def autosave_file(tmp_path):
    return tmp_path / "data" / AUTOSAVE_NAME


def restart(qtbot, settings) -> MainWindow:
    """A new window, as the next start after a kill: the old one is never closed."""
    window = MainWindow("mnist", loader=FakeLoader(), settings=settings)
    qtbot.addWidget(window)
    return window


def wait_saved(qtbot, window, path):
    qtbot.waitUntil(lambda: path.is_file() and not window.autosaver.pending(),
                    timeout=SAVE_TIMEOUT_MS)


def test_strokes_survive_a_kill_exactly(make_window, qtbot, settings, autosave_file):
    window = make_window()
    draw(window.canvas, line(60, 40, 200, 230, steps=11))
    window.canvas.set_brush_width(31.5)
    draw(window.canvas, line(40, 140, 240, 150, steps=7))
    draw(window.canvas, line(100, 100, 180, 180), button=Qt.MouseButton.RightButton)  # erases
    window.canvas.add_stroke([(17.125, 18.0625, 5.5)])  # a dot, unusual floats
    strokes = window.canvas.strokes()
    assert len(strokes) == 4 and strokes[2].erase
    wait_saved(qtbot, window, autosave_file)

    again = restart(qtbot, settings)
    assert again.canvas.strokes() == strokes
    assert "restored your last drawing" in again.statusBar().currentMessage().lower()
    assert np.array_equal(again.canvas.image(), window.canvas.image())
    assert not again.canvas.can_undo()  # recovery is a fresh start, not an undoable step


def test_the_write_is_atomic_and_debounced(make_window, qtbot, autosave_file):
    window = make_window()
    draw(window.canvas, line(60, 40, 200, 230))
    assert window.autosaver.pending() and not autosave_file.exists()  # not per mouse event
    wait_saved(qtbot, window, autosave_file)
    assert sorted(p.name for p in autosave_file.parent.iterdir()) == [AUTOSAVE_NAME]
    assert read_autosave(autosave_file).strokes == window.canvas.strokes()


def test_clear_saves_an_empty_drawing_and_undo_is_saved_too(make_window, qtbot, settings,
                                                             autosave_file):
    window = make_window()
    draw(window.canvas, line(60, 40, 200, 230))
    draw(window.canvas, line(40, 140, 240, 140))
    wait_saved(qtbot, window, autosave_file)
    window.canvas.undo()
    qtbot.waitUntil(lambda: len(read_autosave(autosave_file).strokes) == 1,
                    timeout=SAVE_TIMEOUT_MS)
    window.clear_action.trigger()
    qtbot.waitUntil(lambda: read_autosave(autosave_file).empty, timeout=SAVE_TIMEOUT_MS)
    again = restart(qtbot, settings)
    assert again.canvas.is_empty()
    assert "restored" not in again.statusBar().currentMessage().lower()


def test_closing_saves_at_once(make_window, settings, autosave_file):
    window = make_window()
    draw(window.canvas, line(60, 40, 200, 230))
    window.close()
    assert read_autosave(autosave_file).strokes == window.canvas.strokes()


@pytest.mark.parametrize("content", [
    b"", b"{not json", b"\xff\xfe\x00garbage", b"[]", b'{"version": 1}',
    b'{"version": 1, "strokes": [{"erase": false, "points": [[1, 2]]}]}',
    b'{"version": 1, "strokes": [{"erase": 0, "points": [[1, 2, 3]]}]}',
    b'{"version": 1, "strokes": [{"erase": false, "points": [[1, 2, NaN]]}]}',
    b'{"version": 1, "strokes": [], "background": {"width": 9999, "height": 1, "gray": ""}}',
    b'{"version": 99, "strokes": []}',
])
def test_a_corrupt_autosave_is_moved_aside_with_one_line(qtbot, settings, autosave_file,
                                                          content):
    autosave_file.parent.mkdir(parents=True)
    autosave_file.write_bytes(content)
    window = restart(qtbot, settings)
    message = window.statusBar().currentMessage()
    assert message.startswith("Could not restore your last drawing") and "\n" not in message
    assert window.canvas.is_empty()
    assert not autosave_file.exists()
    assert (autosave_file.parent / (AUTOSAVE_NAME + ".corrupt")).read_bytes() == content


def test_an_unwritable_data_folder_is_a_message_not_a_crash(qtbot, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    window = MainWindow("mnist", loader=FakeLoader(), settings=settings,
                        data_folder=blocker / "sub")
    qtbot.addWidget(window)
    window.canvas.add_stroke([(10, 10), (100, 100)])
    window.autosaver.save_now()
    assert window.statusBar().currentMessage().startswith("Could not autosave")


def test_a_background_picture_round_trips(qtbot, autosave_file):
    from gui.views.canvas import Canvas

    canvas = Canvas()
    qtbot.addWidget(canvas)
    gradient = np.tile(np.arange(0, 250, 2, dtype=np.uint8), (90, 1))  # 90 x 125, not square
    canvas.set_background(gradient)
    canvas.add_stroke([(10.5, 20.25, 7.0), (30.0, 40.0, 7.0)])
    autosave_file.parent.mkdir(parents=True)
    write_autosave(autosave_file, canvas.drawing())
    other = Canvas()
    qtbot.addWidget(other)
    other.restore_drawing(read_autosave(autosave_file))
    assert other.strokes() == canvas.strokes()
    assert np.array_equal(other.image(), canvas.image())


def test_the_json_rejects_what_it_did_not_write(autosave_file):
    autosave_file.parent.mkdir(parents=True)
    autosave_file.write_text('{"version": 1, "strokes": [{"erase": false, "points": []}]}')
    with pytest.raises(AutosaveError):
        read_autosave(autosave_file)
    write_autosave(autosave_file, Drawing())
    assert read_autosave(autosave_file).empty


# ---------------------------------------------------------------- the page as model.drawing data


def test_model_drawing_agrees_with_the_canvas():
    from gui.views import canvas
    from model import drawing

    assert drawing.PAGE_SIZE == canvas.PAGE_SIZE
    assert drawing.INK == canvas.INK_COLOUR.name() and drawing.PAPER == canvas.PAGE_COLOUR.name()
    assert drawing.ERASER_FACTOR == canvas.ERASER_FACTOR


def drawn_canvas(qtbot):
    """A canvas with a picture, pen-pressure widths, an erase stroke and a dot."""
    from gui.views.canvas import Canvas

    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.set_background(np.tile(np.arange(250, 0, -2, dtype=np.uint8), (90, 1)))
    canvas.add_stroke([(40, 40, 18), (120, 60, 18), (200, 200, 18), (100, 230, 18)])
    canvas.add_stroke([(50.5, 200, 6), (80, 150.25, 12), (120, 160, 24), (150, 100, 30)])
    canvas.add_stroke([(100, 100, 10), (180, 140, 10)], erase=True)
    canvas.add_stroke([(230, 40, 25)])
    return canvas


def test_a_page_becomes_a_drawing_and_back(qtbot):
    from dataclasses import replace

    from gui.views.canvas import Canvas

    canvas = drawn_canvas(qtbot)
    d = replace(canvas.drawing(), dataset="fashion", label=3)
    assert (d.dataset, d.label, d.background.shape) == ("fashion", 3, (90, 125))  # its own pixels
    assert np.array_equal(d.background, np.tile(np.arange(250, 0, -2, dtype=np.uint8), (90, 1)))
    assert [len(s.points) for s in d.strokes] == [4, 4, 2, 1] and d.strokes[2].erase
    other = Canvas()
    qtbot.addWidget(other)
    other.restore_drawing(d)
    assert other.strokes() == canvas.strokes()
    assert np.array_equal(other.image(), canvas.image())


def test_the_svg_looks_like_the_canvas(qtbot):
    """Rendered by Qt's own SVG renderer, the saved picture is the page the user drew."""
    from PySide6.QtCore import QByteArray, QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from gui.qimage import qimage_to_gray
    from model.drawing import drawing_to_svg

    canvas = drawn_canvas(qtbot)
    renderer = QSvgRenderer(QByteArray(drawing_to_svg(canvas.drawing()).encode()))
    assert renderer.isValid() and renderer.defaultSize().width() == 560
    image = QImage(560, 560, QImage.Format.Format_Grayscale8)
    image.fill(0)
    with QPainter(image) as painter:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, 560, 560))
    svg = qimage_to_gray(image).astype(int)
    page = canvas.render_image(560).astype(int)
    assert (page < 128).mean() > 0.1  # there is a lot to compare: ink and a dark picture
    difference = np.abs(svg - page)
    assert difference.mean() < 0.5 and (difference > 64).mean() < 0.001


def test_a_stroke_no_file_may_hold_is_a_message_and_the_old_autosave_stays(make_window, autosave_file):
    window = make_window()
    window.canvas.add_stroke([(10, 10), (100, 100)])
    window.autosaver.save_now()
    before = autosave_file.read_bytes()
    window.canvas.add_stroke([(1e9, 10.0, 5.0), (10.0, 10.0, 5.0)])  # a script's stroke, far away
    window.autosaver.save_now()
    message = window.statusBar().currentMessage()
    assert message.startswith("Could not autosave the drawing: stroke 2, point 1") and "\n" not in message
    assert autosave_file.read_bytes() == before
    assert sorted(p.name for p in autosave_file.parent.iterdir()) == [AUTOSAVE_NAME]


def test_an_autosave_from_an_earlier_version_is_restored(qtbot, settings, autosave_file):
    autosave_file.parent.mkdir(parents=True)
    autosave_file.write_text('{"version": 1, "strokes": [{"erase": false, "points": '
                             '[[60, 40, 18.0], [200.5, 230.25, 18.0]]}], "background": null}')
    window = restart(qtbot, settings)
    assert [list(s.points) for s in window.canvas.strokes()] == [[(60.0, 40.0, 18.0), (200.5, 230.25, 18.0)]]
    assert "restored your last drawing" in window.statusBar().currentMessage().lower()


def test_the_worst_drawing_a_file_may_hold_is_restored_whole_and_painted(qtbot, settings,
                                                                         autosave_file):
    """Its time to the first frame is ``python main.py bench gui``'s figure (restoring the
    worst drawing); here: it comes back exact, and the page ends painted sharp."""
    from PySide6.QtCore import QRect

    write_autosave(autosave_file, worst_drawing())
    window = restart(qtbot, settings)
    window.place_on(QRect(0, 0, 1600, 1000))  # a 506-pixel page, as on that screen
    window.show()
    window.canvas.grab()  # its first frame
    assert window.canvas.drawing() == read_autosave(autosave_file)
    qtbot.waitUntil(lambda: not window.canvas.display_pending(), timeout=30_000)


def test_the_page_takes_no_more_than_a_drawing_file_holds_and_says_so(make_window, qtbot,
                                                                       autosave_file):
    """A drawing the app holds can always be autosaved and read back."""
    from model.drawing import MAX_POINTS

    window = make_window()
    for k in range(0, MAX_POINTS - 30, 40):
        window.canvas.add_stroke([(10 + i % 7, 10 + k % 250 + i * 0.5) for i in range(40)])
    assert window.statusBar().currentMessage() == ""
    window.canvas.add_stroke([(200, 10 + i) for i in range(100)])  # 70 of these do not fit
    assert sum(len(s.points) for s in window.canvas.strokes()) == MAX_POINTS
    message = window.statusBar().currentMessage()
    assert message.startswith("The page is full (5,000 points") and "undo" in message
    strokes = window.canvas.strokes()
    draw(window.canvas, line(100, 100, 200, 200))  # the pen draws nothing more
    assert window.canvas.strokes() == strokes
    window.autosaver.save_now()
    assert read_autosave(autosave_file) == window.canvas.drawing()
    window.canvas.undo()
    draw(window.canvas, line(100, 100, 200, 200))  # after an undo there is room again
    assert len(window.canvas.strokes()) == len(strokes)


@pytest.mark.parametrize("make", ["fifo", "dev-zero", "oversized"])
def test_an_autosave_that_is_no_regular_file_or_too_large_never_blocks_the_start(
        qtbot, settings, autosave_file, monkeypatch, make):
    import os
    import signal

    from gui import autosave

    autosave_file.parent.mkdir(parents=True)
    if make == "fifo":
        os.mkfifo(autosave_file)  # opened for reading, it would block the start for ever
    elif make == "dev-zero":
        autosave_file.symlink_to("/dev/zero")  # read whole, it never ends
    else:
        write_autosave(autosave_file, Drawing())
        monkeypatch.setattr(autosave, "MAX_FILE_BYTES", 10)

    def blocked(*_):
        raise TimeoutError("the start blocked")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(20)
    try:
        window = restart(qtbot, settings)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    reason = "larger than 10 bytes" if make == "oversized" else "not a regular file"
    assert window.statusBar().currentMessage() == (
        f"Could not restore your last drawing: unreadable autosave ({reason}); "
        f"moved aside to {AUTOSAVE_NAME}.corrupt")
    assert window.canvas.is_empty() and not autosave_file.exists()
