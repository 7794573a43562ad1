"""Files in and out through the window: pictures opened, pasted and dropped, the drawing saved,
the network input and the feature maps exported (gui/files.py)."""

import os

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from gui.files import DATA_DIR_ENV, ImageFileError, read_image

from .conftest import ONE, draw, wait_for_result


def test_the_data_folder_is_redirected_for_tests(tmp_path):
    assert os.environ[DATA_DIR_ENV] == str(tmp_path / "data")


def _write_digit_png(path, light_on_dark=False):
    pixels = np.full((120, 90), 255, np.uint8)
    pixels[15:105, 40:52] = 0
    if light_on_dark:
        pixels = 255 - pixels
    Image.fromarray(pixels).save(path)
    return path


def test_open_a_png_puts_it_on_the_page_as_dark_ink(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.files.open_image(_write_digit_png(tmp_path / "one.png", light_on_dark=True))
    page = window.canvas.image()
    assert page[140, 140] < 50 and page[140, 20] > 240  # dark ink on white, whatever the file
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert result.image.max() == 255
    window.undo_action.trigger()
    assert window.canvas.is_empty()


def test_a_bad_image_file_gets_one_line_and_leaves_the_drawing_alone(make_window, tmp_path,
                                                                     capture_warnings):
    window = make_window()
    draw(window.canvas, ONE)
    before = window.canvas.image()
    strokes = window.canvas.strokes()
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a PNG")
    assert not window.files.open_image(bad)
    assert not window.files.open_image(tmp_path / "missing.png")
    assert len(capture_warnings) == 2
    assert all("\n" not in text and text for text in capture_warnings)
    assert "broken.png" in capture_warnings[0]
    assert np.array_equal(window.canvas.image(), before)
    assert window.canvas.strokes() == strokes


def test_images_over_the_pixel_limit_are_refused_before_decoding(tmp_path, monkeypatch):
    path = _write_digit_png(tmp_path / "big.png")
    monkeypatch.setattr("model.imageio.MAX_PIXELS", 100 * 100)
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(1))
    with pytest.raises(ImageFileError, match="megapixels"):
        read_image(path)
    assert not decoded


def test_save_and_export_write_valid_pngs(make_window, qtbot, tmp_path):
    window = make_window()
    with pytest.raises(ValueError):
        window.files.export_input(tmp_path / "nothing.png")
    draw(window.canvas, ONE)
    wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    drawing = window.files.save_drawing(tmp_path / "drawing.png")
    with Image.open(drawing) as image:
        assert image.format == "PNG" and image.size == (560, 560)
        assert np.asarray(image.convert("L")).min() < 50
    network_input = window.files.export_input(tmp_path / "input")  # ".png" is added
    assert network_input.name == "input.png"
    with Image.open(network_input) as image:
        assert image.size == (28, 28)
        assert np.array_equal(np.asarray(image), window.result().image)
    written = window.files.export_feature_maps(tmp_path / "maps.png")
    assert [p.name for p in written] == ["maps-conv1.png", "maps-pool1.png", "maps-conv2.png",
                                         "maps-pool2.png"]
    for path in written:
        with Image.open(path) as image:
            image.load()
            assert image.format == "PNG" and image.mode == "RGB"
            assert image.size[0] == image.size[1] >= 8 * 48
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_paste_and_drop_open_images(make_window, qtbot, tmp_path):
    window = make_window()
    image = QImage(100, 100, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    for y in range(20, 80):  # a short loop to make a test picture, not in the app
        image.setPixelColor(50, y, Qt.GlobalColor.black)
    QGuiApplication.clipboard().setImage(image)
    window.paste_action.trigger()
    assert not window.canvas.is_empty()
    assert window.canvas.image()[140, 140] < 128

    window.canvas.clear()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(_write_digit_png(tmp_path / "drop.png")))])
    where, buttons, keys = QPoint(200, 200), Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    enter = QDragEnterEvent(where, Qt.DropAction.CopyAction, mime, buttons, keys)
    assert QApplication.sendEvent(window, enter) and enter.isAccepted()
    drop = QDropEvent(QPointF(where), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(window, drop)
    assert window.canvas.image()[140, 140] < 50
