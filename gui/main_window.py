"""The main window composes Sketchscope: the canvas on the left, the live view of the network
beside it (gui.views.live), the Explore and Replay panels sharing the bottom, the test images and
the gallery at the right; the actions, menus, toolbar, status bar and settings.

Each feature's behaviour lives in its own module, behind a few methods and ``sig_*`` signals:
files (gui.files, gui.autosave), the demos (gui.demos.wiring), presentation mode
(gui.demos.presenting) and the Explore view (gui.explore.link). This class builds them, puts
their widgets in place and passes the live answers on.

This module must stay cheap to import: no TensorFlow, Keras, SciPy or ``model.inference``
here. The models load in a worker thread (see ``gui.engine_client``) while the window is
already up and the canvas usable.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from PySide6.QtCore import QRect, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from gui.about import app_icon, show_about
from gui.autosave import Autosaver
from gui.demos.gallery_view import gallery_folder
from gui.demos.presenting import Presenter
from gui.demos.wiring import Demos
from gui.docks import Area, BottomPanels, make_dock
from gui.engine_client import EngineClient, TestSplitLoader, load_shipped_engine
from gui.explore.link import ExploreLink
from gui.explore.panel import ExplorePanel
from gui.files import FileActions, data_dir
from gui.jobs import LiveResult, Loader, engine_test_split
from gui.settings import bad_settings, read_bool, read_choice, read_state
from gui.training.feature import TrainingFeature
from gui.views.canvas import BrushSlider, Canvas
from gui.views.live import LiveView, ModelStatus
from model.datasets import DATASET_NAMES, DATASETS

APP_NAME = "Sketchscope"
SCREEN_SHARE = 0.9  # a first start opens the window at this share of the available screen


def default_settings() -> QSettings:
    """The user's settings: an INI file under the organisation "Sketchscope"."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME
    )


def opening_geometry(available: QRect) -> QRect:
    """Where a window without saved geometry opens: SCREEN_SHARE of ``available``, centred."""
    size = QSize(round(available.width() * SCREEN_SHARE), round(available.height() * SCREEN_SHARE))
    return QStyle.alignedRect(Qt.LayoutDirection.LeftToRight, Qt.AlignmentFlag.AlignCenter, size,
                              available)


class MainWindow(QMainWindow):
    """Draw on the left, watch the network on the right."""

    sig_result_shown = Signal(object)
    """A Result (the newest drawing, the current dataset) is now on screen."""

    def __init__(
        self,
        dataset: str | None = None,
        loader: Loader | None = None,
        settings: QSettings | None = None,
        data_folder: str | os.PathLike | None = None,
        test_split_loader: TestSplitLoader = engine_test_split,
    ):
        super().__init__()
        self._settings = settings if settings is not None else default_settings()
        dataset = dataset or read_choice(self._settings, "dataset", DATASET_NAMES[0], DATASET_NAMES)
        self._dataset = dataset
        self._result: LiveResult | None = None  # what is on screen now
        self._client = EngineClient(loader or load_shipped_engine, dataset, self,
                                    test_split_loader=test_split_loader)
        folder = Path(data_folder or data_dir())
        self._build_parts(folder)
        self.setWindowIcon(app_icon())
        self._build_actions()
        self._build_layout()
        self._build_docks()
        self._build_menus_and_toolbar()
        self.statusBar().addPermanentWidget(self.model_status)
        self.training = TrainingFeature(self, self.model_menu, self._settings, folder,
                                        presentation=lambda: self.presenter.view)
        self.bottom_panels.add(self.training.dock, 0.5)
        self._connect()
        self._restore_settings()
        self.demos.restore()
        self.autosaver.restore()
        self._report_bad_settings()  # after the autosave's word, so that it is the one shown
        self._set_dataset_ui(dataset)
        self._on_history_changed()
        self._client.preload([dataset])
        self._client.preload([d for d in DATASET_NAMES if d != dataset])
        self._submit()

    # ------------------------------------------------------------------ building

    def _build_parts(self, folder: Path) -> None:
        """The views and the features, each behind its own small interface."""
        self.canvas = Canvas()
        self.width_slider = BrushSlider(self.canvas, self._settings)
        self.live = LiveView(self._dataset)
        self.model_status = ModelStatus()
        self.explore = ExplorePanel(settings=self._settings)
        self.explore_link = ExploreLink(self.explore, self._client, self.canvas,
                                        self.live.input_view, self)
        self.files = FileActions(self.canvas, self._settings, self, lambda: self._dataset,
                                 lambda: self._result)
        self.autosaver = Autosaver(self.canvas, folder, self)
        self.demos = Demos(self.canvas, self._client, self._settings, gallery_folder(folder), self)
        self._canvas_home = QVBoxLayout()  # the canvas column; presentation mode borrows the canvas
        self.presenter = Presenter(self.canvas, self._canvas_home, self._settings,
                                   self.demos.replay, self.demos.challenge, self)

    def _build_actions(self) -> None:
        act, key, files = partial(_action, self), QKeySequence.StandardKey, self.files
        self.open_action = act("&Open Image…", files.ask_open, key.Open,
                               tip="Open a picture to classify (it replaces the page)")
        self.save_action = act("&Save Drawing As…", files.ask_save_drawing, key.Save,
                               tip="Save the drawing as a PNG file, or with its strokes")
        self.export_input_action = act(
            "Export Network &Input…", files.ask_export_input,
            tip="Save the 28 × 28 image the network sees as a PNG file")
        self.export_maps_action = act(
            "Export &Feature Maps…", files.ask_export_feature_maps,
            tip="Save the four layers' 8 × 8 feature-map grids as PNG files")
        self.export_explore_action = act(
            "Export &Explore View as PNG…", lambda: files.ask_and_save(
                "Export Explore View", "explore.png", lambda p: self.explore.export_view("panel", p)),
            tip="Save the whole Explore view as a PNG file")
        self.quit_action = act("&Quit", self.close, key.Quit)
        self.undo_action = act("&Undo", self.canvas.undo, key.Undo)
        self.redo_action = act("&Redo", self.canvas.redo, key.Redo)
        self.paste_action = act("&Paste Image", files.paste, key.Paste,
                                tip="Paste a picture from the clipboard")
        self.clear_action = act("&Clear", self.canvas.clear,
                                tip="Wipe the page (Delete or Backspace; Undo brings it back)")
        self.clear_action.setShortcuts([QKeySequence(Qt.Key.Key_Delete),
                                        QKeySequence(Qt.Key.Key_Backspace)])
        self.pen_action = act("&Pen", lambda: self.canvas.set_eraser(False), "B",
                              checkable=True, tip="Draw (B)")
        self.eraser_action = act("&Eraser", lambda: self.canvas.set_eraser(True), "E",
                                 checkable=True, tip="Erase (E); the right button "
                                 "and a pen's eraser end always erase")
        tools = QActionGroup(self)
        tools.addAction(self.pen_action)
        tools.addAction(self.eraser_action)
        self.pen_action.setChecked(True)
        self.thinner_action = act("&Thinner Brush", lambda: self.width_slider.step(-2), "[")
        self.thicker_action = act("T&hicker Brush", lambda: self.width_slider.step(2), "]")
        self.compare_action = act(
            "Compare with the &Dense Network", self._on_compare_changed, "D", checkable=True,
            tip="Show the dense (no convolution) network's probabilities beside the CNN's")
        self.compare_action.setIconText("Compare with Dense")
        self.dataset_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for i, name in enumerate(DATASET_NAMES):
            action = act(
                DATASETS[name].button, lambda _=False, n=name: self.set_dataset(n),
                f"Ctrl+{i + 1}", checkable=True, tip=f"Classify as {DATASETS[name].title}")
            group.addAction(action)
            self.dataset_actions[name] = action
        self._build_demo_actions()

    def _build_demo_actions(self) -> None:
        act, demos = partial(_action, self), self.demos
        self.present_action = act(
            "&Presentation Mode", self.presenter.toggle, Qt.Key.Key_F11,
            tip="Full screen, large type, high contrast, for an audience (F11; Esc leaves)")
        self.replay_action = act(
            "&Replay Drawing", self.start_replay, Qt.Key.Key_F5,
            tip="Redraw the drawing stroke by stroke with the network's top-3 timeline (F5)")
        self.challenge_action = act(
            "&Challenge: Draw This!", demos.start_challenge, Qt.Key.Key_F6,
            tip="The app names a class; draw it; how long until the network sees it? (F6)")
        self.next_round_action = act("&Next Round", demos.challenge.next_round, "N")
        self.next_round_action.setEnabled(False)
        self.leave_action = act(
            "&Stop Replay or Challenge", demos.leave_mode, Qt.Key.Key_Escape,
            tip="Stop a running replay or the challenge (Esc); the drawing stays")
        self.keep_action = act(
            "&Keep in Gallery…", demos.keep_drawing, "Ctrl+K",
            tip="Keep this drawing with the model's answer and its true label (Ctrl+K)")

    def _build_layout(self) -> None:
        self.canvas_column = QWidget()
        self.canvas_column.setLayout(self._canvas_home)
        self._canvas_home.setContentsMargins(0, 0, 0, 0)
        self._canvas_home.addWidget(self.demos.challenge_banner)
        self._canvas_home.addWidget(self.canvas, 1)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.addWidget(self.canvas_column)
        self.main_splitter.addWidget(self.live)
        self.main_splitter.setStretchFactor(0, 2)
        self.main_splitter.setStretchFactor(1, 3)
        self.main_splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.main_splitter)

    def _build_docks(self) -> None:
        """Explore and Replay share the bottom as tabs; Test images and Gallery the right."""
        scroller = QScrollArea()  # the dock may be shorter than the panel likes
        scroller.setWidget(self.explore)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.explore_dock, self.explore_action = make_dock(
            self, "Explore: inside the network", "explore", scroller, Area.BottomDockWidgetArea,
            "&Explore", Qt.Key.Key_F2)
        self.explore_dock.setAllowedAreas(Area.BottomDockWidgetArea | Area.RightDockWidgetArea)
        self.explore_action.setIconText("Explore")
        tip = ("Explore the network (F2): every layer's maps, receptive fields on the drawing, "
               "switching channels off, saliency")
        self.explore_action.setStatusTip(tip)
        self.explore_action.setToolTip(tip)
        self.replay_dock, self.replay_view_action = make_dock(
            self, "Replay: when the network changes its mind", "replay", self.demos.replay_panel,
            Area.BottomDockWidgetArea, "Re&play Timeline", "Ctrl+F5")
        self.bottom_panels = BottomPanels(self, {self.explore_dock: 0.5, self.replay_dock: 0.3})
        self.browser_dock, self.browser_action = make_dock(
            self, "Test images", "browser", self.demos.browser, Area.RightDockWidgetArea,
            "&Test Images", Qt.Key.Key_F3)
        self.gallery_dock, self.gallery_action = make_dock(
            self, "Gallery", "gallery", self.demos.gallery_panel, Area.RightDockWidgetArea,
            "&Gallery", Qt.Key.Key_F4)
        self.tabifyDockWidget(self.browser_dock, self.gallery_dock)

    def _build_menus_and_toolbar(self) -> None:
        menus = self.menuBar()
        for title, entries in (
            ("&File", [self.open_action, self.save_action, None, self.export_input_action,
                       self.export_maps_action, self.export_explore_action, None, self.quit_action]),
            ("&Edit", [self.undo_action, self.redo_action, None, self.paste_action, self.clear_action,
                       None, self.pen_action, self.eraser_action, self.thinner_action,
                       self.thicker_action]),
            ("&Model", [*self.dataset_actions.values(), None, self.compare_action]),
            ("&View", [self.explore_action, self.replay_view_action, self.browser_action,
                       self.gallery_action]),
        ):
            menu = menus.addMenu(title)
            _fill(menu, entries)
            if title == "&Model":
                self.model_menu = menu  # Train Live adds its entries here
        demo_menu = menus.addMenu("&Demo")
        demo_menu.addAction(self.present_action)
        self.screen_menu = demo_menu.addMenu("Present &On")
        self.screen_menu.aboutToShow.connect(lambda: self.presenter.fill_screen_menu(self.screen_menu))
        _fill(demo_menu, [None, self.replay_action, self.challenge_action, self.next_round_action,
                          self.leave_action, None, self.browser_action, self.keep_action,
                          self.gallery_action])
        self.about_action = menus.addMenu("&Help").addAction("&About Sketchscope",
                                                             lambda: show_about(self))
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

        toolbar = QToolBar("Tools")
        toolbar.setObjectName("tools")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        _fill(toolbar, [*self.dataset_actions.values(), None, self.pen_action, self.eraser_action])
        toolbar.addWidget(QLabel(" Width "))
        toolbar.addWidget(self.width_slider)
        self.replay_action.setIconText("Replay")
        self.present_action.setIconText("Present")
        _fill(toolbar, [None, self.undo_action, self.redo_action, self.clear_action, None,
                        self.compare_action, self.explore_action, None, self.replay_action,
                        self.present_action])
        self.addToolBar(toolbar)

    def _connect(self) -> None:
        status = self.statusBar().showMessage
        self.canvas.sig_image_changed.connect(self._submit)
        self.canvas.sig_history_changed.connect(self._on_history_changed)
        self.canvas.sig_page_full.connect(status)
        self._client.sig_result_ready.connect(self._on_result_ready)
        self._client.sig_model_changed.connect(self._on_model_changed)
        self.explore_dock.visibilityChanged.connect(self._on_explore_visibility_changed)
        for part in (self.files, self.demos):
            part.sig_message.connect(status)
            part.sig_dataset_wanted.connect(self.set_dataset)
        self.autosaver.sig_message.connect(status)
        self.demos.challenge.sig_changed.connect(
            lambda _text: self.next_round_action.setEnabled(self.demos.challenge.running()))
        self.presenter.sig_presenting_changed.connect(self._on_presenting_changed)
        self.presenter.sig_key_action.connect(self._on_presentation_key)

    # ------------------------------------------------------------------ public API

    @property
    def dataset(self) -> str:
        return self._dataset

    @property
    def client(self) -> EngineClient:
        return self._client

    def result(self) -> LiveResult | None:
        """What is on screen: the newest Result shown, or None."""
        return self._result

    def set_dataset(self, dataset: str) -> None:
        """Classify as ``dataset`` from now on; the drawing stays."""
        if dataset == self._dataset:
            self._set_dataset_ui(dataset)
            return
        self._dataset = dataset
        self._settings.setValue("dataset", dataset)
        self._client.set_dataset(dataset)
        self.explore_link.set_dataset(dataset)
        self._set_dataset_ui(dataset)
        self._submit()

    def start_replay(self) -> bool:
        """Replay the drawing stroke by stroke, with its timeline in the Replay panel (F5)."""
        if not self.presenter.presenting():
            self.replay_dock.show()
            self.replay_dock.raise_()
        return self.demos.start_replay()

    # ------------------------------------------------------------------ the live answers

    def _submit(self) -> None:
        """Read what is on the page: the picture itself when the page is only a picture (a test
        image is then read exactly as the evaluation reads it), else the page."""
        self.explore_link.hide_overlays()  # they describe the drawing before this change
        self._client.submit(self.canvas.network_picture(), dense=self.compare_action.isChecked(),
                            **self.explore_link.live_options())

    def _on_result_ready(self, result: LiveResult) -> None:
        self._result = result
        if not self._covered_by_presentation():  # painting it for nobody costs the audience frames
            self.live.show_result(result, self.compare_action.isChecked())
        self._update_export_actions()
        self.explore_link.show_result(result)
        self.presenter.show_result(result)
        self.demos.show_result(result)
        self.sig_result_shown.emit(result)

    def _on_model_changed(self, dataset: str, state: str, message: str) -> None:
        self.live.set_model_state(dataset, state, message)
        short = DATASETS[dataset].short
        if state == "error":
            self.statusBar().showMessage(f"The {short} model failed to load: {message}")
        elif state == "ready" and dataset == self._dataset:
            self.statusBar().showMessage(f"The {short} model is ready", 3000)
        if dataset == self._dataset:
            self._show_model_state()
            if state in ("ready", "error"):
                self._submit()

    def _show_model_state(self) -> None:
        state = self._client.model_state(self._dataset)
        self.model_status.show_state(self._dataset, state)
        if state in ("", "loading"):
            self.live.show_loading(self._dataset)

    def _set_dataset_ui(self, dataset: str) -> None:
        self.dataset_actions[dataset].setChecked(True)
        self.setWindowTitle(f"{APP_NAME} — {DATASETS[dataset].title}")
        self._result = None
        self.live.clear(dataset, "Thinking…")
        self.demos.set_dataset(dataset)
        self.presenter.set_dataset(dataset)
        self._update_export_actions()
        self._show_model_state()

    # ------------------------------------------------------------------ small handlers

    def _on_compare_changed(self) -> None:
        self._settings.setValue("compare_dense", self.compare_action.isChecked())
        self._submit()

    def _on_history_changed(self) -> None:
        self.undo_action.setEnabled(self.canvas.can_undo())
        self.redo_action.setEnabled(self.canvas.can_redo())

    def _update_export_actions(self) -> None:
        has = self._result is not None and self._result.image is not None
        self.export_input_action.setEnabled(has)
        self.export_maps_action.setEnabled(has and bool(self._result.grids))
        self.export_explore_action.setEnabled(self.explore_dock.isVisible())

    def _on_explore_visibility_changed(self, visible: bool) -> None:
        self.explore_link.set_visible(visible)  # fed only while shown
        self._update_export_actions()

    def _on_presenting_changed(self, presenting: bool) -> None:
        self.present_action.setText("Leave &Presentation Mode" if presenting
                                    else "&Presentation Mode")
        if not presenting:
            if self._result is not None:  # what the presentation showed meanwhile
                self.live.show_result(self._result, self.compare_action.isChecked())
            self.activateWindow()

    def _covered_by_presentation(self) -> bool:
        """Presentation mode fills this window's screen (on a projector it does not)."""
        view = self.presenter.view
        return self.presenter.presenting() and view is not None and view.screen() is self.screen()

    def _on_presentation_key(self, what: str) -> None:
        {"clear": self.clear_action, "undo": self.undo_action, "redo": self.redo_action,
         "replay": self.replay_action, "challenge": self.challenge_action,
         "next round": self.next_round_action}[what].trigger()

    # ------------------------------------------------------------------ settings

    def _restore_settings(self) -> None:
        s = self._settings
        self.compare_action.setChecked(read_bool(s, "compare_dense", False))
        geometry, columns = read_state(s, "geometry"), read_state(s, "splitter/columns")
        state = read_state(s, "window_state")
        if not (geometry is not None and self.restoreGeometry(geometry)):
            self.place_on(self.screen().availableGeometry())  # a first start
        elif not (columns is not None and self.main_splitter.restoreState(columns)
                  and self.live.restore_state(s)):
            self._share_columns()
        if state is not None and self.restoreState(state):
            self.bottom_panels.keep_restored()

    def _report_bad_settings(self) -> None:
        bad = bad_settings(self._settings)
        if bad:
            self.statusBar().showMessage(
                f"Settings reset to their defaults (their values were unusable): {', '.join(bad)}")

    def place_on(self, available: QRect) -> None:
        """Where a first start puts the window on a screen with ``available`` room: SCREEN_SHARE
        of it, centred, the columns shared as _share_columns says."""
        self.setGeometry(opening_geometry(available))
        self._share_columns()

    def _share_columns(self) -> None:
        """The canvas 36% of the width; of the rest, 30% what the network sees and says, 70%
        its feature maps."""
        live = self.width() * 16 // 25
        self.main_splitter.setSizes([self.width() - live, live])
        self.live.splitter.setSizes([live * 3 // 10, live - live * 3 // 10])

    def save_settings(self) -> None:
        s = self._settings
        s.setValue("dataset", self._dataset)
        s.setValue("compare_dense", self.compare_action.isChecked())
        s.setValue("geometry", self.saveGeometry())
        s.setValue("window_state", self.saveState())
        s.setValue("splitter/columns", self.main_splitter.saveState())
        self.live.save_state(s)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.demos.stop()
        self.presenter.close()
        self.autosaver.save_now()
        self.save_settings()
        self.training.shutdown()
        self._client.shutdown()
        super().closeEvent(event)


def _action(parent: QWidget, text: str, slot, shortcut=None, checkable=False, tip="") -> QAction:
    """A menu and toolbar action: ``slot`` on trigger, ``tip`` as tool and status tip."""
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(slot)
    return action


def _fill(menu, entries) -> None:
    """Add ``entries`` to a menu or toolbar: actions, and None for a separator."""
    for entry in entries:
        if entry is None:
            menu.addSeparator()
        else:
            menu.addAction(entry)


__all__ = ["MainWindow", "default_settings", "opening_geometry"]
