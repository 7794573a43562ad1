"""The exploration's widgets. Each paints plain arrays it is given and reports what the user
does as signals; none of them computes anything with TensorFlow.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from gui import colormap
from gui.colormap import GAP, GRID, cell_at
from gui.explore.maps import ablation_summary, map_stats
from gui.qimage import array_to_qimage
from gui.views.input_view import InputView
from model.explain import LayerFacts, Rect, receptive_field

FIELD_COLOUR = QColor(255, 214, 0)  # the receptive-field outline
SELECTED_COLOUR = QColor(255, 255, 255)
DEAD_COLOUR = QColor(230, 60, 60)
OFF_COLOUR = QColor(20, 20, 20, 190)
HOT_PATCH_COLOUR = QColor(255, 40, 40)

class Picture:
    """A QImage over a NumPy buffer, the buffer kept alive beside the image (no copy, no loop)."""

    __slots__ = ("pixels", "image")

    def __init__(self, pixels: np.ndarray):
        self.pixels = np.ascontiguousarray(pixels, np.uint8)
        self.image = array_to_qimage(self.pixels)

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    @property
    def height(self) -> int:
        return self.pixels.shape[0]


def fit(area: QRectF, width: int, height: int, margin: float = 2.0) -> QRectF:
    """The largest ``width`` x ``height``-shaped rectangle centred in ``area``."""
    area = area.adjusted(margin, margin, -margin, -margin)
    if width <= 0 or height <= 0 or area.width() <= 0 or area.height() <= 0:
        return QRectF()
    scale = min(area.width() / width, area.height() / height)
    w, h = width * scale, height * scale
    return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)


def _painter(widget: QWidget) -> QPainter:
    painter = QPainter(widget)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    return painter


def format_value(value: float) -> str:
    return f"{value:.4f}"


# ---------------------------------------------------------------- the strip of layers


class LayerCard(QFrame):
    """One layer of the strip: name, type, output shape, parameters and why the shape is so."""

    sig_clicked = Signal(str)
    """The card was clicked: the layer's name."""

    def __init__(self, facts: LayerFacts, parent: QWidget | None = None):
        super().__init__(parent)
        self.facts = facts
        self.setObjectName("layerCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setFixedWidth(150)
        shape = " x ".join(str(d) for d in facts.output_shape)
        title = QLabel(f"<b>{facts.name}</b> &nbsp;{facts.kind}")
        numbers = QLabel(f"{shape}<br>{facts.params:,} parameters")
        self.reason = QLabel(facts.reason)
        self.reason.setWordWrap(True)
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() * 0.85, 6.0))
        self.reason.setFont(small)
        self.reason.setStyleSheet("color: palette(mid);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(1)
        for label in (title, numbers, self.reason):
            layout.addWidget(label)
        layout.addStretch(1)
        self.setToolTip(facts.reason)
        self.set_selected(False)

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self.setStyleSheet(
            "#layerCard { border: 2px solid palette(highlight); border-radius: 4px; }" if selected
            else "#layerCard { border: 1px solid palette(mid); border-radius: 4px; }"
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.sig_clicked.emit(self.facts.name)
        super().mousePressEvent(event)


class LayerStrip(QWidget):
    """The network as a strip of its layers, in the model.summary() order."""

    sig_layer_selected = Signal(str)
    """A layer was clicked: its name."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.cards: dict[str, LayerCard] = {}
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.total = QLabel()
        self._layout.addWidget(self.total)

    def set_layers(self, layers: tuple[LayerFacts, ...]) -> None:
        for card in self.cards.values():
            self._layout.removeWidget(card)
            card.deleteLater()
        self.cards = {}
        for index, facts in enumerate(layers):
            card = LayerCard(facts, self)
            card.sig_clicked.connect(self._on_card_clicked)
            self._layout.insertWidget(index, card)
            self.cards[facts.name] = card
        total = sum(f.params for f in layers)
        self.total.setText(f"<b>{total:,}</b><br>parameters<br>in all")

    def select(self, name: str) -> None:
        for card_name, card in self.cards.items():
            card.set_selected(card_name == name)

    def _on_card_clicked(self, name: str) -> None:
        self.select(name)
        self.sig_layer_selected.emit(name)


# ---------------------------------------------------------------- a layer's 64 maps


class MapGrid(QWidget):
    """A layer's 64 maps as an 8 x 8 mosaic. Click a map to open it, right-click to switch its
    channel off or on; dead (all-zero) maps are crossed out in red, switched-off ones shaded."""

    sig_map_clicked = Signal(int)
    """A map was clicked: its channel."""

    sig_map_toggled = Signal(int)
    """A map was right-clicked: switch its channel off (or back on)."""

    sig_hovered = Signal(int, int, int)
    """(channel, row, col) under the cursor; channel -1 when it is over no map."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(200, 200)
        self.picture: Picture | None = None
        self.map_shape = (0, 0)
        self.order = np.arange(GRID * GRID)
        self.dead = np.zeros(GRID * GRID, bool)
        self.off: frozenset[int] = frozenset()
        self.selected = -1
        self.hovered: tuple[int, int, int] | None = None

    def set_layer(self, picture: Picture | None, map_shape: tuple[int, int], order: np.ndarray,
                  dead: np.ndarray, off: frozenset[int], selected: int) -> None:
        self.picture = picture
        self.map_shape = map_shape
        self.order = np.asarray(order)
        self.dead = np.asarray(dead, bool)
        self.off = frozenset(off)
        self.selected = selected
        self.update()

    def image_rect(self) -> QRectF:
        if self.picture is None:
            return QRectF()
        return fit(QRectF(self.rect()), self.picture.width, self.picture.height)

    def _scale(self) -> float:
        return self.image_rect().width() / self.picture.width if self.picture else 0.0

    def cell_rect(self, channel: int) -> QRectF:
        """Where channel ``channel``'s map is drawn, in widget coordinates."""
        if self.picture is None:
            return QRectF()
        cell = int(np.flatnonzero(self.order == channel)[0])
        h, w = self.map_shape
        scale, origin = self._scale(), self.image_rect().topLeft()
        gy, gx = divmod(cell, GRID)
        return QRectF(origin.x() + gx * (w + GAP) * scale, origin.y() + gy * (h + GAP) * scale,
                      w * scale, h * scale)

    def point_of(self, channel: int, row: int, col: int) -> QPointF:
        """The widget point at the centre of pixel (row, col) of ``channel``'s map."""
        cell = self.cell_rect(channel)
        scale = self._scale()
        return QPointF(cell.x() + (col + 0.5) * scale, cell.y() + (row + 0.5) * scale)

    def hit(self, point: QPointF) -> tuple[int, int, int] | None:
        """Widget point -> (channel, row, col), or None off the maps."""
        if self.picture is None:
            return None
        rect, scale = self.image_rect(), self._scale()
        if scale <= 0:
            return None
        found = cell_at((point.x() - rect.x()) / scale, (point.y() - rect.y()) / scale, self.map_shape)
        if found is None or found[0] >= len(self.order):
            return None
        cell, row, col = found
        return int(self.order[cell]), row, col

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        found = self.hit(event.position())
        if found != self.hovered:
            self.hovered = found
            self.sig_hovered.emit(*(found or (-1, -1, -1)))
            self.update()

    def leaveEvent(self, event) -> None:
        if self.hovered is not None:
            self.hovered = None
            self.sig_hovered.emit(-1, -1, -1)
            self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        found = self.hit(event.position())
        if found is None:
            return
        if event.button() == Qt.MouseButton.RightButton:
            self.sig_map_toggled.emit(found[0])
        elif event.button() == Qt.MouseButton.LeftButton:
            self.sig_map_clicked.emit(found[0])

    def paintEvent(self, event) -> None:
        with _painter(self) as painter:
            painter.fillRect(self.rect(), self.palette().window())
            if self.picture is None:
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no maps yet")
                return
            painter.drawImage(self.image_rect(), self.picture.image)
            for channel in range(len(self.order)):
                off, dead = channel in self.off, bool(self.dead[channel])
                if not (off or dead or channel == self.selected):
                    continue
                cell = self.cell_rect(channel)
                if off:
                    painter.fillRect(cell, OFF_COLOUR)
                    painter.setPen(QPen(QColor(200, 200, 200), 1))
                    painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, "off")
                elif dead:
                    painter.setPen(QPen(DEAD_COLOUR, 1.5))
                    painter.drawLine(cell.topLeft(), cell.bottomRight())
                    painter.drawLine(cell.topRight(), cell.bottomLeft())
                if channel == self.selected:
                    painter.setPen(QPen(SELECTED_COLOUR, 2))
                    painter.drawRect(cell.adjusted(-1, -1, 1, 1))
            if self.hovered is not None:
                channel, row, col = self.hovered
                scale = self._scale()
                cell = self.cell_rect(channel)
                painter.setPen(QPen(FIELD_COLOUR, 1))
                painter.drawRect(QRectF(cell.x() + col * scale, cell.y() + row * scale, scale, scale))


# ---------------------------------------------------------------- one map, large


class ColorBar(QWidget):
    """The colour scale beside a map: the table from ``low`` (bottom) to ``high`` (top)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFixedWidth(70)
        self.low, self.high = 0.0, 1.0
        self._strip = Picture(colormap.VIRIDIS[::-1, None, :])

    def set_scale(self, low: float, high: float, table: np.ndarray) -> None:
        self.low, self.high = float(low), float(high)
        self._strip = Picture(np.ascontiguousarray(table[::-1, None, :]))
        self.update()

    def ticks(self) -> list[str]:
        """The labels beside the bar, top to bottom."""
        middle = (self.low + self.high) / 2
        return [f"{v:.3g}" for v in (self.high, middle, self.low)]

    def paintEvent(self, event) -> None:
        with _painter(self) as painter:
            bar = QRectF(4, 6, 16, max(self.height() - 12, 1))
            painter.drawImage(bar, self._strip.image)
            painter.setPen(self.palette().windowText().color())
            painter.drawRect(bar)
            metrics_h = painter.fontMetrics().height()
            for label, y in zip(self.ticks(), (bar.top(), bar.center().y(), bar.bottom()), strict=True):
                painter.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 4, y))
                painter.drawText(QRectF(bar.right() + 6, y - metrics_h / 2, 60, metrics_h),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)


class MapCanvas(QWidget):
    """The enlarged map itself; reports the map pixel under the cursor."""

    sig_hovered = Signal(int, int)
    """(row, col) under the cursor; (-1, -1) when it leaves the map."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(160, 160)
        self.picture: Picture | None = None
        self.hovered: tuple[int, int] | None = None

    def set_picture(self, picture: Picture | None) -> None:
        self.picture = picture
        self.update()

    def image_rect(self) -> QRectF:
        if self.picture is None:
            return QRectF()
        return fit(QRectF(self.rect()), self.picture.width, self.picture.height)

    def point_of(self, row: int, col: int) -> QPointF:
        rect = self.image_rect()
        scale = rect.width() / self.picture.width
        return QPointF(rect.x() + (col + 0.5) * scale, rect.y() + (row + 0.5) * scale)

    def hit(self, point: QPointF) -> tuple[int, int] | None:
        rect = self.image_rect()
        if self.picture is None or not rect.contains(point):
            return None
        scale = rect.width() / self.picture.width
        row = min(int((point.y() - rect.y()) / scale), self.picture.height - 1)
        col = min(int((point.x() - rect.x()) / scale), self.picture.width - 1)
        return row, col

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        found = self.hit(event.position())
        if found != self.hovered:
            self.hovered = found
            self.sig_hovered.emit(*(found or (-1, -1)))
            self.update()

    def leaveEvent(self, event) -> None:
        if self.hovered is not None:
            self.hovered = None
            self.sig_hovered.emit(-1, -1)
            self.update()
        super().leaveEvent(event)

    def paintEvent(self, event) -> None:
        with _painter(self) as painter:
            painter.fillRect(self.rect(), self.palette().window())
            if self.picture is None:
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "click a map")
                return
            rect = self.image_rect()
            painter.drawImage(rect, self.picture.image)
            if self.hovered is not None:
                scale = rect.width() / self.picture.width
                row, col = self.hovered
                painter.setPen(QPen(FIELD_COLOUR, 2))
                painter.drawRect(QRectF(rect.x() + col * scale, rect.y() + row * scale, scale, scale))


class MapView(QWidget):
    """One map, large: the value under the cursor, a colour bar with its scale, the map's
    statistics. Left/right arrows step to the neighbouring map, up/down to the row above/below."""

    sig_hovered = Signal(int, int)
    """(row, col) under the cursor; (-1, -1) when it leaves."""

    sig_step = Signal(int)
    """An arrow key: -1 or +1 (left, right), -8 or +8 (up, down) in the grid's order."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.values: np.ndarray | None = None  # the (H, W) numbers shown
        self.title = QLabel("click a map")
        self.canvas = MapCanvas(self)
        self.colorbar = ColorBar(self)
        self.value_label = QLabel(" ")
        self.stats_label = QLabel(" ")
        self.stats_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.canvas, 1)
        row.addWidget(self.colorbar)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addLayout(row, 1)
        layout.addWidget(self.value_label)
        layout.addWidget(self.stats_label)
        self.canvas.sig_hovered.connect(self._on_canvas_hovered)

    def set_map(self, values: np.ndarray | None, low: float = 0.0, high: float = 1.0,
                table: np.ndarray = colormap.VIRIDIS, title: str = "") -> None:
        if values is None:
            self.values = None
            self.canvas.set_picture(None)
            self.title.setText(title or "click a map")
            self.value_label.setText(" ")
            self.stats_label.setText(" ")
            return
        self.values = np.array(values, np.float32)
        self.canvas.set_picture(Picture(colormap.colorize(self.values, low, high, table)))
        self.colorbar.set_scale(low, high, table)
        self.title.setText(title)
        stats = map_stats(self.values)
        dead = " - dead: all zero on this drawing" if stats.dead else ""
        self.stats_label.setText(f"max {format_value(stats.max)}   mean {format_value(stats.mean)}   "
                                 f"zeros {stats.zero_fraction:.1%}{dead}")
        if self.canvas.hovered is not None:
            self._on_canvas_hovered(*self.canvas.hovered)

    def _on_canvas_hovered(self, row: int, col: int) -> None:
        if row < 0 or self.values is None:
            self.value_label.setText(" ")
        else:
            self.value_label.setText(f"value at ({row}, {col}): {format_value(float(self.values[row, col]))}")
        self.sig_hovered.emit(row, col)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        steps = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -GRID, Qt.Key.Key_Down: GRID}
        step = steps.get(Qt.Key(event.key()))
        if step is None:
            super().keyPressEvent(event)
            return
        self.sig_step.emit(step)


# ---------------------------------------------------------------- activations as bars


class BarsView(QWidget):
    """A vector of activations as bars (the 1,600 flattened values, the 128 dense units, the 10
    probabilities); a ``reference`` is drawn as outlines behind (the network before ablation)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(200, 120)
        self.setMouseTracking(True)
        self.values = np.zeros(0, np.float32)
        self.reference: np.ndarray | None = None
        self.labels: tuple[str, ...] = ()
        self.title = ""

    def set_values(self, values: np.ndarray | None, labels: tuple[str, ...] = (),
                   reference: np.ndarray | None = None, title: str = "") -> None:
        self.values = np.zeros(0, np.float32) if values is None else np.asarray(values, np.float32)
        self.reference = None if reference is None else np.asarray(reference, np.float32)
        self.labels = tuple(labels)
        self.title = title
        self.update()

    def _plot_rect(self) -> QRectF:
        bottom = 18 if self.labels else 4
        return QRectF(self.rect()).adjusted(4, 20, -4, -bottom)

    def bar_at(self, x: float) -> int:
        plot = self._plot_rect()
        if not len(self.values) or not plot.left() <= x < plot.right():
            return -1
        return int((x - plot.left()) / plot.width() * len(self.values))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.bar_at(event.position().x())
        if index >= 0:
            name = self.labels[index] if self.labels else str(index)
            QToolTip.showText(event.globalPosition().toPoint(),
                              f"{name}: {format_value(float(self.values[index]))}", self)

    def paintEvent(self, event) -> None:
        with QPainter(self) as painter:
            painter.fillRect(self.rect(), self.palette().base())
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(4, 0, self.width() - 8, 18), Qt.AlignmentFlag.AlignLeft, self.title)
            n = len(self.values)
            if not n:
                return
            plot = self._plot_rect()
            both = self.values if self.reference is None else np.concatenate([self.values, self.reference])
            top = max(float(both.max()), 1e-6)
            width = plot.width() / n
            heights = np.clip(self.values, 0, None) / top * plot.height()
            best = int(np.argmax(self.values))
            for i in range(n):  # at most 1,600 rectangles: drawing calls, not pixel work
                colour = QColor(230, 120, 30) if i == best else QColor(70, 130, 180)
                painter.fillRect(QRectF(plot.left() + i * width, plot.bottom() - heights[i],
                                        max(width - (1 if width > 3 else 0), 1), heights[i]), colour)
            if self.reference is not None:
                painter.setPen(QPen(QColor(120, 120, 120), 1, Qt.PenStyle.DashLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                ref = np.clip(self.reference, 0, None) / top * plot.height()
                for i in range(n):
                    painter.drawRect(QRectF(plot.left() + i * width, plot.bottom() - ref[i],
                                            max(width - 1, 1), ref[i]))
            if self.labels:
                painter.setPen(self.palette().text().color())
                for i, label in enumerate(self.labels):
                    painter.drawText(QRectF(plot.left() + i * width, plot.bottom() + 2, width, 16),
                                     Qt.AlignmentFlag.AlignHCenter, label[:6])



class SeenBox(QWidget):
    """What the network sees (the input, with saliency and the hovered field) and what it says
    (the probabilities; with channels off, against the network as trained)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.input_view, self.bars = InputView(), BarsView()
        self.label = QLabel(" ")
        self.label.setWordWrap(True)
        column = QWidget()
        below = QVBoxLayout(column)
        below.setContentsMargins(0, 0, 0, 0)
        below.addWidget(self.bars, 1)
        below.addWidget(self.label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.input_view, 1)
        layout.addWidget(column, 1)

    def show(self, result, names: tuple[str, ...], channels_off: int) -> None:
        """A LiveResult's probabilities (None: blank)."""
        if result is None:
            self.bars.set_values(None, title="probabilities")
            self.label.setText(" ")
            return
        before = result.prediction.probabilities
        if result.ablated is None:
            self.bars.set_values(before, names, title="probabilities")
            self.label.setText("every channel on")
            return
        after = result.ablated.probabilities
        self.bars.set_values(after, names, before, "probabilities with channels off (dashed: all on)")
        self.label.setText(ablation_summary(before, after, channels_off, names))

# ---------------------------------------------------------------- kernels


class KernelGrid(QWidget):
    """64 kernels as an 8 x 8 grid in diverging colours centred on zero (blue negative, red
    positive), all on one symmetric scale; one kernel may be outlined."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(160, 160)
        self.setMouseTracking(True)
        self.kernels: np.ndarray | None = None
        self.limit = 1.0
        self.highlight = -1
        self.title = ""
        self.picture: Picture | None = None

    def set_kernels(self, kernels: np.ndarray | None, title: str = "", highlight: int = -1) -> None:
        """(64, kh, kw) kernels."""
        self.title, self.highlight = title, highlight
        if kernels is None:
            self.kernels, self.picture = None, None
        else:
            self.kernels = np.asarray(kernels, np.float32)
            self.limit = float(np.abs(self.kernels).max()) or 1.0
            rgb = colormap.diverging(self.kernels.transpose(1, 2, 0), self.limit)
            order = np.arange(len(self.kernels))
            self.picture = Picture(colormap.mosaic(rgb, order, background=(60, 60, 60)))
        self.update()

    def _grid_rect(self) -> QRectF:
        if self.picture is None:
            return QRectF()
        return fit(QRectF(self.rect()).adjusted(0, 18, -64, 0), self.picture.width, self.picture.height)

    def kernel_at(self, point: QPointF) -> int:
        rect = self._grid_rect()
        if self.kernels is None or not rect.contains(point):
            return -1
        scale = rect.width() / self.picture.width
        found = cell_at((point.x() - rect.x()) / scale, (point.y() - rect.y()) / scale,
                        self.kernels.shape[1:])
        return -1 if found is None else found[0]

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.kernel_at(event.position())
        if index >= 0:
            weights = " ".join(f"{w:+.2f}" for w in self.kernels[index].ravel())
            QToolTip.showText(event.globalPosition().toPoint(), f"kernel {index}: {weights}", self)

    def paintEvent(self, event) -> None:
        with _painter(self) as painter:
            painter.fillRect(self.rect(), self.palette().window())
            painter.setPen(self.palette().windowText().color())
            painter.drawText(QRectF(2, 0, self.width() - 4, 18), Qt.AlignmentFlag.AlignLeft, self.title)
            if self.picture is None:
                return
            rect = self._grid_rect()
            painter.drawImage(rect, self.picture.image)
            if 0 <= self.highlight < len(self.kernels):
                kh, kw = self.kernels.shape[1:]
                scale = rect.width() / self.picture.width
                gy, gx = divmod(self.highlight, GRID)
                painter.setPen(QPen(FIELD_COLOUR, 2))
                painter.drawRect(QRectF(rect.x() + gx * (kw + GAP) * scale - 1,
                                        rect.y() + gy * (kh + GAP) * scale - 1,
                                        kw * scale + 2, kh * scale + 2))
            bar = QRectF(rect.right() + 10, rect.top(), 14, rect.height())
            strip = Picture(np.ascontiguousarray(colormap.DIVERGING[::-1, None, :]))
            painter.drawImage(bar, strip.image)
            painter.setPen(self.palette().windowText().color())
            painter.drawRect(bar)
            h = painter.fontMetrics().height()
            for label, y in ((f"+{self.limit:.2g}", bar.top()), ("0", bar.center().y()),
                             (f"-{self.limit:.2g}", bar.bottom())):
                painter.drawText(QRectF(bar.right() + 3, y - h / 2, 50, h),
                                 Qt.AlignmentFlag.AlignVCenter, label)


# ---------------------------------------------------------------- top examples


def best_columns(count: int, width: float, height: float, caption: float) -> tuple[int, float]:
    """How many columns make ``count`` square cells (each with a caption below) largest."""
    best = (1, 0.0)
    for columns in range(1, count + 1):
        rows = -(-count // columns)
        cell = min(width / columns, height / rows - caption)
        if cell > best[1]:
            best = (columns, cell)
    return best


class TopExamplesView(QWidget):
    """The test images that activate a channel most, each with its hottest patch outlined."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.message = QLabel("select a map to see the test images that excite it most")
        self.message.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.board = _TopBoard(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addWidget(self.board, 1)

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setVisible(done < total)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.message.setText(f"finding every map's top examples in the {total:,} test images "
                             "(once per model)")

    def set_message(self, text: str) -> None:
        self.progress.setVisible(False)
        self.message.setText(text)

    def show_channel(self, top, fields, layer: str, channel: int, count: int) -> None:
        """``count`` of a map's top examples (``gui.jobs.TopResult``), each with the receptive
        field of its peak outlined."""
        examples = top.examples.top(layer, channel, count)
        rects = [receptive_field(fields, layer, e.row, e.col) for e in examples]
        self.set_examples(top.images[[e.index for e in examples]], rects, [e.value for e in examples],
                          f"{layer} map {channel}: the test images that excite it most "
                          "(hottest patch outlined)")

    def set_examples(self, images: np.ndarray | None, rects: list[Rect] = (), values: list[float] = (),
                     title: str = "") -> None:
        self.progress.setVisible(False)
        if title:
            self.message.setText(title)
        self.board.set_examples(images, list(rects), list(values))


class _TopBoard(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(160, 120)
        self.pictures: list[Picture] = []
        self.rects: list[Rect] = []
        self.values: list[float] = []

    def set_examples(self, images, rects, values) -> None:
        self.pictures = [] if images is None else [Picture(np.ascontiguousarray(i)) for i in images]
        self.rects, self.values = rects, values
        self.update()

    def paintEvent(self, event) -> None:
        with _painter(self) as painter:
            painter.fillRect(self.rect(), self.palette().window())
            n = len(self.pictures)
            if not n:
                return
            h = painter.fontMetrics().height()
            columns, cell = best_columns(n, self.width(), self.height(), h)
            shown = zip(self.pictures, self.rects, self.values, strict=True)
            for i, (picture, rect, value) in enumerate(shown):
                r, c = divmod(i, columns)
                box = fit(QRectF(c * cell, r * (cell + h), cell, cell), 28, 28)
                painter.drawImage(box, picture.image)
                scale = box.width() / 28
                painter.setPen(QPen(HOT_PATCH_COLOUR, 2))
                painter.drawRect(QRectF(box.x() + rect.left * scale, box.y() + rect.top * scale,
                                        rect.width * scale, rect.height * scale))
                painter.setPen(self.palette().windowText().color())
                painter.drawText(QRectF(c * cell, box.bottom(), cell, h), Qt.AlignmentFlag.AlignHCenter,
                                 format_value(value))
