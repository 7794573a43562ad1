"""The window end to end with real Keras models (TensorFlow is imported: a few seconds)."""

import numpy as np
import pytest

from gui.worker import load_shipped_predictor
from model.paths import model_path

from .conftest import draw, line, wait_for_result

TF_TIMEOUT_MS = 60_000  # importing TensorFlow on a busy two-core machine


@pytest.fixture(scope="session")
def untrained_models(tmp_path_factory):
    """An untrained CNN and dense network saved as .keras files (the trained ones may be absent)."""
    from model.architecture import build_cnn, build_dense

    folder = tmp_path_factory.mktemp("models")
    cnn, dense = folder / "cnn.keras", folder / "dense.keras"
    build_cnn().save(cnn)
    build_dense().save(dense)
    return cnn, dense


def test_real_untrained_cnn_drives_bars_and_all_256_maps(make_window, qtbot, untrained_models):
    from model.inference import Predictor

    cnn, dense = untrained_models
    window = make_window(loader=lambda dataset: Predictor.load(cnn, dataset, dense))
    qtbot.waitUntil(lambda: window.client.model_state("mnist") == "ready", timeout=TF_TIMEOUT_MS)
    draw(window.canvas, line(140, 40, 140, 240))
    first = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert first.probabilities.shape == (10,)
    assert first.probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert first.shapes == ((26, 26, 64), (13, 13, 64), (11, 11, 64), (5, 5, 64))
    maps = [grid.copy() for grid in window.feature_maps.grids()]
    assert [m.shape for m in maps] == [(215, 215, 4), (111, 111, 4), (95, 95, 4), (47, 47, 4)]
    title = window.feature_maps.layers[0].title.text()
    assert "conv1" in title and "26 × 26 × 64" in title
    draw(window.canvas, line(40, 140, 240, 140))
    wait_for_result(qtbot, window, lambda r: r.seq > first.seq and r.probabilities is not None)
    assert all(not np.array_equal(a, b) for a, b in zip(maps, window.feature_maps.grids(),
                                                        strict=True))
    window.compare_action.trigger()
    result = wait_for_result(qtbot, window, lambda r: r.dense_probabilities is not None)
    assert result.dense_probabilities.sum() == pytest.approx(1.0, abs=1e-4)


def test_a_corrupt_model_file_is_a_one_line_error_and_the_other_dataset_works(
        make_window, qtbot, untrained_models, tmp_path):
    from model.inference import Predictor

    cnn, _ = untrained_models
    corrupt = tmp_path / "mnist_cnn.keras"
    corrupt.write_bytes(b"PK\x03\x04 not a zip at all")

    def loader(dataset):
        return Predictor.load(corrupt if dataset == "mnist" else cnn, dataset)

    window = make_window(loader=loader)
    qtbot.waitUntil(lambda: window.client.model_state("mnist") == "error", timeout=TF_TIMEOUT_MS)
    message = window.statusBar().currentMessage()
    assert "mnist_cnn.keras" in message and "\n" not in message
    draw(window.canvas, line(140, 40, 140, 240))
    wait_for_result(qtbot, window, lambda r: r.image is not None)
    assert "mnist_cnn.keras" in window.probabilities.detail_text()
    window.set_dataset("fashion")
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None,
                             timeout=TF_TIMEOUT_MS)
    assert result.dataset == "fashion"


def test_a_drawn_1_is_classified_as_1_through_the_window(make_window, qtbot):
    if not model_path("mnist", "cnn").is_file():
        pytest.skip(f"the trained digits model {model_path('mnist', 'cnn')} is not there yet")
    window = make_window(loader=load_shipped_predictor)
    qtbot.waitUntil(lambda: window.client.model_state("mnist") == "ready", timeout=TF_TIMEOUT_MS)
    draw(window.canvas, line(150, 50, 132, 230, steps=12))  # a slightly slanted upstroke
    result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None)
    assert int(np.argmax(result.probabilities)) == 1, result.probabilities.round(3)
    assert "a 1" in window.probabilities.headline_text()
