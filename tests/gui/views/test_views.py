import numpy as np

from gui.views.feature_maps import FeatureMapsPanel
from gui.views.input_view import InputView, enlarge_with_grid
from gui.views.probabilities import ProbabilityChart, ProbabilityPanel, verdict
from model.datasets import class_names

from ..conftest import shown

CLOTHES = class_names("fashion")


def one_hot(index: int, share: float) -> np.ndarray:
    p = np.full(10, (1.0 - share) / 9, np.float32)
    p[index] = share
    return p


def test_verdicts_name_the_class_and_say_when_unsure():
    assert verdict("mnist", one_hot(7, 0.97)) == "It's a 7 (97%)"
    assert verdict("mnist", one_hot(8, 0.9)) == "It's an 8 (90%)"
    assert verdict("mnist", one_hot(3, 0.43)) == "Not sure, maybe a 3 (43%)"
    assert verdict("fashion", one_hot(9, 0.8)) == "It's an Ankle boot (80%)"
    assert verdict("fashion", one_hot(1, 0.8)) == "It's trousers (80%)"
    assert verdict("fashion", one_hot(7, 0.6), "Dense network").startswith("Dense network: It's a")


def test_probability_panel_marks_the_top_class_and_shows_dense_beside(qtbot):
    panel = ProbabilityPanel("mnist")
    qtbot.addWidget(panel)
    panel.show()
    panel.show_probabilities("mnist", one_hot(4, 0.8), one_hot(9, 0.6))
    assert panel.chart.top_class() == 4
    assert panel.headline_text() == "It's a 4 (80%)"
    assert "Dense network (orange): It's a 9 (60%)" in panel.detail_text()
    panel.show_message("fashion", "Draw something")
    assert panel.chart.top_class() is None and panel.chart.names() == CLOTHES
    assert panel.detail_text() == ""


def test_the_chart_painted_with_the_dense_column_is_as_if_painted_fresh(qtbot):
    """The names and tracks are painted once and kept: the dense network's column narrows the
    tracks, so they are painted again when it comes or goes."""
    names, cnn, dense = class_names("mnist"), one_hot(4, 0.8), one_hot(9, 0.6)
    charts = []
    for first in (None, dense):
        chart = shown(qtbot, ProbabilityChart(names), 400, 300)
        chart.set_data(names, cnn, first)
        chart.grab()  # painted once: the tracks of that layout kept
        chart.set_data(names, cnn, dense)
        charts.append(chart.grab().toImage())
    assert charts[0] == charts[1]


def test_the_input_is_enlarged_with_a_grid_that_shows_on_black_and_white():
    pixels = np.zeros((28, 28), np.uint8)
    pixels[:, 14:] = 255
    big = enlarge_with_grid(pixels, 7)
    assert big.shape == (196, 196)
    assert big[3, 3] == 0 and big[3, 14 * 7 + 3] == 255  # square interiors untouched
    assert 30 < big[0, 3] < 128 < big[0, 14 * 7 + 3] < 230  # grid rows: lighter / darker
    assert 30 < big[3, 7] < 128  # a grid column on black
    assert np.array_equal(enlarge_with_grid(pixels, 2), np.repeat(np.repeat(pixels, 2, 0), 2, 1))


def test_input_view_paints_the_pixels(qtbot):
    view = shown(qtbot, InputView(), 280, 280)
    pixels = np.zeros((28, 28), np.uint8)
    pixels[10:18, 10:18] = 255
    view.set_pixels(pixels)
    shot = view.grab().toImage()
    assert shot.pixelColor(145, 145).lightness() > 200  # inside the bright square
    assert shot.pixelColor(85, 145).lightness() < 60  # outside it
    qtbot.waitUntil(lambda: view.painted_version == view.version)


def test_feature_map_panel_labels_all_four_layers_with_name_and_shape(qtbot):
    panel = FeatureMapsPanel((("conv1", (26, 26, 64)), ("pool1", (13, 13, 64)),
                              ("conv2", (11, 11, 64)), ("pool2", (5, 5, 64))))
    qtbot.addWidget(panel)
    texts = [view.title.text() for view in panel.layers]
    assert "conv1" in texts[0] and "26 × 26 × 64" in texts[0]
    assert "pool2" in texts[3] and "5 × 5 × 64" in texts[3]

