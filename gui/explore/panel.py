"""The exploration panel: the network as a strip of layers, a layer's maps, one map large with
its receptive field, kernels, top examples, channel ablation and saliency.

The panel does no arithmetic and owns no thread: it shows what it is given (the model's facts,
the engine's answers for the current drawing, the top examples) and says, by its signals, what
it wants computed. :class:`gui.explore.link.ExploreLink` connects it to the engine client and the
live view.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui import colormap
from gui.colormap import input_pixels, overlay_rgba
from gui.explore.controls import ExploreControls, quietly
from gui.explore.maps import (
    activation_order,
    dead_channels,
    kernels_for,
    layer_bars,
    layer_mosaic,
    value_ranges,
)
from gui.explore.views import (
    BarsView,
    KernelGrid,
    LayerStrip,
    MapGrid,
    MapView,
    Picture,
    SeenBox,
    TopExamplesView,
)
from gui.jobs import FactsAnswer, LiveResult, TopResult
from gui.qimage import save_widget_png
from model.architecture import FEATURE_LAYERS
from model.datasets import class_names
from model.explain import ModelFacts, Rect, channel_masks, receptive_field

VIEWS = ("layer", "map", "kernels", "saliency", "top", "panel")  # what export_view can save
TOP_SHOWN = 12


class ExplorePanel(QWidget):
    """See inside the network for the current drawing.

    Click a layer in the strip; click a map to open it large (arrow keys then step through the
    maps), right-click a map to switch its channel off or on; hover a map position to outline
    what it sees.
    """

    sig_receptive_field = Signal(object)
    """The input rectangle (model.explain.Rect, 28x28 pixels) the hovered map position sees, or None."""

    sig_saliency_changed = Signal(object)
    """The saliency overlay shown ((28, 28) float32 in [0, 1]), or None when it is off."""

    sig_ablation_changed = Signal(object)
    """The channel masks ((4, 64) float32, 0 = switched off), or None when every channel is on."""

    sig_wants_changed = Signal()
    """What the panel wants computed for each drawing (masks, saliency) changed: ask again."""

    sig_top_examples_wanted = Signal()
    """The top examples are needed (a map is open on the Top examples tab) and not here yet."""

    sig_result_shown = Signal(object)
    """A LiveResult is now on screen (the maps, probabilities and saliency it carries)."""

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.dataset = ""
        self.facts: ModelFacts | None = None
        self.class_names: tuple[str, ...] = tuple(str(i) for i in range(10))
        self.result: LiveResult | None = None
        self.top: TopResult | None = None
        self._top_asked = False
        self.layer = FEATURE_LAYERS[0]
        self.channel = -1  # the map opened large; -1: none
        self.saliency: np.ndarray | None = None  # the overlay on the input, (28, 28) in [0, 1]
        self.order = np.arange(64)
        self.off: dict[str, set[int]] = {}
        self.sorted = False
        self.controls = ExploreControls(settings)
        for name in ("scaling_box", "low_box", "high_box", "colormap_box", "sort_box",
                     "saliency_box", "method_box", "restore_button"):
            setattr(self, name, getattr(self.controls, name))
        self._build()

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        self.status = QLabel("no model yet")
        self.strip = LayerStrip()
        strip_area = QScrollArea()
        strip_area.setWidget(self.strip)
        strip_area.setWidgetResizable(True)
        strip_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        strip_area.setFixedHeight(150)
        self.grid, self.bars = MapGrid(), BarsView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.bars)
        self.layer_hint = QLabel("click a map to open it; right-click to switch its channel off")
        self.map_view = MapView()
        self.off_box = QCheckBox("switch this channel off")
        self.off_box.setEnabled(False)
        seen = SeenBox()
        self.input_view, self.probabilities, self.ablation_label = seen.input_view, seen.bars, seen.label
        self._seen = seen
        self.kernel_grid, self.top_view = KernelGrid(), TopExamplesView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.kernel_grid, "Kernels")
        self.tabs.addTab(self.top_view, "Top examples")
        right = QSplitter(Qt.Orientation.Vertical)
        for widget in (_column(self.map_view, self.off_box), seen, self.tabs):
            right.addWidget(widget)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(_column(self.stack, self.layer_hint))
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        for widget, stretch in ((self.controls, 0), (strip_area, 0), (self.splitter, 1), (self.status, 0)):
            layout.addWidget(widget, stretch)
        self._connect()

    def _connect(self) -> None:
        self.strip.sig_layer_selected.connect(self.select_layer)
        self.grid.sig_map_clicked.connect(self._on_map_clicked)
        self.grid.sig_map_toggled.connect(self._on_map_toggled)
        self.grid.sig_hovered.connect(self._on_grid_hovered)
        self.map_view.sig_hovered.connect(self._on_map_hovered)
        self.map_view.sig_step.connect(self._on_step)
        self.off_box.toggled.connect(self._on_off_box_toggled)
        self.restore_button.clicked.connect(self.restore_channels)
        self.scaling_box.currentIndexChanged.connect(self._on_scale_changed)
        self.low_box.valueChanged.connect(self._on_scale_changed)
        self.high_box.valueChanged.connect(self._on_scale_changed)
        self.colormap_box.currentTextChanged.connect(self.set_colormap)
        self.sort_box.toggled.connect(self.set_sorted)
        self.saliency_box.toggled.connect(self.set_saliency)
        self.method_box.currentIndexChanged.connect(lambda _i: self._refresh_saliency())
        self.controls.sig_export_chosen.connect(self._on_export_chosen)
        self.tabs.currentChanged.connect(lambda _index: self._refresh_top())

    # ------------------------------------------------------------------ fed from outside

    def set_dataset(self, dataset: str) -> None:
        """Explore ``dataset``'s model from now on: its facts and answers come next."""
        if dataset != self.dataset:
            self.set_model(dataset)

    def set_model(self, dataset: str) -> None:
        """Explore a model for ``dataset`` afresh (another dataset, or another model for it):
        what was known of the one before goes; its facts and answers come next."""
        self.dataset, self.class_names = dataset, class_names(dataset)
        self.facts, self.result, self.top, self._top_asked = None, None, None, False
        if self.off:  # another model: its channels start all on
            self.off.clear()
            self._ablation_changed()
        self.status.setText(f"loading the {dataset} model ...")
        self.top_view.set_message("select a map to see the test images that excite it most")
        self._refresh_all()

    def set_facts(self, answer: FactsAnswer) -> None:
        """The model's layers, receptive fields and kernels (or why there are none)."""
        if answer.facts is None:
            self.status.setText(f"cannot explore this model: {answer.error}")
            return
        self.facts = answer.facts
        self.strip.set_layers(answer.facts.layers)
        self.strip.select(self.layer)
        self.status.setText(f"{answer.dataset} model: {answer.facts.total_params:,} parameters")
        self._refresh_all()

    def show_result(self, result: LiveResult | None) -> None:
        """The engine's answers for the current drawing (None: there is none)."""
        if result is not None and result.error:
            self.status.setText(f"exploration failed: {result.error}")
            return
        self.result = result if result is not None and result.prediction is not None else None
        self._refresh_all()
        if self.result is not None:
            self.sig_result_shown.emit(self.result)

    def set_top_examples(self, top: TopResult) -> None:
        self.top = top
        self._refresh_top()

    def set_top_progress(self, done: int, total: int) -> None:
        self.top_view.set_progress(done, total)

    def set_top_failed(self, reason: str) -> None:
        self._top_asked = False
        self.top_view.set_message(f"no top examples: {reason}")

    @property
    def image(self) -> np.ndarray | None:
        """The network input explored now, (28, 28, 1) float32."""
        return None if self.result is None else self.result.net_input

    def masks(self) -> np.ndarray | None:
        """The channel masks now in force, or None when every channel is on."""
        return channel_masks(self.off) if self.off else None

    def wants_saliency(self) -> bool:
        return self.saliency_box.isChecked()

    # ------------------------------------------------------------------ what the user can do

    def select_layer(self, name: str) -> None:
        """Show a layer: its maps (conv and pool layers) or its activations as bars."""
        self.layer = name
        self.strip.select(name)
        if self.channel >= 0 and name not in FEATURE_LAYERS:
            self.channel = -1
        self.input_view.set_outline(None)
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
        changed = (channel in channels) != off
        if off:
            channels.add(channel)
        else:
            channels.discard(channel)
        if not channels:
            del self.off[layer]
        if changed:
            self._ablation_changed()

    def restore_channels(self) -> None:
        """Every channel back on, in one click."""
        if self.off:
            self.off.clear()
            self._ablation_changed()

    def set_scaling(self, scaling: str, fixed: tuple[float, float] | None = None) -> None:
        if fixed is not None:
            quietly(self.low_box.setValue, fixed[0])
            quietly(self.high_box.setValue, fixed[1])
        self.scaling_box.setCurrentIndex(self.scaling_box.findData(scaling))
        self._on_scale_changed()

    @property
    def scaling(self) -> str:
        return self.controls.scaling()

    def set_colormap(self, name: str) -> None:
        if name not in colormap.COLORMAPS:
            raise ValueError(f"unknown colour map {name!r}")
        quietly(self.colormap_box.setCurrentText, name)
        self._refresh_layer()
        self._refresh_map()

    def set_sorted(self, on: bool) -> None:
        """Order the layer's maps by activation on this drawing (on), or naturally (off)."""
        self.sorted = bool(on)
        quietly(self.sort_box.setChecked, self.sorted)
        self._refresh_layer()

    def set_saliency(self, on: bool, method: str | None = None) -> None:
        """Show (and recompute live) the saliency overlay, or hide it."""
        if method is not None:
            quietly(self.method_box.setCurrentIndex, self.method_box.findData(method))
        quietly(self.saliency_box.setChecked, bool(on))
        self.controls.update_states()
        if on and (self.result is None or self.result.explanation is None):
            self.sig_wants_changed.emit()
        self._refresh_saliency()

    def export_view(self, view: str, path: str | os.PathLike) -> Path:
        """Save one view as PNG (atomically): "layer", "map", "kernels", "saliency", "top", "panel"."""
        widgets = {"layer": self.stack.currentWidget(), "map": self.map_view, "kernels": self.kernel_grid,
                   "saliency": self.input_view, "top": self.top_view, "panel": self}
        if view not in widgets:
            raise ValueError(f"unknown view {view!r}; choose one of {VIEWS}")
        return save_widget_png(widgets[view], path)

    def _ablation_changed(self) -> None:
        self.controls.show_channels_off(sum(map(len, self.off.values())))
        self.sig_ablation_changed.emit(self.masks())
        self._sync_off_box()
        self._refresh_layer()
        self.sig_wants_changed.emit()

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
        self.input_view.set_pixels(None if self.image is None else input_pixels(self.image))

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
        table = colormap.COLORMAPS[self.controls.colormap()]
        picture = Picture(layer_mosaic(maps, self.order, self.scaling, table, self.controls.fixed_range()))
        off = frozenset(self.off.get(self.layer, ()))
        dead = dead_channels(maps)
        self.grid.set_layer(picture, maps.shape[:2], self.order, dead, off, self.channel)

    def _refresh_bars(self) -> None:
        result = self.result
        if result is None:
            self.bars.set_values(None, title=self.layer)
            return
        before = result.prediction if result.ablated is not None else None
        self.bars.set_values(*layer_bars(result.shown(), before, self.layer, self.class_names))

    def _refresh_map(self) -> None:
        maps = self._shown_maps(self.layer)
        if maps is None or self.channel < 0:
            self.map_view.set_map(None, title="click a map" if self.layer in FEATURE_LAYERS else " ")
            self._sync_off_box()
            return
        low, high = value_ranges(maps, self.scaling, self.controls.fixed_range())
        channel = self.channel
        state = " - switched off" if channel in self.off.get(self.layer, ()) else ""
        self.map_view.set_map(maps[..., channel], float(low[channel]), float(high[channel]),
                              colormap.COLORMAPS[self.controls.colormap()],
                              f"{self.layer}, map {channel} of {maps.shape[-1]}{state}")
        self._sync_off_box()

    def _sync_off_box(self) -> None:
        usable = self.layer in FEATURE_LAYERS and self.channel >= 0
        self.off_box.setEnabled(usable)
        quietly(self.off_box.setChecked, usable and self.channel in self.off.get(self.layer, ()))

    def _refresh_probabilities(self) -> None:
        self._seen.show(self.result, self.class_names, sum(map(len, self.off.values())))

    def _refresh_saliency(self) -> None:
        result = self.result
        saliency = None
        if self.wants_saliency() and result is not None and result.explanation is not None:
            saliency = result.explanation.saliency(self.controls.saliency_method())
        changed = (saliency is None) != (self.saliency is None) or (
            saliency is not None and not np.array_equal(saliency, self.saliency))
        self.saliency = saliency
        self.input_view.set_overlay(None if saliency is None else overlay_rgba(saliency))
        if changed:
            self.sig_saliency_changed.emit(saliency)

    def _refresh_kernels(self) -> None:
        if self.facts is None:
            self.kernel_grid.set_kernels(None, "no model yet")
            return
        self.kernel_grid.set_kernels(*kernels_for(self.facts.kernels, self.layer, self.channel))

    def _refresh_top(self) -> None:
        if self.tabs.currentWidget() is not self.top_view:
            return
        if self.facts is None or self.layer not in FEATURE_LAYERS or self.channel < 0:
            self.top_view.set_examples(None, title="select a map to see the test images that excite it most")
            return
        if self.top is None:
            if not self._top_asked:
                self._top_asked = True
                self.sig_top_examples_wanted.emit()
            return
        self.top_view.show_channel(self.top, self.facts.fields, self.layer, self.channel, TOP_SHOWN)

    # ------------------------------------------------------------------ user actions

    def _on_grid_hovered(self, channel: int, row: int, col: int) -> None:
        self._on_map_hovered(row, col, channel)

    def _on_map_hovered(self, row: int, col: int, channel: int = 0) -> None:
        """Outline what map position (row, col) sees; a position of no map (channel -1,
        row -1) takes the outline away."""
        fields = self.facts.fields if self.facts is not None else {}
        usable = channel >= 0 and row >= 0 and self.layer in fields
        rect: Rect | None = receptive_field(fields, self.layer, row, col) if usable else None
        self.input_view.set_outline(rect)
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

    def _on_scale_changed(self, *_args) -> None:
        self.controls.update_states()
        self._refresh_layer()
        self._refresh_map()

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
