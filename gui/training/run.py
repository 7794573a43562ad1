"""A Train Live run in the app: the panel, the trainer process, and what the run changes.

:class:`RunController` is made the first time Train Live is shown (``gui.training.feature``
keeps the app's start-up free of it): it starts the trainer for the panel's settings, sends it
the drawing on the canvas, shows what it reports in the panel and in presentation mode, lets
the live view follow the network in training, and turns "Use this model" into the live model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow, QWidget

from gui.training.client import TrainerClient
from gui.training.models import LiveModels
from gui.training.panel import TrainingPanel
from gui.training.remote import remote_loader
from gui.training.stage import TrainingStage
from model.datasets import DATASETS, class_names
from model.training.live_protocol import (
    DrawingAnswer,
    LiveConfig,
    Pause,
    Report,
    Resume,
    Save,
    Saved,
    SaveFailed,
    SetDrawing,
    SetInterval,
    Started,
    State,
    Status,
    Stop,
)

DRAWING_HEADING = "The drawing, as this network reads it"


def gallery_counts(folder: Path) -> dict[str, int]:
    """Kept drawings per dataset (none when the gallery cannot be read)."""
    from model.gallery import Gallery

    counts: dict[str, int] = {}
    if (folder / "index.json").is_file():
        for item in Gallery(folder).items:
            counts[item.dataset] = counts.get(item.dataset, 0) + 1
    return counts


class RunController(QObject):
    """The panel, the trainer client and the presentation stage of Train Live, wired."""

    def __init__(self, window: QMainWindow, models: LiveModels, data_folder: Path,
                 presentation: Callable[[], QWidget | None], message: Callable[[str], None]):
        super().__init__(window)
        self._window = window
        self._folder = data_folder
        self._presentation = presentation
        self._status_message = message  # a line for the window's status bar
        self.models = models
        self._started: Started | None = None
        self._config: LiveConfig | None = None
        self._sent_seq = -1
        self._stage_host: QWidget | None = None
        self.client = TrainerClient(self)
        self.panel = TrainingPanel(window.dataset)
        self.stage = TrainingStage()
        self._connect()

    def _connect(self) -> None:
        panel = self.panel
        panel.sig_start.connect(self.start)
        panel.sig_pause.connect(lambda: self.client.send(Pause()))
        panel.sig_resume.connect(lambda: self.client.send(Resume()))
        panel.sig_stop.connect(lambda: self.client.send(Stop()))
        panel.sig_use.connect(self.use_this_model)
        panel.sig_back.connect(self.back_to_shipped)
        panel.sig_follow_changed.connect(self._on_follow_changed)
        panel.sig_interval_changed.connect(lambda steps: self.client.send(SetInterval(steps)))
        panel.sig_dataset_changed.connect(lambda _dataset: self.show_models())
        self.client.sig_event.connect(self._on_event)
        self.client.sig_failed.connect(self._on_failed)
        self.client.sig_ended.connect(self._on_ended)
        self.models.sig_changed.connect(lambda _dataset: self.show_models())

    # ------------------------------------------------------------ what the user does

    def prepare(self) -> None:
        """The panel, set for the app's dataset, as the dock shows it."""
        self.panel.set_dataset(self._window.dataset)
        self.panel.set_gallery_counts(gallery_counts(self._folder / "gallery"))
        self.show_models()

    def start(self, config: LiveConfig) -> None:
        """A new run (ending the one before, unsaved)."""
        self._stop_following()
        self.client.shutdown()  # before the panel says "starting": the old run's end is no failure
        self._config = replace(config, gallery=str(self._folder / "gallery"))
        self._started, self._sent_seq = None, -1
        self.panel.set_gallery_counts(gallery_counts(self._folder / "gallery"))
        self.panel.set_state("starting")
        self.panel.show_status("Starting the trainer (TensorFlow loads in a process of its own)…")
        if self.client.start(self._config):
            self._send_drawing(self._window.result())

    def use_this_model(self) -> None:
        """Save the network as it is now and make it the live model (``Saved`` follows)."""
        self.panel.show_status("Saving the network, its LiteRT export and its model card…")
        self.client.send(Save(str(self._folder / "models")))

    def back_to_shipped(self, dataset: str) -> None:
        if self.models.owned(dataset):
            self.models.back(dataset)
            self._message(f"{DATASETS[dataset].title}: back to the shipped model")

    def shutdown(self) -> None:
        """The window is closing: the trainer goes (what it had not saved is lost)."""
        self._stop_following()
        self.client.shutdown()
        if self._stage_host is not None:  # the presentation window may go before the stage
            self._stage_host.show_extra(None)
            self._stage_host = None

    # ------------------------------------------------------------ what the trainer says

    def _on_event(self, event) -> None:
        if isinstance(event, Report):
            self.panel.show_report(event)
            self.stage.show_report(event, self.panel.curves)
            self._show_stage()
        elif isinstance(event, DrawingAnswer):
            self.panel.show_drawing(event)
            self.stage.show_drawing(event)
        elif isinstance(event, State):
            self.panel.set_state(event.state)
            if event.state == "finished":
                self.panel.show_status("Every step done: use this model, or train again")
        elif isinstance(event, Started):
            self._on_started(event)
        elif isinstance(event, Status):
            self.panel.show_status(event.text)
        elif isinstance(event, Saved):
            self._on_saved(event)
        elif isinstance(event, SaveFailed):
            self.panel.show_status(f"Cannot save the model: {event.message}")

    def _on_started(self, started: Started) -> None:
        self._started = started
        self.panel.show_started(started)
        self.stage.show_started(class_names(started.dataset), started.total_steps)
        self._show_stage()
        self._send_drawing(self._window.result())
        if self.panel.follow_box.isChecked():
            self._on_follow_changed(True)

    def _on_saved(self, saved: Saved) -> None:
        run = self._started
        if run is None:
            return
        self.models.use(run.dataset, run.arch, saved.path)
        self.panel.follow_box.setChecked(False)
        accuracy = saved.card.get("held_out_accuracy")
        what = "live model" if run.arch == "cnn" else "dense comparison network"
        self._message(f"Your network is now the {DATASETS[run.dataset].title} {what} "
                      f"({100 * accuracy:.1f}% of {saved.card.get('held_out_images')} test images); "
                      f"saved in {Path(saved.path).parent}")

    def _on_failed(self, line: str) -> None:
        self._stop_following()
        self.panel.set_state("failed")
        self.panel.show_status(line)
        self._status_message(f"Train Live: {line}")

    def _on_ended(self) -> None:
        self._stop_following()
        if self.panel.state in ("starting", "running", "paused"):
            self.panel.set_state("failed")

    # ------------------------------------------------------------ the app's side

    def on_result_shown(self, result) -> None:
        """The window shows a new result: its drawing goes to the trainer."""
        if self._started is not None:
            self._show_stage()  # presentation mode may have been entered since the last report
        self._send_drawing(result)

    def _send_drawing(self, result) -> None:
        """The drawing's network input goes to the trainer (when it trains on its dataset)."""
        config = self._config
        if result is None or config is None or not self.client.running():
            return
        if result.dataset != config.dataset:
            self.panel.drawing.heading.setText(
                f"Switch to {DATASETS[config.dataset].title} to see this network read the drawing")
            return
        if result.seq == self._sent_seq:
            return
        self.panel.drawing.heading.setText(DRAWING_HEADING)
        if result.empty:
            image = None
        elif result.net_input is not None:
            image = result.net_input
        else:
            return
        self._sent_seq = result.seq
        self.client.send(SetDrawing(result.seq, image))

    def _on_follow_changed(self, follow: bool) -> None:
        run = self._started
        if run is None or run.arch != "cnn":
            return
        if follow and self.client.running():
            self.models.follow(run.dataset, remote_loader(self.client.ask, run.keras_config))
        else:
            self.models.follow(run.dataset, None)

    def _stop_following(self) -> None:
        if self._started is not None:
            self.models.follow(self._started.dataset, None)
        self.panel.follow_box.setChecked(False)

    def show_models(self) -> None:
        self.panel.set_owned(self.models.owned(self.panel.dataset()))

    def _show_stage(self) -> None:
        """Presentation mode, if it is up, shows the run under its canvas."""
        presentation = self._presentation()
        if presentation is not None and presentation is not self._stage_host:
            self.stage.set_base_font(presentation.font())
            presentation.show_extra(self.stage)
            self._stage_host = presentation

    def _message(self, line: str) -> None:
        self.panel.show_status(line)
        self._status_message(line)
