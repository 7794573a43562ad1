"""GUI test helpers: private settings, fake engines one can block, real mouse strokes."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest

from gui.views.canvas import PAGE_SIZE
from model.inference import Prediction

SHAPES = ((26, 26, 64), (13, 13, 64), (11, 11, 64), (5, 5, 64))
RESULT_TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def private_settings(tmp_path, monkeypatch):
    """Every QSettings the code under test makes lands in a temporary folder."""
    folder = tmp_path / "settings"
    folder.mkdir()
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    monkeypatch.setenv("SKETCHSCOPE_DATA_DIR", str(tmp_path / "data"))  # the autosave
    return folder


@pytest.fixture
def settings(private_settings) -> QSettings:
    return QSettings(str(private_settings / "sketchscope.ini"), QSettings.Format.IniFormat)


def shipped_config() -> dict:
    """The CNN's configuration as the shipped .keras file keeps it (read without TensorFlow)."""
    import json
    import zipfile

    from model.paths import model_path

    with zipfile.ZipFile(model_path("mnist", "cnn")) as archive:
        return json.loads(archive.read("config.json"))


class FakeEngine:
    """Stands in for model.inference.Engine without TensorFlow.

    Its probabilities depend on where the ink is (column sums), so a different drawing gives
    different bars; ``bias`` tilts them towards one class, so each dataset's fake answers
    recognisably. ``gate``, when given, holds every call until it is set. Switched-off
    channels (masks) zero their maps and shift the answer towards class 9.
    """

    def __init__(self, dataset: str, bias: int = 0, gate: threading.Event | None = None):
        self.dataset = dataset
        self.bias = bias
        self.gate = gate
        self.calls = 0
        self.started = threading.Event()
        self.source = None

    def run(self, image: np.ndarray, masks: np.ndarray | None = None) -> Prediction:
        self.calls += 1
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(20), "the test never opened the gate"
        img = image.reshape(28, 28).astype(np.float32)
        logits = img.reshape(28, 4, 7).sum(axis=(1, 2))[:10] / 10.0
        logits[self.bias] += 3.0
        maps = [
            np.resize(img[: s[0], : s[1], None] * (1 + np.arange(64)) / 64, s).astype(np.float32)
            for s in SHAPES
        ]
        if masks is not None:
            keep = np.asarray(masks, np.float32).reshape(4, 64)
            maps = [m * keep[i] for i, m in enumerate(maps)]
            logits[9] += float((keep == 0).sum())
        probs = np.exp(logits - logits.max())
        return Prediction(img[:, :, None], (probs / probs.sum()).astype(np.float32), tuple(maps),
                          np.zeros(128, np.float32))

    def run_dense(self, image: np.ndarray) -> np.ndarray:
        return np.full(10, 0.1, np.float32)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        return np.stack([self.run(x).probabilities for x in images])

    def explain(self, image: np.ndarray, masks: np.ndarray | None = None):
        from model.inference import Explanation

        prediction = self.run(image, masks)
        ink = image.reshape(28, 28).astype(np.float32)
        unit = ink / ink.max() if ink.max() > 0 else ink
        return Explanation(prediction, prediction.label, unit, unit[::-1].copy())

    @property
    def facts(self):
        from model.explain import model_facts

        rng = np.random.default_rng(0)
        return model_facts(shipped_config(), rng.normal(size=(3, 3, 1, 64)),
                           rng.normal(size=(3, 3, 64, 64)))


FakePredictor = FakeEngine  # the name older tests use


class FakeLoader:
    """dataset -> FakeEngine; can be blocked, and can fail for chosen datasets."""

    def __init__(self, fail: dict[str, Exception] | None = None):
        self.predictors = {"mnist": FakePredictor("mnist", bias=1),
                           "fashion": FakePredictor("fashion", bias=7)}
        self.fail = fail or {}
        self.gate = threading.Event()
        self.gate.set()
        self.loaded: list[str] = []

    def __call__(self, dataset: str) -> FakeEngine:
        assert self.gate.wait(20), "the test never let the loader go on"
        self.loaded.append(dataset)
        if dataset in self.fail:
            raise self.fail[dataset]
        return self.predictors[dataset]


@pytest.fixture
def fake_loader() -> FakeLoader:
    return FakeLoader()


def fake_test_split(dataset: str, engine=None, n: int = 40):
    """A small stand-in for model.testset.TestSplit: blobs at class-dependent places, labels
    0..9 in turn, and model answers that are wrong on every seventh image."""
    from model.testset import TestSplit

    labels = np.arange(n, dtype=np.int64) % 10
    images = np.zeros((n, 28, 28), np.uint8)
    for i, label in enumerate(labels):
        images[i, 4 + label: 12 + label, 6:22] = 255
    probs = np.full((n, 10), 0.02, np.float32)
    answers = np.where(np.arange(n) % 7 == 3, (labels + 1) % 10, labels)
    probs[np.arange(n), answers] = 0.82
    return TestSplit(dataset, images, labels, probs)


@pytest.fixture
def make_window(qtbot, settings):
    """Build a shown MainWindow (fake models, a fake test split); closing at teardown stops
    its threads."""
    from gui.main_window import MainWindow

    made = []

    def make(dataset="mnist", loader=None, window_settings=None, test_split_loader=None):
        window = MainWindow(dataset, loader=loader or FakeLoader(),
                            settings=window_settings or settings,
                            test_split_loader=test_split_loader or fake_test_split)
        qtbot.addWidget(window)
        window.resize(1100, 700)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.close()


def shown(qtbot, widget, width: int, height: int):
    """``widget`` resized, shown and exposed (closed at the test's end)."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def page_to_widget(canvas, x: float, y: float) -> QPoint:
    rect = canvas.page_rect()
    scale = rect.width() / PAGE_SIZE
    return QPoint(round(rect.x() + x * scale), round(rect.y() + y * scale))


def draw(canvas, points, button=Qt.MouseButton.LeftButton, release=True) -> None:
    """A stroke with real mouse events through the page points (x, y), in page pixels."""
    first = page_to_widget(canvas, *points[0])
    QTest.mousePress(canvas, button, Qt.KeyboardModifier.NoModifier, first)
    for x, y in points[1:]:
        QTest.mouseMove(canvas, page_to_widget(canvas, x, y))
    if release:
        last = page_to_widget(canvas, *points[-1])
        QTest.mouseRelease(canvas, button, Qt.KeyboardModifier.NoModifier, last)


def line(x0, y0, x1, y1, steps=8):
    return [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(steps + 1)]


def wait_for_result(qtbot, window, check=lambda r: True, timeout=RESULT_TIMEOUT_MS):
    """Wait until the window shows a result for its newest drawing that passes ``check``."""

    def shown():
        result = window.result()
        assert result is not None and result.seq == window.client.seq and check(result)

    qtbot.waitUntil(shown, timeout=timeout)
    return window.result()


ONE = line(140, 40, 140, 240)  # a vertical stroke down the middle of the page


@pytest.fixture
def capture_warnings(monkeypatch):
    """QMessageBox.warning replaced by a recorder (a real one would block the test)."""
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    return shown
