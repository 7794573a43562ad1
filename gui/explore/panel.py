"""The exploration panel: the network as a strip of layers, a layer's maps, one map large with
its receptive field, kernels, top examples, channel ablation and saliency.

The panel owns an :class:`ExploreClient` (two worker threads) unless it is given one; every
TensorFlow call happens there. The panel only keeps plain arrays and paints them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.explore import colors
from gui.explore.maps import SCALINGS, activation_order, dead_channels, layer_mosaic, value_ranges
from gui.explore.views import (
    BarsView,
    InputView,
    KernelGrid,
    LayerStrip,
    MapGrid,
    MapView,
    Picture,
    TopExamplesView,
)
from gui.explore.worker import ExploreClient, ExploreResult, ModelFacts, TopResult
from model.architecture import FEATURE_LAYERS
from model.atomic import atomic_path
from model.explain import TOP_K, Rect, channel_masks, receptive_field

SCALING_TITLES = {"map": "per map", "layer": "per layer", "fixed": "fixed range"}
SALIENCY_TITLES = {"gradcam": "Grad-CAM (conv2)", "gradient": "input gradient"}
VIEWS = ("layer", "map", "kernels", "saliency", "top", "panel")  # what export_view can save
TOP_SHOWN = 12


def _quietly(setter, value) -> None:
    """Set a control's value without its change signal (the panel set it; nothing to react to)."""
    widget = setter.__self__
    blocked = widget.blockSignals(True)
    try:
        setter(value)
    finally:
        widget.blockSignals(blocked)


class ExplorePanel(QWidget):
    """See inside the network for the current drawing. Feed it :meth:`set_model` once and
    :meth:`set_image` for every drawing; connect its signals to the canvas.

    Click a layer in the strip; click a map to open it large (arrow keys then step through the
    maps), right-click a map to switch its channel off or on; hover a map position to outline
    what it sees. Call :meth:`shutdown` before the window goes (closing the panel does it).
    """

    sig_receptive_field = Signal(object)
    """The input rectangle (model.explain.Rect, 28x28 pixels) the hovered map position sees, or None."""

    sig_saliency_changed = Signal(object)
    """The saliency overlay shown ((28, 28) float32 in [0, 1]), or None when it is off."""

    sig_ablation_changed = Signal(object)
    """The channel masks ((4, 64) float32, 0 = switched off), or None when every channel is on."""

    sig_result_shown = Signal(object)
    """An ExploreResult is now on screen (the maps, probabilities and saliency it carries)."""

    def __init__(self, parent: QWidget | None = None, client: ExploreClient | None = None,
                 settings: QSettings | None = None):
        super().__init__(parent)
        self._owns_client = client is None
        self.client = client or ExploreClient(self)
        self._settings = settings
        self.facts: ModelFacts | None = None
        self.class_names: tuple[str, ...] = tuple(str(i) for i in range(10))
        self.image: np.ndarray | None = None
        self.result: ExploreResult | None = None
        self.layer = FEATURE_LAYERS[0]
        self.channel = -1  # the map opened large; -1: none
        self.order = np.arange(64)
        self.off: dict[str, set[int]] = {}
        self.scaling = self._setting("scaling", "map", SCALINGS)
        self.colormap = self._setting("colormap", "viridis", tuple(colors.COLORMAPS))
        self.saliency_method = self._setting("saliency_method", "gradcam", tuple(SALIENCY_TITLES))
        self.fixed_range = (0.0, 1.0)
        self.sorted = False
        self.saliency_on = False
        self._build()
        self.client.sig_model_ready.connect(self._on_model_ready)
        self.client.sig_model_failed.connect(self._on_model_failed)
        self.client.sig_result.connect(self._on_result)
        self.client.sig_top_progress.connect(self.top_view.set_progress)
        self.client.sig_top_ready.connect(self._on_top_ready)
        self.client.sig_top_failed.connect(self._on_top_failed)

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        self.status = QLabel("no model yet")
        self.scaling_box = QComboBox()
        for key in SCALINGS:
            self.scaling_box.addItem(SCALING_TITLES[key], key)
        self.scaling_box.setCurrentIndex(SCALINGS.index(self.scaling))
        self.scaling_box.setToolTip("Colour scale: each map on its own, every map of the layer on one "
                                    "scale (to compare them fairly), or a range you set")
        self.low_box, self.high_box = QDoubleSpinBox(), QDoubleSpinBox()
        for box, value in ((self.low_box, 0.0), (self.high_box, 1.0)):
            box.setRange(-1e4, 1e4)
            box.setDecimals(4)
            box.setSingleStep(0.1)
            box.setValue(value)
        self.colormap_box = QComboBox()
        self.colormap_box.addItems(list(colors.COLORMAPS))
        self.colormap_box.setCurrentText(self.colormap)
        self.sort_box = QCheckBox("sort by activation")
        self.saliency_box = QCheckBox("saliency")
        self.saliency_box.setToolTip("Overlay which pixels drove the top class")
        self.method_box = QComboBox()
        for key, title in SALIENCY_TITLES.items():
            self.method_box.addItem(title, key)
        self.method_box.setCurrentIndex(list(SALIENCY_TITLES).index(self.saliency_method))
        self.restore_button = QPushButton("Restore all channels")
        self.restore_button.setEnabled(False)
        self.export_button = QToolButton()
        self.export_button.setText("Export PNG")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        self.export_actions: dict[str, QAction] = {}
        for view, title in (("layer", "Layer grid..."), ("map", "Enlarged map..."),
                            ("kernels", "Kernels..."), ("saliency", "Input with saliency..."),
                            ("top", "Top examples..."), ("panel", "Whole panel...")):
            action = menu.addAction(title)
            action.triggered.connect(lambda _checked=False, v=view: self._on_export_chosen(v))
            self.export_actions[view] = action
        self.export_button.setMenu(menu)

        tools = QHBoxLayout()
        for widget in (QLabel("scale"), self.scaling_box, self.low_box, self.high_box,
                       QLabel("colours"), self.colormap_box, self.sort_box, self.saliency_box,
                       self.method_box, self.restore_button, self.export_button):
            tools.addWidget(widget)
        tools.addStretch(1)

        self.strip = LayerStrip()
        strip_area = QScrollArea()
        strip_area.setWidget(self.strip)
        strip_area.setWidgetResizable(True)
        strip_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        strip_area.setFixedHeight(150)

        self.grid = MapGrid()
        self.bars = BarsView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.bars)
        self.layer_hint = QLabel("click a map to open it; right-click to switch its channel off")
        left = _column(self.stack, self.layer_hint)

        self.map_view = MapView()
        self.off_box = QCheckBox("switch this channel off")
        self.off_box.setEnabled(False)
        map_box = _column(self.map_view, self.off_box)

        self.input_view = InputView()
        self.probabilities = BarsView()
        self.ablation_label = QLabel(" ")
        self.ablation_label.setWordWrap(True)
        probs_box = _column(self.probabilities, self.ablation_label)
        seen = QWidget()
        seen_layout = QHBoxLayout(seen)
        seen_layout.setContentsMargins(0, 0, 0, 0)
        seen_layout.addWidget(self.input_view, 1)
        seen_layout.addWidget(probs_box, 1)

        self.kernel_grid = KernelGrid()
        self.top_view = TopExamplesView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.kernel_grid, "Kernels")
        self.tabs.addTab(self.top_view, "Top examples")

        right = QSplitter(Qt.Orientation.Vertical)
        for widget in (map_box, seen, self.tabs):
            right.addWidget(widget)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(strip_area)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status)

        self.strip.sig_layer_selected.connect(self.select_layer)
        self.grid.sig_map_clicked.connect(self._on_map_clicked)
        self.grid.sig_map_toggled.connect(self._on_map_toggled)
        self.grid.sig_hovered.connect(self._on_grid_hovered)
        self.map_view.sig_hovered.connect(self._on_map_hovered)
        self.map_view.sig_step.connect(self._on_step)
        self.off_box.toggled.connect(self._on_off_box_toggled)
        self.restore_button.clicked.connect(self.restore_channels)
        self.scaling_box.currentIndexChanged.connect(self._on_scaling_changed)
        self.low_box.valueChanged.connect(self._on_fixed_range_changed)
        self.high_box.valueChanged.connect(self._on_fixed_range_changed)
        self.colormap_box.currentTextChanged.connect(self.set_colormap)
        self.sort_box.toggled.connect(self.set_sorted)
        self.saliency_box.toggled.connect(self.set_saliency)
        self.method_box.currentIndexChanged.connect(self._on_method_changed)
        self.tabs.currentChanged.connect(lambda _index: self._refresh_top())
        self._update_tool_states()

    def _setting(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        if self._settings is None:
            return default
        value = str(self._settings.value(f"explore/{key}", default))
        return value if value in allowed else default

    def _remember(self, key: str, value: str) -> None:
        if self._settings is not None:
            self._settings.setValue(f"explore/{key}", value)

    # ------------------------------------------------------------------ public API

    def set_model(self, path: str | os.PathLike | None, dataset: str, keras_model=None) -> None:
        """Explore this model (loaded in the worker from ``path`` unless ``keras_model`` is given;
        ``path`` also keys the top-examples cache)."""
        from model.datasets import class_names

        self.class_names = class_names(dataset)
        self.facts, self.result = None, None
        if self.off:  # another model: its channels start all on
            self.off.clear()
            self._update_restore_button()
            self.sig_ablation_changed.emit(None)
        self.status.setText(f"loading the {dataset} model ...")
        self.top_view.set_message("select a map to see the test images that excite it most")
        self.client.set_model(path, dataset, keras_model)
        self._update_tool_states()

    def set_image(self, image: np.ndarray | None) -> None:
        """The current drawing as the network sees it ((28, 28, 1) floats), or None to clear."""
        self.image = None if image is None else np.asarray(image, np.float32).reshape(28, 28, 1)
        if self.image is None:
            self.result = None
            self._refresh_all()
            return
        self.input_view.set_image(self.image)
        self._request()

    def select_layer(self, name: str) -> None:
        """Show a layer: its maps (conv and pool layers) or its activations as bars."""
        self.layer = name
        self.strip.select(name)
        if self.channel >= 0 and name not in FEATURE_LAYERS:
            self.channel = -1
        self.input_view.set_field(None)
        self._refresh_all()

    def open_map(self, channel: int) -> None:
        """Open map ``channel`` of the current layer large."""
        self.channel = channel
        self._refresh_layer()
        self._refresh_map()
        self._refresh_kernels()
        self._refresh_top()

    def set_channel_off(self, layer: str, channel: int, off: bool = True) -> None:
        """Switch a channel off (its map zeroed) or back on; the probabilities follow."""
        channels = self.off.setdefault(layer, set())
        if off:
            channels.add(channel)
        else:
            channels.discard(channel)
        if not channels:
            del self.off[layer]
        self._ablation_changed()

    def restore_channels(self) -> None:
        """Every channel back on, in one click."""
        if self.off:
            self.off.clear()
            self._ablation_changed()

    def masks(self) -> np.ndarray | None:
        """The channel masks now in force, or None when every channel is on."""
        return channel_masks(self.off) if self.off else None

    def set_scaling(self, scaling: str, fixed: tuple[float, float] | None = None) -> None:
        if scaling not in SCALINGS:
            raise ValueError(f"unknown scaling {scaling!r}")
        if fixed is not None:
            self.low_box.setValue(fixed[0])
            self.high_box.setValue(fixed[1])
        self.scaling_box.setCurrentIndex(SCALINGS.index(scaling))
        self._on_scaling_changed()

    def set_colormap(self, name: str) -> None:
        if name not in colors.COLORMAPS:
            raise ValueError(f"unknown colour map {name!r}")
        self.colormap = name
        _quietly(self.colormap_box.setCurrentText, name)
        self._remember("colormap", name)
        self._refresh_layer()
        self._refresh_map()

    def set_sorted(self, on: bool) -> None:
        """Order the layer's maps by activation on this drawing (on), or naturally (off)."""
        self.sorted = bool(on)
        _quietly(self.sort_box.setChecked, self.sorted)
        self._refresh_layer()

    def set_saliency(self, on: bool, method: str | None = None) -> None:
        """Show (and recompute live) the saliency overlay, or hide it."""
        if method is not None:
            _quietly(self.method_box.setCurrentIndex, list(SALIENCY_TITLES).index(method))
            self.saliency_method = method
            self._remember("saliency_method", method)
        self.saliency_on = bool(on)
        _quietly(self.saliency_box.setChecked, self.saliency_on)
        self._update_tool_states()
        if not self.saliency_on:
            self._refresh_saliency()
        elif self.result is not None and self.result.gradcam is not None:
            self._refresh_saliency()
        else:
            self._request()

    def export_view(self, view: str, path: str | os.PathLike) -> Path:
        """Save one view as PNG (atomically): "layer", "map", "kernels", "saliency", "top", "panel"."""
        widgets = {"layer": self.stack.currentWidget(), "map": self.map_view, "kernels": self.kernel_grid,
                   "saliency": self.input_view, "top": self.top_view, "panel": self}
        if view not in widgets:
            raise ValueError(f"unknown view {view!r}; choose one of {VIEWS}")
        pixmap = widgets[view].grab()
        target = Path(path)
        with atomic_path(target) as tmp:
            if not pixmap.save(str(tmp), "PNG"):
                raise OSError(f"could not write {target}")
        return target

    def shutdown(self) -> None:
        """Stop the worker threads, if the panel made them."""
        if self._owns_client:
            self.client.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------------ requests and results

    def _request(self) -> None:
        if self.image is None:
            return
        self.client.request(self.image, self.masks(), self.saliency_on)

    def _update_restore_button(self) -> None:
        self.restore_button.setEnabled(bool(self.off))
        self.restore_button.setText(f"Restore all channels ({sum(map(len, self.off.values()))} off)"
                                    if self.off else "Restore all channels")

    def _ablation_changed(self) -> None:
        self._update_restore_button()
        self.sig_ablation_changed.emit(self.masks())
        self._sync_off_box()
        self._refresh_layer()
        self._request()

    def _on_model_ready(self, facts: ModelFacts) -> None:
        self.facts = facts
        self.strip.set_layers(facts.layers)
        self.strip.select(self.layer)
        self.status.setText(f"{facts.dataset} model: {facts.total_params:,} parameters"
                            + (f" ({facts.path.name})" if facts.path else ""))
        self._update_tool_states()
        self._refresh_all()
        self._request()

    def _on_model_failed(self, reason: str) -> None:
        self.status.setText(f"cannot explore this model: {reason}")

    def _on_result(self, result: ExploreResult) -> None:
        if result.error:
            self.status.setText(f"exploration failed: {result.error}")
            return
        self.result = result
        self._refresh_all()
        self.sig_result_shown.emit(result)

    # ------------------------------------------------------------------ what is shown

    def _shown_maps(self, layer: str) -> np.ndarray | None:
        shown = self.result.shown() if self.result is not None else None
        if shown is None or layer not in FEATURE_LAYERS:
            return None
        return shown.feature_maps[FEATURE_LAYERS.index(layer)]

    def _refresh_all(self) -> None:
        self._refresh_layer()
        self._refresh_map()
        self._refresh_probabilities()
        self._refresh_saliency()
        self._refresh_kernels()
        self._refresh_top()
        if self.image is None:
            self.input_view.set_image(None)

    def _refresh_layer(self) -> None:
        if self.layer not in FEATURE_LAYERS:
            self.stack.setCurrentWidget(self.bars)
            self.layer_hint.setText(" ")
            self._refresh_bars()
            return
        self.stack.setCurrentWidget(self.grid)
        self.layer_hint.setText("click a map to open it; right-click to switch its channel off")
        maps = self._shown_maps(self.layer)
        if maps is None:
            self.grid.set_layer(None, (0, 0), np.arange(64), np.zeros(64, bool), frozenset(), -1)
            return
        self.order = activation_order(maps) if self.sorted else np.arange(maps.shape[-1])
        table = colors.COLORMAPS[self.colormap]
        picture = Picture(layer_mosaic(maps, self.order, self.scaling, table, self.fixed_range))
        off = frozenset(self.off.get(self.layer, ()))
        dead = dead_channels(maps)
        self.grid.set_layer(picture, maps.shape[:2], self.order, dead, off, self.channel)

    def _refresh_bars(self) -> None:
        result = self.result
        shown = result.shown() if result is not None else None
        if shown is None:
            self.bars.set_values(None, title=self.layer)
            return
        before = result.prediction if result.ablated is not None else None
        if self.layer == "flatten":
            values, reference = shown.feature_maps[-1].ravel(), None
            title = f"flatten: the {values.size:,} values the dense layer reads"
        elif self.layer == "dense":
            values = shown.dense
            reference = before.dense if before is not None else None
            title = f"dense: {values.size} activations"
        else:
            values = shown.probabilities
            reference = before.probabilities if before is not None else None
            title = "probabilities"
        labels = self.class_names if values.size == len(self.class_names) else ()
        self.bars.set_values(values, labels, reference, title)

    def _refresh_map(self) -> None:
        maps = self._shown_maps(self.layer)
        if maps is None or self.channel < 0:
            self.map_view.set_map(None, title="click a map" if self.layer in FEATURE_LAYERS else " ")
            self._sync_off_box()
            return
        low, high = value_ranges(maps, self.scaling, self.fixed_range)
        channel = self.channel
        state = " - switched off" if channel in self.off.get(self.layer, ()) else ""
        self.map_view.set_map(maps[..., channel], float(low[channel]), float(high[channel]),
                              colors.COLORMAPS[self.colormap],
                              f"{self.layer}, map {channel} of {maps.shape[-1]}{state}")
        self._sync_off_box()

    def _sync_off_box(self) -> None:
        usable = self.layer in FEATURE_LAYERS and self.channel >= 0
        self.off_box.setEnabled(usable)
        _quietly(self.off_box.setChecked, usable and self.channel in self.off.get(self.layer, ()))

    def _refresh_probabilities(self) -> None:
        result = self.result
        if result is None or result.prediction is None:
            self.probabilities.set_values(None, title="probabilities")
            self.ablation_label.setText(" ")
            return
        before = result.prediction.probabilities
        if result.ablated is None:
            self.probabilities.set_values(before, self.class_names, title="probabilities")
            self.ablation_label.setText("every channel on")
            return
        after = result.ablated.probabilities
        self.probabilities.set_values(after, self.class_names, before,
                                      "probabilities with channels off (dashed: all on)")
        count = sum(map(len, self.off.values()))
        was, now = self.class_names[int(np.argmax(before))], self.class_names[int(np.argmax(after))]
        self.ablation_label.setText(f"{count} channel{'s' if count != 1 else ''} off: "
                                    f"{now} {after.max():.1%} (all on: {was} {before.max():.1%})")

    def _refresh_saliency(self) -> None:
        result = self.result
        saliency = None
        if self.saliency_on and result is not None and result.gradcam is not None:
            saliency = result.gradcam if self.saliency_method == "gradcam" else result.gradient
        changed = (saliency is None) != (self.input_view.saliency is None) or (
            saliency is not None and not np.array_equal(saliency, self.input_view.saliency))
        self.input_view.set_saliency(saliency)
        if changed:
            self.sig_saliency_changed.emit(saliency)

    def _refresh_kernels(self) -> None:
        if self.facts is None:
            self.kernel_grid.set_kernels(None, "no model yet")
            return
        kernels = self.facts.kernels
        first = self.layer in FEATURE_LAYERS[:2]
        if first or self.layer not in FEATURE_LAYERS:
            self.kernel_grid.set_kernels(kernels.first_layer(), "the 64 first-layer 3x3 kernels",
                                         self.channel if first else -1)
        elif self.channel < 0:
            self.kernel_grid.set_kernels(None, "open a second-layer map to see its 64 input kernels")
        else:
            self.kernel_grid.set_kernels(kernels.inputs_of(self.channel),
                                         f"conv2 map {self.channel}: its kernel on each of the 64 input maps")

    def _refresh_top(self) -> None:
        if self.tabs.currentWidget() is not self.top_view:
            return
        if self.facts is None or self.layer not in FEATURE_LAYERS or self.channel < 0:
            self.top_view.set_examples(None, title="select a map to see the test images that excite it most")
            return
        top = self.client.top
        if top is None:
            self.client.find_top_examples()
            return
        self._show_top(top)

    def _show_top(self, top: TopResult) -> None:
        examples = top.examples.top(self.layer, self.channel, min(TOP_SHOWN, TOP_K))
        images = top.images[[e.index for e in examples]]
        rects = [receptive_field(self.facts.fields, self.layer, e.row, e.col) for e in examples]
        self.top_view.set_examples(
            images, rects, [e.value for e in examples],
            f"{self.layer} map {self.channel}: the test images that excite it most (hottest patch outlined)",
        )

    def _on_top_ready(self, top: TopResult) -> None:
        self._refresh_top()

    def _on_top_failed(self, reason: str) -> None:
        self.top_view.set_message(f"no top examples: {reason}")

    def _update_tool_states(self) -> None:
        fixed = self.scaling == "fixed"
        self.low_box.setEnabled(fixed)
        self.high_box.setEnabled(fixed)
        self.method_box.setEnabled(self.saliency_on)

    # ------------------------------------------------------------------ user actions

    def _field(self, layer: str, row: int, col: int) -> Rect | None:
        if self.facts is None or row < 0 or layer not in self.facts.fields:
            return None
        return receptive_field(self.facts.fields, layer, row, col)

    def _on_grid_hovered(self, channel: int, row: int, col: int) -> None:
        rect = self._field(self.layer, row, col) if channel >= 0 else None
        self.input_view.set_field(rect)
        self.sig_receptive_field.emit(rect)

    def _on_map_hovered(self, row: int, col: int) -> None:
        rect = self._field(self.layer, row, col)
        self.input_view.set_field(rect)
        self.sig_receptive_field.emit(rect)

    def _on_map_clicked(self, channel: int) -> None:
        self.open_map(channel)
        self.map_view.setFocus(Qt.FocusReason.MouseFocusReason)

    def _on_map_toggled(self, channel: int) -> None:
        self.set_channel_off(self.layer, channel, channel not in self.off.get(self.layer, ()))

    def _on_off_box_toggled(self, checked: bool) -> None:
        if self.channel >= 0 and self.layer in FEATURE_LAYERS:
            self.set_channel_off(self.layer, self.channel, checked)
            self._refresh_map()

    def _on_step(self, step: int) -> None:
        if self.channel < 0 or self.layer not in FEATURE_LAYERS:
            return
        position = int(np.flatnonzero(self.order == self.channel)[0]) + step
        if 0 <= position < len(self.order):
            self.open_map(int(self.order[position]))

    def _on_scaling_changed(self, _index: int = -1) -> None:
        self.scaling = self.scaling_box.currentData()
        self._remember("scaling", self.scaling)
        self._update_tool_states()
        self._refresh_layer()
        self._refresh_map()

    def _on_fixed_range_changed(self, _value: float) -> None:
        self.fixed_range = (self.low_box.value(), self.high_box.value())
        if self.scaling == "fixed":
            self._refresh_layer()
            self._refresh_map()

    def _on_method_changed(self, _index: int) -> None:
        self.saliency_method = self.method_box.currentData()
        self._remember("saliency_method", self.saliency_method)
        self._refresh_saliency()

    def _on_export_chosen(self, view: str) -> None:
        name = f"sketchscope-{view}.png" if view not in ("layer", "map") else (
            f"sketchscope-{self.layer}{'-map' + str(self.channel) if view == 'map' else ''}.png")
        path, _filter = QFileDialog.getSaveFileName(self, "Export view as PNG", name, "PNG images (*.png)")
        if not path:
            return
        try:
            saved = self.export_view(view, path)
        except OSError as exc:
            self.status.setText(f"could not export: {exc}")
            return
        self.status.setText(f"saved {saved}")


def _column(main: QWidget, below: QWidget) -> QWidget:
    """``main`` taking the room, with ``below`` under it, no margins."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(main, 1)
    layout.addWidget(below)
    return box
