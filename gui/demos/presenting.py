"""Presentation mode's wiring: entering and leaving it with the window's own canvas, the screen
it opens on, feeding it the live answers, the replay's timeline and the challenge's banner, and
handing its keys back to the window.

:class:`Presenter` makes the :class:`~gui.demos.presentation.PresentationWindow` on first use.
The window calls ``show_result`` and ``set_dataset`` as the live view changes and
``toggle``/``enter``/``leave`` from its action; it hears ``sig_presenting_changed`` (to
rename its action) and ``sig_key_action`` (a key the presenter pressed that the window's
actions answer: "clear", "undo", "redo", "replay", "challenge", "next round").
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QActionGroup, QGuiApplication
from PySide6.QtWidgets import QBoxLayout, QMenu, QWidget

from gui.demos.challenge import Challenge
from gui.demos.presentation import PresentationWindow, pick_screen
from gui.demos.replay import ReplayController
from gui.jobs import LiveResult
from gui.settings import read_text
from gui.views.canvas import Canvas
from model.architecture import FEATURE_LAYERS
from model.datasets import class_names

SCREEN_SETTING = "present_on"  # the name of the screen chosen in Demo > Present On


class Presenter(QObject):
    """Presentation mode for ``canvas``, which lives in ``home`` (the window's canvas column)
    and comes back there on leaving; it shows ``replay``'s timeline and ``challenge``'s line."""

    sig_presenting_changed = Signal(bool)
    """Presentation mode was entered (True) or left (False)."""

    sig_key_action = Signal(str)
    """A key for the window: "clear", "undo", "redo", "replay", "challenge", "next round"."""

    def __init__(self, canvas: Canvas, home: QBoxLayout, settings: QSettings,
                 replay: ReplayController, challenge: Challenge, parent: QWidget):
        super().__init__(parent)
        self._canvas, self._home, self._settings = canvas, home, settings
        self._replay, self._challenge = replay, challenge
        self._dataset = ""
        self._result: LiveResult | None = None  # the live answer to show
        self.view: PresentationWindow | None = None  # made on first use
        replay.sig_timeline_ready.connect(self._on_timeline_ready)
        replay.sig_step_changed.connect(self._on_step_changed)
        replay.sig_running_changed.connect(lambda _running: self._on_step_changed(replay.step()))
        challenge.sig_changed.connect(self._on_banner_changed)

    def presenting(self) -> bool:
        return self.view is not None and self.view.isVisible()

    def toggle(self) -> None:
        if self.presenting():
            self.leave()
        else:
            self.enter()

    def enter(self, screen=None) -> None:
        """Full screen on ``screen`` (default: Demo > Present On's choice, else a second
        screen, else the window's), with the window's canvas and drawing."""
        if self.presenting():
            return
        if self.view is None:
            self.view = PresentationWindow(FEATURE_LAYERS)
            self.view.sig_exit_requested.connect(self.leave)
            self.view.sig_key_action.connect(self.sig_key_action)
        if screen is None:
            screen = pick_screen(QGuiApplication.screens(), self.parent().screen(),
                                 read_text(self._settings, SCREEN_SETTING, ""))
        self.view.attach_canvas(self._canvas)
        self.view.set_banner(self._challenge.text())
        probabilities = self._replay.probabilities()
        if probabilities is not None:
            self._on_timeline_ready(probabilities, 0.0)
        self.view.present_on(screen)
        self._feed()
        self.sig_presenting_changed.emit(True)

    def leave(self) -> None:
        """The canvas back home, the presentation window hidden."""
        if self.view is None or self._canvas.parent() is self._home.parentWidget():
            return
        self._home.addWidget(self._canvas, 1)
        self._canvas.show()
        self.view.hide()
        self.sig_presenting_changed.emit(False)

    def close(self) -> None:
        """Leave, and let the presentation window go (the app is closing)."""
        self.leave()
        if self.view is not None:
            self.view.deleteLater()
            self.view = None

    def set_dataset(self, dataset: str) -> None:
        """The live view classifies as ``dataset`` now; nothing is on screen yet."""
        self._dataset, self._result = dataset, None
        self._feed()

    def show_result(self, result: LiveResult) -> None:
        """The live view shows ``result`` now: so does the presentation, if it is up."""
        self._result = result
        self._feed()

    def fill_screen_menu(self, menu: QMenu) -> None:
        """Demo > Present On: one checkable entry per screen; the choice is remembered."""
        menu.clear()
        wanted = read_text(self._settings, SCREEN_SETTING, "")
        chosen = pick_screen(QGuiApplication.screens(), self.parent().screen(), wanted)
        group = QActionGroup(menu)
        for screen in QGuiApplication.screens():
            size = screen.geometry()
            action = menu.addAction(f"{screen.name()} ({size.width()} × {size.height()})")
            action.setCheckable(True)
            action.setChecked(screen is chosen)
            group.addAction(action)
            name = screen.name()
            action.triggered.connect(
                lambda _=False, n=name: self._settings.setValue(SCREEN_SETTING, n))

    # ------------------------------------------------------------------ internals

    def _feed(self) -> None:
        if not self.presenting():
            return
        result, names = self._result, class_names(self._dataset)
        if result is None:
            self.view.show_message(names, "Thinking…")
        elif result.empty:
            self.view.show_message(names, "Draw something")
        elif result.probabilities is None:
            self.view.show_message(names, "No prediction")
        else:
            self.view.show_result(names, result.probabilities, result.grids, result.shapes)

    def _on_timeline_ready(self, probabilities: np.ndarray, _seconds: float) -> None:
        if self.view is not None:
            self.view.timeline.set_timeline(probabilities, class_names(self._dataset))
            self.view.timeline.show()

    def _on_step_changed(self, step: int) -> None:
        if self.view is not None:
            self.view.timeline.set_cursor(step if self._replay.active() else None)

    def _on_banner_changed(self, text: str) -> None:
        if self.view is not None:
            self.view.set_banner(text)
