"""The "what the network sees" view: the 28 x 28 input, enlarged, with its pixel grid; the live
view and the Explore view both show the network input with it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.qimage import array_to_qimage
from gui.views.canvas import paint_outline

GRID_ALPHA = 110  # how far grid lines are pulled towards grey: they read on black and white


class InputView(QWidget):
    """Shows a (28, 28) uint8 image (ink bright) as large square pixels with grid lines.

    The enlarged picture, grid included, is made in NumPy once per image and widget size, so a
    repaint is a single unscaled copy.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(112, 112)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent covers it all
        self._pixels: np.ndarray | None = None
        self._placeholder = "Draw something"
        self._enlarged: tuple[tuple[int, int], np.ndarray, QImage] | None = None  # cache
        self._outline: tuple[int, int, int, int] | None = None  # top, left, height, width
        self._overlay: tuple[np.ndarray, QImage] | None = None  # RGBA over the pixels
        self.version = 0  # bumped by every change; ``painted_version`` catches up on paint
        self.painted_version = 0

    def sizeHint(self) -> QSize:
        return QSize(224, 224)

    def pixels(self) -> np.ndarray | None:
        return self._pixels

    def set_pixels(self, pixels: np.ndarray | None, placeholder: str = "") -> None:
        """Show ``pixels`` ((H, W) uint8), or nothing but ``placeholder`` when it is None."""
        self._pixels = None if pixels is None else np.ascontiguousarray(pixels, np.uint8)
        if placeholder:
            self._placeholder = placeholder
        self._enlarged = None
        self.version += 1
        self.update()

    def outline(self) -> tuple[int, int, int, int] | None:
        """The outlined rectangle, (top, left, height, width) in input pixels, or None."""
        return self._outline

    def set_outline(self, rect) -> None:
        """Outline a rectangle of input pixels (a ``model.explain.Rect``: top, left, height,
        width); None removes the outline."""
        box = None if rect is None else (int(rect.top), int(rect.left), int(rect.height), int(rect.width))
        if box != self._outline:
            self._outline = box
            self.update()

    def overlay(self) -> np.ndarray | None:
        """The RGBA picture laid over the pixels, or None."""
        return None if self._overlay is None else self._overlay[0]

    def set_overlay(self, rgba: np.ndarray | None) -> None:
        """Lay an (H, W, 4) uint8 RGBA picture over the pixels (stretched); None removes it."""
        if rgba is None:
            if self._overlay is None:
                return  # nothing to take away: every stroke asks, and a repaint costs a frame
            self._overlay = None
        else:
            pixels = np.ascontiguousarray(rgba, np.uint8)
            self._overlay = (pixels, array_to_qimage(pixels))
        self.update()

    def _cell_rect(self) -> tuple[QRect, int]:
        """The largest centred square made of whole cells, and the cell size."""
        n = 28 if self._pixels is None else self._pixels.shape[0]
        cell = max(1, min(self.width(), self.height()) // n)
        side = cell * n
        return QRect((self.width() - side) // 2, (self.height() - side) // 2, side, side), cell

    def _enlarged_image(self, cell: int) -> QImage:
        """The pixels as cell x cell squares with a grey grid line along each square's edge."""
        key = (self.version, cell)
        if self._enlarged is None or self._enlarged[0] != key:
            big = enlarge_with_grid(self._pixels, cell)
            # Converted once: a grey image is converted to the screen's format on every paint.
            self._enlarged = (key, big, array_to_qimage(big).convertToFormat(QImage.Format.Format_RGB32))
        return self._enlarged[2]

    def paintEvent(self, event: QPaintEvent) -> None:
        with QPainter(self) as painter:
            painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Window))
            rect, cell = self._cell_rect()
            if self._pixels is None:
                painter.fillRect(rect, self.palette().color(QPalette.ColorRole.Base))
                painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                 self._placeholder)
            else:
                painter.drawImage(rect.topLeft(), self._enlarged_image(cell))
                if self._overlay is not None:
                    painter.drawImage(rect, self._overlay[1])
                if self._outline is not None:
                    top, left, height, width = self._outline
                    paint_outline(painter, QRect(rect.x() + left * cell, rect.y() + top * cell,
                                                 width * cell, height * cell).toRectF())
            painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        self.painted_version = self.version


def enlarge_with_grid(pixels: np.ndarray, cell: int) -> np.ndarray:
    """(H, W) uint8 -> (H*cell, W*cell) uint8 squares; with cell >= 4 the first row and column
    of every square are pulled towards mid grey, so the grid shows on black and on white."""
    big = np.repeat(np.repeat(pixels, cell, axis=0), cell, axis=1)
    if cell >= 4:
        for lines in (big[::cell, :], big[:, ::cell]):
            lines[...] = (lines.astype(np.uint16) * (255 - GRID_ALPHA) + 128 * GRID_ALPHA) // 255
    return np.ascontiguousarray(big)
