"""A "Quick, Draw!"-style challenge: the app names a class, the presenter draws it, the app
says when the network recognises it and how long that took.

A round starts with a fresh page and a class picked at random (never the last one twice).
It is won when the live prediction's top class is the named one with at least
``RECOGNISED`` probability, and lost after ``ROUND_SECONDS``. The times count from the moment
the class was named to the moment the recognising answer came back from the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from model.datasets import DATASETS

RECOGNISED = 0.7  # the named class must be the top one with at least this probability
ROUND_SECONDS = 20.0


@dataclass(frozen=True)
class Round:
    target: int
    won: bool
    seconds: float  # to recognition, or the whole round when lost


class Challenge(QObject):
    """Rounds of "draw this": fed the live results, says when the target is recognised."""

    sig_changed = Signal(str)
    """The banner's text changed ("" when no challenge runs)."""

    sig_clear_requested = Signal()
    """A round starts: the page should be wiped (undoable)."""

    def __init__(self, parent: QObject | None = None, clock: Callable[[], float] = time.monotonic,
                 seed: int | None = None):
        super().__init__(parent)
        self._clock = clock
        self._rng = np.random.default_rng(seed)
        self._phrases: tuple[str, ...] = ()  # the classes as a sentence names them
        self._dataset = ""
        self._target: int | None = None
        self._started = 0.0
        self._outcome: Round | None = None  # the current round's, once decided
        self._min_seq = 0
        self.rounds: list[Round] = []
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._on_tick)

    # ------------------------------------------------------------------ public API

    def running(self) -> bool:
        return self._target is not None

    def dataset(self) -> str:
        """The dataset of the rounds ("" before the first)."""
        return self._dataset

    def target(self) -> int | None:
        return self._target

    def outcome(self) -> Round | None:
        return self._outcome

    def text(self) -> str:
        if self._target is None:
            return ""
        name = self._phrases[self._target]
        if self._outcome is None:
            left = max(0.0, ROUND_SECONDS - (self._clock() - self._started))
            return f"Draw {name}! {left:.0f} s left"
        if self._outcome.won:
            return (f"Recognised {name} in {self._outcome.seconds:.1f} s!  "
                    f"{self.score()} · N: next round")
        return f"Time's up: the network did not see {name}.  {self.score()} · N: next round"

    def score(self) -> str:
        won = [r for r in self.rounds if r.won]
        text = f"{len(won)} of {len(self.rounds)} recognised"
        if won:
            text += f", best {min(r.seconds for r in won):.1f} s"
        return text

    def start(self, dataset: str) -> None:
        """Start a round for ``dataset``. The handler of ``sig_clear_requested`` wipes the
        page and calls ``set_min_seq``, so that drawings from before the round never count."""
        if dataset != self._dataset:
            self.rounds.clear()
        self._dataset, self._phrases = dataset, DATASETS[dataset].phrases
        count = len(self._phrases)
        choices = [k for k in range(count) if k != self._target] or list(range(count))
        self._target = int(self._rng.choice(choices))
        self._outcome = None
        self._min_seq = 1 << 62  # nothing counts until the page is wiped
        self.sig_clear_requested.emit()
        self._started = self._clock()
        self._timer.start()
        self.sig_changed.emit(self.text())

    def next_round(self) -> None:
        """Another round (N), with the same dataset."""
        if self._dataset:
            self.start(self._dataset)

    def set_min_seq(self, seq: int) -> None:
        """Results older than ``seq`` do not count (the page was wiped at ``seq``)."""
        self._min_seq = seq

    def stop(self) -> None:
        self._timer.stop()
        self._target = None
        self._outcome = None
        self.sig_changed.emit("")

    def on_result(self, result) -> None:
        """A live result (``gui.jobs.LiveResult``) for the drawing on the page."""
        if self._target is None or self._outcome is not None:
            return
        if (result.dataset != self._dataset or result.seq < self._min_seq
                or result.probabilities is None):
            return
        probs = result.probabilities
        top = int(np.argmax(probs))
        if top == self._target and float(probs[top]) >= RECOGNISED:
            self._decide(Round(self._target, True, self._clock() - self._started))

    # ------------------------------------------------------------------ internals

    def _decide(self, outcome: Round) -> None:
        self._outcome = outcome
        self.rounds.append(outcome)
        self._timer.stop()
        self.sig_changed.emit(self.text())

    def _on_tick(self) -> None:
        if self._outcome is None and self._clock() - self._started >= ROUND_SECONDS:
            self._decide(Round(self._target, False, ROUND_SECONDS))
        else:
            self.sig_changed.emit(self.text())


class ChallengeBanner(QWidget):
    """The challenge's line above the canvas, with Next round and Stop buttons."""

    def __init__(self, challenge: Challenge, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel()
        font = self.label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.label.setFont(font)
        self.next_button = QPushButton("Next round (N)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End the challenge (Esc); the drawing stays")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.next_button)
        layout.addWidget(self.stop_button)
        self.next_button.clicked.connect(challenge.next_round)
        self.stop_button.clicked.connect(challenge.stop)
        challenge.sig_changed.connect(self._on_text_changed)
        self.hide()

    def _on_text_changed(self, text: str) -> None:
        self.label.setText(text)
        self.setVisible(bool(text))
