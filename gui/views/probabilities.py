"""The ten class probabilities as labelled bars, with a one-line verdict above them."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPalette, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from model.datasets import DATASETS, class_names

LOW_CONFIDENCE = 0.5  # below this the verdict says the network is not sure
DENSE_COLOUR = QColor(230, 130, 30)  # the comparison network: orange on light and dark themes


def verdict(dataset: str, probabilities: np.ndarray, who: str = "") -> str:
    """The one-line verdict, e.g. "It's a 7 (97%)" or "Not sure, maybe a 7 (43%)", the class
    named as ``dataset``'s table names it in a sentence."""
    top = int(np.argmax(probabilities))
    share = f"{100.0 * float(probabilities[top]):.0f}%"
    prefix = f"{who}: " if who else ""
    phrase = DATASETS[dataset].phrases[top]
    if probabilities[top] < LOW_CONFIDENCE:
        return f"{prefix}Not sure, maybe {phrase} ({share})"
    return f"{prefix}It's {phrase} ({share})"


class ProbabilityChart(QWidget):
    """Ten rows: class name, bar, percentage; a second bar per row for the dense network."""

    def __init__(self, names: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._names = names
        self._cnn: np.ndarray | None = None
        self._dense: np.ndarray | None = None
        self._layout_key: tuple | None = None
        self._layout: tuple[QFont, float, float] | None = None
        self._rows_cache: tuple[tuple, QPixmap] | None = None  # (key, the names and tracks)
        self.version = 0
        self.painted_version = 0

    def sizeHint(self) -> QSize:
        return QSize(300, 10 * 2 * self.fontMetrics().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(180, len(self._names) * self.fontMetrics().height())

    def names(self) -> tuple[str, ...]:
        return self._names

    def probabilities(self) -> np.ndarray | None:
        return self._cnn

    def dense_probabilities(self) -> np.ndarray | None:
        return self._dense

    def top_class(self) -> int | None:
        return None if self._cnn is None else int(np.argmax(self._cnn))

    def set_data(self, names, cnn: np.ndarray | None, dense: np.ndarray | None = None) -> None:
        self._names = tuple(names)
        self._cnn, self._dense = cnn, dense
        self.version += 1
        self.update()

    def _text_layout(self) -> tuple[QFont, float, float]:
        """(the bold font, the names' column width, a percentage's width): measured once per
        font and class names, not on every repaint of every stroke."""
        key = (self.font().key(), self._names)
        if self._layout_key != key:
            bold = QFont(self.font())
            bold.setBold(True)
            metrics = QFontMetricsF(bold)
            self._layout = (bold, max(metrics.horizontalAdvance(n) for n in self._names) + 8,
                            metrics.horizontalAdvance("100.0%") + 6)
            self._layout_key = key
        return self._layout

    def _geometry(self) -> tuple[float, float, float, float]:
        """(row height, where the bars start, their full width, a percentage's width)."""
        _bold, name_width, column = self._text_layout()
        columns = 1 if self._dense is None else 2
        return (self.height() / len(self._names), name_width,
                max(self.width() - name_width - columns * column, 10.0), column)

    def _rows(self, top: int | None) -> QPixmap:
        """The names and the empty bar tracks, painted once per size, names and top class
        rather than on every stroke (text is the slow part of this widget's paint)."""
        ratio = self.devicePixelRatioF()
        key = (self.size(), ratio, self._names, top, self._dense is None,  # the track's width
               self.palette().cacheKey(), self.font().key())
        if self._rows_cache is None or self._rows_cache[0] != key:
            pixmap = QPixmap(self.size() * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            bold, name_width, _column = self._text_layout()
            row_height, bar_left, bar_width, _ = self._geometry()
            palette = self.palette()
            with QPainter(pixmap) as painter:
                painter.setPen(palette.color(QPalette.ColorRole.WindowText))
                for i, name in enumerate(self._names):
                    y = i * row_height
                    painter.setFont(bold if i == top else self.font())
                    painter.drawText(QRectF(0, y, name_width - 6, row_height),
                                     Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
                    painter.fillRect(QRectF(bar_left, y + row_height * 0.15, bar_width, row_height * 0.7),
                                     palette.color(QPalette.ColorRole.Base))
            self._rows_cache = (key, pixmap)
        return self._rows_cache[1]

    def paintEvent(self, event: QPaintEvent) -> None:
        top = self.top_class()
        row_height, bar_left, bar_width, column = self._geometry()
        top_colour, bar_colour = self._top_colour(), self._bar_colour()
        text = self.palette().color(QPalette.ColorRole.WindowText)
        align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        with QPainter(self) as painter:
            painter.drawPixmap(0, 0, self._rows(top))
            if self._cnn is not None:
                for i in range(len(self._names)):
                    y = i * row_height
                    track = QRectF(bar_left, y + row_height * 0.15, bar_width, row_height * 0.7)
                    bars = [(self._cnn[i], top_colour if i == top else bar_colour)]
                    if self._dense is not None:
                        bars.append((self._dense[i], DENSE_COLOUR))
                    height = track.height() / len(bars)
                    for j, (p, colour) in enumerate(bars):
                        painter.fillRect(QRectF(track.x(), track.y() + j * height,
                                                float(p) * bar_width, height), colour)
                        painter.setPen(colour if j else text)
                        cell = QRectF(bar_left + bar_width + j * column, y, column, row_height)
                        painter.drawText(cell, align, f"{100.0 * float(p):.1f}%")
        self.painted_version = self.version

    def _top_colour(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Highlight)

    def _bar_colour(self) -> QColor:
        colour = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        colour.setAlphaF(0.45)
        return colour


class ProbabilityPanel(QWidget):
    """The verdict line ("It's a 7 (97%)", "Draw something", an error) above the chart."""

    def __init__(self, dataset: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.headline.setFont(font)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setVisible(False)
        self.chart = ProbabilityChart(class_names(dataset))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addWidget(self.chart, 1)

    def headline_text(self) -> str:
        return self.headline.text()

    def detail_text(self) -> str:
        return self.detail.text() if self.detail.isVisibleTo(self) else ""

    def show_message(self, dataset: str, headline: str, detail: str = "") -> None:
        """No probabilities: a message instead of a guess (empty page, loading, an error)."""
        self.headline.setText(headline)
        self.set_detail(detail)
        self.chart.set_data(class_names(dataset), None)

    def show_probabilities(self, dataset: str, cnn: np.ndarray, dense: np.ndarray | None) -> None:
        self.headline.setText(verdict(dataset, cnn))
        legend = ""
        if dense is not None:
            legend = f"{verdict(dataset, dense, 'Dense network (orange)')}"
        self.set_detail(legend)
        self.chart.set_data(class_names(dataset), cnn, dense)

    def set_detail(self, text: str) -> None:
        """The smaller line under the verdict (hidden when empty)."""
        self.detail.setText(text)
        self.detail.setVisible(bool(text))
