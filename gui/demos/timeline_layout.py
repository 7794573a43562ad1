"""Where the replay timeline puts things: the axes, the steps, the legend and the stroke
numbers, for one size, font, scale and timeline. Geometry only: no widget, no painting, so
the plot's painting and its mouse handling read the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontInfo, QFontMetricsF

X_CAPTION = "stroke"


@dataclass(frozen=True)
class TimelineLayout:
    """The plot's rectangles and scales; ``scale`` multiplies line widths and dots as the
    fonts are multiplied (presentation mode's large type)."""

    plot: QRectF  # the axes: background, gridlines, lines
    x0: float  # x of the first step
    x1: float  # x of the last step
    y0: float  # y of 0%
    y1: float  # y of 100%
    font: QFont
    legend: QRectF
    legend_font: QFont
    legend_row: float
    scale: float
    steps: int

    @classmethod
    def compute(cls, width: float, height: float, font: QFont, scale: float,
                legend_names: Sequence[str], steps: int) -> TimelineLayout:
        """The layout for a ``width`` x ``height`` widget whose text is ``font``, with one legend
        row for each of ``legend_names`` and ``steps`` steps."""
        metrics = QFontMetricsF(font)
        fh = metrics.height()
        gap = 0.4 * fh
        dot = dot_radius(scale)
        top = max(fh / 2 - dot - 1, 2.0)  # room for half of the "100%" label above the 100% line
        bottom = height - fh - 4 * scale - 2  # the plot's bottom; ticks and their labels below
        # The legend: one row per line, right of the plot, its font shrunk if the rows don't fit.
        legend_font, row = _legend_font(font, max(bottom - top, 1.0), len(legend_names))
        legend_width = max(_legend_width(legend_font, legend_names),
                           metrics.horizontalAdvance(X_CAPTION))
        legend_width = min(legend_width, 0.42 * width)
        left = metrics.horizontalAdvance("100%") + 1.5 * gap
        plot = QRectF(left, top, max(width - left - legend_width - 2 * gap, 10.0), max(bottom - top, 10.0))
        legend = QRectF(plot.right() + 1.5 * gap, top, legend_width, plot.height())
        pad_x = max(dot + 2, 0.6 * metrics.horizontalAdvance(str(max(steps, 1))))
        return cls(plot=plot, x0=plot.left() + pad_x, x1=plot.right() - pad_x,
                   y0=plot.bottom() - dot - 1, y1=plot.top() + dot + 1, font=font, legend=legend,
                   legend_font=legend_font, legend_row=row, scale=scale, steps=steps)

    def xs(self) -> np.ndarray:
        """The x of each step: evenly from the first to the last, one step in the middle."""
        if self.steps == 1:
            return np.array([(self.x0 + self.x1) / 2])
        return np.linspace(self.x0, self.x1, self.steps)

    def y(self, probabilities) -> np.ndarray:
        """The y of probabilities (0..1)."""
        return self.y0 - np.asarray(probabilities, np.float64) * (self.y0 - self.y1)

    def nearest_step(self, x: float) -> int | None:
        """The step drawn nearest to ``x``, or None without a timeline."""
        if self.steps <= 1:
            return self.steps - 1 if self.steps else None
        step = round((x - self.x0) * (self.steps - 1) / (self.x1 - self.x0))
        return min(max(step, 0), self.steps - 1)

    def labelled_steps(self, spacing: float) -> list[int]:
        """The steps whose stroke number is written below the axis, ``spacing`` apart: every
        1, 2, 5, 10, ... strokes, and the last."""
        metrics, n = QFontMetricsF(self.font), self.steps
        needed = metrics.horizontalAdvance(str(n)) + metrics.horizontalAdvance("  ")
        stride = next(s for m in (1, 10, 100, 1000, 10**9) for s in (m, 2 * m, 5 * m)
                      if s * spacing >= needed or s >= n)
        if stride == 2:  # 1, 3, 5, ... reads better than 1, 4, 6, ...
            strokes = list(range(1, n + 1, 2))
        else:  # 1, 5, 10, ... or 1, 10, 20, ...
            strokes = [1] + [s for s in range(stride, n + 1, stride) if (s - 1) * spacing >= needed]
        if (n - strokes[-1]) * spacing >= needed:
            strokes.append(n)
        return [s - 1 for s in strokes]


def dot_radius(scale: float) -> float:
    """The radius of a step's dot."""
    return 2.5 * scale


def swatch_width(metrics: QFontMetricsF) -> float:
    """The width of a legend row's line sample."""
    return 1.6 * metrics.height()


def _legend_font(font: QFont, available: float, rows: int) -> tuple[QFont, float]:
    """The legend's font and row height: ``font``, or smaller until the rows fit."""
    rows = max(rows, 1)
    row = QFontMetricsF(font).height() * 1.1
    if rows * row <= available:
        return font, row
    small = QFont(font)
    small.setPixelSize(max(7, int(QFontInfo(font).pixelSize() * available / (rows * row))))
    return small, min(QFontMetricsF(small).height() * 1.1, available / rows)


def _legend_width(font: QFont, names: Sequence[str]) -> float:
    if not names:
        return 0.0
    metrics = QFontMetricsF(font)
    widest = max(metrics.horizontalAdvance(name) for name in names)
    return swatch_width(metrics) + widest + metrics.horizontalAdvance(" 100%")
