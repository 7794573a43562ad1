"""The replay timeline: how the likeliest classes' probabilities change, stroke by stroke.

During stroke replay the app has, for every step (the drawing after its first k strokes), the
network's class probabilities. This plot draws a line for each class that is ever among the top
three, marks where the leading class changes, and is revealed as the replay plays: the whole
timeline faint, the part up to the cursor strong. It has the window's look and a high-contrast
dark look for presentation mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QRegion,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from gui.demos.timeline_layout import X_CAPTION, TimelineLayout, dot_radius, swatch_width

TOP = 3  # a class gets a line when it is among the top TOP at any step
MAX_LINES = 6
HINT = "Replay a drawing to see when the network changes its mind"
FAINT = 0.28  # the opacity of the timeline beyond the cursor

# Okabe and Ito's colour-blind-safe palette, in the order the lines get them (likeliest first).
# The light look leaves out yellow (invisible on white), the dark look leaves out the dark blue.
LIGHT_COLOURS = tuple(QColor(c) for c in ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"))
DARK_COLOURS = tuple(QColor(c) for c in ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#D55E00"))


def top_classes(probabilities: np.ndarray, k: int = TOP) -> np.ndarray:
    """(n_steps, n_classes) -> (n_steps, k): each step's k likeliest classes, likeliest first."""
    return np.argsort(-np.asarray(probabilities), axis=1, kind="stable")[:, :k]


def _answered(probabilities: np.ndarray) -> np.ndarray:
    """The steps with an answer: a NaN row is a step whose page was empty (nothing to read)."""
    return ~np.isnan(probabilities).any(axis=1)


def classes_to_plot(probabilities: np.ndarray, top: int = TOP, cap: int = MAX_LINES) -> list[int]:
    """The classes among the ``top`` at any step, by their best probability, at most ``cap``."""
    probabilities = probabilities[_answered(probabilities)]
    if len(probabilities) == 0:
        return []
    ever = np.unique(top_classes(probabilities, top))
    best = probabilities[:, ever].max(axis=0)
    order = np.lexsort((ever, -best))  # best first; ties by class index
    return [int(c) for c in ever[order][:cap]]


def leaders(probabilities: np.ndarray) -> np.ndarray:
    """Each step's likeliest class; -1 for a step without an answer."""
    if len(probabilities) == 0:
        return np.zeros(0, np.intp)
    return np.where(_answered(probabilities), np.argmax(np.nan_to_num(probabilities, nan=-1.0), axis=1), -1)


def leader_changes(probabilities: np.ndarray) -> list[int]:
    """The steps whose likeliest class differs from the previous answered step's."""
    lead = leaders(probabilities)
    answered = np.flatnonzero(lead >= 0)
    return [int(k) for a, k in zip(answered[:-1], answered[1:], strict=True) if lead[a] != lead[k]]


@dataclass
class _Layers:
    """The painted plot for one size, look and timeline: the background with axes and legend;
    the lines, dots and change rings (on transparent); the change labels (on transparent) and
    where each label is."""

    key: tuple
    layout: TimelineLayout
    xs: np.ndarray
    axes: QPixmap
    lines: QPixmap
    labels: QPixmap
    labels_at: list[tuple[int, QRect]]


class TimelinePlot(QWidget):
    """The top classes' probabilities over the replay's steps, with a cursor and a legend.

    Click to jump to a step (``sig_step_clicked``); hover for the step's top three.
    """

    sig_step_clicked = Signal(int)
    """The plot was clicked: the nearest step (0-based row of the timeline)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)
        self._probabilities = np.zeros((0, 0), np.float64)
        self._names: tuple[str, ...] = ()
        self._lines: list[int] = []
        self._changes: list[int] = []
        self._leaders = np.zeros(0, np.intp)
        self._cursor: int | None = None
        self._dark = False
        self._font_scale = 1.0
        self._hovered: int | None = None
        self._version = 0  # bumped by set_timeline: the cached layers are then stale
        self._cache: _Layers | None = None

    # ------------------------------------------------------------ data and state

    def set_timeline(self, probabilities: np.ndarray, class_names: Sequence[str]) -> None:
        """(n_steps, n_classes) probabilities, row k after stroke k + 1; n_steps may be 0.

        The cursor stays where it is (clipped to the new timeline)."""
        names = tuple(class_names)
        p = np.asarray(probabilities, np.float64)
        if p.size == 0:
            p = p.reshape(0, len(names))
        if p.ndim != 2 or p.shape[1] != len(names):
            raise ValueError(f"expected (n_steps, {len(names)}) probabilities, got shape {p.shape}")
        self._probabilities = p
        self._names = names
        self._lines = classes_to_plot(p)
        self._changes = leader_changes(p) if len(p) else []
        self._leaders = leaders(p)
        self._hovered = None
        self._version += 1
        self.update()

    def clear(self) -> None:
        """No timeline: the hint text, no cursor."""
        self._cursor = None
        self.set_timeline(np.zeros((0, len(self._names))), self._names)

    def set_cursor(self, step: int | None) -> None:
        """Reveal the timeline up to ``step`` (0-based row) with a line there; None: all of it."""
        self._cursor = None if step is None else int(step)
        self.update()

    def set_dark(self, dark: bool) -> None:
        """The high-contrast look (black, white text, bright lines) or the palette's look."""
        self._dark = bool(dark)
        self.update()

    def set_font_scale(self, scale: float) -> None:
        """Multiply the text sizes (and line widths) by ``scale``; presentation mode uses ~2.5."""
        if scale <= 0:
            raise ValueError(f"the font scale must be positive, got {scale}")
        self._font_scale = float(scale)
        self.updateGeometry()
        self.update()

    def n_steps(self) -> int:
        return len(self._probabilities)

    def cursor(self) -> int | None:
        """The cursor's step, clipped to the timeline (None: no cursor, everything strong)."""
        if self._cursor is None or not self.n_steps():
            return None
        return min(max(self._cursor, 0), self.n_steps() - 1)

    def plotted_classes(self) -> list[int]:
        """The classes with a line: ever in the top 3, by best probability, at most 6."""
        return list(self._lines)

    def changes(self) -> list[int]:
        """The steps where the leading class differs from the previous step's."""
        return list(self._changes)

    def line_colour(self, class_index: int) -> QColor:
        """The colour of ``class_index``'s line in the current look."""
        colours = DARK_COLOURS if self._dark else LIGHT_COLOURS
        return QColor(colours[self._lines.index(class_index)])

    def legend_entries(self) -> list[str]:
        """The legend's lines, e.g. "7 93%": each plotted class with its final probability."""
        return [f"{self._names[c]} {self._percent(c)}" for c in self._lines]

    def tooltip_text(self, step: int) -> str:
        """E.g. "after stroke 3: 7 80%, 1 12%, 9 4%"."""
        row = self._probabilities[step]
        if np.isnan(row).any():
            return f"after stroke {step + 1}: an empty page, nothing to read"
        top = top_classes(row[None, :])[0]
        return f"after stroke {step + 1}: " + ", ".join(
            f"{self._names[c]} {100.0 * row[c]:.0f}%" for c in top)

    # ------------------------------------------------------------ geometry

    def sizeHint(self) -> QSize:
        return QSize(420, max(160, round(6 * self._metrics().height())))

    def minimumSizeHint(self) -> QSize:
        return QSize(240, max(100, round(4.5 * self._metrics().height())))

    def plot_rect(self) -> QRectF:
        """The axes' rectangle in widget coordinates (empty without a timeline)."""
        return self._layout().plot if self.n_steps() else QRectF()

    def step_x(self, step: int) -> float:
        """The x (widget coordinates) where step ``step`` (0-based row) is drawn."""
        n = self.n_steps()
        if not 0 <= step < n:
            raise IndexError(f"step {step} is outside the timeline's {n} steps")
        return float(self._layout().xs()[step])

    def value_y(self, probability: float) -> float:
        """The y (widget coordinates) of a probability (0..1)."""
        return float(self._layout().y(probability))

    def nearest_step(self, x: float) -> int | None:
        """The step drawn nearest to ``x``, or None without a timeline."""
        return self._layout().nearest_step(x)

    def _metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self._text_font())

    def _text_font(self) -> QFont:
        font = QFont(self.font())
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * self._font_scale)
        else:
            font.setPixelSize(max(1, round(font.pixelSize() * self._font_scale)))
        return font

    def _scaled(self, width: float) -> float:
        return width * self._font_scale

    def _percent(self, class_index: int) -> str:
        value = float(self._probabilities[-1, class_index])
        return f"{100.0 * value:.0f}%" if np.isfinite(value) else "–"

    def _layout(self) -> TimelineLayout:
        return TimelineLayout.compute(self.width(), self.height(), self._text_font(), self._font_scale,
                                      [self._names[c] for c in self._lines], self.n_steps())

    # ------------------------------------------------------------ mouse

    def _in_plot(self, point: QPointF) -> bool:
        if not self.n_steps():
            return False
        plot = self._layout().plot
        return plot.adjusted(0, 0, 0, self.height() - plot.bottom()).contains(point)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self._in_plot(event.position()):
            super().mousePressEvent(event)
            return
        step = self.nearest_step(event.position().x())
        if step is not None:
            self.sig_step_clicked.emit(step)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        step = self.nearest_step(event.position().x()) if self._in_plot(event.position()) else None
        if step != self._hovered:
            self._hovered = step
            if step is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPosition().toPoint(), self.tooltip_text(step), self)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        self._hovered = None
        QToolTip.hideText()
        super().leaveEvent(event)

    # ------------------------------------------------------------ painting

    def _colours(self) -> tuple[QColor, QColor, QColor, QColor]:
        """(widget background, plot background, text, gridlines) for the current look."""
        if self._dark:
            return QColor(0, 0, 0), QColor(0, 0, 0), QColor(255, 255, 255), QColor(90, 90, 90)
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.WindowText)
        return palette.color(QPalette.ColorRole.Window), base, text, _mix(text, base, 0.25)

    def paintEvent(self, event: QPaintEvent) -> None:
        """The cached layers: the axes and legend; the lines, strong up to the cursor and faint
        after it; the revealed change labels. Only the cursor and what sits on it are drawn
        afresh, so a replay step costs a few blits whatever the number of steps."""
        window, base, text, _ = self._colours()
        with QPainter(self) as painter:
            if not self.n_steps():
                painter.fillRect(self.rect(), window)
                painter.setFont(self._text_font())
                painter.setPen(text)
                flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
                painter.drawText(QRectF(self.rect()).adjusted(8, 4, -8, -4), flags, HINT)
                return
            layers = self._layers()
            painter.drawPixmap(0, 0, layers.axes)
            cursor = self.cursor()
            if cursor is None:
                painter.drawPixmap(0, 0, layers.lines)
                revealed = [rect for _, rect in layers.labels_at]
            else:
                self._paint_cursor(painter, layers, cursor, text, base)
                revealed = [rect for step, rect in layers.labels_at if step <= cursor]
            if revealed:
                region = QRegion()
                for rect in revealed:
                    region = region.united(rect)
                painter.setClipRegion(region)
                painter.drawPixmap(0, 0, layers.labels)

    def _paint_cursor(self, painter: QPainter, layers: _Layers, cursor: int, text: QColor,
                      base: QColor) -> None:
        """The cursor line; the lines strong left of it and faint right of it; the dots (and the
        ring) on it, which the two halves would cut."""
        layout, x = layers.layout, float(layers.xs[cursor])
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(_mix(text, base, 0.55), self._scaled(1.5)))
        painter.drawLine(QLineF(x, layout.plot.top(), x, layout.plot.bottom()))
        for clip, opacity in ((QRectF(x, 0, self.width() - x, self.height()), FAINT),
                              (QRectF(0, 0, x, self.height()), 1.0)):
            painter.save()
            painter.setClipRect(clip)
            painter.setOpacity(opacity)
            painter.drawPixmap(0, 0, layers.lines)
            painter.restore()
        strong = {c: self.line_colour(c) for c in self._lines}
        row = self._probabilities[cursor:cursor + 1]
        self._paint_lines(painter, layout, layers.xs[cursor:cursor + 1], row, strong)
        if cursor in self._changes:
            self._paint_rings(painter, layout, layers.xs, [cursor], strong)

    def _layers(self) -> _Layers:
        key = (self.width(), self.height(), self.devicePixelRatioF(), self._version, self._dark,
               self._font_scale, self.font().key(), self.palette().cacheKey())
        if self._cache is None or self._cache.key != key:
            self._cache = self._build_layers(key)
        return self._cache

    def _build_layers(self, key: tuple) -> _Layers:
        window, base, text, grid = self._colours()
        layout = self._layout()
        xs = layout.xs()
        strong = {c: self.line_colour(c) for c in self._lines}
        layers = _Layers(key, layout, xs, self._pixmap(window), self._pixmap(Qt.GlobalColor.transparent),
                         self._pixmap(Qt.GlobalColor.transparent), [])
        with QPainter(layers.axes) as painter:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.fillRect(layout.plot, base)
            _paint_axes(painter, layout, xs, text, grid)
            _paint_legend(painter, layout, [(self._names[c], self._percent(c), self.line_colour(c))
                                            for c in self._lines], text)
        with QPainter(layers.lines) as painter:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            self._paint_lines(painter, layout, xs, self._probabilities, strong)
            self._paint_rings(painter, layout, xs, self._changes, strong)
        with QPainter(layers.labels) as painter:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            layers.labels_at.extend(self._paint_labels(painter, layout, xs, base))
        return layers

    def _pixmap(self, fill: QColor | Qt.GlobalColor) -> QPixmap:
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(fill)
        return pixmap

    def _paint_lines(self, painter: QPainter, layout: TimelineLayout, xs: np.ndarray, rows: np.ndarray,
                     colours: dict[int, QColor]) -> None:
        """The plotted classes' lines through ``rows`` at ``xs``, a dot at every step; the
        likeliest class on top. Opaque pens with flat caps keep Qt on its fast path."""
        width, dot = self._scaled(2.0), dot_radius(self._font_scale)
        for c in reversed(self._lines):
            ys = layout.y(rows[:, c])
            pairs = list(zip(xs.tolist(), ys.tolist(), strict=True))
            points = [QPointF(x, y) for x, y in pairs if np.isfinite(y)]  # no dot for no answer
            segments = [QLineF(QPointF(*a), QPointF(*b)) for a, b in zip(pairs[:-1], pairs[1:], strict=True)
                        if np.isfinite(a[1]) and np.isfinite(b[1])]
            if segments:
                painter.setPen(QPen(colours[c], width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
                painter.drawLines(segments)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colours[c])
            for point in points:
                painter.drawEllipse(point, dot, dot)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_rings(self, painter: QPainter, layout: TimelineLayout, xs: np.ndarray, steps: Sequence[int],
                     colours: dict[int, QColor]) -> None:
        """A ring around the new leader's dot at each of ``steps`` (changes of the leader)."""
        ring = 2.2 * dot_radius(self._font_scale)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for step in steps:
            leader = int(self._leaders[step])
            if leader in colours:
                painter.setPen(QPen(colours[leader], self._scaled(1.5)))
                y = float(layout.y(self._probabilities[step, leader]))
                painter.drawEllipse(QPointF(float(xs[step]), y), ring, ring)

    def _paint_labels(self, painter: QPainter, layout: TimelineLayout, xs: np.ndarray,
                      base: QColor) -> list[tuple[int, QRect]]:
        """The new leader's name above (or below) each change's ring where it fits without
        overlapping another, outlined in the background colour so it reads over the lines.
        Returns (step, the label's pixels) for each label drawn."""
        bold = QFont(layout.font)
        bold.setBold(True)
        metrics = QFontMetricsF(bold)
        ring = 2.2 * dot_radius(self._font_scale)
        halo = QPen(base, self._scaled(3.0), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                    Qt.PenJoinStyle.RoundJoin)
        placed: list[tuple[int, QRect]] = []
        taken: list[QRectF] = []
        for step in self._changes:
            leader = int(self._leaders[step])
            if leader not in self._lines:
                continue
            name = self._names[leader]
            x, y = float(xs[step]), float(layout.y(self._probabilities[step, leader]))
            w, h = metrics.horizontalAdvance(name), metrics.height()
            left = min(max(x - w / 2, layout.plot.left() + 2), layout.plot.right() - w - 2)
            for rect in (QRectF(left, y - ring - 1 - h, w, h), QRectF(left, y + ring + 1, w, h)):
                if layout.plot.contains(rect) and not any(rect.intersects(t) for t in taken):
                    taken.append(rect)
                    path = QPainterPath()
                    path.addText(rect.left(), rect.top() + metrics.ascent(), bold, name)
                    painter.strokePath(path, halo)
                    colour = self.line_colour(leader)
                    painter.fillPath(path, colour if self._dark else colour.darker(130))
                    margin = halo.widthF()
                    placed.append((step, rect.adjusted(-margin, -margin, margin, margin).toAlignedRect()))
                    break
        return placed


def _mix(colour: QColor, background: QColor, share: float) -> QColor:
    """An opaque ``share`` of ``colour`` over ``background``."""
    mixed = share * np.array(colour.getRgbF()[:3]) + (1 - share) * np.array(background.getRgbF()[:3])
    return QColor.fromRgbF(*mixed.tolist())


def _paint_axes(painter: QPainter, layout: TimelineLayout, xs: np.ndarray, text: QColor,
                grid: QColor) -> None:
    """Gridlines at 0, 50 and 100% with their labels; the x axis with stroke numbers."""
    plot, metrics = layout.plot, QFontMetricsF(layout.font)
    fh = metrics.height()
    painter.setFont(layout.font)
    painter.setPen(QPen(grid, 1))
    levels = layout.y(np.array([0.0, 0.5, 1.0])).tolist()
    painter.drawLines([QLineF(plot.left(), y, plot.right(), y) for y in levels])
    painter.setPen(text)
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    for percent, y in zip((0, 50, 100), levels, strict=True):
        painter.drawText(QRectF(0, y - fh / 2, plot.left() - 0.3 * fh, fh), right, f"{percent}%")

    tick = 4 * layout.scale
    spacing = xs[1] - xs[0] if len(xs) > 1 else plot.width()
    painter.setPen(QPen(text, 1))
    painter.drawLine(QLineF(plot.left(), plot.bottom(), plot.right(), plot.bottom()))
    if spacing >= 3:
        painter.drawLines([QLineF(x, plot.bottom(), x, plot.bottom() + tick) for x in xs.tolist()])
    label_top = plot.bottom() + tick + 1
    centre = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
    for step in layout.labelled_steps(spacing):
        label = str(step + 1)
        w = metrics.horizontalAdvance(label) + 2
        painter.drawText(QRectF(xs[step] - w / 2, label_top, w, fh), centre, label)
    left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
    painter.drawText(QRectF(layout.legend.left(), label_top, layout.legend.width() + fh, fh), left,
                     X_CAPTION)


def _paint_legend(painter: QPainter, layout: TimelineLayout, rows: Sequence[tuple[str, str, QColor]],
                  text: QColor) -> None:
    """One row per line: a swatch in its colour, the class name, its final probability."""
    font = layout.legend_font
    metrics = QFontMetricsF(font)
    swatch = swatch_width(metrics)
    percent_width = metrics.horizontalAdvance(" 100%")
    legend, row, radius = layout.legend, layout.legend_row, dot_radius(layout.scale)
    painter.save()
    painter.setClipRect(legend)
    painter.setFont(font)
    for i, (name, percent, colour) in enumerate(rows):
        top = legend.top() + i * row
        middle = top + row / 2
        painter.setPen(QPen(colour, 2.0 * layout.scale, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.drawLine(QLineF(legend.left() + 1, middle, legend.left() + swatch * 0.7, middle))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(QPointF(legend.left() + 1 + swatch * 0.35, middle), radius, radius)
        painter.setPen(text)
        name_width = max(legend.width() - swatch - percent_width, 0.0)
        shown = metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_width + 1)
        cell = QRectF(legend.left() + swatch, top, name_width, row)
        painter.drawText(cell, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, shown)
        cell = QRectF(legend.right() - percent_width, top, percent_width, row)
        painter.drawText(cell, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, percent)
    painter.restore()
