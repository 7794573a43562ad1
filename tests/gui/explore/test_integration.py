"""The Explore view inside the main window: fed by the live jobs of the one engine, its receptive
fields and saliency drawn on the 28 x 28 input and on the canvas where the preprocessing
geometry says. The engines are the fakes of conftest (fast), as for the rest of the window.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from model.explain import receptive_field

from ..conftest import FakeLoader, FakePredictor, draw, line, wait_for_result

TIMEOUT_MS = 30_000


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
    qtbot.waitUntil(lambda: window.explore.facts is not None, timeout=TIMEOUT_MS)
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


def test_opening_explore_shows_the_current_drawings_maps(qtbot, make_window):
    loader = FakeLoader()
    window = make_window(loader=loader)
    result = draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    assert panel.dataset == "mnist" and panel.facts.total_params == 243_786
    np.testing.assert_array_equal(panel.image, result.net_input)
    expected = loader.predictors["mnist"].run(result.net_input)
    for got, want in zip(panel.result.prediction.feature_maps, expected.feature_maps, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    assert window.export_explore_action.isEnabled()


def test_with_explore_open_each_drawing_is_one_forward_pass(qtbot, make_window, monkeypatch):
    import gui.jobs as jobs

    loader = FakeLoader()
    window = make_window(loader=loader)
    draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    engine, jobs_run = loader.predictors["mnist"], []
    real = jobs.read_drawing
    monkeypatch.setattr(jobs, "read_drawing", lambda hub, request: jobs_run.append(1) or real(hub, request))
    before = engine.calls
    with qtbot.waitSignal(panel.sig_result_shown, timeout=TIMEOUT_MS):
        window.canvas.add_stroke([(60.0, 140.0), (150.0, 140.0)])
    newest = wait_for_result(qtbot, window)
    qtbot.wait(100)
    # The live bars, the maps and the panel all come from one job, one forward pass each.
    assert jobs_run and engine.calls - before == len(jobs_run)
    assert panel.result.seq == newest.seq


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
    assert window.live.input_view.outline() == (rect.top, rect.left, rect.height, rect.width)
    want = expected_page_rect(result.geometry, rect.top, rect.left, rect.height, rect.width)
    assert_rect_close(window.canvas.outline(), want)
    assert want.x() > 0 and want.width() > rect.width  # really mapped, not 28 x 28 coordinates
    assert not (window.canvas.image() == 255).all()  # the outline is not drawn into the page

    with qtbot.waitSignal(panel.sig_receptive_field, check_params_cb=lambda r: r is None):
        QTest.mouseMove(panel.grid, QPointF(1, 1).toPoint())
    assert window.canvas.outline() is None and window.live.input_view.outline() is None

    with qtbot.waitSignal(panel.sig_receptive_field):
        QTest.mouseMove(panel.grid, panel.grid.point_of(9, row, col).toPoint())
    assert window.canvas.outline() is not None
    draw(window.canvas, line(200, 200, 240, 240))  # the drawing changes: the outline is stale
    assert window.canvas.outline() is None and window.live.input_view.outline() is None


def test_the_saliency_toggle_shows_and_hides_the_overlay(qtbot, make_window):
    window = make_window()
    result = draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    assert window.live.input_view.overlay() is None and window.canvas.overlay_rect() is None
    with qtbot.waitSignal(panel.sig_saliency_changed, timeout=TIMEOUT_MS,
                          check_params_cb=lambda s: s is not None):
        qtbot.mouseClick(panel.saliency_box, Qt.MouseButton.LeftButton)
    assert window.live.input_view.overlay().shape == (28, 28, 4)
    assert window.live.input_view.overlay()[..., 3].max() > 0
    assert_rect_close(window.canvas.overlay_rect(), expected_page_rect(result.geometry, 0, 0, 28, 28))

    # Drawing on makes it stale: gone at once, back with the Explore view's next answer.
    with qtbot.waitSignal(panel.sig_result_shown, timeout=TIMEOUT_MS):
        draw(window.canvas, line(60, 140, 150, 140))
        assert window.canvas.overlay_rect() is None and window.live.input_view.overlay() is None
    newest = wait_for_result(qtbot, window)
    qtbot.waitUntil(lambda: np.array_equal(panel.image, newest.net_input), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.canvas.overlay_rect() is not None, timeout=TIMEOUT_MS)
    assert_rect_close(window.canvas.overlay_rect(), expected_page_rect(newest.geometry, 0, 0, 28, 28))

    with qtbot.waitSignal(panel.sig_saliency_changed, check_params_cb=lambda s: s is None):
        qtbot.mouseClick(panel.saliency_box, Qt.MouseButton.LeftButton)
    assert window.live.input_view.overlay() is None and window.canvas.overlay_rect() is None


def test_closing_the_explore_view_takes_the_overlays_away(qtbot, make_window):
    window = make_window()
    draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    with qtbot.waitSignal(panel.sig_saliency_changed, timeout=TIMEOUT_MS):
        panel.set_saliency(True)
    assert window.canvas.overlay_rect() is not None
    window.explore_action.trigger()
    assert not panel.isVisible()
    assert window.canvas.overlay_rect() is None and window.live.input_view.overlay() is None


def test_switching_the_dataset_points_the_explore_view_at_the_other_model(qtbot, make_window):
    window = make_window()
    draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    with qtbot.waitSignal(window.client.sig_facts_ready, timeout=TIMEOUT_MS,
                          check_params_cb=lambda answer: answer.dataset == "fashion"):
        window.dataset_actions["fashion"].trigger()
    assert panel.dataset == "fashion" and panel.facts is not None
    assert panel.class_names[0] == "T-shirt/top"
    fashion = wait_for_result(qtbot, window, lambda r: r.dataset == "fashion")
    qtbot.waitUntil(lambda: np.array_equal(panel.image, fashion.net_input), timeout=TIMEOUT_MS)


class OtherKernels(FakePredictor):
    """Another model for the same dataset: other first-layer kernels."""

    @property
    def facts(self):
        from dataclasses import replace

        facts = super().facts
        return replace(facts, kernels=replace(facts.kernels, conv1=-facts.kernels.conv1))


def test_another_model_for_the_dataset_refreshes_the_explore_view(qtbot, make_window):
    """"Use this model" (and "Back to shipped"): the panel's facts, top examples and maps are
    the new model's, not kept from the one before."""
    window = make_window()
    draw_seven(qtbot, window)
    panel = open_explore(qtbot, window)
    before = panel.facts.kernels.conv1
    mine = OtherKernels("mnist", bias=5)
    with qtbot.waitSignal(window.client.sig_facts_ready, timeout=TIMEOUT_MS):
        window.client.set_model("mnist", lambda dataset: mine)
    qtbot.waitUntil(lambda: panel.facts is not None, timeout=TIMEOUT_MS)
    np.testing.assert_array_equal(panel.facts.kernels.conv1, -before)
    assert panel.top is None
    qtbot.waitUntil(lambda: panel.result is not None
                    and int(panel.result.prediction.probabilities.argmax()) == 5, timeout=TIMEOUT_MS)


def test_switching_back_to_the_explore_view_does_not_ask_for_its_facts_again(qtbot, make_window,
                                                                              monkeypatch):
    window = make_window()
    draw_seven(qtbot, window)
    open_explore(qtbot, window)
    asked = []
    monkeypatch.setattr(window.client, "request_facts", lambda: asked.append(1))
    window.explore_link.set_visible(False)
    window.explore_link.set_visible(True)
    assert asked == []


def test_the_explore_view_exports_as_png(qtbot, make_window, tmp_path):
    window = make_window()
    draw_seven(qtbot, window)
    open_explore(qtbot, window)
    folder = tmp_path / "out"
    folder.mkdir()
    saved = window.explore.export_view("panel", folder / "explore.png")
    image = QImage(str(saved))
    assert not image.isNull() and image.width() == window.explore.width()
    assert [p.name for p in folder.iterdir()] == ["explore.png"]  # no temporary left behind
