"""Model > Train Live…: the menu actions, the dock, and which model the live view reads.

The main window makes one :class:`TrainingFeature` and closes it when it closes. At start-up it
is cheap: the actions, an empty dock, the status-bar label, and the live models remembered in
QSettings (``gui.training.models``). The panel, the trainer client and the presentation stage
(``gui.training.run.RunController``) are made the first time the dock is shown. Everything goes
through the window's public parts: its engine client (``client``: what the live view reads), the
result it shows (``sig_result_shown``), its status bar, and presentation mode (a getter: the
window makes that on first use).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QScrollArea, QWidget

from gui.training.models import LiveModels
from model.datasets import DATASETS

SHORTCUT = "Ctrl+T"
MESSAGE_MS = 8000


class TrainingFeature(QObject):
    """The Train Live action and dock, the live models, and the run controller once needed."""

    def __init__(self, window: QMainWindow, menu: QMenu, settings: QSettings,
                 data_folder: str | Path, presentation: Callable[[], QWidget | None] = lambda: None):
        super().__init__(window)
        self._window = window
        self._folder = Path(data_folder)
        self._presentation = presentation
        self._run = None  # gui.training.run.RunController, made when first needed
        self._shown_dataset = ""  # the window's dataset when the status label was last set
        self.models = LiveModels(settings, window.client, self)
        self._build_dock_and_actions(menu)
        self.model_label = QLabel()
        window.statusBar().addPermanentWidget(self.model_label)
        self.models.sig_changed.connect(lambda _dataset: self._show_models())
        window.sig_result_shown.connect(self._on_result_shown)
        for line in self.models.restore():
            window.statusBar().showMessage(line, MESSAGE_MS)
        self._show_models()

    def _build_dock_and_actions(self, menu: QMenu) -> None:
        self.dock = QDockWidget("Train live: watch the network learn", self._window)
        self.dock.setObjectName("training")
        self._scroller = QScrollArea()
        self._scroller.setWidgetResizable(True)
        self.dock.setWidget(self._scroller)
        self._window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.visibilityChanged.connect(lambda visible: visible and self.run.prepare())
        self.action = QAction("Train &Live…", self._window)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        tip = f"Train the seed network here and watch it learn ({SHORTCUT})"
        self.action.setStatusTip(tip)
        self.action.setToolTip(tip)
        self.action.triggered.connect(self.show_panel)
        self.back_action = QAction("Back to the &Shipped Model", self._window)
        self.back_action.setStatusTip("Read this dataset with the model the app ships with again")
        self.back_action.triggered.connect(lambda: self.back_to_shipped(self._window.dataset))
        menu.addSeparator()
        menu.addActions([self.action, self.back_action])

    @property
    def run(self):
        """The run controller (``gui.training.run.RunController``), made on first use."""
        if self._run is None:
            from gui.training.run import RunController  # the panel, the client: off start-up

            self._run = RunController(self._window, self.models, self._folder, self._presentation,
                                      lambda line: self._window.statusBar().showMessage(
                                          line, MESSAGE_MS))
            self._scroller.setWidget(self._run.panel)
        return self._run

    @property
    def panel(self):
        return self.run.panel

    @property
    def client(self):
        return self.run.client

    @property
    def stage(self):
        return self.run.stage

    def show_panel(self) -> None:
        """Show the Train Live dock (Model > Train Live…), set for the app's dataset."""
        self.run.prepare()
        self.dock.show()
        self.dock.raise_()

    def back_to_shipped(self, dataset: str) -> None:
        """The shipped model for ``dataset`` again (Model > Back to the Shipped Model)."""
        if self._run is not None:
            self._run.back_to_shipped(dataset)
        elif self.models.owned(dataset):
            self.models.back(dataset)
            self._window.statusBar().showMessage(
                f"{DATASETS[dataset].title}: back to the shipped model", MESSAGE_MS)

    def shutdown(self) -> None:
        """The window is closing: the trainer goes (what it had not saved is lost)."""
        if self._run is not None:
            self._run.shutdown()

    def _on_result_shown(self, result) -> None:
        if result.dataset != self._shown_dataset:  # the window switched datasets
            self._show_models()
        if self._run is not None:
            self._run.on_result_shown(result)

    def _show_models(self) -> None:
        dataset = self._shown_dataset = self._window.dataset
        self.back_action.setEnabled(self.models.owned(dataset))
        described = self.models.describe(dataset)
        self.model_label.setText("" if described == "the shipped model" else f"Live: {described}")
