"""The inference worker and its client, without a window."""

import threading

import numpy as np

from gui.worker import InferenceClient, Request, infer

from .conftest import FakeLoader, FakePredictor


def _page_with_a_bar() -> np.ndarray:
    page = np.full((280, 280), 255, np.uint8)
    page[40:240, 130:150] = 0
    return page


def test_infer_is_a_plain_function_data_in_data_out():
    result = infer(FakePredictor("mnist", bias=3), Request(7, "mnist", _page_with_a_bar(), True))
    assert (result.seq, result.dataset, result.error) == (7, "mnist", "")
    assert result.image.shape == (28, 28) and result.image.dtype == np.uint8
    assert int(np.argmax(result.probabilities)) == 3
    assert result.dense_probabilities is not None
    assert [g.shape for g in result.grids] == [(215, 215, 4), (111, 111, 4), (95, 95, 4),
                                               (47, 47, 4)]


def test_infer_reports_empty_drawings_missing_models_and_crashing_models():
    blank = np.full((280, 280), 255, np.uint8)
    assert infer(FakePredictor("mnist"), Request(1, "mnist", blank, False)).empty
    no_model = infer(None, Request(2, "mnist", _page_with_a_bar(), False), "file missing")
    assert no_model.error == "file missing" and no_model.image is not None
    assert no_model.probabilities is None and not no_model.empty

    class Broken(FakePredictor):
        def run(self, image):
            raise RuntimeError("boom\nsecond line")

    broken = infer(Broken("mnist"), Request(3, "mnist", _page_with_a_bar(), False))
    assert broken.error == "inference failed: boom"


def test_the_worker_thread_keeps_its_thread_locals_between_jobs(qtbot):
    """TensorFlow keeps graph-building state in thread locals; losing them between two model
    loads crashed the app (a plain QThread gives every slot call a new Python thread state)."""
    local = threading.local()
    seen = []

    def loader(dataset):
        local.count = getattr(local, "count", 0) + 1
        seen.append((threading.get_ident(), local.count))
        return FakePredictor(dataset)

    client = InferenceClient(loader, "mnist")
    try:
        client.preload(["mnist", "fashion"])
        qtbot.waitUntil(lambda: client.model_state("fashion") == "ready")
    finally:
        client.shutdown()
    assert [count for _, count in seen] == [1, 2]
    assert seen[0][0] == seen[1][0] != threading.get_ident()


def test_the_current_datasets_model_loads_before_the_others(qtbot):
    loader = FakeLoader()
    client = InferenceClient(loader, "fashion")
    try:
        client.preload(["mnist", "fashion"])  # asked in this order
        qtbot.waitUntil(lambda: client.model_state("mnist") == "ready")
    finally:
        client.shutdown()
    assert loader.loaded == ["fashion", "mnist"]


def test_results_for_old_drawings_are_dropped(qtbot):
    loader = FakeLoader()
    gate = threading.Event()
    loader.predictors["mnist"].gate = gate
    client = InferenceClient(loader, "mnist")
    shown = []
    client.sig_result_ready.connect(shown.append)
    try:
        client.preload(["mnist"])
        first = client.submit(_page_with_a_bar())
        qtbot.waitUntil(loader.predictors["mnist"].started.is_set)
        second = client.submit(_page_with_a_bar()[::-1].copy())
        third = client.submit(_page_with_a_bar().T.copy())
        gate.set()
        qtbot.waitUntil(lambda: bool(shown) and shown[-1].seq == third)
    finally:
        client.shutdown()
    assert [r.seq for r in shown] == [third]  # neither the stale first nor the dropped second
    assert first < second < third
