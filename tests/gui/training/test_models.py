"""Which model the live view reads: "Use this model" and "Back to the shipped model" switch it,
and the choice survives a restart (QSettings); a remembered model that is gone is one line."""

import numpy as np

from gui.engine_client import EngineClient
from gui.training.models import LiveModels
from model.inference import Engine

from ..conftest import FakeLoader, FakePredictor


def page_with_a_bar() -> np.ndarray:
    page = np.full((280, 280), 255, np.uint8)
    page[40:240, 130:150] = 0
    return page


class Reader:
    """An engine client on fake shipped models, reading one drawing on demand."""

    def __init__(self, qtbot):
        self.qtbot = qtbot
        self.client = EngineClient(FakeLoader(), "mnist")
        self.shown = []
        self.client.sig_result_ready.connect(self.shown.append)
        self.client.preload(["mnist"])

    def read(self):
        self.qtbot.waitUntil(lambda: self.client.model_state("mnist") == "ready", timeout=30_000)
        seq = self.client.submit(page_with_a_bar())
        self.qtbot.waitUntil(lambda: bool(self.shown) and self.shown[-1].seq == seq, timeout=30_000)
        return self.shown[-1]


def test_use_this_model_switches_the_live_view_and_back_undoes_it(qtbot, settings, saved_model):
    path, _card = saved_model
    reader = Reader(qtbot)
    models = LiveModels(settings, reader.client)
    try:
        shipped = reader.read()
        np.testing.assert_allclose(shipped.probabilities, FakePredictor("mnist", 1).run(
            shipped.net_input).probabilities, atol=1e-6)
        models.use("mnist", "cnn", path)
        assert models.owned("mnist") and models.describe("mnist") == "your own model"
        assert settings.value("live_models/mnist/cnn") == str(path)
        mine = reader.read()
        expected = Engine.load(path, "mnist").run(mine.net_input).probabilities
        np.testing.assert_allclose(mine.probabilities, expected, atol=1e-6)
        models.back("mnist")
        assert not models.owned("mnist") and settings.value("live_models/mnist/cnn") is None
        np.testing.assert_allclose(reader.read().probabilities, shipped.probabilities, atol=1e-6)
    finally:
        reader.client.shutdown()


def test_the_choice_survives_a_restart_and_a_vanished_file_is_one_line(qtbot, settings,
                                                                        saved_model, tmp_path):
    path, _card = saved_model
    settings.setValue("live_models/mnist/cnn", str(path))
    settings.setValue("live_models/fashion/cnn", str(tmp_path / "gone" / "fashion_cnn.keras"))
    reader = Reader(qtbot)  # the app starting again
    models = LiveModels(settings, reader.client)
    try:
        lines = models.restore()
        assert len(lines) == 1 and "Clothing (Fashion-MNIST) cnn model is gone" in lines[0]
        assert settings.value("live_models/fashion/cnn") is None and not models.owned("fashion")
        result = reader.read()
        expected = Engine.load(path, "mnist").run(result.net_input).probabilities
        np.testing.assert_allclose(result.probabilities, expected, atol=1e-6)
    finally:
        reader.client.shutdown()


def test_following_the_network_in_training_comes_back_to_the_users_model(qtbot, settings,
                                                                       saved_model):
    path, _card = saved_model
    reader = Reader(qtbot)
    models = LiveModels(settings, reader.client)
    try:
        models.use("mnist", "cnn", path)
        models.follow("mnist", lambda dataset: FakePredictor(dataset, bias=6))
        assert models.describe("mnist") == "the network in training"
        assert reader.read().probabilities.argmax() == 6
        models.follow("mnist", None)
        assert models.describe("mnist") == "your own model"
        result = reader.read()
        expected = Engine.load(path, "mnist").run(result.net_input).probabilities
        np.testing.assert_allclose(result.probabilities, expected, atol=1e-6)
    finally:
        reader.client.shutdown()
