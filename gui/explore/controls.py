"""The Explore view's tool row: colour scale and map, sorting, saliency, restoring channels, export."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QWidget,
)

from gui import colormap
from gui.explore.maps import SCALINGS
from gui.settings import read_choice

SCALING_TITLES = {"map": "per map", "layer": "per layer", "fixed": "fixed range"}
SALIENCY_TITLES = {"gradcam": "Grad-CAM (conv2)", "gradient": "input gradient"}
EXPORT_TITLES = {"layer": "Layer grid...", "map": "Enlarged map...", "kernels": "Kernels...",
                 "saliency": "Input with saliency...", "top": "Top examples...", "panel": "Whole panel..."}


def quietly(setter, value) -> None:
    """Set a control's value without its change signal (the code set it; nothing to react to)."""
    widget = setter.__self__
    blocked = widget.blockSignals(True)
    try:
        setter(value)
    finally:
        widget.blockSignals(blocked)


class ExploreControls(QWidget):
    """The controls above the Explore view; it remembers the user's choices in ``settings``."""

    sig_export_chosen = Signal(str)
    """Export one view ("layer", "map", "kernels", "saliency", "top", "panel")."""

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._settings = settings
        self.scaling_box = QComboBox()
        for key in SCALINGS:
            self.scaling_box.addItem(SCALING_TITLES[key], key)
        self.scaling_box.setCurrentIndex(SCALINGS.index(self._setting("scaling", "map", SCALINGS)))
        self.scaling_box.setToolTip("Colour scale: each map on its own, every map of the layer on one "
                                    "scale (to compare them fairly), or a range you set")
        self.low_box, self.high_box = QDoubleSpinBox(), QDoubleSpinBox()
        for box, value in ((self.low_box, 0.0), (self.high_box, 1.0)):
            box.setRange(-1e4, 1e4)
            box.setDecimals(4)
            box.setSingleStep(0.1)
            box.setValue(value)
        self.colormap_box = QComboBox()
        self.colormap_box.addItems(list(colormap.COLORMAPS))
        self.colormap_box.setCurrentText(self._setting("colormap", "viridis", tuple(colormap.COLORMAPS)))
        self.sort_box = QCheckBox("sort by activation")
        self.saliency_box = QCheckBox("saliency")
        self.saliency_box.setToolTip("Overlay which pixels drove the top class")
        self.method_box = QComboBox()
        for key, title in SALIENCY_TITLES.items():
            self.method_box.addItem(title, key)
        method = self._setting("saliency_method", "gradcam", tuple(SALIENCY_TITLES))
        self.method_box.setCurrentIndex(list(SALIENCY_TITLES).index(method))
        self.saliency_state = QLabel("")
        self.restore_button = QPushButton("Restore all channels")
        self.restore_button.setEnabled(False)
        self.export_button = self._export_button()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel("scale"), self.scaling_box, self.low_box, self.high_box,
                       QLabel("colours"), self.colormap_box, self.sort_box, self.saliency_box,
                       self.method_box, self.saliency_state, self.restore_button, self.export_button):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.scaling_box.currentIndexChanged.connect(lambda _i: self._remember("scaling", self.scaling()))
        self.colormap_box.currentTextChanged.connect(lambda name: self._remember("colormap", name))
        self.method_box.currentIndexChanged.connect(
            lambda _i: self._remember("saliency_method", self.saliency_method()))
        self.update_states()

    def _export_button(self) -> QToolButton:
        button = QToolButton()
        button.setText("Export PNG")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        self.export_actions: dict[str, QAction] = {}
        for view, title in EXPORT_TITLES.items():
            action = menu.addAction(title)
            action.triggered.connect(lambda _checked=False, v=view: self.sig_export_chosen.emit(v))
            self.export_actions[view] = action
        button.setMenu(menu)
        return button

    def _setting(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        if self._settings is None:
            return default
        return read_choice(self._settings, f"explore/{key}", default, allowed)

    def _remember(self, key: str, value: str) -> None:
        if self._settings is not None:
            self._settings.setValue(f"explore/{key}", value)

    def scaling(self) -> str:
        return self.scaling_box.currentData()

    def fixed_range(self) -> tuple[float, float]:
        return self.low_box.value(), self.high_box.value()

    def colormap(self) -> str:
        return self.colormap_box.currentText()

    def saliency_method(self) -> str:
        return self.method_box.currentData()

    def update_states(self) -> None:
        """Enable what applies: the range boxes for a fixed scale, the method with saliency on."""
        fixed = self.scaling() == "fixed"
        self.low_box.setEnabled(fixed)
        self.high_box.setEnabled(fixed)
        self.method_box.setEnabled(self.saliency_box.isChecked())

    def show_saliency_state(self, text: str) -> None:
        """A word on the saliency beside its check box ("" when there is nothing to say)."""
        self.saliency_state.setText(text)

    def show_channels_off(self, count: int) -> None:
        self.restore_button.setEnabled(count > 0)
        suffix = f" ({count} off)" if count else ""
        self.restore_button.setText(f"Restore all channels{suffix}")
