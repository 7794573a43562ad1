"""The exploration panel: every interaction through real mouse and key events, and the numbers
it shows checked against the inference API."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QThread
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from gui import colormap
from gui.engine_client import EngineClient
from gui.explore.link import ExploreLink
from gui.explore.maps import activation_order, value_ranges
from gui.explore.panel import ExplorePanel
from model.architecture import FEATURE_LAYERS, build_cnn
from model.datasets import sha256_file
from model.explain import Rect, channel_masks, receptive_field
from model.inference import Engine
from model.keras_net import KerasCNN, load_keras_model

TIMEOUT_MS = 20_000
SMALL_SPLIT = 300  # test images the top-example search runs over


@pytest.fixture(scope="module")
def cnn():
    import keras

    keras.utils.set_random_seed(5)
    return build_cnn()


@pytest.fixture(scope="module")
def cnn_file(cnn, tmp_path_factory):
    path = tmp_path_factory.mktemp("explore") / "cnn.keras"
    cnn.save(path)
    return path


@pytest.fixture(scope="module")
def reference(cnn):
    """The engine, called directly: what the numbers on screen must agree with."""
    return Engine(KerasCNN(cnn), "mnist")


@pytest.fixture(scope="module")
def digit():
    image = np.zeros((28, 28, 1), np.float32)
    image[4:24, 12:16] = 1.0
    image[4:8, 6:22] = 0.9
    return image


@pytest.fixture(scope="module")
def split():
    rng = np.random.default_rng(11)
    images = rng.random((SMALL_SPLIT, 28, 28, 1), dtype=np.float32) * 0.2
    images[42, 3:9, 18:24] = 1.0
    return images


class Loader:
    """The test split for the top-example job, remembering which thread asked."""

    def __init__(self, images):
        self.images = images
        self.threads: list[QThread] = []

    def __call__(self, dataset: str) -> np.ndarray:
        self.threads.append(QThread.currentThread())
        return self.images


@pytest.fixture
def loader(split):
    return Loader(split)


@pytest.fixture
def make_panel(qtbot, cnn, cnn_file, digit, loader, tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path / "cache"))
    made = []

    def make(image=digit, path=cnn_file):
        """The panel wired to an engine client as the window wires it (``panel.link``,
        ``panel.client``), exploring ``image`` with the model in ``path``."""

        def engine(dataset):
            return Engine(KerasCNN(load_keras_model(path)), dataset, source=path)

        client = EngineClient(engine, "mnist", test_images=loader)
        panel = ExplorePanel()
        panel.client, panel.link = client, ExploreLink(panel, client)
        qtbot.addWidget(panel)
        panel.resize(1200, 820)
        panel.show()
        qtbot.waitExposed(panel)
        made.append(panel)
        panel.set_dataset("mnist")
        client.request_facts()
        if image is not None:
            with qtbot.waitSignal(panel.sig_result_shown, timeout=TIMEOUT_MS):
                panel.link.show_input(image)
            qtbot.waitUntil(lambda: panel.facts is not None, timeout=TIMEOUT_MS)
        return panel

    yield make
    for panel in made:
        panel.client.shutdown()


def click(widget, point: QPointF, button=Qt.MouseButton.LeftButton) -> None:
    QTest.mouseClick(widget, button, Qt.KeyboardModifier.NoModifier, point.toPoint())


def hover(widget, point: QPointF) -> None:
    QTest.mouseMove(widget, point.toPoint())


def click_map(panel, channel: int, button=Qt.MouseButton.LeftButton) -> None:
    click(panel.grid, panel.grid.cell_rect(channel).center(), button)


def click_layer(qtbot, panel, name: str) -> None:
    qtbot.mouseClick(panel.strip.cards[name], Qt.MouseButton.LeftButton)


def test_the_strip_shows_every_layer_with_type_shape_parameters_and_reason(make_panel):
    panel = make_panel()
    cards = panel.strip.cards
    assert list(cards) == ["conv1", "pool1", "conv2", "pool2", "flatten", "dense", "probabilities"]
    assert [c.facts.params for c in cards.values()] == [640, 0, 36_928, 0, 0, 204_928, 1_290]
    assert "243,786" in panel.strip.total.text()
    assert "36,928 parameters" in "".join(label.text() for label in cards["conv2"].findChildren(QLabel))
    assert "28 -> 26" in cards["conv1"].reason.text()
    assert "26 -> 13" in cards["pool1"].reason.text()
    assert "11 -> 5 (rounds down" in cards["pool2"].reason.text()
    assert "5 x 5 x 64 = 1,600 values flattened" == cards["flatten"].reason.text()


def test_clicking_layers_shows_maps_for_conv_and_pool_and_bars_for_the_rest(qtbot, make_panel, reference,
                                                                            digit):
    panel = make_panel()
    expected = reference.run(digit)
    click_layer(qtbot, panel, "conv2")
    assert panel.stack.currentWidget() is panel.grid and panel.grid.map_shape == (11, 11)
    assert panel.strip.cards["conv2"].selected and not panel.strip.cards["conv1"].selected
    click_layer(qtbot, panel, "pool2")
    assert panel.grid.map_shape == (5, 5)
    click_layer(qtbot, panel, "dense")
    assert panel.stack.currentWidget() is panel.bars
    np.testing.assert_allclose(panel.bars.values, expected.dense, atol=1e-6)
    click_layer(qtbot, panel, "probabilities")
    np.testing.assert_allclose(panel.bars.values, expected.probabilities, atol=1e-6)
    assert panel.bars.labels == tuple(str(d) for d in range(10))
    click_layer(qtbot, panel, "flatten")
    np.testing.assert_allclose(panel.bars.values, expected.feature_maps[3].ravel(), atol=1e-6)


@pytest.mark.parametrize("layer, channel", [("conv1", 5), ("pool1", 40), ("conv2", 17), ("pool2", 63)])
def test_the_enlarged_map_shows_the_inference_api_numbers(qtbot, make_panel, reference, digit, layer,
                                                          channel):
    panel = make_panel()
    tensor = reference.run(digit).feature_maps[FEATURE_LAYERS.index(layer)][..., channel]
    click_layer(qtbot, panel, layer)
    click_map(panel, channel)
    assert panel.channel == channel and panel.map_view.title.text().startswith(f"{layer}, map {channel}")
    np.testing.assert_allclose(panel.map_view.values, tensor, atol=1e-6)
    canvas = panel.map_view.canvas
    h, w = tensor.shape
    for row, col in [(0, 0), (h // 2, w - 1), tuple(np.unravel_index(np.argmax(tensor), tensor.shape))]:
        hover(canvas, canvas.point_of(row, col))
        assert panel.map_view.value_label.text() == f"value at ({row}, {col}): {tensor[row, col]:.4f}"
    stats = panel.map_view.stats_label.text()
    assert f"max {tensor.max():.4f}" in stats and f"mean {tensor.mean():.4f}" in stats
    assert f"zeros {np.mean(tensor == 0):.1%}" in stats
    assert panel.map_view.colorbar.high == pytest.approx(float(tensor.max()))


def test_arrow_keys_move_to_the_neighbouring_map_in_the_order_shown(qtbot, make_panel):
    panel = make_panel()
    click_map(panel, 10)
    assert panel.map_view.hasFocus()
    for key, expected in [(Qt.Key.Key_Right, 11), (Qt.Key.Key_Down, 19), (Qt.Key.Key_Left, 18),
                          (Qt.Key.Key_Up, 10)]:
        QTest.keyClick(panel.map_view, key)
        assert panel.channel == expected
    click_map(panel, 0)
    QTest.keyClick(panel.map_view, Qt.Key.Key_Left)  # no map before the first
    assert panel.channel == 0
    qtbot.mouseClick(panel.sort_box, Qt.MouseButton.LeftButton)
    order = list(panel.grid.order)
    click_map(panel, order[5])
    QTest.keyClick(panel.map_view, Qt.Key.Key_Right)
    assert panel.channel == order[6]


@pytest.mark.parametrize("layer, row, col, rect", [
    ("conv1", 3, 7, Rect(3, 7, 6, 10)), ("pool1", 2, 3, Rect(4, 6, 8, 10)),
    ("conv2", 4, 5, Rect(8, 10, 16, 18)), ("pool2", 4, 4, Rect(16, 16, 26, 26)),
])
def test_hovering_a_map_position_outlines_the_input_region_it_sees(qtbot, make_panel, layer, row, col, rect):
    panel = make_panel()
    click_layer(qtbot, panel, layer)
    with qtbot.waitSignal(panel.sig_receptive_field, check_params_cb=lambda r: r == rect):
        hover(panel.grid, panel.grid.point_of(9, row, col))
    assert panel.input_view.outline() == (rect.top, rect.left, rect.height, rect.width)
    assert panel.grid.hovered == (9, row, col)
    with qtbot.waitSignal(panel.sig_receptive_field, check_params_cb=lambda r: r is None):
        hover(panel.grid, QPointF(1, 1))  # the margin beside the maps: no position
    assert panel.input_view.outline() is None
    click_map(panel, 9)
    hover(panel.map_view.canvas, panel.map_view.canvas.point_of(0, 0))
    field = receptive_field(panel.facts.fields, layer, 0, 0)
    assert panel.input_view.outline() == (field.top, field.left, field.height, field.width)


def test_scaling_per_map_per_layer_and_fixed_and_colour_maps(qtbot, make_panel):
    panel = make_panel()
    maps = panel.result.prediction.feature_maps[0]
    peaks = maps.max(axis=(0, 1))
    strongest, weak = int(np.argmax(peaks)), int(np.argsort(peaks)[len(peaks) // 4])
    assert 0 < peaks[weak] < peaks[strongest]

    def colour_at_peak(channel):
        row, col = np.unravel_index(np.argmax(maps[..., channel]), maps.shape[:2])
        point = panel.grid.point_of(channel, int(row), int(col)) - panel.grid.image_rect().topLeft()
        scale = panel.grid.picture.width / panel.grid.image_rect().width()
        return panel.grid.picture.pixels[int(point.y() * scale), int(point.x() * scale)]

    top = colormap.VIRIDIS[255]
    np.testing.assert_array_equal(colour_at_peak(weak), top)  # per map: every map reaches the top
    panel.scaling_box.setCurrentIndex(1)  # per layer
    assert panel.scaling == "layer"
    np.testing.assert_array_equal(colour_at_peak(strongest), top)
    assert not np.array_equal(colour_at_peak(weak), top)
    click_map(panel, weak)
    assert panel.map_view.colorbar.high == pytest.approx(float(maps.max()))
    panel.set_scaling("fixed", (0.0, float(peaks[weak]) / 2))
    assert panel.low_box.isEnabled()
    assert panel.map_view.colorbar.high == pytest.approx(peaks[weak] / 2, abs=1e-4)
    np.testing.assert_array_equal(colour_at_peak(strongest), top)  # clipped at the top
    panel.colormap_box.setCurrentText("magma")
    np.testing.assert_array_equal(colour_at_peak(strongest), colormap.MAGMA[255])
    assert value_ranges(maps, "fixed", (0, 2))[1][0] == 2


def test_dead_maps_are_marked(make_panel, digit):
    panel = make_panel(image=np.zeros((28, 28, 1), np.float32))  # zero biases: nothing fires
    assert panel.grid.dead.all()
    click_map(panel, 3)
    assert "dead" in panel.map_view.stats_label.text()
    panel2 = make_panel(image=digit)
    assert not panel2.grid.dead.all()


def test_sorting_by_activation_and_back(qtbot, make_panel):
    panel = make_panel()
    click_layer(qtbot, panel, "conv2")
    maps = panel.result.prediction.feature_maps[2]
    qtbot.mouseClick(panel.sort_box, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(panel.grid.order, activation_order(maps))
    means = maps.mean(axis=(0, 1))[panel.grid.order]
    assert np.all(np.diff(means) <= 0)
    strongest = int(panel.grid.order[0])
    first_cell = panel.grid.image_rect().topLeft() + QPointF(1, 1)  # the top-left map of the grid
    assert panel.grid.hit(first_cell)[0] == strongest
    qtbot.mouseClick(panel.sort_box, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(panel.grid.order, np.arange(64))


def test_kernels_first_layer_grid_and_a_second_layer_maps_inputs(qtbot, make_panel, cnn):
    panel = make_panel()
    conv1 = cnn.get_layer("conv1").get_weights()[0]
    conv2 = cnn.get_layer("conv2").get_weights()[0]
    np.testing.assert_array_equal(panel.kernel_grid.kernels, conv1[:, :, 0, :].transpose(2, 0, 1))
    assert panel.kernel_grid.limit == pytest.approx(np.abs(conv1).max())
    click_map(panel, 21)
    assert panel.kernel_grid.highlight == 21
    click_layer(qtbot, panel, "conv2")  # map 21 stays open: now conv2's
    np.testing.assert_array_equal(panel.kernel_grid.kernels, conv2[:, :, :, 21].transpose(2, 0, 1))
    click_map(panel, 7)
    np.testing.assert_array_equal(panel.kernel_grid.kernels, conv2[:, :, :, 7].transpose(2, 0, 1))
    # Diverging colours centred on zero: the most negative weight is the bluest, the largest
    # positive one (of the same magnitude) the reddest, and zero is white.
    pixels = panel.kernel_grid.picture.pixels
    kernels = panel.kernel_grid.kernels
    low = np.unravel_index(np.argmin(kernels), kernels.shape)
    cell = lambda i, r, c: pixels[(i // 8) * 4 + r, (i % 8) * 4 + c]  # noqa: E731
    expected = colormap.diverging(np.array([kernels[low]]), panel.kernel_grid.limit)[0]
    np.testing.assert_array_equal(cell(*low), expected)
    assert expected[2] > expected[0]  # blue
    np.testing.assert_array_equal(colormap.diverging(np.zeros(1), 1.0)[0], colormap.DIVERGING[128])


def test_switching_channels_off_recomputes_the_probabilities_live_and_one_click_restores(
        qtbot, make_panel, cnn, cnn_file, digit):
    import keras

    file_digest = sha256_file(cnn_file)
    weights = [w.copy() for w in cnn.get_weights()]
    panel = make_panel()
    before = panel.result.prediction.probabilities
    click_layer(qtbot, panel, "conv2")
    with qtbot.waitSignal(panel.sig_result_shown, timeout=TIMEOUT_MS):
        click_map(panel, 3, Qt.MouseButton.RightButton)
    with qtbot.waitSignal(panel.sig_result_shown, timeout=TIMEOUT_MS):
        click_map(panel, 30, Qt.MouseButton.RightButton)
    assert panel.off == {"conv2": {3, 30}} and panel.grid.off == {3, 30}
    ablated = panel.result.ablated
    assert not ablated.feature_maps[2][..., [3, 30]].any()
    copy = keras.models.clone_model(cnn)
    copy.set_weights(cnn.get_weights())
    kernel, bias = copy.get_layer("conv2").get_weights()
    kernel[..., [3, 30]] = 0
    bias[[3, 30]] = 0
    copy.get_layer("conv2").set_weights([kernel, bias])
    np.testing.assert_allclose(ablated.probabilities, copy(digit[None]).numpy()[0], atol=1e-5)
    np.testing.assert_allclose(panel.probabilities.values, ablated.probabilities)
    np.testing.assert_allclose(panel.probabilities.reference, before)
    assert "2 channels off" in panel.ablation_label.text()
    # The open map's check box shows the state, and switches a channel back on.
    click_map(panel, 30)
    assert panel.off_box.isChecked()
    with qtbot.waitSignal(panel.sig_result_shown, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.off_box, Qt.MouseButton.LeftButton, pos=QPoint(8, panel.off_box.height() // 2))
    assert panel.off == {"conv2": {3}}
    with qtbot.waitSignals([panel.sig_result_shown, panel.sig_ablation_changed], timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    assert panel.off == {} and panel.result.ablated is None and not panel.restore_button.isEnabled()
    np.testing.assert_allclose(panel.probabilities.values, before, atol=1e-6)
    for w0, w1 in zip(weights, cnn.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)
    assert sha256_file(cnn_file) == file_digest  # the model file is never written


def test_saliency_toggles_and_follows_the_drawing(qtbot, make_panel, cnn, digit):
    panel = make_panel()
    assert panel.saliency is None and not panel.method_box.isEnabled()
    assert panel.input_view.overlay() is None
    with qtbot.waitSignal(panel.sig_saliency_changed, timeout=TIMEOUT_MS,
                          check_params_cb=lambda s: s is not None) as shown:
        qtbot.mouseClick(panel.saliency_box, Qt.MouseButton.LeftButton)
    saliency = shown.args[0]
    assert saliency.shape == (28, 28) and saliency.min() >= 0 and saliency.max() == pytest.approx(1)
    expected = Engine(KerasCNN(cnn), "mnist").explain(digit)
    np.testing.assert_allclose(saliency, expected.gradcam, atol=1e-5)
    np.testing.assert_array_equal(panel.saliency, saliency)
    np.testing.assert_array_equal(panel.input_view.overlay(), colormap.overlay_rgba(saliency))
    with qtbot.waitSignal(panel.sig_saliency_changed):
        panel.method_box.setCurrentIndex(1)
    np.testing.assert_allclose(panel.saliency, expected.gradient, atol=1e-5)
    moved = np.roll(digit, 5, axis=1)
    with qtbot.waitSignal(panel.sig_saliency_changed, timeout=TIMEOUT_MS,
                          check_params_cb=lambda s: s is not None):  # its own job: it comes after the maps
        panel.link.show_input(moved)
    np.testing.assert_allclose(panel.saliency,
                               Engine(KerasCNN(cnn), "mnist").explain(moved).gradient, atol=1e-5)
    with qtbot.waitSignal(panel.sig_saliency_changed, check_params_cb=lambda s: s is None):
        qtbot.mouseClick(panel.saliency_box, Qt.MouseButton.LeftButton)
    assert panel.saliency is None and panel.input_view.overlay() is None


def test_top_examples_are_found_off_the_gui_thread_with_progress_and_cached(
        qtbot, make_panel, loader, split, cnn, cnn_file, tmp_path):
    panel = make_panel()
    click_map(panel, 12)
    with qtbot.waitSignal(panel.client.sig_top_ready, timeout=TIMEOUT_MS):
        with qtbot.waitSignal(panel.client.sig_top_progress, timeout=TIMEOUT_MS) as progress:
            panel.tabs.setCurrentWidget(panel.top_view)
    assert progress.args == [SMALL_SPLIT, SMALL_SPLIT]
    assert loader.threads and all(t is not QThread.currentThread() for t in loader.threads)
    board = panel.top_view.board
    assert len(board.pictures) == 12
    explainer = Engine(KerasCNN(cnn), "mnist")
    maps = np.stack([explainer.run(split[i]).feature_maps[0][..., 12] for i in range(SMALL_SPLIT)])
    best = np.argsort(-maps.max(axis=(1, 2)), kind="stable")[:12]
    np.testing.assert_array_equal(np.stack([p.pixels for p in board.pictures]),
                                  np.clip(split[best, :, :, 0] * 255 + 0.5, 0, 255).astype(np.uint8))
    row, col = np.unravel_index(np.argmax(maps[best[0]]), (26, 26))
    assert board.rects[0] == receptive_field(panel.facts.fields, "conv1", int(row), int(col))
    cache = tmp_path / "cache" / "top-examples" / f"mnist-{sha256_file(cnn_file)}.npz"
    assert cache.is_file()
    # Another map is instant: no second search.
    click_map(panel, 13)
    assert len(board.pictures) == 12 and len(loader.threads) == 1


def test_every_view_exports_as_png(qtbot, make_panel, tmp_path):
    panel = make_panel()
    click_map(panel, 4)
    panel.set_saliency(True)
    for view in ("layer", "map", "kernels", "saliency", "top", "panel"):
        path = panel.export_view(view, tmp_path / "out" / f"{view}.png")
        image = QImage(str(path))
        assert not image.isNull() and image.width() > 50, view
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{v}.png" for v in ("layer", "map", "kernels", "saliency", "top", "panel"))  # no temp files left
    (tmp_path / "blocker").write_text("a file, not a folder")
    with pytest.raises(OSError):
        panel.export_view("map", tmp_path / "blocker" / "map.png")
    with pytest.raises(ValueError):
        panel.export_view("everything", tmp_path / "x.png")


def test_the_engine_work_is_off_the_gui_thread_and_the_newest_request_wins(qtbot, make_panel, digit,
                                                                           monkeypatch):
    import gui.jobs as jobs

    calls = []
    real = jobs.read_drawing

    def counting(hub, request):
        calls.append((request.seq, QThread.currentThread()))
        return real(hub, request)

    monkeypatch.setattr(jobs, "read_drawing", counting)
    panel = make_panel()
    results = []
    panel.client.sig_explore_ready.connect(results.append)
    images = [np.roll(digit, i, axis=0) for i in range(8)]
    with qtbot.waitSignal(panel.sig_result_shown, timeout=TIMEOUT_MS,
                          check_params_cb=lambda r: np.array_equal(r.net_input, images[-1])):
        for image in images:
            panel.link.show_input(image)
    qtbot.wait(50)
    assert len(results) == 1  # only the newest reached the panel
    assert len(calls) <= 3  # the one in flight, then the newest: the bursts in between dropped
    assert all(thread is not QThread.currentThread() for _, thread in calls)
    np.testing.assert_allclose(panel.result.prediction.image, images[-1])


def test_a_broken_model_file_is_reported_not_raised(qtbot, make_panel, tmp_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    panel = make_panel(image=None, path=broken)
    qtbot.waitUntil(lambda: "cannot explore this model" in panel.status.text(), timeout=TIMEOUT_MS)
    assert "cannot load" in panel.status.text()


def test_masks_follow_the_switched_off_channels(make_panel):
    panel = make_panel(image=None)
    assert panel.masks() is None
    panel.set_channel_off("pool1", 2)
    panel.set_channel_off("pool1", 9)
    panel.set_channel_off("pool1", 2, off=False)
    np.testing.assert_array_equal(panel.masks(), channel_masks({"pool1": [9]}))
    panel.restore_channels()
    assert panel.masks() is None


def test_importing_the_panel_does_not_load_tensorflow():
    import subprocess
    import sys

    code = ("import sys, gui.explore.panel, gui.explore.link; "
            "bad = [m for m in ('tensorflow', 'keras', 'scipy') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
