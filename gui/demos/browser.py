"""The test-set browser: put real test images on the canvas, and browse the model's mistakes.

The current dataset's test split, with the shipped CNN's answers from the evaluation run
(``model.testset``, computed in the inference thread and cached), is asked for the first time
the browser is used. Each image goes onto the canvas as a background picture that can be drawn
over; the panel says which image it is, its true label and whether the model got it right.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

RIGHT, WRONG = "#1a9850", "#d73027"  # green and red marks, readable on light and dark


def page_for_canvas(image: np.ndarray) -> np.ndarray:
    """A test image (28 x 28, ink bright) as a canvas picture: dark ink on white paper."""
    return 255 - np.asarray(image, np.uint8)


class TestSetBrowser(QWidget):
    """Next / random / by class / the model's mistakes, one image at a time."""

    __test__ = False

    sig_split_wanted = Signal(str)
    """The browser needs this dataset's test split (the window asks the worker)."""

    sig_image_chosen = Signal(object, str)
    """Put this picture on the canvas: ((H, W) uint8, dark on white; a short name for it)."""

    def __init__(self, parent: QWidget | None = None, seed: int | None = None):
        super().__init__(parent)
        self._dataset = ""
        self._names: tuple[str, ...] = ()
        self._split = None  # model.testset.TestSplit for _dataset
        self._loading = False
        self._index = -1  # the image on the canvas, -1 before the first
        self._mistake = -1  # its position among the mistakes, when browsing them
        self._queued: tuple | None = None  # what to show once the split arrives
        self._rng = np.random.default_rng(seed)

        self.next_button = QPushButton("Next")
        self.next_button.setToolTip("The next test image")
        self.random_button = QPushButton("Random")
        self.class_box = QComboBox()
        self.class_box.setToolTip("Load a test image of this class")
        self.class_button = QPushButton("Load this class")
        self.prev_mistake_button = QPushButton("◀ Mistake")
        self.next_mistake_button = QPushButton("Mistake ▶")
        self.info = QLabel("Load a test image onto the canvas: you can draw over it.")
        self.info.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(self.next_button, 0, 0)
        grid.addWidget(self.random_button, 0, 1)
        grid.addWidget(self.class_box, 1, 0)
        grid.addWidget(self.class_button, 1, 1)
        grid.addWidget(self.prev_mistake_button, 2, 0)
        grid.addWidget(self.next_mistake_button, 2, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(grid)
        layout.addWidget(self.info)
        layout.addWidget(self.summary)
        layout.addStretch(1)

        self.next_button.clicked.connect(self.show_next)
        self.random_button.clicked.connect(self.show_random)
        self.class_button.clicked.connect(lambda: self.show_class(self.class_box.currentIndex()))
        self.prev_mistake_button.clicked.connect(lambda: self.show_mistake(-1))
        self.next_mistake_button.clicked.connect(lambda: self.show_mistake(1))

    # ------------------------------------------------------------------ public API

    def set_dataset(self, dataset: str, names: tuple[str, ...]) -> None:
        """Browse ``dataset``'s test split from now on (asked for when first needed)."""
        if dataset == self._dataset:
            return
        self._dataset, self._names = dataset, tuple(names)
        self._split, self._loading = None, False
        self._index, self._mistake, self._queued = -1, -1, None
        self.class_box.clear()
        self.class_box.addItems(list(self._names))
        self.info.setText("Load a test image onto the canvas: you can draw over it.")
        self.summary.setText("")
        if self.isVisible():
            self.prefetch()

    def set_split(self, answer) -> None:
        """The engine client's answer (``gui.jobs.TestSplitAnswer``) arrived."""
        if answer.dataset != self._dataset:
            return
        self._loading = False
        if answer.split is None:
            self.info.setText(f"No test images: {answer.error}")
            self._queued = None
            return
        self._split = answer.split
        split = self._split
        if split.probabilities is None:
            self.summary.setText(f"{len(split):,} test images; no model answers ({split.error})")
        else:
            wrong = len(split.mistakes())
            self.summary.setText(
                f"The model is right on {len(split) - wrong:,} of {len(split):,} test "
                f"images ({100 * split.accuracy():.2f}%): {wrong:,} mistakes to browse.")
        queued, self._queued = self._queued, None
        if queued is not None:
            queued[0](*queued[1:])
        else:
            self.info.setText("Load a test image onto the canvas: you can draw over it.")

    def forget_split(self) -> None:
        """The model changed: its answers on the split are asked for again (now, if shown)."""
        self._split, self._loading, self._mistake = None, False, -1
        if self.isVisible():
            self.prefetch()

    def split(self):
        return self._split

    def showEvent(self, event: QShowEvent) -> None:
        """Shown (its dock opened or its tab raised): ask for the split before the first click."""
        super().showEvent(event)
        self.prefetch()

    def prefetch(self) -> None:
        """Ask for the split now, so that the first click is instant."""
        if self._split is None and not self._loading and self._dataset:
            self._loading = True
            self.info.setText("Loading the test split and the model's answers on it…")
            self.sig_split_wanted.emit(self._dataset)

    def index(self) -> int:
        """The test-split index of the image last put on the canvas (-1: none yet)."""
        return self._index

    def show_next(self) -> None:
        if self._ready(self.show_next):
            self.show_index((self._index + 1) % len(self._split))

    def show_random(self) -> None:
        if self._ready(self.show_random):
            self.show_index(int(self._rng.integers(len(self._split))))

    def show_class(self, label: int) -> None:
        """The next test image (after the current one) whose true class is ``label``."""
        if not self._ready(self.show_class, label):
            return
        labels = self._split.labels
        order = np.roll(np.arange(len(labels)), -(self._index + 1))
        hits = order[labels[order] == label]
        if len(hits):
            self.show_index(int(hits[0]))

    def show_mistake(self, step: int = 1) -> None:
        """The next (``step`` 1) or previous (-1) image the model got wrong."""
        if not self._ready(self.show_mistake, step):
            return
        mistakes = self._split.mistakes()
        if not len(mistakes):
            self.info.setText("The model made no mistakes on this test split"
                              if self._split.probabilities is not None
                              else "No model answers: the mistakes are unknown.")
            return
        self._mistake = (self._mistake + step) % len(mistakes) if self._mistake >= 0 else (
            0 if step > 0 else len(mistakes) - 1)
        self.show_index(int(mistakes[self._mistake]), mistake=True)

    def show_index(self, index: int, mistake: bool = False) -> None:
        split = self._split
        self._index = index
        if not mistake:
            self._mistake = -1
        true = int(split.labels[index])
        text = f"Test image #{index:,} of {len(split):,} · true: <b>{self._names[true]}</b>"
        if split.probabilities is not None:
            said = int(split.predicted[index])
            share = 100 * float(split.probabilities[index, said])
            ok = said == true
            mark = (f"<span style='color:{RIGHT}'>✓ right</span>" if ok
                    else f"<span style='color:{WRONG}'>✗ wrong</span>")
            text += f" · the model said <b>{self._names[said]}</b> ({share:.1f}%) {mark}"
            if mistake:
                text += f" · mistake {self._mistake + 1} of {len(split.mistakes())}"
        self.info.setText(text)
        self.sig_image_chosen.emit(page_for_canvas(split.images[index]),
                                   f"test image #{index} ({self._names[true]})")

    def info_text(self) -> str:
        return self.info.text()

    # ------------------------------------------------------------------ internals

    def _ready(self, again, *args) -> bool:
        """True when the split is here; else ask for it and do ``again(*args)`` on arrival."""
        if self._split is not None:
            return True
        self._queued = (again, *args)
        self.prefetch()
        return False
