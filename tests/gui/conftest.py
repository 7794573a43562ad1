"""GUI test helpers: private settings, fake predictors one can block, real mouse strokes."""

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


class FakePredictor:
    """Stands in for model.inference.Predictor without TensorFlow.

    Its probabilities depend on where the ink is (column sums), so a different drawing gives
    different bars; ``bias`` tilts them towards one class, so each dataset's fake answers
    recognisably. ``gate``, when given, holds every call until it is set.
    """

    def __init__(self, dataset: str, bias: int = 0, gate: threading.Event | None = None):
        self.dataset = dataset
        self.bias = bias
        self.gate = gate
        self.calls = 0
        self.started = threading.Event()

    def run(self, image: np.ndarray) -> Prediction:
        self.calls += 1
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(20), "the test never opened the gate"
        img = image.reshape(28, 28).astype(np.float32)
        logits = img.reshape(28, 4, 7).sum(axis=(1, 2))[:10] / 10.0
        logits[self.bias] += 3.0
        probs = np.exp(logits - logits.max())
        maps = tuple(
            np.resize(img[: s[0], : s[1], None] * (1 + np.arange(64)) / 64, s).astype(np.float32)
            for s in SHAPES
        )
        return Prediction(img[:, :, None], (probs / probs.sum()).astype(np.float32), maps,
                          np.zeros(128, np.float32))

    def run_dense(self, image: np.ndarray) -> np.ndarray:
        return np.full(10, 0.1, np.float32)


class FakeLoader:
    """dataset -> FakePredictor; can be blocked, and can fail for chosen datasets."""

    def __init__(self, fail: dict[str, Exception] | None = None):
        self.predictors = {"mnist": FakePredictor("mnist", bias=1),
                           "fashion": FakePredictor("fashion", bias=7)}
        self.fail = fail or {}
        self.gate = threading.Event()
        self.gate.set()
        self.loaded: list[str] = []

    def __call__(self, dataset: str) -> FakePredictor:
        assert self.gate.wait(20), "the test never let the loader go on"
        self.loaded.append(dataset)
        if dataset in self.fail:
            raise self.fail[dataset]
        return self.predictors[dataset]


@pytest.fixture
def fake_loader() -> FakeLoader:
    return FakeLoader()


def fake_test_split(dataset: str, n: int = 40):
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
    its thread."""
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
