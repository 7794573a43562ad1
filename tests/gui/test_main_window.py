"""The main window with fake predictors: live updates, stale results, files, settings."""

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.image_file import ImageFileError, read_image
from model.datasets import class_names
from model.inference import ModelError

from .conftest import ONE, FakeLoader, draw, line, page_to_widget, wait_for_result

BAR = line(40, 140, 240, 140)


def test_window_comes_up_while_the_model_is_still_loading_and_the_canvas_works(make_window,
                                                                              qtbot):
    loader = FakeLoader()
    loader.gate.clear()  # the loader blocks: TensorFlow "is still importing"
    window = make_window(loader=loader)
    assert window.windowTitle().startswith("Sketchscope")
    assert "Loading" in window.probabilities.headline_text()
    assert window.busy.isVisible()
    draw(window.canvas, ONE)  # drawing works meanwhile
    assert not window.canvas.is_empty()
    assert window.result() is None
    loader.gate.set()
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert result.dataset == "mnist"
    assert not window.busy.isVisible()
    assert "Loading" not in window.probabilities.headline_text()


def test_empty_page_says_draw_something_instead_of_a_guess(make_window, qtbot):
    window = make_window()
    result = wait_for_result(qtbot, window)
    assert result.empty
    assert window.probabilities.headline_text() == "Draw something"
    assert window.probabilities.chart.probabilities() is None
    assert window.input_view.pixels() is None
    assert all(grid is None for grid in window.feature_maps.grids())


def test_drawing_with_the_mouse_updates_probabilities_maps_and_input_while_the_pen_moves(
        make_window, qtbot):
    window = make_window()
    wait_for_result(qtbot, window)
    shown = []
    window.sig_result_shown.connect(shown.append)
    draw(window.canvas, ONE[:5], release=False)  # pen still down
    first = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    bars, maps, pixels = (first.probabilities.copy(), window.feature_maps.grids(),
                          window.input_view.pixels().copy())
    assert [g.shape[:2] for g in maps] == [(215, 215), (111, 111), (95, 95), (47, 47)]
    assert pixels.max() == 255  # the network input shows the ink
    for x, y in ONE[5:] + BAR[::2]:  # keep moving, pen still down
        QTest.mouseMove(window.canvas, page_to_widget(window.canvas, x, y))
    second = wait_for_result(qtbot, window, lambda r: not np.array_equal(r.image, pixels))
    assert not np.array_equal(second.probabilities, bars)
    assert not np.array_equal(window.feature_maps.grids()[0], maps[0])
    assert window.probabilities.chart.names() == class_names("mnist")
    assert len(shown) >= 2


def test_top_class_is_marked_and_low_confidence_says_so(make_window, qtbot):
    window = make_window()
    draw(window.canvas, ONE)
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    top = int(np.argmax(result.probabilities))
    assert window.probabilities.chart.top_class() == top
    headline = window.probabilities.headline_text()
    assert class_names("mnist")[top] in headline
    assert ("Not sure" in headline) == (result.probabilities[top] < 0.5)
    window.probabilities.show_probabilities("mnist", np.full(10, 0.1, np.float32), None)
    assert window.probabilities.headline_text().startswith("Not sure")


def test_only_the_newest_drawing_waits_while_one_inference_is_in_flight(make_window, qtbot):
    loader = FakeLoader()
    predictor = loader.predictors["mnist"]
    window = make_window(loader=loader)
    wait_for_result(qtbot, window)
    predictor.gate = _closed_gate()
    draw(window.canvas, ONE[:2], release=False)
    qtbot.waitUntil(predictor.started.is_set)
    calls_before = predictor.calls
    for x, y in ONE[2:]:  # many more drawings while the first is stuck
        window.canvas.add_stroke([(x - 30, y), (x + 30, y)])
    predictor.gate.set()
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert predictor.calls == calls_before + 1  # the stuck one, then only the newest
    assert result.seq == window.client.seq


def _closed_gate():
    import threading

    return threading.Event()


def test_switching_dataset_mid_inference_shows_only_the_new_datasets_results(make_window, qtbot):
    loader = FakeLoader()
    mnist = loader.predictors["mnist"]
    window = make_window(loader=loader)
    qtbot.waitUntil(lambda: window.client.model_state("fashion") == "ready", timeout=10_000)
    shown = []
    window.sig_result_shown.connect(shown.append)
    mnist.gate = _closed_gate()
    draw(window.canvas, ONE)
    qtbot.waitUntil(mnist.started.is_set)  # a digits inference is in flight
    stale_seq = window.client.seq
    window.dataset_actions["fashion"].trigger()  # one click
    assert window.dataset == "fashion"
    assert window.probabilities.chart.names() == class_names("fashion")
    mnist.gate.set()  # the digits result arrives now, too late
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert result.dataset == "fashion"
    assert int(np.argmax(result.probabilities)) == 7  # the fake fashion model's favourite
    assert all(r.dataset == "fashion" for r in shown)
    assert stale_seq not in [r.seq for r in shown]
    assert not window.canvas.is_empty()  # the drawing stayed
    assert window.windowTitle().startswith("Sketchscope")
    assert "Clothing" in window.windowTitle()


def test_dense_comparison_shows_both_networks(make_window, qtbot):
    window = make_window()
    draw(window.canvas, ONE)
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert result.dense_probabilities is None
    assert window.probabilities.chart.dense_probabilities() is None
    window.compare_action.trigger()
    result = wait_for_result(qtbot, window, lambda r: r.dense_probabilities is not None)
    assert np.allclose(window.probabilities.chart.dense_probabilities(), 0.1)
    assert "Dense network" in window.probabilities.detail_text()


def test_a_model_that_fails_to_load_leaves_a_working_window_and_other_dataset(make_window,
                                                                           qtbot):
    loader = FakeLoader(fail={"mnist": ModelError("mnist_cnn.keras: cannot load the model (bad)")})
    window = make_window(loader=loader)
    qtbot.waitUntil(lambda: window.client.model_state("mnist") == "error")
    draw(window.canvas, ONE)
    result = wait_for_result(qtbot, window, lambda r: r.image is not None)
    assert result.probabilities is None
    assert "cannot load the model" in window.probabilities.detail_text()
    assert "cannot load the model" in window.statusBar().currentMessage()
    assert window.input_view.pixels() is not None  # preprocessing still shows the input
    window.set_dataset("fashion")
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert result.dataset == "fashion"


def test_undo_redo_and_clear_through_the_actions_and_keys(make_window, qtbot):
    window = make_window()
    assert window.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert window.redo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Redo)
    assert window.open_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert window.quit_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Quit)
    assert not window.undo_action.isEnabled()
    draw(window.canvas, ONE)
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert window.canvas.is_empty() and window.redo_action.isEnabled()
    window.redo_action.trigger()
    assert not window.canvas.is_empty()
    wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    window.activateWindow()
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert window.canvas.is_empty()
    wait_for_result(qtbot, window, lambda r: r.empty)
    assert window.probabilities.headline_text() == "Draw something"


def _write_digit_png(path, light_on_dark=False):
    pixels = np.full((120, 90), 255, np.uint8)
    pixels[15:105, 40:52] = 0
    if light_on_dark:
        pixels = 255 - pixels
    Image.fromarray(pixels).save(path)
    return path


def test_open_a_png_puts_it_on_the_page_as_dark_ink(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_image(_write_digit_png(tmp_path / "one.png", light_on_dark=True))
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
    assert not window.open_image(bad)
    assert not window.open_image(tmp_path / "missing.png")
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
        window.export_input(tmp_path / "nothing.png")
    draw(window.canvas, ONE)
    wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    drawing = window.save_drawing(tmp_path / "drawing.png")
    with Image.open(drawing) as image:
        assert image.format == "PNG" and image.size == (560, 560)
        assert np.asarray(image.convert("L")).min() < 50
    network_input = window.export_input(tmp_path / "input")  # ".png" is added
    assert network_input.name == "input.png"
    with Image.open(network_input) as image:
        assert image.size == (28, 28)
        assert np.array_equal(np.asarray(image), window.result().image)
    written = window.export_feature_maps(tmp_path / "maps.png")
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


def test_settings_persist_dataset_brush_and_geometry(make_window, settings, qtbot):
    window = make_window()
    window.set_dataset("fashion")
    window.width_slider.setValue(33)
    window.resize(900, 650)
    window.close()
    again = make_window(dataset=None, window_settings=settings)
    assert again.dataset == "fashion"
    assert again.canvas.brush_width() == 33
    assert again.dataset_actions["fashion"].isChecked()


def test_default_settings_live_under_the_organisation_sketchscope(private_settings):
    from gui.main_window import default_settings

    settings = default_settings()
    assert settings.organizationName() == "Sketchscope"
    assert str(private_settings) in settings.fileName()  # the tests' folder, not the user's
