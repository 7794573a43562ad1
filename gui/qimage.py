"""NumPy arrays <-> QImage without per-pixel loops (after pyqtgraph's ``ndarray_to_qimage``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from model.atomic import atomic_path

_FORMATS = {
    1: QImage.Format.Format_Grayscale8,
    3: QImage.Format.Format_RGB888,
    4: QImage.Format.Format_RGBA8888,
}


def array_to_qimage(array: np.ndarray) -> QImage:
    """A (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA uint8 array -> a QImage sharing its memory.

    The QImage does not copy the pixels: keep ``array`` alive as long as the image (the widgets
    store both side by side) or call ``.copy()`` on the result.
    """
    if array.dtype != np.uint8:
        raise TypeError(f"expected uint8 pixels, got {array.dtype}")
    channels = 1 if array.ndim == 2 else array.shape[2]
    if array.ndim not in (2, 3) or channels not in _FORMATS:
        raise ValueError(f"expected (H, W), (H, W, 3) or (H, W, 4), got shape {array.shape}")
    if not array.flags.c_contiguous:
        raise ValueError("the array must be C-contiguous (use np.ascontiguousarray)")
    height, width = array.shape[:2]
    return QImage(array.data, width, height, array.strides[0], _FORMATS[channels])


def qimage_to_gray(image: QImage) -> np.ndarray:
    """A QImage of any format -> a new (H, W) uint8 gray array (alpha is ignored)."""
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(gray.constBits(), np.uint8).reshape(gray.height(), gray.bytesPerLine())
    return rows[:, : gray.width()].copy()


def grey_page_to_gray(image: QImage) -> np.ndarray:
    """An RGB32 QImage whose every pixel is grey (the canvas's page: white paper, grey ink, grey
    pictures) -> a new (H, W) uint8 array: one channel, copied. Read on every stroke, this is
    several times faster than Qt's conversion, whose weighting ((11 r + 16 g + 5 b) / 32) gives
    the same value where the channels agree."""
    if image.format() != QImage.Format.Format_RGB32:
        raise ValueError(f"expected an RGB32 page, got {image.format()}")
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return np.ascontiguousarray(rows[:, 0 : 4 * image.width() : 4])  # blue: byte 0 of 0xffRRGGBB


def qimage_to_rgba(image: QImage) -> np.ndarray:
    """A QImage of any format -> a new (H, W, 4) uint8 RGBA array."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    rows = np.frombuffer(rgba.constBits(), np.uint8).reshape(rgba.height(), rgba.bytesPerLine())
    return rows[:, : 4 * rgba.width()].reshape(rgba.height(), rgba.width(), 4).copy()


def save_widget_png(widget: QWidget, path: str | os.PathLike) -> Path:
    """What ``widget`` shows now, as a PNG file written atomically. Raises OSError."""
    pixmap = widget.grab()
    target = Path(path)
    with atomic_path(target) as tmp:
        if not pixmap.save(str(tmp), "PNG"):
            raise OSError(f"could not write {target}")
    return target
