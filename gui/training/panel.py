"""The Train Live panel: what to train, the controls of the run, and what it looks like now.

It shows what it is given and says by its signals what the user asked for; it never talks to
the trainer itself (``gui.training.feature`` does). Left: the run's settings, the buttons
(Train, Pause/Resume, Stop; Use this model, Back to the shipped model), the progress bar with
the time left, one line of status, and whether the app's live view follows this network.
Right: the curves, the first layer's kernels, and the drawing as this network reads it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.training.plots import Curves, CurvesPlot, DrawingView, kernel_mosaic
from gui.views.feature_maps import MosaicView
from model.datasets import DATASET_NAMES, DATASETS, class_names
from model.training.live_protocol import HELD_OUT, LiveConfig

ARCH_LABELS = {"cnn": "CNN (the course's)", "dense": "Dense (the seed's first)"}
START_LABELS = {"random": "random weights", "shipped": "the shipped model"}
RECIPE_LABELS = {"course": "course: Adam 1e-3, batch 32",
                 "sketchscope": "Sketchscope: AdamW, cosine"}
RECIPE_TIP = ("course: plain Adam at 1e-3, batch 32, no augmentation (what the course's model.fit "
              "does). Sketchscope: the project's own recipe's batch, augmentation and label "
              "smoothing, AdamW with a warm-up and a cosine decay. From the shipped model, both "
              "at a tenth of the learning rate.")
DEFAULT_EPOCHS = 2
DEFAULT_REPORT_EVERY = 100
DEFAULT_GALLERY_PERCENT = 10
STATES = ("idle", "starting", "running", "paused", "stopped", "finished", "failed")


def clock(seconds: float) -> str:
    """Seconds as m:ss (h:mm:ss from an hour)."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _combo(labels: dict[str, str]) -> QComboBox:
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(18)  # the panel may be narrower than its longest choice
    for key, label in labels.items():
        box.addItem(label, key)
    return box


class TrainingPanel(QWidget):
    """Settings, controls and the live picture of one training run."""

    sig_start = Signal(object)
    """Train was pressed: a LiveConfig (the gallery folder is added by whoever starts it)."""

    sig_pause = Signal()
    """Pause was pressed."""

    sig_resume = Signal()
    """Resume was pressed."""

    sig_stop = Signal()
    """Stop was pressed."""

    sig_use = Signal()
    """Use this model: save the network as it is now and make it the live model."""

    sig_back = Signal(str)
    """Back to the shipped model, for this dataset."""

    sig_follow_changed = Signal(bool)
    """Whether the app's live view should read this network."""

    sig_interval_changed = Signal(int)
    """Report every N steps: the new N."""

    sig_dataset_changed = Signal(str)
    """The dataset of the next run was changed."""

    def __init__(self, dataset: str = "mnist", parent: QWidget | None = None):
        super().__init__(parent)
        self.state = "idle"
        self.curves = Curves()
        self._names = class_names(dataset)
        self._run_arch = "cnn"  # the running network's: only a CNN's maps can be followed
        self._gallery_counts: dict[str, int] = {}
        self._build_settings(dataset)
        self._build_controls()
        self._build_views()
        self._lay_out()
        self.set_state("idle")

    # ------------------------------------------------------------ building

    def _build_settings(self, dataset: str) -> None:
        self.dataset_box = _combo({name: DATASETS[name].title for name in DATASET_NAMES})
        self.dataset_box.setCurrentIndex(DATASET_NAMES.index(dataset))
        self.arch_box = _combo(ARCH_LABELS)
        self.start_box = _combo(START_LABELS)
        self.recipe_box = _combo(RECIPE_LABELS)
        self.recipe_box.setToolTip(RECIPE_TIP)
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(1, 50)
        self.epochs_box.setValue(DEFAULT_EPOCHS)
        self.epochs_box.setSuffix(" epochs")
        self.interval_box = QSpinBox()
        self.interval_box.setRange(1, 2000)
        self.interval_box.setValue(DEFAULT_REPORT_EVERY)
        self.interval_box.setPrefix("every ")
        self.interval_box.setSuffix(" steps")
        self.interval_box.setToolTip("How often the curves, kernels and the drawing's maps are "
                                     f"updated (each update measures {HELD_OUT:,} test images)")
        self.gallery_box = QSpinBox()
        self.gallery_box.setRange(0, 50)
        self.gallery_box.setValue(DEFAULT_GALLERY_PERCENT)
        self.gallery_box.setSuffix("% of each batch")
        self.gallery_count = QLabel()
        self.dataset_box.currentIndexChanged.connect(self._on_dataset_changed)
        self.interval_box.valueChanged.connect(self.sig_interval_changed)

    def _build_controls(self) -> None:
        self.train_button = QPushButton("Train")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.use_button = QPushButton("Use this model")
        self.use_button.setToolTip("Save this network (with its LiteRT export and model card) in "
                                   "your data folder and make it the app's live model")
        self.back_button = QPushButton("Back to the shipped model")
        self.follow_box = QCheckBox("The live view reads this network")
        self.follow_box.setToolTip("The main view's bars and maps follow the network as it "
                                   "trains (else they stay with the app's own model)")
        self.progress = QProgressBar()
        self.progress.setFormat("step %v of %m")
        self.time_left = QLabel()
        self.status = QLabel("Press Train: a fresh network learns while you watch.")
        self.gallery_line = QLabel()
        for line in (self.status, self.gallery_line, self.time_left):
            # One line each, cut at the panel's edge (the tooltip has it all): word wrap would
            # make the dock's scroll area ask for the panel's full preferred height.
            line.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.train_button.clicked.connect(lambda: self.sig_start.emit(self.config()))
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button.clicked.connect(self.sig_stop)
        self.use_button.clicked.connect(self.sig_use)
        self.back_button.clicked.connect(lambda: self.sig_back.emit(self.dataset()))
        self.follow_box.toggled.connect(self.sig_follow_changed)

    def _build_views(self) -> None:
        self.plot = CurvesPlot()
        self.kernels = MosaicView()
        self.kernels.setMinimumSize(120, 120)
        self.kernels_title = QLabel("conv1: 64 kernels, 3 × 3")
        self.drawing = DrawingView()
        self.drawing.clear(self._names)

    def _lay_out(self) -> None:
        settings = QGridLayout()  # label, field, label, field: four short rows
        fields = (("Data", self.dataset_box), ("Network", self.arch_box),
                  ("Start from", self.start_box), ("Recipe", self.recipe_box),
                  ("Length", self.epochs_box), ("Report", self.interval_box))
        for i, (label, widget) in enumerate(fields):
            settings.addWidget(QLabel(label), i // 2, 2 * (i % 2))
            settings.addWidget(widget, i // 2, 2 * (i % 2) + 1)
        settings.addWidget(QLabel("Your drawings"), 3, 0)
        settings.addWidget(self.gallery_box, 3, 1)
        settings.addWidget(self.gallery_count, 3, 2, 1, 2)
        settings.setColumnStretch(1, 1)
        settings.setColumnStretch(3, 1)
        buttons = QGridLayout()
        for i, button in enumerate((self.train_button, self.pause_button, self.stop_button)):
            buttons.addWidget(button, 0, i)
        buttons.addWidget(self.use_button, 1, 0, 1, 2)
        buttons.addWidget(self.back_button, 1, 2)
        left = QVBoxLayout()
        for part in (settings, buttons):
            left.addLayout(part)
        for widget in (self.progress, self.time_left, self.follow_box, self.status,
                       self.gallery_line):
            left.addWidget(widget)
        left.addStretch(1)
        kernels = QVBoxLayout()
        kernels.addWidget(self.kernels_title)
        kernels.addWidget(self.kernels, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addWidget(self.plot, 4)
        layout.addLayout(kernels, 2)
        layout.addWidget(self.drawing, 4)

    # ------------------------------------------------------------ what the user set

    def dataset(self) -> str:
        return self.dataset_box.currentData()

    def set_dataset(self, dataset: str) -> None:
        """The dataset the next run trains on (the app's current one, unless a run is on)."""
        if self.state in ("idle", "failed"):
            self.dataset_box.setCurrentIndex(DATASET_NAMES.index(dataset))

    def config(self) -> LiveConfig:
        return LiveConfig(dataset=self.dataset(), arch=self.arch_box.currentData(),
                          start=self.start_box.currentData(), recipe=self.recipe_box.currentData(),
                          epochs=self.epochs_box.value(), report_every=self.interval_box.value(),
                          gallery_weight=self.gallery_box.value() / 100.0)

    def set_gallery_counts(self, counts: dict[str, int]) -> None:
        self._gallery_counts = counts
        n = counts.get(self.dataset(), 0)
        what = "digits" if self.dataset() == "mnist" else "clothing drawings"
        self.gallery_count.setText(f"{n} kept {what}" if n else f"no kept {what} yet (Ctrl+K)")

    def set_owned(self, owned: bool) -> None:
        """Whether the panel's dataset reads the user's own model now (Back is possible)."""
        self.back_button.setEnabled(owned)

    def _on_dataset_changed(self) -> None:
        self.set_gallery_counts(self._gallery_counts)
        self.sig_dataset_changed.emit(self.dataset())

    def _on_pause_clicked(self) -> None:
        (self.sig_resume if self.state == "paused" else self.sig_pause).emit()

    # ------------------------------------------------------------ what the run does

    def set_state(self, state: str) -> None:
        """"idle", "starting", "running", "paused", "stopped", "finished" or "failed"."""
        assert state in STATES, state
        self.state = state
        live = state in ("starting", "running", "paused")
        has_network = state in ("running", "paused", "stopped", "finished")
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(live)
        self.use_button.setEnabled(has_network)
        self.follow_box.setEnabled(has_network and self._run_arch == "cnn")
        if not has_network and self.follow_box.isChecked():
            self.follow_box.setChecked(False)
        self.train_button.setText("Train again" if state != "idle" else "Train")

    def show_status(self, line: str) -> None:
        self.status.setText(line)
        self.status.setToolTip(line)

    def show_started(self, started) -> None:
        """A run has begun (``Started``): its length, what it trains with, fresh curves."""
        self._run_arch = started.arch
        self._names = class_names(started.dataset)
        self.curves = Curves(total_steps=started.total_steps)
        self.plot.set_curves(self.curves)
        self.progress.setRange(0, started.total_steps)
        self.progress.setValue(0)
        self.time_left.setText("")
        self.kernels_title.setText("conv1: 64 kernels, 3 × 3" if started.arch == "cnn"
                                   else "dense: 64 of 128 units' weights, 28 × 28")
        mixed = f"; {started.gallery_images} of your drawings" if started.gallery_images else ""
        self.show_status(f"Training on {started.train_images:,} images{mixed} "
                         f"({started.plan}); measured on {started.held_out:,} test images")
        self.drawing.clear(self._names)

    def show_report(self, report) -> None:
        self.curves.add(report)
        self.plot.set_curves(self.curves)
        self.progress.setValue(report.step)
        done = report.step >= report.total_steps or report.step == 0  # at 0: no pace known yet
        left = "" if done else f", about {clock(report.seconds_left)} left"
        self.time_left.setText(f"{clock(report.seconds)} trained{left} · epoch {report.epoch:.2f} · "
                               f"held-out {100 * report.test_accuracy:.1f}%")
        self.kernels.set_rgba(kernel_mosaic(report.kernels))
        if report.gallery_accuracy is not None:
            self.gallery_line.setText(
                f"Your kept drawings: {100 * report.gallery_start:.0f}% right before training, "
                f"{100 * report.gallery_accuracy:.0f}% now")
        else:
            self.gallery_line.setText("")
        if report.drawing is not None:
            self.show_drawing(report.drawing)

    def show_drawing(self, answer) -> None:
        self.drawing.show_answer(self._names, answer.probabilities, answer.maps)


__all__ = ["TrainingPanel", "clock"]

