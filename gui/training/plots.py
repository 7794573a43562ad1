"""What a live run looks like: its curves, its kernels, and its answer for the drawing.

- :class:`Curves` keeps every report's points (plain data); :class:`CurvesPlot` paints them:
  accuracy above (training and the held-out test images), loss below, against the step;
- :func:`kernel_mosaic`: 64 first-layer kernels (or dense units' weights) as an 8 x 8 mosaic in
  a diverging colour table (blue negative, white zero, red positive);
- :class:`DrawingView`: the ten probabilities and the four layers' maps of the drawing under
  the weights in training.

Each has a dark, large-type variant for presentation mode (``set_dark``, ``set_font_scale``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.colormap import diverging, feature_grid, tile
from gui.views.feature_maps import MosaicView
from gui.views.probabilities import ProbabilityChart

TRAIN_COLOUR = QColor(120, 160, 220)
TEST_COLOUR = QColor(230, 130, 30)  # the held-out curve: what the benchmark reads
TEST_COLOUR_DARK = QColor(255, 214, 0)  # presentation mode's yellow
MAP_LAYERS = ("conv1", "pool1", "conv2", "pool2")
ACCURACY_TICKS = (0.5, 0.9, 0.99)  # the accuracy pane's lines; 99% is its top


def nines(accuracy: float) -> float:
    """Where ``accuracy`` goes on the accuracy pane, in [0, 1]: by its number of nines
    (-log10 of the error), so that 95 -> 98 -> 99% climbs as visibly as 10 -> 90% (the ticks
    say so); 99% and above is the top."""
    error = min(max(1.0 - accuracy, 0.01), 1.0)
    return -np.log10(error) / 2.0


@dataclass
class Curves:
    """Every report's points so far, and the run's length in steps."""

    total_steps: int = 1
    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    def x_range(self) -> float:
        """The steps the plot spans: a quarter more than done so far (at least a tenth of
        the run), so the first hundreds of steps are not squeezed against the left edge."""
        done = self.steps[-1] if self.steps else 0
        return float(min(self.total_steps, max(done * 1.25, self.total_steps / 10, 1)))

    def add(self, report) -> None:
        self.total_steps = max(1, report.total_steps)
        if self.steps and report.step <= self.steps[-1]:
            return  # the same step reported twice (a stop right after a report)
        self.steps.append(report.step)
        for name in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
            getattr(self, name).append(float(getattr(report, name)))


def kernel_mosaic(kernels: np.ndarray, gap: int = 1) -> np.ndarray:
    """(h, w, 1, 64) conv kernels or (h, w, 64) pictures -> an RGBA 8 x 8 mosaic in the
    Explore view's diverging colours, all on one scale (the largest weight), the gaps clear."""
    k = np.asarray(kernels, np.float32).reshape(kernels.shape[0], kernels.shape[1], -1)[:, :, :64]
    rgba = np.full((*k.shape, 4), 255, np.uint8)
    rgba[..., :3] = diverging(k, float(np.abs(k).max(initial=0.0)))
    return tile(rgba, gap=gap, fill=0)[0]


class CurvesPlot(QWidget):
    """Accuracy (top) and loss (bottom) against the step: training and held-out."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 140)
        self._curves = Curves()
        self._dark = False
        self._scale = 1.0
        self.version = 0
        self.painted_version = 0

    def sizeHint(self) -> QSize:
        return QSize(360, 240)

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.update()

    def set_font_scale(self, scale: float) -> None:
        self._scale = scale
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * scale)
        self.setFont(font)

    def set_curves(self, curves: Curves) -> None:
        self._curves = curves
        self.version += 1
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        curves = self._curves
        palette = self.palette()
        text = QColor(255, 255, 255) if self._dark else palette.color(QPalette.ColorRole.WindowText)
        test = TEST_COLOUR_DARK if self._dark else TEST_COLOUR
        with QPainter(self) as painter:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), QColor(0, 0, 0) if self._dark
                             else palette.color(QPalette.ColorRole.Base))
            line = painter.fontMetrics().height()
            half = (self.height() - line) / 2
            accuracy = QRectF(4, line, self.width() - 8, half - line)
            loss = QRectF(4, half + line * 1.5, self.width() - 8, half - line * 1.5)
            self._frame(painter, accuracy, text, {f"{100 * a:g}%": nines(a) for a in ACCURACY_TICKS})
            self._lines(painter, accuracy, curves, ("test_accuracy", "train_accuracy"), nines,
                        (test, TRAIN_COLOUR), lambda v: f"{100 * v:.1f}%", "")
            top = max([v for v in (*curves.train_loss, *curves.test_loss) if np.isfinite(v)] + [0.1])
            self._frame(painter, loss, text, {"0": 0.0})
            self._lines(painter, loss, curves, ("test_loss", "train_loss"),
                        lambda v: min(v / top, 1.0), (test, TRAIN_COLOUR), lambda v: f"{v:.3f}",
                        "loss: ")
        self.painted_version = self.version

    def _frame(self, painter: QPainter, rect: QRectF, text: QColor, ticks: dict[str, float]):
        """The pane's box, and a faint line with its label at each tick (heights in [0, 1])."""
        faint = QColor(text)
        faint.setAlpha(70)
        painter.setPen(QPen(faint, 1))
        painter.drawRect(rect)
        below = painter.fontMetrics().ascent() + 1  # under their line: the top one too
        for label, height in ticks.items():
            y = rect.bottom() - height * rect.height()
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            if height > 0:
                painter.drawText(QPointF(rect.left() + 3, y + below), label)

    def _lines(self, painter: QPainter, rect: QRectF, curves: Curves, names: tuple[str, str],
               height, colours: tuple[QColor, QColor], shown, title: str) -> None:
        """The held-out and training curves (``height`` maps a value into [0, 1]), and their
        newest values above the pane."""
        span = curves.x_range()
        x = rect.left()
        for name, colour in zip(names, colours, strict=True):
            values = getattr(curves, name)
            path, started = QPainterPath(), False
            for step, value in zip(curves.steps, values, strict=True):
                if not np.isfinite(value):
                    continue
                point = QPointF(rect.left() + rect.width() * min(step / span, 1.0),
                                rect.bottom() - rect.height() * height(value))
                if started:
                    path.lineTo(point)
                else:
                    path.moveTo(point)
                    started = True
            painter.setPen(QPen(colour, 2.0 * self._scale if name.startswith("test") else 1.5))
            painter.drawPath(path)
            if values and np.isfinite(values[-1]):
                label = f"{title}{'held-out' if name.startswith('test') else 'training'} " \
                        f"{shown(values[-1])}"
                title = ""
                painter.drawText(QPointF(x, rect.top() - 3), label)
                x += painter.fontMetrics().horizontalAdvance(label + "   ")


class DrawingView(QWidget):
    """The drawing under the weights in training: ten bars, and the four layers' maps."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.heading = QLabel("The drawing, as this network reads it")
        self.heading.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.chart = ProbabilityChart(("",) * 10)
        self.chart.setMinimumSize(120, 120)
        self.maps = [MosaicView() for _ in MAP_LAYERS]
        maps = QHBoxLayout()  # the four layers in a row under the bars
        maps.setContentsMargins(0, 0, 0, 0)
        for name, view in zip(MAP_LAYERS, self.maps, strict=True):
            view.setMinimumSize(56, 56)
            view.setToolTip(f"{name}: 64 feature maps of the drawing")
            maps.addWidget(view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.chart, 3)
        layout.addLayout(maps, 2)

    def show_answer(self, names: tuple[str, ...], probabilities: np.ndarray | None,
                    maps: tuple[np.ndarray, ...] = ()) -> None:
        self.chart.set_data(names, None if probabilities is None else np.asarray(probabilities))
        for i, view in enumerate(self.maps):
            view.set_rgba(feature_grid(maps[i]) if len(maps) > i else None)
        for view in self.maps:
            view.setVisible(bool(maps) or probabilities is None)

    def clear(self, names: tuple[str, ...]) -> None:
        self.show_answer(names, None)
