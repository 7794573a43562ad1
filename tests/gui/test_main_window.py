"""The main window with fake predictors: live updates, stale results, keys, settings, room."""

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

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
    assert "Loading" in window.live.probabilities.headline_text()
    assert window.model_status.busy.isVisible()
    draw(window.canvas, ONE)  # drawing works meanwhile
    assert not window.canvas.is_empty()
    assert window.result() is None
    loader.gate.set()
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert result.dataset == "mnist"
    assert not window.model_status.busy.isVisible()
    assert "Loading" not in window.live.probabilities.headline_text()


def test_empty_page_says_draw_something_instead_of_a_guess(make_window, qtbot):
    window = make_window()
    result = wait_for_result(qtbot, window)
    assert result.empty
    assert window.live.probabilities.headline_text() == "Draw something"
    assert window.live.probabilities.chart.probabilities() is None
    assert window.live.input_view.pixels() is None
    assert all(grid is None for grid in window.live.feature_maps.grids())


def test_drawing_with_the_mouse_updates_probabilities_maps_and_input_while_the_pen_moves(
        make_window, qtbot):
    window = make_window()
    wait_for_result(qtbot, window)
    shown = []
    window.sig_result_shown.connect(shown.append)
    draw(window.canvas, ONE[:5], release=False)  # pen still down
    first = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    bars, maps, pixels = (first.probabilities.copy(), window.live.feature_maps.grids(),
                          window.live.input_view.pixels().copy())
    assert [g.shape[:2] for g in maps] == [(215, 215), (111, 111), (95, 95), (47, 47)]
    assert pixels.max() == 255  # the network input shows the ink
    for x, y in ONE[5:] + BAR[::2]:  # keep moving, pen still down
        QTest.mouseMove(window.canvas, page_to_widget(window.canvas, x, y))
    second = wait_for_result(qtbot, window, lambda r: not np.array_equal(r.image, pixels))
    assert not np.array_equal(second.probabilities, bars)
    assert not np.array_equal(window.live.feature_maps.grids()[0], maps[0])
    assert window.live.probabilities.chart.names() == class_names("mnist")
    assert len(shown) >= 2


def test_top_class_is_marked_and_low_confidence_says_so(make_window, qtbot):
    window = make_window()
    draw(window.canvas, ONE)
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    top = int(np.argmax(result.probabilities))
    assert window.live.probabilities.chart.top_class() == top
    headline = window.live.probabilities.headline_text()
    assert class_names("mnist")[top] in headline
    assert ("Not sure" in headline) == (result.probabilities[top] < 0.5)
    window.live.probabilities.show_probabilities("mnist", np.full(10, 0.1, np.float32), None)
    assert window.live.probabilities.headline_text().startswith("Not sure")


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
    assert window.live.probabilities.chart.names() == class_names("fashion")
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
    assert window.live.probabilities.chart.dense_probabilities() is None
    window.compare_action.trigger()
    result = wait_for_result(qtbot, window, lambda r: r.dense_probabilities is not None)
    assert np.allclose(window.live.probabilities.chart.dense_probabilities(), 0.1)
    assert "Dense network" in window.live.probabilities.detail_text()


def test_a_model_that_fails_to_load_leaves_a_working_window_and_other_dataset(make_window,
                                                                           qtbot):
    loader = FakeLoader(fail={"mnist": ModelError("mnist_cnn.keras: cannot load the model (bad)")})
    window = make_window(loader=loader)
    qtbot.waitUntil(lambda: window.client.model_state("mnist") == "error")
    draw(window.canvas, ONE)
    result = wait_for_result(qtbot, window, lambda r: r.image is not None)
    assert result.probabilities is None
    assert "cannot load the model" in window.live.probabilities.detail_text()
    assert "cannot load the model" in window.statusBar().currentMessage()
    assert window.live.input_view.pixels() is not None  # preprocessing still shows the input
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
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)  # Esc leaves modes; it never wipes
    assert not window.canvas.is_empty()
    QTest.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert window.canvas.is_empty()
    wait_for_result(qtbot, window, lambda r: r.empty)
    assert window.live.probabilities.headline_text() == "Draw something"
    window.undo_action.trigger()
    QTest.keyClick(window.canvas, Qt.Key.Key_Backspace)  # the same key as in presentation mode
    assert window.canvas.is_empty()








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


def test_a_first_start_opens_at_nine_tenths_of_the_screen_centred(qtbot, settings):
    from gui.main_window import MainWindow, opening_geometry

    assert opening_geometry(QRect(0, 0, 1600, 1000)) == QRect(80, 50, 1440, 900)
    assert opening_geometry(QRect(100, 30, 1000, 700)) == QRect(150, 65, 900, 630)
    window = MainWindow("mnist", loader=FakeLoader(), settings=settings)
    qtbot.addWidget(window)
    area = window.screen().availableGeometry()
    wanted = opening_geometry(area)
    assert window.size() == wanted.size().expandedTo(window.minimumSizeHint())
    if window.size() == wanted.size():
        assert window.geometry() == wanted
    window.resize(760, 560)  # on the test screen (800 x 800), above the window's minimum
    window.close()
    again = MainWindow("mnist", loader=FakeLoader(), settings=settings)  # the next start
    qtbot.addWidget(again)
    assert again.size() == QSize(760, 560)  # as the user left it


def conv1_map_pixels(window) -> float:
    """How large one conv1 map is drawn: its mosaic, 8 x 8 maps of 26 pixels with 1-pixel gaps
    (215 pixels a side), fills the largest square of its widget."""
    mosaic = window.live.feature_maps.layers[0].mosaic
    return min(mosaic.width(), mosaic.height()) * 26 / (8 * (26 + 1) - 1)


def test_on_a_1600_by_1000_screen_the_feature_maps_get_the_room(make_window, qtbot):
    window = make_window()
    window.place_on(QRect(0, 0, 1600, 1000))  # as a first start on such a screen places it
    qtbot.waitUntil(lambda: window.geometry() == QRect(80, 50, 1440, 900))  # 90%, centred
    qtbot.wait(100)  # the layout settles
    assert conv1_map_pixels(window) >= 32
    window.explore_action.trigger()
    qtbot.waitUntil(window.explore_dock.isVisible)
    qtbot.wait(100)
    assert conv1_map_pixels(window) >= 16
    explore_height = window.explore_dock.height()
    window.explore_action.trigger()
    window.replay_view_action.trigger()
    qtbot.waitUntil(window.replay_dock.isVisible)
    qtbot.wait(100)
    assert conv1_map_pixels(window) >= 16
    assert window.replay_dock.height() < explore_height  # each panel opens at its own height
    window.resizeDocks([window.replay_dock], [2000], Qt.Orientation.Vertical)  # dragged up far
    qtbot.wait(100)
    assert conv1_map_pixels(window) >= 16


def test_default_settings_live_under_the_organisation_sketchscope(private_settings):
    from gui.main_window import default_settings

    settings = default_settings()
    assert settings.organizationName() == "Sketchscope"
    assert str(private_settings) in settings.fileName()  # the tests' folder, not the user's


def test_the_window_has_the_icon_and_about_says_versions_and_each_models_accuracy(make_window):
    import json
    import platform

    import numpy
    from PySide6.QtCore import qVersion

    from gui.about import about_text
    from model.paths import card_path, model_path
    from model.version import version

    window = make_window()
    assert not window.windowIcon().isNull()
    assert window.about_action.text() == "&About Sketchscope"
    text = about_text()
    for expected in (f"Sketchscope {version()}", f"Python {platform.python_version()}",
                     f"Qt {qVersion()}", f"NumPy {numpy.__version__}", "LiteRT 2.3.0",
                     "TensorFlow 2.21.0"):
        assert expected in text
    accuracy = json.loads(card_path(model_path("fashion", "dense")).read_text())["test_accuracy"]
    assert f"Clothing (Fashion-MNIST), dense: {100 * accuracy:.2f}% of the 10,000 test images" in text
