"""The Explore view inside the main window: fed from live inference, its receptive fields and
saliency drawn on the 28 x 28 input and on the canvas where the preprocessing geometry says.

Live inference uses the fake predictors (fast); the Explore view loads the shipped CNNs.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from gui.main_window import shipped_cnn_path
from model.explain import receptive_field

from ..conftest import draw, line, wait_for_result

TIMEOUT_MS = 30_000

pytestmark = pytest.mark.skipif(
    not all(shipped_cnn_path(d).is_file() for d in ("mnist", "fashion")),
    reason="the shipped CNNs are missing",
)


@pytest.fixture(scope="module")
def mnist_predictor():
    from model.inference import Predictor

    return Predictor.load(shipped_cnn_path("mnist"), "mnist")


def draw_seven(qtbot, window):
    """A "7" off-centre on the page, so the geometry is neither identity nor centred."""
    canvas = window.canvas
    draw(canvas, line(40, 50, 170, 50))
    draw(canvas, line(170, 50, 90, 220))
    return wait_for_result(qtbot, window, lambda r: r.net_input is not None)


def open_explore(qtbot, window):
    """Open the Explore view (its menu action, as the user would) and wait for its maps."""
    window.resize(1500, 1500)  # room for the whole panel: hovering needs it unscrolled
    with qtbot.waitSignal(window.explore.sig_result_shown, timeout=TIMEOUT_MS):
        window.explore_action.trigger()
    assert window.explore.isVisible()
    return window.explore


def expected_page_rect(geometry, top, left, height, width) -> QRectF:
    y, x, h, w = geometry.rect_to_drawing(top, left, height, width)
    return QRectF(x, y, w, h)


def assert_rect_close(actual: QRectF | None, expected: QRectF) -> None:
    assert actual is not None
    got = (actual.x(), actual.y(), actual.width(), actual.height())
    want = (expected.x(), expected.y(), expected.width(), expected.height())
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_the_explore_view_is_hidden_and_unfed_until_opened(qtbot, make_window):
    window = make_window()
    draw_seven(qtbot, window)
    assert not window.explore.isVisible()
    assert window.explore.image is None and window.explore.facts is None  # no cost while hidden
    assert not window.export_explore_action.isEnabled()
    assert window.explore_action.shortcut().toString() == "F2"


def test_opening_explore_shows_the_current_drawings_maps(qtbot, make_window, mnist_predictor):
    window = make_window()
    result = draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    assert panel.facts.dataset == "mnist" and panel.facts.path == shipped_cnn_path("mnist")
    np.testing.assert_array_equal(panel.image, result.net_input)
    expected = mnist_predictor.run(result.net_input)
    for got, want in zip(panel.result.prediction.feature_maps, expected.feature_maps, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    assert window.export_explore_action.isEnabled()


@pytest.mark.parametrize("layer, row, col", [("conv1", 3, 7), ("conv2", 6, 2)])
def test_hovering_a_map_outlines_its_receptive_field_on_the_input_and_the_canvas(
        qtbot, make_window, layer, row, col):
    window = make_window()
    result = draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    qtbot.mouseClick(panel.strip.cards[layer], Qt.MouseButton.LeftButton)
    rect = receptive_field(panel.facts.fields, layer, row, col)
    with qtbot.waitSignal(panel.sig_receptive_field, check_params_cb=lambda r: r == rect):
        QTest.mouseMove(panel.grid, panel.grid.point_of(9, row, col).toPoint())
    assert window.input_view.outline() == (rect.top, rect.left, rect.height, rect.width)
    want = expected_page_rect(result.geometry, rect.top, rect.left, rect.height, rect.width)
    assert_rect_close(window.canvas.outline(), want)
    assert want.x() > 0 and want.width() > rect.width  # really mapped, not 28 x 28 coordinates
    assert not (window.canvas.image() == 255).all()  # the outline is not drawn into the page

    with qtbot.waitSignal(panel.sig_receptive_field, check_params_cb=lambda r: r is None):
        QTest.mouseMove(panel.grid, QPointF(1, 1).toPoint())
    assert window.canvas.outline() is None and window.input_view.outline() is None

    with qtbot.waitSignal(panel.sig_receptive_field):
        QTest.mouseMove(panel.grid, panel.grid.point_of(9, row, col).toPoint())
    assert window.canvas.outline() is not None
    draw(window.canvas, line(200, 200, 240, 240))  # the drawing changes: the outline is stale
    assert window.canvas.outline() is None and window.input_view.outline() is None


def test_the_saliency_toggle_shows_and_hides_the_overlay(qtbot, make_window):
    window = make_window()
    result = draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    assert window.input_view.overlay() is None and window.canvas.overlay_rect() is None
    with qtbot.waitSignal(panel.sig_saliency_changed, timeout=TIMEOUT_MS,
                          check_params_cb=lambda s: s is not None):
        qtbot.mouseClick(panel.saliency_box, Qt.MouseButton.LeftButton)
    assert window.input_view.overlay().shape == (28, 28, 4)
    assert window.input_view.overlay()[..., 3].max() > 0
    assert_rect_close(window.canvas.overlay_rect(), expected_page_rect(result.geometry, 0, 0, 28, 28))

    # Drawing on makes it stale: gone at once, back with the Explore view's next answer.
    with qtbot.waitSignal(panel.sig_result_shown, timeout=TIMEOUT_MS):
        draw(window.canvas, line(60, 140, 150, 140))
        assert window.canvas.overlay_rect() is None and window.input_view.overlay() is None
    newest = wait_for_result(qtbot, window)
    qtbot.waitUntil(lambda: np.array_equal(panel.image, newest.net_input), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.canvas.overlay_rect() is not None, timeout=TIMEOUT_MS)
    assert_rect_close(window.canvas.overlay_rect(), expected_page_rect(newest.geometry, 0, 0, 28, 28))

    with qtbot.waitSignal(panel.sig_saliency_changed, check_params_cb=lambda s: s is None):
        qtbot.mouseClick(panel.saliency_box, Qt.MouseButton.LeftButton)
    assert window.input_view.overlay() is None and window.canvas.overlay_rect() is None


def test_closing_the_explore_view_takes_the_overlays_away(qtbot, make_window):
    window = make_window()
    draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    with qtbot.waitSignal(panel.sig_saliency_changed, timeout=TIMEOUT_MS):
        panel.set_saliency(True)
    assert window.canvas.overlay_rect() is not None
    window.explore_action.trigger()
    assert not panel.isVisible()
    assert window.canvas.overlay_rect() is None and window.input_view.overlay() is None


def test_switching_the_dataset_points_the_explore_view_at_the_other_model(qtbot, make_window):
    window = make_window()
    draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    with qtbot.waitSignal(panel.client.sig_model_ready, timeout=TIMEOUT_MS):
        window.dataset_actions["fashion"].trigger()
    assert panel.facts.dataset == "fashion" and panel.facts.path == shipped_cnn_path("fashion")
    assert panel.class_names[0] == "T-shirt/top"
    fashion = wait_for_result(qtbot, window, lambda r: r.dataset == "fashion")
    qtbot.waitUntil(lambda: np.array_equal(panel.image, fashion.net_input), timeout=TIMEOUT_MS)


def test_the_explore_view_exports_as_png(qtbot, make_window, tmp_path):
    window = make_window()
    draw_seven(qtbot, window)
    open_explore(qtbot, window)
    folder = tmp_path / "out"
    folder.mkdir()
    saved = window.export_explore_view(folder / "explore.png")
    image = QImage(str(saved))
    assert not image.isNull() and image.width() == window.explore.width()
    assert [p.name for p in folder.iterdir()] == ["explore.png"]  # no temporary left behind
