"""``python main.py [--dataset mnist|fashion]``: start the app (main.py parses the command line).

The window is shown at once; TensorFlow and the models load in the inference thread.

For the start-up benchmark, ``SKETCHSCOPE_EXIT_WHEN=shown`` prints ``sketchscope-shown <unix
time>`` once the window's first frame is painted and quits; ``SKETCHSCOPE_EXIT_WHEN=ready``
prints ``sketchscope-ready <unix time>`` once the model can predict (or ``sketchscope-error``
if it cannot) and quits.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.about import app_icon
from gui.files import DataFolderBusy, data_dir, lock_data_folder
from gui.main_window import APP_NAME, MainWindow

EXIT_WHEN = "SKETCHSCOPE_EXIT_WHEN"


class _FirstPaint(QObject):
    """Calls ``done`` once, right after ``widget`` has painted its first frame."""

    def __init__(self, widget, done):
        super().__init__(widget)
        self._done = done
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._done is not None:
            done, self._done = self._done, None
            QTimer.singleShot(0, done)  # after this paint has finished
        return False


def _report(event: str) -> None:
    """Print the benchmark's timestamp and leave at once (not waiting for TensorFlow)."""
    print(f"sketchscope-{event} {time.time():.6f}", flush=True)
    os._exit(0)


def main(dataset: str | None = None) -> int:
    """Open the window on ``dataset`` (None: the one used last) and run until it closes."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("sketchscope")  # the launcher make install-desktop writes
    folder = data_dir()
    try:
        lock = lock_data_folder(folder)  # held until this function returns
    except DataFolderBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        QMessageBox.warning(None, APP_NAME, str(exc))
        return 1
    window = MainWindow(dataset=dataset, data_folder=folder)

    exit_when = os.environ.get(EXIT_WHEN, "")
    if exit_when == "shown":
        _FirstPaint(window.canvas, lambda: _report("shown"))
    elif exit_when == "ready":
        def on_model_changed(dataset: str, state: str, _message: str) -> None:
            if dataset == window.dataset and state in ("ready", "error"):
                _report("ready" if state == "ready" else "error")

        window.client.sig_model_changed.connect(on_model_changed)
    window.show()
    code = app.exec()
    if window.isVisible():  # quit by the benchmark rather than by closing the window
        window.close()
    if lock is not None:
        lock.unlock()
    return code
