"""Stroke replay: the drawing redrawn stroke by stroke, with the network's mind as it grew.

:class:`ReplayController` takes the canvas's finished drawing, renders the page after each
stroke (through the canvas's own renderer, so every step is a page the user could have had)
and asks the inference worker for the probabilities of every step in one job: the timeline.
Meanwhile it animates the drawing on the canvas as a *preview* (the drawing and its undo
history are untouched), point by point at an adjustable speed, so the live bars and feature
maps follow the replay too. Any change to the drawing (a stroke, an opened file, a test image,
a wiped page) ends a replay.

:class:`ReplayPanel` holds the controls and the timeline plot.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from gui.demos.timeline import TimelinePlot
from gui.engine_client import EngineClient
from gui.jobs import Timeline
from gui.settings import read_float
from gui.views.canvas import Canvas, render_drawing
from model.drawing import Drawing, StrokeData, step_drawings

STROKE_MS = 700.0  # one stroke at 1x speed
PAUSE_MS = 250.0  # between strokes at 1x speed
FRAME_MS = 16  # the animation's tick: about 60 frames a second
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # the speed slider's stops


class ReplayController(QObject):
    """Replays ``canvas``'s drawing and computes its timeline through ``client``."""

    sig_timeline_ready = Signal(object, object)
    """The timeline is known: ((steps, 10) probabilities with NaN rows for empty pages, seconds
    from the start of the replay to the answer)."""

    sig_step_changed = Signal(int)
    """The replay shows the drawing after this step (0-based); -1 before the first stroke."""

    sig_running_changed = Signal(bool)
    """The replay started (True) or ended or paused (False)."""

    sig_message = Signal(str)
    """A one-line status message."""

    def __init__(self, canvas: Canvas, client: EngineClient, parent: QObject | None = None):
        super().__init__(parent)
        self._canvas = canvas
        self._client = client
        self._speed = 1.0
        self._drawing: Drawing | None = None  # the drawing being replayed
        self._started = 0.0
        self._probabilities: np.ndarray | None = None
        self._stroke = 0  # the stroke being drawn now
        self._elapsed = 0.0  # ms into the stroke (and the pause after it)
        self._step = -1
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._on_tick)
        self._last_tick = 0.0
        client.sig_timeline_ready.connect(self._on_timeline_ready)
        canvas.sig_preview_ended.connect(self._on_preview_ended)

    # ------------------------------------------------------------------ public API

    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        self._speed = float(min(max(speed, SPEEDS[0]), SPEEDS[-1]))

    def active(self) -> bool:
        """A replay is on the page (running or paused)."""
        return self._drawing is not None and self._canvas.preview() is not None

    def _current(self) -> bool:
        """The drawing last replayed is still the canvas's drawing (so seeking makes sense)."""
        return self._drawing is not None and self._canvas.drawing() is self._drawing

    def running(self) -> bool:
        return self._timer.isActive()

    def steps(self) -> int:
        return len(self._drawing.strokes) if self._current() else 0

    def step(self) -> int:
        return self._step

    def probabilities(self) -> np.ndarray | None:
        """The last timeline: (steps, 10), NaN rows for empty pages; None until it arrives."""
        return self._probabilities

    def start(self, dataset: str | None = None) -> bool:
        """Replay the canvas's drawing from its first stroke; False when there is none."""
        self.stop()
        drawing = self._canvas.drawing()
        if not drawing.strokes:
            self.sig_message.emit("Nothing to replay: draw something first")
            return False
        self._started = time.perf_counter()
        self._drawing = drawing
        self._probabilities = None
        pages = [render_drawing(d) for d in step_drawings(drawing)]
        self._client.request_timeline(pages, dataset)
        self._stroke, self._elapsed, self._step = 0, 0.0, -1
        self._show(())
        self.resume()
        return True

    def pause(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.sig_running_changed.emit(False)

    def resume(self) -> None:
        if not self._current():
            self.start()
            return
        if self._stroke >= len(self._drawing.strokes):  # at the end: from the start again
            self._stroke, self._elapsed = 0, 0.0
            self._set_step(-1)
            self._show(())
        self._last_tick = time.perf_counter()
        self._timer.start()
        self.sig_running_changed.emit(True)

    def toggle(self) -> None:
        """Play or pause (Space in the panel)."""
        if self.running():
            self.pause()
        else:
            self.resume()

    def seek(self, step: int) -> None:
        """Show the drawing after ``step`` (0-based), paused."""
        if not self._current():
            return
        self.pause()
        step = int(min(max(step, -1), len(self._drawing.strokes) - 1))
        self._stroke, self._elapsed = step + 1, 0.0
        self._show(self._drawing.strokes[: step + 1])
        self._set_step(step)

    def stop(self) -> None:
        """End the replay: the page shows the drawing again."""
        was = self._drawing is not None
        self._timer.stop()
        self._drawing = None
        self._canvas.set_preview(None)
        if was:
            self.sig_running_changed.emit(False)

    # ------------------------------------------------------------------ animation

    def _show(self, strokes: tuple[StrokeData, ...]) -> None:
        """Preview the drawing's background with ``strokes`` over it."""
        self._canvas.set_preview(Drawing(strokes, self._drawing.background))

    def _set_step(self, step: int) -> None:
        if step != self._step:
            self._step = step
            self.sig_step_changed.emit(step)

    def _on_tick(self) -> None:
        now = time.perf_counter()
        self._elapsed += (now - self._last_tick) * 1000.0 * self._speed
        self._last_tick = now
        self.advance(0.0)

    def advance(self, ms: float) -> None:
        """Move the replay on by ``ms`` milliseconds at 1x (the timer calls it with 0 after
        adding the real time; tests call it directly)."""
        if self._drawing is None:
            return
        self._elapsed += ms
        strokes = self._drawing.strokes
        while self._stroke < len(strokes) and self._elapsed >= STROKE_MS + PAUSE_MS:
            self._elapsed -= STROKE_MS + PAUSE_MS
            self._stroke += 1
        if self._stroke >= len(strokes):  # the end: the last step is the drawing itself
            self._set_step(len(strokes) - 1)
            self._finish()
            return
        done = strokes[: self._stroke]
        if self._elapsed >= STROKE_MS:  # the pause after a stroke: it is complete
            shown = (*done, strokes[self._stroke])
            self._set_step(self._stroke)
        else:
            stroke = strokes[self._stroke]
            n = max(1, int(np.ceil(len(stroke.points) * self._elapsed / STROKE_MS)))
            shown = (*done, StrokeData(stroke.erase, stroke.points[:n]))
            self._set_step(self._stroke - 1)
        self._show(shown)

    def _finish(self) -> None:
        self._timer.stop()
        self._canvas.set_preview(None)
        self.sig_running_changed.emit(False)

    # ------------------------------------------------------------------ answers

    def _on_timeline_ready(self, answer: Timeline) -> None:
        if answer.error:
            self.sig_message.emit(f"No timeline: {answer.error}")
            return
        self._probabilities = answer.probabilities
        self.sig_timeline_ready.emit(answer.probabilities, time.perf_counter() - self._started)

    def _on_preview_ended(self) -> None:
        """The drawing changed under the replay (the user drew, opened or wiped something):
        the replay ends, the drawing is theirs again."""
        self.stop()


class ReplayPanel(QWidget):
    """Play / pause, step, stop, speed, and the timeline of the top-3 probabilities."""

    def __init__(self, controller: ReplayController, settings: QSettings | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self._settings = settings
        self._names: tuple[str, ...] = ()
        self.play_button = QPushButton("▶ Replay")
        self.play_button.setToolTip("Replay the drawing stroke by stroke (F5)")
        self.back_button = QPushButton("◀ Step")
        self.forward_button = QPushButton("Step ▶")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("End the replay (Esc); the drawing stays as it is")
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setMaximumWidth(140)
        self.speed_label = QLabel()
        self.info = QLabel("Replay a drawing to see when the network changes its mind.")
        self.info.setWordWrap(True)
        self.plot = TimelinePlot()
        controls = QHBoxLayout()
        for button in (self.play_button, self.back_button, self.forward_button, self.stop_button):
            controls.addWidget(button)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Speed"))
        controls.addWidget(self.speed_slider)
        controls.addWidget(self.speed_label)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(controls)
        layout.addWidget(self.info)
        layout.addWidget(self.plot, 1)

        self.play_button.clicked.connect(controller.toggle)
        self.back_button.clicked.connect(lambda: self._step_by(-1))
        self.forward_button.clicked.connect(lambda: self._step_by(1))
        self.stop_button.clicked.connect(controller.stop)
        self.speed_slider.valueChanged.connect(self._on_speed_changed)
        self.plot.sig_step_clicked.connect(controller.seek)
        controller.sig_timeline_ready.connect(self._on_timeline_ready)
        controller.sig_step_changed.connect(self._on_step_changed)
        controller.sig_running_changed.connect(self._on_running_changed)
        speed = 1.0 if settings is None else read_float(settings, "replay/speed", 1.0,
                                                         min(SPEEDS), max(SPEEDS))
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
        self.speed_slider.setValue(index)
        self._on_speed_changed(index)
        self._on_running_changed(False)

    def set_class_names(self, names: tuple[str, ...]) -> None:
        """The current dataset's class names (for the plot's legend)."""
        self._names = tuple(names)

    def _step_by(self, delta: int) -> None:
        self.controller.seek(self.controller.step() + delta)

    def _on_speed_changed(self, index: int) -> None:
        speed = SPEEDS[index]
        self.controller.set_speed(speed)
        self.speed_label.setText(f"{speed:g}×")
        if self._settings is not None:
            self._settings.setValue("replay/speed", speed)

    def _on_timeline_ready(self, probabilities: np.ndarray, seconds: float) -> None:
        self.plot.set_timeline(probabilities, self._names)
        self.plot.set_cursor(self.controller.step() if self.controller.active() else None)
        changes = len(self.plot.changes())
        self.info.setText(
            f"{len(probabilities)} strokes · timeline computed in {seconds:.2f} s · "
            f"the network changed its mind {changes} time{'s' if changes != 1 else ''}. "
            "Click the plot to jump to a stroke.")

    def _on_step_changed(self, step: int) -> None:
        self.plot.set_cursor(step if self.controller.active() else None)
        self._refresh_buttons()

    def _on_running_changed(self, running: bool) -> None:
        self.play_button.setText("❚❚ Pause" if running else "▶ Replay")
        self._refresh_buttons()
        if not running and not self.controller.active():
            self.plot.set_cursor(None)

    def _refresh_buttons(self) -> None:
        has = self.controller.steps() > 0
        self.back_button.setEnabled(has)
        self.forward_button.setEnabled(has)
        self.stop_button.setEnabled(self.controller.active())
