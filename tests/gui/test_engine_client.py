"""The engine client: the views' questions as jobs on the one scheduler, without a window."""

import threading

import numpy as np
import pytest

from gui.engine_client import EngineClient

from .conftest import FakeLoader, FakePredictor


def _page_with_a_bar() -> np.ndarray:
    page = np.full((280, 280), 255, np.uint8)
    page[40:240, 130:150] = 0
    return page


def test_the_current_datasets_model_loads_before_the_others(qtbot):
    loader = FakeLoader()
    loader.gate.clear()
    client = EngineClient(loader, "fashion")
    try:
        client.preload(["mnist", "fashion"])  # asked in this order
        loader.gate.set()
        qtbot.waitUntil(lambda: client.model_state("mnist") == "ready")
    finally:
        client.shutdown()
    assert loader.loaded[:2] == ["fashion", "mnist"]


@pytest.fixture
def held():
    """A client whose mnist engine holds every call until ``gate`` is set: (client, loader,
    gate, the results shown). Shut down at the end."""
    loader, gate, shown = FakeLoader(), threading.Event(), []
    loader.predictors["mnist"].gate = gate
    client = EngineClient(loader, "mnist")
    client.sig_result_ready.connect(shown.append)
    yield client, loader, gate, shown
    gate.set()
    client.shutdown()


def test_results_for_old_drawings_are_dropped(qtbot, held):
    client, loader, gate, shown = held
    client.preload(["mnist"])
    first = client.submit(_page_with_a_bar())
    qtbot.waitUntil(loader.predictors["mnist"].started.is_set)
    second = client.submit(_page_with_a_bar()[::-1].copy())
    third = client.submit(_page_with_a_bar().T.copy())
    gate.set()
    qtbot.waitUntil(lambda: bool(shown) and shown[-1].seq == third)
    qtbot.wait(50)
    assert [r.seq for r in shown] == [third]  # neither the stale first nor the dropped second
    assert first < second < third


def test_answers_for_the_other_dataset_are_dropped_after_a_switch(qtbot, held):
    client, loader, gate, shown = held
    client.submit(_page_with_a_bar())
    qtbot.waitUntil(loader.predictors["mnist"].started.is_set)
    client.set_dataset("fashion")
    gate.set()
    newest = client.submit(_page_with_a_bar())
    qtbot.waitUntil(lambda: bool(shown))
    qtbot.wait(50)
    assert [(r.seq, r.dataset) for r in shown] == [(newest, "fashion")]


def test_a_new_drawing_supersedes_explore_asking_again_for_the_old_one(qtbot):
    loader = FakeLoader()
    gate = threading.Event()
    client = EngineClient(loader, "mnist")
    results, explored = [], []
    client.sig_result_ready.connect(results.append)
    client.sig_explore_ready.connect(explored.append)
    try:
        client.submit(_page_with_a_bar())
        qtbot.waitUntil(lambda: bool(results))
        loader.predictors["mnist"].gate = gate  # hold the next job
        client.submit(_page_with_a_bar().T.copy())
        qtbot.waitUntil(loader.predictors["mnist"].started.is_set)
        client.explore(results[0], None)  # waits behind the running job ...
        newest = client.submit(_page_with_a_bar()[::-1].copy())  # ... and is superseded
        gate.set()
        qtbot.waitUntil(lambda: results[-1].seq == newest)
        qtbot.wait(50)
    finally:
        gate.set()
        client.shutdown()
    assert explored == []


def test_a_model_that_fails_to_load_is_an_error_state_with_one_line(qtbot):
    loader = FakeLoader(fail={"mnist": OSError("mnist_cnn.keras: truncated\ndetails")})
    client = EngineClient(loader, "mnist")
    changes = []
    client.sig_model_changed.connect(lambda *args: changes.append(args))
    try:
        client.preload(["mnist"])
        qtbot.waitUntil(lambda: client.model_state("mnist") == "error")
    finally:
        client.shutdown()
    assert changes[-1] == ("mnist", "error", "mnist_cnn.keras: truncated")


def test_set_model_switches_what_the_live_view_reads_and_back(qtbot):
    loader = FakeLoader()
    mine = FakePredictor("mnist", bias=5)
    client = EngineClient(loader, "mnist")
    shown, changes = [], []
    client.sig_result_ready.connect(shown.append)
    client.sig_model_changed.connect(lambda *args: changes.append(args))

    def read() -> int:
        seq = client.submit(_page_with_a_bar())
        qtbot.waitUntil(lambda: bool(shown) and shown[-1].seq == seq)
        return int(shown[-1].probabilities.argmax())

    try:
        client.preload(["mnist"])
        qtbot.waitUntil(lambda: client.model_state("mnist") == "ready")
        assert read() == 1  # the loader's own (shipped) engine
        client.set_model("mnist", lambda dataset: mine)
        assert client.model_state("mnist") == "loading"
        qtbot.waitUntil(lambda: client.model_state("mnist") == "ready")
        assert read() == 5
        client.set_model("mnist", None)
        qtbot.waitUntil(lambda: client.model_state("mnist") == "ready")
        assert read() == 1
        client.set_model("fashion", lambda dataset: mine)  # never loaded: nothing loads now
        assert client.model_state("fashion") == ""
    finally:
        client.shutdown()
    assert [c[1] for c in changes if c[0] == "mnist"] == ["loading", "ready"] * 3
