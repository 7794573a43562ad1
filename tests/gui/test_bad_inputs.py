"""Every kind of image file through the window (Open and drop): one line, drawing untouched."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from .conftest import ONE, draw


def _drawing(size=120):
    page = np.full((size, size), 255, np.uint8)
    page[20:100, 55:65] = 0
    return page


def _bad_files(folder):
    files = {}
    files["empty.png"] = b""
    files["noise.png"] = np.random.default_rng(0).bytes(4000)
    files["notes.jpg"] = b"this is not a picture\n"
    Image.fromarray(_drawing(300)).save(folder / "full.png")
    data = (folder / "full.png").read_bytes()
    files["truncated.png"] = data[: len(data) // 2]
    for name, content in files.items():
        (folder / name).write_bytes(content)
    Image.new("1", (20000, 20000)).save(folder / "bomb.png", optimize=True)
    os.mkdir(folder / "a-folder.png")
    return [*files, "bomb.png", "a-folder.png", "missing.png"]


def test_each_bad_file_gets_one_line_naming_it_and_the_drawing_stays(make_window, tmp_path,
                                                                     capture_warnings):
    window = make_window()
    draw(window.canvas, ONE)
    before, strokes = window.canvas.image(), window.canvas.strokes()
    names = _bad_files(tmp_path)
    for name in names:
        assert not window.files.open_image(tmp_path / name), name
    assert len(capture_warnings) == len(names)
    for name, text in zip(names, capture_warnings, strict=True):
        assert name in text and "\n" not in text, text
    assert "megapixels" in capture_warnings[names.index("bomb.png")]
    assert np.array_equal(window.canvas.image(), before)
    assert window.canvas.strokes() == strokes


@pytest.mark.parametrize("kind", ["I;16", "P", "RGBA", "CMYK", "GIF-animated", "1x1"])
def test_unusual_but_valid_images_open(make_window, tmp_path, capture_warnings, kind):
    window = make_window()
    page = Image.fromarray(_drawing())
    path = tmp_path / "picture.png"
    if kind == "I;16":
        Image.fromarray(_drawing().astype(np.uint16) * 257).save(path)
    elif kind == "P":
        page.convert("P").save(path)
    elif kind == "RGBA":
        rgba = np.zeros((120, 120, 4), np.uint8)
        rgba[20:100, 55:65] = (0, 0, 0, 255)
        Image.fromarray(rgba).save(path)
    elif kind == "CMYK":
        path = tmp_path / "picture.jpg"
        page.convert("RGB").convert("CMYK").save(path)
    elif kind == "GIF-animated":
        path = tmp_path / "picture.gif"
        blank = Image.fromarray(np.full((120, 120), 255, np.uint8))
        page.save(path, save_all=True, append_images=[blank], duration=100)
    else:
        Image.new("L", (1, 1), 255).save(path)
    assert window.files.open_image(path), capture_warnings
    assert capture_warnings == []
    if kind != "1x1":  # the stroke lands on the page as dark ink
        assert window.canvas.image().min() < 80


def test_dropping_a_bad_file_warns_and_keeps_the_drawing(make_window, tmp_path, capture_warnings):
    window = make_window()
    draw(window.canvas, ONE)
    before = window.canvas.image()
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "broken.png"))])
    where, buttons, keys = QPoint(200, 200), Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    enter = QDragEnterEvent(where, Qt.DropAction.CopyAction, mime, buttons, keys)
    assert QApplication.sendEvent(window, enter) and enter.isAccepted()
    drop = QDropEvent(QPointF(where), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(window, drop)
    assert len(capture_warnings) == 1 and "broken.png" in capture_warnings[0]
    assert np.array_equal(window.canvas.image(), before)


def test_save_dialogs_ask_before_overwriting(make_window, monkeypatch, tmp_path):
    asked = []

    def fake_dialog(parent, title, suggestion, filters, *args, **kwargs):
        asked.append(kwargs.get("options", QFileDialog.Option(0)))
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_dialog)
    window = make_window()
    draw(window.canvas, ONE)
    window.save_action.trigger()
    assert asked, "the save action did not ask for a file name"
    assert not asked[0] & QFileDialog.Option.DontConfirmOverwrite


KILLED_WRITER = """
import sys, time
from model.atomic import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    with open(tmp, "wb") as f:
        f.write(b"half of the new")
        f.flush()
        print("writing", flush=True)
        time.sleep(60)
"""


def test_a_write_killed_midway_leaves_the_old_file(tmp_path):
    target = tmp_path / "drawing.png"
    target.write_bytes(b"the good old file")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)], cwd=root,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(0.1)
    assert target.read_bytes() == b"the good old file"


def test_pasting_nothing_usable_says_so_and_keeps_the_drawing(make_window, capture_warnings):
    from PySide6.QtGui import QGuiApplication, QImage

    window = make_window()
    draw(window.canvas, ONE)
    before = window.canvas.image()
    QGuiApplication.clipboard().setImage(QImage())  # a null image
    window.paste_action.trigger()
    QGuiApplication.clipboard().setText("no picture here")
    window.paste_action.trigger()
    assert "no image" in window.statusBar().currentMessage()
    assert np.array_equal(window.canvas.image(), before)


def test_files_that_would_run_a_program_block_or_exhaust_memory_get_one_line(
        make_window, tmp_path, capture_warnings):
    """PostScript (as .eps, and named .png) went to Ghostscript: a loop hung the window and a
    `file` operator wrote where it liked. A FIFO blocks a reader; /dev/zero never ends; a
    49,999,999 x 1 picture passes the pixel limit but its preprocessing needs 30 GB."""
    written = tmp_path / "written-by-postscript"
    script = f"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 280 280\n({written}) (w) file (x) writestring\n"
    (tmp_path / "loop.eps").write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 280 280\n{} loop\n")
    (tmp_path / "writes.png").write_text(script)
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "zero.png").symlink_to("/dev/zero")
    Image.new("1", (49_999_999, 1), 1).save(tmp_path / "line.png")
    window = make_window()
    draw(window.canvas, ONE)
    before, strokes = window.canvas.image(), window.canvas.strokes()
    names = ["loop.eps", "writes.png", "pipe.png", "zero.png", "line.png"]

    def blocked(*_):
        raise TimeoutError("opening the file blocked the window")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(30)
    try:
        for name in names:
            assert not window.files.open_image(tmp_path / name), name
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert len(capture_warnings) == len(names)
    for name, text in zip(names, capture_warnings, strict=True):
        assert name in text and "\n" not in text, text
    assert "not an image file Sketchscope can read" in capture_warnings[0]
    assert "not a regular file" in capture_warnings[2] and "not a regular file" in capture_warnings[3]
    assert "not a drawing" in capture_warnings[4]
    assert not written.exists()
    assert np.array_equal(window.canvas.image(), before) and window.canvas.strokes() == strokes
