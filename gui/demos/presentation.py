"""Presentation mode: the canvas and the network's answer, full screen, readable from the back.

A separate top-level window in high contrast (white on black, a yellow accent) and large type:
the canvas on the left (the main window's own canvas, moved here and back, so the drawing and
its undo history carry over), and on the right the top prediction in big letters, the ten
bars and one layer's 64 feature maps. Keys: L shows the next layer, Shift+L the
previous one; Delete clears; Ctrl+Z / Ctrl+Shift+Z undo and redo; F5 replays; F6 starts a
challenge and N its next round; Esc or F11 leave.

It opens on the screen the user picked (View > Present On), by default a second screen when
there is one (a projector), else the main window's screen.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QFont, QKeyEvent, QKeySequence, QPalette, QScreen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.demos.timeline import TimelinePlot
from gui.views.feature_maps import MosaicView
from gui.views.probabilities import LOW_CONFIDENCE, ProbabilityChart

BACKGROUND = QColor(0, 0, 0)
FOREGROUND = QColor(255, 255, 255)
ACCENT = QColor(255, 214, 0)  # the top bar and the big answer: yellow on black
DIM = QColor(150, 150, 150)
BASE_POINT_SIZE = 22.0  # the bars and captions; the answer is several times larger


def high_contrast_palette() -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, BACKGROUND),
        (QPalette.ColorRole.WindowText, FOREGROUND),
        (QPalette.ColorRole.Base, QColor(40, 40, 40)),  # the bars' empty tracks
        (QPalette.ColorRole.Text, FOREGROUND),
        (QPalette.ColorRole.Highlight, ACCENT),
        (QPalette.ColorRole.Mid, DIM),
        (QPalette.ColorRole.Button, QColor(30, 30, 30)),
        (QPalette.ColorRole.ButtonText, FOREGROUND),
    ):
        palette.setColor(role, colour)
    return palette


def pick_screen(screens: list[QScreen], main_screen: QScreen | None,
                wanted: str = "") -> QScreen | None:
    """The screen to present on: the one named ``wanted`` if connected, else another screen
    than the main window's (a projector), else the main window's."""
    for screen in screens:
        if wanted and screen.name() == wanted:
            return screen
    others = [s for s in screens if s is not main_screen]
    if others:
        return others[0]
    return main_screen or (screens[0] if screens else None)


class PresentationWindow(QWidget):
    """Full-screen, high-contrast: canvas, big answer, bars, one layer of feature maps."""

    sig_exit_requested = Signal()
    """The presenter pressed Esc or F11 (or closed the window)."""

    sig_key_action = Signal(str)
    """A key meant for the main window: "clear", "undo", "redo", "replay", "challenge",
    "next round"."""

    def __init__(self, layer_names: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Sketchscope — Presentation")
        self.setPalette(high_contrast_palette())
        self.setAutoFillBackground(True)
        font = QFont(self.font())
        font.setPointSizeF(BASE_POINT_SIZE)
        self.setFont(font)
        self._layer_names = layer_names
        self._layer = 0
        self._grids: tuple[np.ndarray, ...] = ()
        self._shapes: tuple[tuple[int, ...], ...] = ()
        self._extra: QWidget | None = None  # shown under the canvas: the live training

        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(32)
        layout.addLayout(self._build_drawing_column(), 11)
        layout.addLayout(self._build_answer_column(), 9)
        self._show_layer()

    def _build_drawing_column(self) -> QVBoxLayout:
        """The challenge's line, the canvas's place, and the replay's timeline under it."""
        self.banner = QLabel()  # the challenge, when one runs
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setWordWrap(True)
        self._scale_font(self.banner, 1.4, bold=True)
        self.banner.setStyleSheet(f"color: {ACCENT.name()};")
        self.banner.hide()
        self.canvas_slot = QVBoxLayout()
        self.canvas_slot.setContentsMargins(0, 0, 0, 0)
        self.timeline = TimelinePlot()
        self.timeline.set_dark(True)
        self.timeline.set_font_scale(1.4)
        self.timeline.setMinimumHeight(160)
        self.timeline.hide()
        column = QVBoxLayout()
        column.addWidget(self.banner)
        column.addLayout(self.canvas_slot, 1)
        column.addWidget(self.timeline)
        self._left = column  # show_extra puts the live training here, under the canvas
        return column

    def _build_answer_column(self) -> QVBoxLayout:
        """The answer in big letters, how sure, the bars, one layer's maps and the keys."""
        self.answer = QLabel("Draw something")
        self.answer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.answer.setWordWrap(True)
        self._scale_font(self.answer, 3.2, bold=True)
        self.answer.setStyleSheet(f"color: {ACCENT.name()};")
        self.confidence = QLabel()
        self.confidence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._scale_font(self.confidence, 1.3)
        self.chart = ProbabilityChart(("",) * 10)  # the names come with every answer
        self.chart.setMinimumHeight(260)
        self.layer_title = QLabel()
        self.layer_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.mosaic = MosaicView()  # expanding, square pixels
        self.hint = QLabel("L: next layer · Delete: clear · F5: replay · F6: challenge · Esc: leave")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._scale_font(self.hint, 0.6)
        self.hint.setStyleSheet(f"color: {DIM.name()};")
        column = QVBoxLayout()
        for widget, stretch in ((self.answer, 0), (self.confidence, 0), (self.chart, 3),
                                (self.layer_title, 0), (self.mosaic, 3), (self.hint, 0)):
            column.addWidget(widget, stretch)
        return column

    @staticmethod
    def _scale_font(label: QLabel, factor: float, bold: bool = False) -> None:
        font = QFont(label.font())
        font.setPointSizeF(BASE_POINT_SIZE * factor)
        font.setBold(bold)
        label.setFont(font)

    # ------------------------------------------------------------------ public API

    def attach_canvas(self, canvas: QWidget) -> None:
        """Move ``canvas`` (the main window's) in here; the caller takes it back on leaving."""
        self.canvas_slot.addWidget(canvas, 1)
        canvas.show()

    def show_extra(self, widget: QWidget | None) -> None:
        """Show ``widget`` under the canvas (the live training's curves and maps), in this
        window's type and colours; None takes it away. The caller keeps the widget."""
        if widget is self._extra:
            return
        if self._extra is not None:
            self._left.removeWidget(self._extra)
            self._extra.setParent(None)
        self._extra = widget
        if widget is not None:
            self._left.addWidget(widget, 1)
            widget.show()

    def layer(self) -> int:
        return self._layer

    def layer_name(self) -> str:
        return self._layer_names[self._layer]

    def cycle_layer(self, step: int = 1) -> None:
        self._layer = (self._layer + step) % len(self._layer_names)
        self._show_layer()

    def set_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def show_message(self, names: tuple[str, ...], headline: str) -> None:
        self.answer.setText(headline)
        self.confidence.setText("")
        self.chart.set_data(names, None)
        self._grids, self._shapes = (), ()
        self._show_layer()

    def show_result(self, names: tuple[str, ...], probabilities: np.ndarray,
                    grids: tuple[np.ndarray, ...], shapes: tuple[tuple[int, ...], ...]) -> None:
        top = int(np.argmax(probabilities))
        share = float(probabilities[top])
        self.answer.setText(names[top] if share >= LOW_CONFIDENCE else f"{names[top]}?")
        self.confidence.setText(f"{100 * share:.0f}% sure" if share >= LOW_CONFIDENCE
                                else f"not sure ({100 * share:.0f}%)")
        self.chart.set_data(names, probabilities)
        self._grids, self._shapes = grids, shapes
        self._show_layer()

    def answer_text(self) -> str:
        return self.answer.text()

    def painted(self) -> bool:
        """Have the bars and the map mosaic been repainted since their last change?"""
        return (self.chart.painted_version == self.chart.version
                and self.mosaic.painted_version == self.mosaic.version)

    def present_on(self, screen: QScreen | None) -> None:
        """Full screen on ``screen`` (None: wherever the window system puts it)."""
        if screen is not None:
            self.setScreen(screen)
            self.setGeometry(screen.geometry())
        self.showFullScreen()
        self.raise_()
        self.activateWindow()

    # ------------------------------------------------------------------ internals

    def _show_layer(self) -> None:
        name = self._layer_names[self._layer]
        if self._grids:
            shape = " × ".join(str(d) for d in self._shapes[self._layer])
            self.layer_title.setText(f"{name} · {shape} · 64 feature maps (L: next layer)")
            self.mosaic.set_rgba(self._grids[self._layer])
        else:
            self.layer_title.setText(f"{name} · 64 feature maps (L: next layer)")
            self.mosaic.set_rgba(None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """The presenter's keys (the canvas passes every key on to here)."""
        key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        standard = QKeySequence.StandardKey
        if key in (Qt.Key.Key_Escape, Qt.Key.Key_F11):
            self.sig_exit_requested.emit()
        elif key == Qt.Key.Key_L:
            self.cycle_layer(-1 if shift else 1)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.sig_key_action.emit("clear")
        elif event.matches(standard.Undo):
            self.sig_key_action.emit("undo")
        elif event.matches(standard.Redo) or (key == Qt.Key.Key_Y and event.modifiers()
                                              & Qt.KeyboardModifier.ControlModifier):
            self.sig_key_action.emit("redo")
        elif key == Qt.Key.Key_F5:
            self.sig_key_action.emit("replay")
        elif key == Qt.Key.Key_F6:
            self.sig_key_action.emit("challenge")
        elif key == Qt.Key.Key_N:
            self.sig_key_action.emit("next round")
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sig_exit_requested.emit()  # the main window takes its canvas back
        super().closeEvent(event)
