"""The live view: what the network makes of the drawing as it is drawn. Side by side, the 28 x 28
input it sees above its verdict and ten probabilities, and the four layers' feature maps, which
get the most room. Each live answer is shown here, or why there is none: an empty page, a model
still loading, a model that failed to load.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSplitter, QVBoxLayout, QWidget

from gui.jobs import LiveResult
from gui.settings import read_state
from gui.views.feature_maps import FeatureMapsPanel
from gui.views.input_view import InputView
from gui.views.probabilities import ProbabilityPanel
from model.architecture import CNN_TABLE, FEATURE_LAYERS
from model.datasets import DATASETS


def layer_shapes() -> tuple[tuple[str, tuple[int, ...]], ...]:
    """(name, output shape) of each layer with feature maps, as the architecture table has it."""
    shapes = {row.name: row.output_shape for row in CNN_TABLE}
    return tuple((name, shapes[name]) for name in FEATURE_LAYERS)


def section(title: str, content: QWidget) -> QWidget:
    """A bold heading above ``content`` (no frame: the views paint the window's background)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(QLabel(f"<b>{title}</b>"))
    layout.addWidget(content, 1)
    return box


class LiveView(QWidget):
    """The network input and the probabilities in a narrow column, the feature maps beside it."""

    def __init__(self, dataset: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._models: dict[str, tuple[str, str]] = {}  # dataset -> its model's (state, message)
        self.input_view = InputView()
        self.probabilities = ProbabilityPanel(dataset)
        self.feature_maps = FeatureMapsPanel(layer_shapes())
        self.seen_splitter = QSplitter(Qt.Orientation.Vertical)
        self.seen_splitter.addWidget(section("What the network sees (28 × 28)", self.input_view))
        self.seen_splitter.addWidget(section("Prediction", self.probabilities))
        self.seen_splitter.setStretchFactor(0, 2)
        self.seen_splitter.setStretchFactor(1, 3)
        self.seen_splitter.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.seen_splitter)
        self.splitter.addWidget(section("Feature maps: 64 per layer, brighter is stronger",
                                        self.feature_maps))
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def clear(self, dataset: str, headline: str) -> None:
        """Nothing to show for ``dataset`` yet: ``headline`` instead of a verdict."""
        self.probabilities.show_message(dataset, headline)
        self.input_view.set_pixels(None, "")
        self.feature_maps.set_grids((), ())

    def set_model_state(self, dataset: str, state: str, message: str = "") -> None:
        """``dataset``'s model is "loading", "ready" or failed ("error", ``message`` says why):
        the answers without probabilities say so."""
        self._models[dataset] = (state, message)

    def show_loading(self, dataset: str) -> None:
        self.probabilities.show_message(dataset, f"Loading the {DATASETS[dataset].short} model…",
                                        "TensorFlow is starting; you can draw meanwhile.")

    def show_result(self, result: LiveResult, compare: bool = False) -> None:
        """A live answer; ``compare``: the dense network's answer was asked for too."""
        dataset = DATASETS[result.dataset]
        state, message = self._models.get(result.dataset, ("", ""))
        if result.empty:
            self.input_view.set_pixels(None, "Draw something")
            self.probabilities.show_message(
                result.dataset, "Draw something",
                f"No prediction: the model failed to load ({message})" if state == "error"
                else f"Sketch {dataset.subject} and watch the network read it.")
            self.feature_maps.set_grids((), ())
        elif result.probabilities is None:
            self.input_view.set_pixels(result.image)
            headline = "No prediction" if state == "error" else "Waiting for the model…"
            self.probabilities.show_message(result.dataset, headline, result.error)
            self.feature_maps.set_grids((), ())
        else:
            self.input_view.set_pixels(result.image)
            dense = result.dense_probabilities
            self.probabilities.show_probabilities(result.dataset, result.probabilities, dense)
            if compare and dense is None:
                self.probabilities.set_detail(f"No dense network is shipped for {dataset.short}.")
            self.feature_maps.set_grids(result.grids, result.shapes)

    def painted(self) -> bool:
        """Have the input, the bars and every mosaic been repainted since their last change?"""
        chart = self.probabilities.chart
        return (self.feature_maps.painted() and chart.painted_version == chart.version
                and self.input_view.painted_version == self.input_view.version)

    def restore_state(self, settings: QSettings) -> bool:
        """The splitters as the user left them; False when there is nothing saved."""
        restored = False
        for key, splitter in (("splitter/live", self.splitter), ("splitter/seen", self.seen_splitter)):
            value = read_state(settings, key)
            if value is not None:
                restored = splitter.restoreState(value) or restored
        return restored

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("splitter/live", self.splitter.saveState())
        settings.setValue("splitter/seen", self.seen_splitter.saveState())


class ModelStatus(QWidget):
    """The status bar's word on the current model: "Digits model", "No digits model", or
    "Loading the digits model…" beside a working bar."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # an indeterminate "working" bar
        self.busy.setMaximumWidth(120)
        self.busy.setTextVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.busy)

    def show_state(self, dataset: str, state: str) -> None:
        info = DATASETS[dataset]
        self.busy.setVisible(state in ("", "loading"))
        self.label.setText({"error": f"No {info.short} model", "ready": f"{info.button} model"}
                           .get(state, f"Loading the {info.short} model…"))
