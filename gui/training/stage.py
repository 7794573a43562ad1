"""The live training in presentation mode: large type, white on black, for the back row.

One line says where the run is (step, held-out accuracy, time left); below it the curves, and
beside them what the network in training answers for the drawing on the canvas, with the
drawing's first-layer maps and the 64 kernels that made them. Presentation mode shows this
under the canvas while a run exists (``PresentationWindow.show_extra``).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gui.colormap import feature_grid
from gui.training.panel import clock
from gui.training.plots import Curves, CurvesPlot, kernel_mosaic
from gui.views.feature_maps import MosaicView
from gui.views.probabilities import LOW_CONFIDENCE

ACCENT = "#ffd600"  # presentation mode's yellow
SMALL_SCALE = 0.7  # the curves' and pictures' labels, relative to the presentation's type


class TrainingStage(QWidget):
    """Curves, the answer of the network in training, its conv1 maps and kernels."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.headline = QLabel("Training…")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.headline.setWordWrap(True)
        self.plot = CurvesPlot()
        self.plot.set_dark(True)
        self.answer = QLabel()
        self.answer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.answer.setStyleSheet(f"color: {ACCENT};")
        self.maps = MosaicView()
        self.maps.setToolTip("conv1's 64 maps of the drawing, under the weights in training")
        self.kernels = MosaicView()
        self.kernels.setToolTip("conv1's 64 kernels as they are now")
        self.maps_title = QLabel("conv1 maps")
        self.kernels_title = QLabel("conv1 kernels")
        for view in (self.maps, self.kernels):
            view.setMinimumSize(80, 80)
        self.plot.setMinimumWidth(260)
        for label in (self.answer, self.maps_title, self.kernels_title):
            # Their text may be cut, rather than widen the presentation past its screen.
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        pictures = QGridLayout()
        pictures.addWidget(self.maps_title, 0, 0)
        pictures.addWidget(self.kernels_title, 0, 1)
        pictures.addWidget(self.maps, 1, 0)
        pictures.addWidget(self.kernels, 1, 1)
        pictures.setRowStretch(1, 1)
        side = QVBoxLayout()
        side.addWidget(self.answer)
        side.addLayout(pictures, 1)
        row = QHBoxLayout()
        row.addWidget(self.plot, 3)
        row.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addLayout(row, 1)
        self._names: tuple[str, ...] = ()

    def set_base_font(self, font: QFont) -> None:
        """Take the presentation window's type and make the headline and answer larger."""
        bold = QFont(font)
        bold.setBold(True)
        for label in (self.headline, self.answer):
            label.setFont(bold)
        small = QFont(font)
        small.setPointSizeF(font.pointSizeF() * SMALL_SCALE)
        for widget in (self.plot, self.maps_title, self.kernels_title):
            widget.setFont(small)

    def show_started(self, names: tuple[str, ...], total_steps: int) -> None:
        self._names = names
        self.plot.set_curves(Curves(total_steps=total_steps))
        self.headline.setText("Training starts: a fresh network, random weights")
        self.answer.setText("")
        self.maps.set_rgba(None)
        self.kernels.set_rgba(None)

    def show_report(self, report, curves: Curves) -> None:
        self.plot.set_curves(curves)
        done = report.step >= report.total_steps or report.step == 0
        left = "" if done else f" · {clock(report.seconds_left)} left"
        self.headline.setText(f"Step {report.step:,} of {report.total_steps:,} · "
                              f"{100 * report.test_accuracy:.1f}% right{left}")
        self.kernels.set_rgba(kernel_mosaic(report.kernels))
        if report.drawing is not None:
            self.show_drawing(report.drawing)

    def show_drawing(self, answer) -> None:
        probabilities = answer.probabilities
        if probabilities is None or not self._names:
            self.answer.setText("Draw something")
            self.maps.set_rgba(None)
            return
        top = int(np.argmax(probabilities))
        share = float(probabilities[top])
        sure = "" if share >= LOW_CONFIDENCE else "?"
        self.answer.setText(f"It says {self._names[top]}{sure} ({100 * share:.0f}%)")
        self.maps.set_rgba(feature_grid(answer.maps[0]) if answer.maps else None)
