"""The feature maps: each of the four layers' 64 maps as an 8 x 8 mosaic, all four at once."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.colormap import GAP, GRID
from gui.qimage import array_to_qimage

MIN_MAP_PIXELS = 16  # the smallest a first-layer map is drawn in the window


class MosaicView(QWidget):
    """Paints one RGBA mosaic, scaled to fit with square pixels (no smoothing)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(96, 96)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent covers it all
        self._rgba: np.ndarray | None = None  # kept alive: the QImage shares its memory
        self._image = None
        self.version = 0  # bumped by every change; ``painted_version`` catches up on paint
        self.painted_version = 0

    def sizeHint(self) -> QSize:
        return QSize(220, 220)

    def rgba(self) -> np.ndarray | None:
        return self._rgba

    def set_rgba(self, rgba: np.ndarray | None) -> None:
        if rgba is None:
            self._rgba, self._image = None, None
        else:
            self._rgba = np.ascontiguousarray(rgba, np.uint8)
            # Converted once here: drawn as RGBA8888 it would be converted on every paint.
            self._image = array_to_qimage(self._rgba).convertToFormat(
                QImage.Format.Format_ARGB32_Premultiplied)
        self.version += 1
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        with QPainter(self) as painter:
            painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Window))
            side = float(min(self.width(), self.height()))
            target = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
            if self._image is None:
                painter.fillRect(target, self.palette().color(QPalette.ColorRole.Base))
            else:
                painter.fillRect(target, self._gap_colour())  # shows through the gaps
                painter.drawImage(target, self._image)
        self.painted_version = self.version


    def _gap_colour(self) -> QColor:
        """The window's colour on a light theme; lighter than it on a dark one, where the
        window is as dark as viridis' darkest maps."""
        window = self.palette().color(QPalette.ColorRole.Window)
        return window if window.lightness() > 128 else window.lighter(220)


class LayerView(QWidget):
    """One layer: its name and output shape above its 8 x 8 mosaic."""

    def __init__(self, name: str, shape: tuple[int, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.mosaic = MosaicView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.mosaic, 1)
        self.set_shape(shape)

    def set_shape(self, shape: tuple[int, ...]) -> None:
        self.title.setText(f"<b>{self.name}</b> {' × '.join(str(d) for d in shape)}")


class FeatureMapsPanel(QWidget):
    """The four layers side by side in a 2 x 2 grid, all visible at once; however little room
    the window leaves them, each map of the first layer is drawn MIN_MAP_PIXELS wide or more."""

    def __init__(self, layers: tuple[tuple[str, tuple[int, ...]], ...], parent=None):
        super().__init__(parent)
        self.layers = [LayerView(name, shape) for name, shape in layers]
        largest = layers[0][1][0]  # the first layer's maps are the largest (26 x 26 for conv1)
        side = math.ceil(MIN_MAP_PIXELS * (GRID * (largest + GAP) - GAP) / largest)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, view in enumerate(self.layers):
            view.mosaic.setMinimumSize(side, side)
            grid.addWidget(view, i // 2, i % 2)

    def set_grids(self, grids: tuple[np.ndarray, ...], shapes: tuple[tuple[int, ...], ...]):
        """Show one mosaic per layer; empty ``grids`` blank them all."""
        for i, view in enumerate(self.layers):
            view.mosaic.set_rgba(grids[i] if grids else None)
            if shapes:
                view.set_shape(shapes[i])

    def grids(self) -> list[np.ndarray | None]:
        return [view.mosaic.rgba() for view in self.layers]

    def painted(self) -> bool:
        """Has every mosaic been repainted since its last change?"""
        return all(v.mosaic.painted_version == v.mosaic.version for v in self.layers)
