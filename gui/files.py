"""Files in and out: pictures and drawings opened, pasted or dropped onto the page; the drawing
saved as PNG, or with its strokes as JSON or SVG; the network input and the feature maps
exported as PNG files; and the app's data folder (the autosave and the gallery live there).

Reading pictures goes through ``model.imageio`` (the CLI's reader): every failure is an
:class:`ImageFileError` with a one-line message naming the file. Every write goes through
``model.atomic.atomic_path``, so a failed save never leaves half a file behind.

:class:`FileActions` carries out the window's file commands: it asks for file names, puts
what was opened on the canvas, and reports in one line (``sig_message``, or a warning dialog
when something could not be done). It never reaches into the window: what it needs of it (the
dataset, the result on screen) it is given as two functions.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QLockFile, QObject, QSettings, QStandardPaths, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from gui.colormap import mosaic_for_export
from gui.jobs import LiveResult
from gui.qimage import qimage_to_rgba
from gui.settings import read_text
from gui.views.canvas import Canvas
from model.architecture import FEATURE_LAYERS
from model.atomic import atomic_path
from model.datasets import DATASETS
from model.drawing import DRAWING_SUFFIXES, DrawingFileError, read_drawing, write_drawing

DATA_DIR_ENV = "SKETCHSCOPE_DATA_DIR"  # overrides the data folder (tests, portable installs)
LOCK_NAME = "sketchscope.lock"  # in the data folder, while a Sketchscope uses it
SAVE_SIZE = 560  # pixels of a saved drawing (twice the working page)
IMAGE_FILTER = ("Images and drawings (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.json *.svg)"
                ";;Drawings with strokes (*.json *.svg);;All files (*)")
SAVE_FILTERS = {  # Save Drawing As: the format follows the chosen filter or the typed suffix
    "PNG image (*.png)": ".png",
    "Drawing with strokes, JSON (*.json)": ".json",
    "Drawing with strokes, SVG (*.svg)": ".svg",
}
PNG_FILTERS = {"PNG images (*.png)": ""}  # exports: PNG, as typed (write_png adds the suffix)


def data_dir() -> Path:
    """The app's data folder (autosave, gallery): $SKETCHSCOPE_DATA_DIR, else Qt's
    AppDataLocation."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


class DataFolderBusy(Exception):
    """Another running Sketchscope holds the data folder; the message is one line."""


def lock_data_folder(folder: str | os.PathLike) -> QLockFile | None:
    """Hold ``folder`` for this process: one running Sketchscope per data folder, since two
    would overwrite each other's gallery index and autosave. (Merging on write would save the
    gallery's index, but not the autosave: a folder has one drawing to restore, and a lock
    covers every file the folder will ever hold.) Returns the held lock, to keep
    for the life of the process (or None when no lock can be made: a folder no lock can be
    written in takes no autosave or gallery either). Raises DataFolderBusy when another running
    Sketchscope holds it. A lock left by a process that died (a crash, kill -9) is taken over.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    lock = QLockFile(str(folder / LOCK_NAME))
    lock.setStaleLockTime(0)  # stale only when its process is gone: a session lasts for hours
    if lock.tryLock(0):
        return lock
    if lock.error() != QLockFile.LockError.LockFailedError:
        return None
    info = lock.getLockInfo()
    pid = f" (process {info[0]})" if isinstance(info, tuple) and info and info[0] else ""
    raise DataFolderBusy(
        f"Sketchscope is already running{pid} with the data folder {folder}; one window keeps "
        f"its drawings there at a time, so this one is not opened. To run another beside it, "
        f"give it a folder of its own: {DATA_DIR_ENV}=/another/folder")


# ---------------------------------------------------------------- pictures in, PNG files out


class ImageFileError(Exception):
    """An image file cannot be opened; the message is one line for the user."""


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An image file -> uint8/uint16 array (H, W), (H, W, 2..4), via ``model.imageio``.

    Images over ``model.imageio.MAX_PIXELS`` (50 megapixels) are refused from their header,
    before anything is decoded.
    """
    from model.imageio import ImageLoadError, load_image  # Pillow: imported when a file comes in

    try:
        return load_image(path)
    except ImageLoadError as exc:
        raise ImageFileError(f"{Path(path).name}: {exc}") from None


def page_from_picture(picture: np.ndarray) -> np.ndarray:
    """Any picture (gray/RGB/RGBA, either polarity) -> (H, W) uint8, dark ink on white paper.

    The canvas always shows dark ink on a white page, so a light-on-dark picture (say, an MNIST
    sample) is turned around; transparency counts as paper.
    """
    from model.preprocess import to_ink  # SciPy: imported only when a picture comes in

    ink = to_ink(picture)
    return np.ascontiguousarray(np.rint(255.0 * (1.0 - ink)).astype(np.uint8))


def write_png(path: str | os.PathLike, pixels: np.ndarray) -> Path:
    """Write a (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA uint8 array as a PNG, atomically."""
    from PIL import Image

    path = Path(path)
    if path.suffix.lower() != ".png":
        path = path.with_name(path.name + ".png")
    image = Image.fromarray(np.ascontiguousarray(pixels, np.uint8))
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
    return path


# ---------------------------------------------------------------- the window's file commands


class FileActions(QObject):
    """Open, save, export, paste and drop for ``canvas``; dialogs are parented to ``parent``,
    whose drops it takes. ``dataset`` and ``result`` say what the window shows now."""

    sig_message = Signal(str, int)
    """A one-line status message, and how long to show it (milliseconds)."""

    sig_dataset_wanted = Signal(str)
    """An opened drawing was saved with this dataset: classify it as that."""

    def __init__(self, canvas: Canvas, settings: QSettings, parent: QWidget,
                 dataset: Callable[[], str], result: Callable[[], LiveResult | None]):
        super().__init__(parent)
        self._canvas, self._settings = canvas, settings
        self._dataset, self._result = dataset, result
        parent.setAcceptDrops(True)
        parent.installEventFilter(self)

    # ------------------------------------------------------------------ opening

    def open_image(self, path: str | os.PathLike) -> bool:
        """Put a picture file (or a drawing with strokes, .json / .svg) on the page. On
        failure: a message, and the drawing stays."""
        if Path(path).suffix.lower() in DRAWING_SUFFIXES:
            return self.open_drawing(path)
        try:
            picture = read_image(path)
        except ImageFileError as exc:
            self._warn("Cannot open the image", str(exc))
            return False
        return self.open_picture(picture, Path(path).name)

    def open_picture(self, picture: np.ndarray, name: str = "the picture") -> bool:
        try:
            page = page_from_picture(picture)
        except ValueError as exc:  # BadImage or a zero-size picture
            self._warn("Cannot open the image", f"{name}: {exc}")
            return False
        self._canvas.set_background(page)
        self.sig_message.emit(f"Opened {name}", 4000)
        return True

    def open_drawing(self, path: str | os.PathLike) -> bool:
        """Put a saved drawing (.json or .svg, with its strokes) on the page: undoable, and
        ready to replay. A drawing saved with a dataset switches to it."""
        try:
            drawing = read_drawing(path)
        except DrawingFileError as exc:
            self._warn("Cannot open the drawing", str(exc))
            return False
        self._canvas.load_drawing(drawing)
        if drawing.dataset in DATASETS:
            self.sig_dataset_wanted.emit(drawing.dataset)
        self.sig_message.emit(
            f"Opened {Path(path).name}: {len(drawing.strokes)} strokes (F5 replays them)", 5000)
        return True

    def ask_open(self) -> None:
        """File > Open: a picture or a drawing, from the folder used last."""
        path, _ = QFileDialog.getOpenFileName(self.parent(), "Open Image", self._last_folder(),
                                              IMAGE_FILTER)
        if path:
            self._remember_folder(path)
            self.open_image(path)

    # ------------------------------------------------------------------ saving and exporting

    def save_drawing(self, path: str | os.PathLike) -> Path:
        """The drawing as a PNG, or with its strokes as .json / .svg (by the suffix)."""
        path = Path(path)
        if path.suffix.lower() in DRAWING_SUFFIXES:
            write_drawing(path, replace(self._canvas.drawing(), dataset=self._dataset()))
            return path
        return write_png(path, self._canvas.render_image(SAVE_SIZE))

    def export_input(self, path: str | os.PathLike) -> Path:
        """The 28 x 28 network input as a PNG (ink bright, as the network gets it)."""
        result = self._result()
        if result is None or result.image is None:
            raise ValueError("there is no network input yet: draw something first")
        return write_png(path, result.image)

    def export_feature_maps(self, path: str | os.PathLike) -> list[Path]:
        """The four 8 x 8 grids as PNGs: ``<stem>-conv1.png`` ... beside ``path``."""
        result = self._result()
        if result is None or not result.grids:
            raise ValueError("there are no feature maps yet: draw something first")
        path = Path(path)
        stem = path.stem if path.suffix.lower() == ".png" else path.name
        return [
            write_png(path.with_name(f"{stem}-{layer}.png"), mosaic_for_export(grid))
            for layer, grid in zip(FEATURE_LAYERS, result.grids, strict=True)
        ]

    def ask_save_drawing(self) -> None:
        self.ask_and_save("Save Drawing", "drawing.png", self.save_drawing, SAVE_FILTERS)

    def ask_export_input(self) -> None:
        self.ask_and_save("Export Network Input", "network-input.png", self.export_input)

    def ask_export_feature_maps(self) -> None:
        self.ask_and_save("Export Feature Maps (one PNG per layer)", "feature-maps.png",
                          self.export_feature_maps)

    def ask_and_save(self, title: str, default_name: str, save: Callable[[Path], object],
                     filters: dict[str, str] = PNG_FILTERS) -> None:
        """Ask for a file name, then ``save(path)``. ``filters`` maps the dialog's filters to
        the suffix added when the typed name has none of theirs."""
        suggestion = str(Path(self._last_folder()) / default_name)
        path, chosen = QFileDialog.getSaveFileName(self.parent(), title, suggestion,
                                                   ";;".join(filters))
        if not path:
            return
        if Path(path).suffix.lower() not in filters.values():
            path += filters.get(chosen, "")
        self._remember_folder(path)
        try:
            written = save(Path(path))
        except (OSError, ValueError) as exc:  # DrawingFileError is a ValueError
            self._warn(title, f"Cannot save {Path(path).name}: {exc}")
            return
        names = ", ".join(p.name for p in (written if isinstance(written, list) else [written]))
        self.sig_message.emit(f"Saved {names}", 5000)

    # ------------------------------------------------------------------ clipboard and drops

    def paste(self) -> bool:
        """Edit > Paste: the clipboard's image, or the file it names."""
        return self.take_mime(QGuiApplication.clipboard().mimeData(), "the clipboard")

    def take_mime(self, mime, where: str) -> bool:
        """Open what a drop or the clipboard carries: a local file, or image data."""
        if mime is None:
            return False
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile():
                return self.open_image(url.toLocalFile())
        if mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                return self.open_picture(qimage_to_rgba(image), f"the image from {where}")
        if mime.hasText() and Path(mime.text().strip()).is_file():
            return self.open_image(mime.text().strip())
        self.sig_message.emit(f"There is no image in {where}", 4000)
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Files and images dragged onto the window (its drag-enter and drop events)."""
        if event.type() == QEvent.Type.DragEnter:
            mime = event.mimeData()
            if mime.hasImage() or any(u.isLocalFile() for u in mime.urls()):
                event.acceptProposedAction()
            return True
        if event.type() == QEvent.Type.Drop:
            if self.take_mime(event.mimeData(), "the drop"):
                event.acceptProposedAction()
            return True
        return False

    # ------------------------------------------------------------------ internals

    def _last_folder(self) -> str:
        return read_text(self._settings, "last_folder", str(Path.home()))

    def _remember_folder(self, path: str) -> None:
        self._settings.setValue("last_folder", str(Path(path).parent))

    def _warn(self, title: str, message: str) -> None:
        QMessageBox.warning(self.parent(), title, message)
