"""Autosave and crash recovery: the drawing is written to the app's data folder
(``gui.files.data_dir``) shortly after every change (and on close), and put back on the page at
the next start.

The file is a drawing in ``model.drawing``'s JSON format (strokes of [x, y, width] points and
the background's base64 grayscale pixels; older autosaves without its "format" key read too).
Floats are written so that they read back exactly, so a restored drawing is the very drawing
that was saved. Writes are atomic (``model.atomic.atomic_path``): a kill mid-write leaves the
previous autosave intact.

A file that cannot be read back is moved aside (``autosave.json.corrupt``) and reported in one
line; it never stops the app from starting.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from gui.views.canvas import Canvas
from model.atomic import atomic_path
from model.drawing import (
    MAX_FILE_BYTES,
    Drawing,
    DrawingFileError,
    drawing_from_json,
    drawing_to_json,
)
from model.regular_file import read_regular_file

AUTOSAVE_NAME = "autosave.json"
AUTOSAVE_DELAY_MS = 500  # after the last change: a burst of pen movement makes one write


class AutosaveError(ValueError):
    """An autosave file that cannot be read back (or a page no file may hold); the message is one line."""


def read_autosave(path: str | os.PathLike) -> Drawing | None:
    """The saved drawing, or None when there is no autosave. Raises AutosaveError."""
    path = Path(path)
    try:  # a regular file of a drawing's size only: a FIFO put there would block the start
        text = read_regular_file(path, MAX_FILE_BYTES).decode("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AutosaveError(f"unreadable autosave ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise AutosaveError("unreadable autosave (not UTF-8 text)") from None
    try:
        return drawing_from_json(text)
    except DrawingFileError as exc:
        raise AutosaveError(str(exc)) from None


def write_autosave(path: str | os.PathLike, drawing: Drawing) -> None:
    """Write ``drawing`` atomically: the old file stays whole until the new one replaces it.

    Raises OSError, or AutosaveError for a drawing no file may hold (say, a script's NaN point).
    """
    try:
        text = drawing_to_json(drawing)  # before the temporary file: what it cannot hold writes nothing
    except DrawingFileError as exc:
        raise AutosaveError(str(exc)) from None
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


class Autosaver(QObject):
    """Keeps ``canvas``'s finished drawing saved in ``folder``, a moment after every change."""

    sig_message = Signal(str)
    """A one-line message for the status bar (restored, or why saving/restoring failed)."""

    def __init__(self, canvas: Canvas, folder: str | os.PathLike, parent: QObject | None = None):
        super().__init__(parent)
        self._canvas = canvas
        self.path = Path(folder) / AUTOSAVE_NAME
        self._saved: Drawing | None = None  # the drawing last written (or read)
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
            drawing = read_autosave(self.path)
        except AutosaveError as exc:
            aside = self.path.with_name(self.path.name + ".corrupt")
            try:
                os.replace(self.path, aside)
                where = f"moved aside to {aside.name}"
            except OSError:
                where = "left in place"
            self.sig_message.emit(f"Could not restore your last drawing: {exc}; {where}")
            return False
        if drawing is None or drawing.empty:
            self._saved = self._canvas.drawing()
            return False
        self._canvas.restore_drawing(drawing)
        self._saved = self._canvas.drawing()
        self._timer.stop()  # what is on the page is what is on disk
        self.sig_message.emit("Restored your last drawing")
        return True

    def save_now(self) -> None:
        """Write the finished drawing now, if it changed since the last write."""
        self._timer.stop()
        drawing = self._canvas.drawing()
        if drawing is self._saved:
            return
        try:
            write_autosave(self.path, drawing)
        except OSError as exc:
            self.sig_message.emit(f"Could not autosave the drawing: {exc.strerror or exc}")
            return
        except AutosaveError as exc:  # a stroke no file may hold (a script's NaN, say)
            self.sig_message.emit(f"Could not autosave the drawing: {exc}")
            return
        self._saved = drawing
