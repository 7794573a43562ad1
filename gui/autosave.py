"""Autosave and crash recovery: the drawing is written to the user's data folder shortly after
every change (and on close), and put back on the page at the next start.

The file is JSON: ``{"version": 1, "strokes": [{"erase": false, "points": [[x, y, width],
...]}, ...], "background": null}`` (a background picture, when there is one, is stored as its
width, height and base64 grayscale pixels). Python writes floats so that they read back
exactly, so a restored drawing is the very drawing that was saved. Writes are atomic
(``model.atomic.atomic_path``): a kill mid-write leaves the previous autosave intact.

A file that cannot be read back is moved aside (``autosave.json.corrupt``) and reported in one
line; it never stops the app from starting.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from PySide6.QtGui import QImage

from gui.canvas import PAGE_SIZE, Canvas, PageState, Stroke
from gui.qimage import qimage_to_gray
from model.atomic import atomic_path

DATA_DIR_ENV = "SKETCHSCOPE_DATA_DIR"  # overrides the data folder (tests, portable installs)
AUTOSAVE_NAME = "autosave.json"
AUTOSAVE_DELAY_MS = 500  # after the last change: a burst of pen movement makes one write
FORMAT_VERSION = 1


class AutosaveError(ValueError):
    """An autosave file that cannot be read back; the message is one line."""


def data_dir() -> Path:
    """Where the autosave lives: $SKETCHSCOPE_DATA_DIR, else Qt's AppDataLocation."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def state_to_json(state: PageState) -> str:
    """The page's background and strokes as JSON text (floats round-trip exactly)."""
    background = None
    if state.background is not None:
        gray = qimage_to_gray(state.background)
        background = {"width": int(gray.shape[1]), "height": int(gray.shape[0]),
                      "gray": base64.b64encode(gray.tobytes()).decode("ascii")}
    strokes = [{"erase": s.erase, "points": [list(p) for p in s.points]} for s in state.strokes]
    return json.dumps({"version": FORMAT_VERSION, "strokes": strokes, "background": background})


def state_from_json(text: str) -> PageState:
    """Parse :func:`state_to_json`'s output. Raises AutosaveError for anything else."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise AutosaveError("not a Sketchscope autosave (unknown format)")
        strokes = tuple(_stroke(s) for s in data["strokes"])
        background = _background(data.get("background"))
    except AutosaveError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # JSON or shape errors
        message = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AutosaveError(f"unreadable autosave ({message})") from None
    return PageState(background=background, strokes=strokes)


def _stroke(item: dict) -> Stroke:
    if not isinstance(item["erase"], bool) or not item["points"]:
        raise ValueError("a stroke needs a true/false 'erase' and at least one point")
    points = []
    for point in item["points"]:
        if len(point) != 3 or not all(isinstance(v, (int, float)) for v in point):
            raise ValueError(f"a point is not [x, y, width]: {str(point)[:40]}")
        points.append(tuple(float(v) for v in point))
    if not all(np.isfinite(points).ravel()):
        raise ValueError("a point is not a finite number")
    return Stroke(erase=item["erase"], points=points)


def _background(item: dict | None) -> QImage | None:
    if item is None:
        return None
    width, height = int(item["width"]), int(item["height"])
    if not (0 < width <= PAGE_SIZE and 0 < height <= PAGE_SIZE):
        raise ValueError(f"background of {width} x {height} pixels does not fit the page")
    gray = np.frombuffer(base64.b64decode(item["gray"], validate=True), np.uint8)
    if gray.size != width * height:
        raise ValueError("background pixels do not match its size")
    gray = gray.reshape(height, width).copy()
    return QImage(gray.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


def read_autosave(path: str | os.PathLike) -> PageState | None:
    """The saved page, or None when there is no autosave. Raises AutosaveError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise AutosaveError(f"unreadable autosave ({type(exc).__name__})") from None
    return state_from_json(text)


def write_autosave(path: str | os.PathLike, state: PageState) -> None:
    """Write ``state`` atomically: the old file stays whole until the new one replaces it."""
    with atomic_path(path) as tmp:
        tmp.write_text(state_to_json(state), encoding="utf-8")


class Autosaver(QObject):
    """Keeps ``canvas``'s finished drawing saved in ``folder``, a moment after every change."""

    sig_message = Signal(str)
    """A one-line message for the status bar (restored, or why saving/restoring failed)."""

    def __init__(self, canvas: Canvas, folder: str | os.PathLike, parent: QObject | None = None):
        super().__init__(parent)
        self._canvas = canvas
        self.path = Path(folder) / AUTOSAVE_NAME
        self._saved: PageState | None = None  # the state last written (or read)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)
        canvas.sig_history_changed.connect(self._timer.start)
        canvas.sig_image_changed.connect(self._timer.start)

    def pending(self) -> bool:
        """A change is waiting for the timer."""
        return self._timer.isActive()

    def restore(self) -> bool:
        """Put the autosaved drawing on the canvas; True if there was one with ink in it."""
        try:
            state = read_autosave(self.path)
        except AutosaveError as exc:
            aside = self.path.with_name(self.path.name + ".corrupt")
            try:
                os.replace(self.path, aside)
                where = f"moved aside to {aside.name}"
            except OSError:
                where = "left in place"
            self.sig_message.emit(f"Could not restore your last drawing: {exc}; {where}")
            return False
        if state is None or state.empty:
            self._saved = self._canvas.state()
            return False
        self._canvas.restore_state(state)
        self._saved = self._canvas.state()
        self._timer.stop()  # what is on the page is what is on disk
        self.sig_message.emit("Restored your last drawing")
        return True

    def save_now(self) -> None:
        """Write the finished drawing now, if it changed since the last write."""
        self._timer.stop()
        state = self._canvas.state()
        if state is self._saved:
            return
        try:
            write_autosave(self.path, state)
        except OSError as exc:
            self.sig_message.emit(f"Could not autosave the drawing: {exc.strerror or exc}")
            return
        self._saved = state
