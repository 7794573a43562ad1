"""The main window: the canvas on the left; what the network sees, its guess and its feature
maps on the right; menus, a toolbar and a status bar around them.

This module must stay cheap to import: no TensorFlow, Keras, SciPy or ``model.inference``
here. The models load in a worker thread (see ``gui.engine_client``) while the window is
already up and the canvas usable.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QSlider,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from gui.autosave import Autosaver, data_dir
from gui.demos.browser import TestSetBrowser
from gui.demos.challenge import Challenge, ChallengeBanner
from gui.demos.gallery_view import GalleryPanel, ask_true_label
from gui.demos.presentation import PresentationWindow, pick_screen
from gui.demos.replay import ReplayController, ReplayPanel
from gui.engine_client import EngineClient, TestSplitLoader, load_shipped_engine
from gui.explore.link import ExploreLink
from gui.explore.panel import ExplorePanel
from gui.image_file import (
    ImageFileError,
    mosaic_for_export,
    page_from_picture,
    read_image,
    write_png,
)
from gui.jobs import LiveResult, Loader, shipped_test_split
from gui.qimage import qimage_to_rgba
from gui.training.feature import TrainingFeature
from gui.views.canvas import MAX_WIDTH, MIN_WIDTH, PAGE_SIZE, Canvas
from gui.views.feature_maps import FeatureMapsPanel
from gui.views.input_view import InputView
from gui.views.probabilities import ProbabilityPanel
from model.architecture import CNN_TABLE, FEATURE_LAYERS
from model.datasets import DATASET_NAMES, DATASETS, class_names
from model.drawing import (
    DRAWING_SUFFIXES,
    DrawingFileError,
    drawing_from_json,
    drawing_to_json,
    read_drawing,
    write_drawing,
)
from model.gallery import Gallery, GalleryError

APP_NAME = "Sketchscope"
SHORT_NAMES = {"mnist": "digits", "fashion": "clothing"}
BUTTON_NAMES = {"mnist": "Digits", "fashion": "Clothing"}
SUBJECTS = {"mnist": "a digit", "fashion": "a piece of clothing"}
SAVE_SIZE = 560  # pixels of a saved drawing (twice the working page)
IMAGE_FILTER = ("Images and drawings (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.json *.svg)"
                ";;Drawings with strokes (*.json *.svg);;All files (*)")
SAVE_FILTERS = {  # Save Drawing As: the format follows the chosen filter or the typed suffix
    "PNG image (*.png)": ".png",
    "Drawing with strokes, JSON (*.json)": ".json",
    "Drawing with strokes, SVG (*.svg)": ".svg",
}


def default_settings() -> QSettings:
    """The user's settings: an INI file under the organisation "Sketchscope"."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME
    )


def _layer_shapes() -> tuple[tuple[str, tuple[int, ...]], ...]:
    shapes = {row.name: row.output_shape for row in CNN_TABLE}
    return tuple((name, shapes[name]) for name in FEATURE_LAYERS)


def _section(title: str, content: QWidget) -> QWidget:
    """A bold heading above ``content`` (no frame: the views paint the window's background)."""
    section = QWidget()
    layout = QVBoxLayout(section)
    layout.setContentsMargins(6, 6, 6, 6)
    heading = QLabel(f"<b>{title}</b>")
    layout.addWidget(heading)
    layout.addWidget(content, 1)
    return section


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
        test_split_loader: TestSplitLoader = shipped_test_split,
    ):
        super().__init__()
        self._settings = settings if settings is not None else default_settings()
        saved = str(self._settings.value("dataset", "mnist"))
        dataset = dataset or (saved if saved in DATASETS else "mnist")
        self._dataset = dataset
        self._result: LiveResult | None = None  # what is on screen now
        self._model_errors: dict[str, str] = {}  # one line per dataset whose model failed
        self._client = EngineClient(loader or load_shipped_engine, dataset, self,
                                    test_split_loader=test_split_loader)

        self.canvas = Canvas()
        self.input_view = InputView()
        self.probabilities = ProbabilityPanel(class_names(dataset))
        self.feature_maps = FeatureMapsPanel(_layer_shapes())
        self.explore = ExplorePanel(settings=self._settings)
        self.explore_link = ExploreLink(self.explore, self._client, self.canvas, self.input_view, self)
        self.replay = ReplayController(self.canvas, self._client, self)
        self.replay_panel = ReplayPanel(self.replay, self._settings)
        self.browser = TestSetBrowser()
        self.challenge = Challenge(self)
        self.challenge_banner = ChallengeBanner(self.challenge)
        folder = Path(data_folder or data_dir())
        self.gallery = Gallery(folder / "gallery")
        self.gallery_panel = GalleryPanel()
        self.presentation: PresentationWindow | None = None  # made on first use
        self._build_actions()
        self._build_layout()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self.training = TrainingFeature(self, self.model_menu, self._settings, folder,
                                        presentation=lambda: self.presentation)
        self.setAcceptDrops(True)

        self.canvas.sig_image_changed.connect(self._on_image_changed)
        self.canvas.sig_history_changed.connect(self._on_history_changed)
        self._client.sig_result_ready.connect(self._on_result_ready)
        self._client.sig_model_changed.connect(self._on_model_changed)
        self.explore_dock.visibilityChanged.connect(self._on_explore_visibility_changed)
        self.replay.sig_message.connect(self.statusBar().showMessage)
        self.replay.sig_timeline_ready.connect(self._on_timeline_ready)
        self.replay.sig_step_changed.connect(self._on_replay_step_changed)
        self.replay.sig_running_changed.connect(
            lambda _running: self._on_replay_step_changed(self.replay.step()))
        self.browser.sig_split_wanted.connect(self._client.request_test_split)
        self.browser_dock.visibilityChanged.connect(
            lambda visible: visible and self.browser.prefetch())
        self.browser.sig_image_chosen.connect(self._on_test_image_chosen)
        self._client.sig_test_split_ready.connect(self.browser.set_split)
        self.challenge.sig_clear_requested.connect(self._on_challenge_clear_requested)
        self.challenge.sig_changed.connect(self._on_challenge_changed)
        self.gallery_panel.sig_message.connect(self.statusBar().showMessage)
        self.gallery_panel.sig_open_requested.connect(self.open_gallery_item)
        self.gallery_panel.set_gallery(self.gallery)  # after the wiring: it reports a warning

        self._restore_settings()
        self.autosaver = Autosaver(self.canvas, folder, self)
        self.autosaver.sig_message.connect(self.statusBar().showMessage)
        self.autosaver.restore()
        self._set_dataset_ui(dataset)
        self._on_history_changed()
        self._client.preload([dataset])
        self._client.preload([d for d in DATASET_NAMES if d != dataset])
        self._submit()

    # ------------------------------------------------------------------ building

    def _action(self, text: str, slot, shortcut=None, checkable=False, tip="") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.open_action = self._action("&Open Image…", self._on_open_triggered, key.Open,
                                        tip="Open a picture to classify (it replaces the page)")
        self.save_action = self._action("&Save Drawing As…", self._on_save_triggered, key.Save,
                                        tip="Save the drawing as a PNG file")
        self.export_input_action = self._action(
            "Export Network &Input…", self._on_export_input_triggered,
            tip="Save the 28 × 28 image the network sees as a PNG file")
        self.export_maps_action = self._action(
            "Export &Feature Maps…", self._on_export_maps_triggered,
            tip="Save the four layers' 8 × 8 feature-map grids as PNG files")
        self.export_explore_action = self._action(
            "Export &Explore View as PNG…", self._on_export_explore_triggered,
            tip="Save the whole Explore view as a PNG file")
        self.quit_action = self._action("&Quit", self.close, key.Quit)
        self.undo_action = self._action("&Undo", self.canvas.undo, key.Undo)
        self.redo_action = self._action("&Redo", self.canvas.redo, key.Redo)
        self.paste_action = self._action("&Paste Image", self._on_paste_triggered, key.Paste,
                                         tip="Paste a picture from the clipboard")
        self.clear_action = self._action("&Clear", self.canvas.clear, Qt.Key.Key_Escape,
                                         tip="Wipe the page (Esc)")
        self.pen_action = self._action("&Pen", lambda: self.canvas.set_eraser(False), "B",
                                       checkable=True, tip="Draw (B)")
        self.eraser_action = self._action("&Eraser", lambda: self.canvas.set_eraser(True), "E",
                                          checkable=True, tip="Erase (E); the right button "
                                          "and a pen's eraser end always erase")
        tools = QActionGroup(self)
        tools.addAction(self.pen_action)
        tools.addAction(self.eraser_action)
        self.pen_action.setChecked(True)
        self.thinner_action = self._action("&Thinner Brush", lambda: self._step_width(-2), "[")
        self.thicker_action = self._action("T&hicker Brush", lambda: self._step_width(2), "]")
        self.compare_action = self._action(
            "Compare with the &Dense Network", self._on_compare_changed, "D", checkable=True,
            tip="Show the dense (no convolution) network's probabilities beside the CNN's")
        self.compare_action.setIconText("Compare with Dense")
        self.present_action = self._action(
            "&Presentation Mode", self.toggle_presentation, Qt.Key.Key_F11,
            tip="Full screen, large type, high contrast, for an audience (F11; Esc leaves)")
        self.replay_action = self._action(
            "&Replay Drawing", self.start_replay, Qt.Key.Key_F5,
            tip="Redraw the drawing stroke by stroke with the network's top-3 timeline (F5)")
        self.challenge_action = self._action(
            "&Challenge: Draw This!", self.start_challenge, Qt.Key.Key_F6,
            tip="The app names a class; draw it; how long until the network sees it? (F6)")
        self.next_round_action = self._action("&Next Round", self.challenge.next_round, "N")
        self.next_round_action.setEnabled(False)
        self.keep_action = self._action(
            "&Keep in Gallery…", self.keep_drawing, "Ctrl+K",
            tip="Keep this drawing with the model's answer and its true label (Ctrl+K)")
        self.dataset_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for i, name in enumerate(DATASET_NAMES):
            action = self._action(
                BUTTON_NAMES.get(name, name), lambda _=False, n=name: self.set_dataset(n),
                f"Ctrl+{i + 1}", checkable=True, tip=f"Classify as {DATASETS[name].title}")
            group.addAction(action)
            self.dataset_actions[name] = action

    def _build_layout(self) -> None:
        self.width_slider = QSlider(Qt.Orientation.Horizontal)
        self.width_slider.setRange(int(MIN_WIDTH), int(MAX_WIDTH))
        self.width_slider.setValue(round(self.canvas.brush_width()))
        self.width_slider.setToolTip("Brush width ([ and ])")
        self.width_slider.setMaximumWidth(160)
        self.width_slider.valueChanged.connect(self._on_brush_width_changed)

        top = QWidget()
        top_layout = QHBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(_section("What the network sees (28 × 28)", self.input_view), 2)
        top_layout.addWidget(_section("Prediction", self.probabilities), 3)
        maps_box = _section("Feature maps: 64 per layer, brighter is stronger",
                            self.feature_maps)

        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.addWidget(top)
        self.right_splitter.addWidget(maps_box)
        self.right_splitter.setStretchFactor(0, 4)
        self.right_splitter.setStretchFactor(1, 5)
        self.right_splitter.setChildrenCollapsible(False)

        self.canvas_column = QWidget()
        self._canvas_layout = QVBoxLayout(self.canvas_column)
        self._canvas_layout.setContentsMargins(0, 0, 0, 0)
        self._canvas_layout.addWidget(self.challenge_banner)
        self._canvas_layout.addWidget(self.canvas, 1)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.addWidget(self.canvas_column)
        self.main_splitter.addWidget(self.right_splitter)
        self.main_splitter.setStretchFactor(0, 1)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.main_splitter)

        self.explore_dock = QDockWidget("Explore: inside the network", self)
        self.explore_dock.setObjectName("explore")
        scroller = QScrollArea()  # the dock may be shorter than the panel likes
        scroller.setWidget(self.explore)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.explore_dock.setWidget(scroller)
        self.explore_dock.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea
                                          | Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.explore_dock)
        self.explore_dock.hide()  # one click away: View > Explore (F2)
        self.explore_action = self.explore_dock.toggleViewAction()
        self.explore_action.setText("&Explore")
        self.explore_action.setIconText("Explore")
        self.explore_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        tip = ("Explore the network (F2): every layer's maps, receptive fields on the drawing, "
               "switching channels off, saliency")
        self.explore_action.setStatusTip(tip)
        self.explore_action.setToolTip(tip)

        self.replay_dock = self._dock("Replay: when the network changes its mind", "replay",
                                      self.replay_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.browser_dock = self._dock("Test images", "browser", self.browser,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.gallery_dock = self._dock("Gallery", "gallery", self.gallery_panel,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.browser_dock, self.gallery_dock)
        self.replay_view_action = self._dock_action(self.replay_dock, "Re&play Timeline", "Ctrl+F5")
        self.browser_action = self._dock_action(self.browser_dock, "&Test Images", Qt.Key.Key_F3)
        self.gallery_action = self._dock_action(self.gallery_dock, "&Gallery", Qt.Key.Key_F4)

    def _dock(self, title: str, name: str, content: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(content)
        self.addDockWidget(area, dock)
        dock.hide()
        return dock

    def _dock_action(self, dock: QDockWidget, text: str, shortcut) -> QAction:
        action = dock.toggleViewAction()
        action.setText(text)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda checked: checked and dock.raise_())  # over its tab mate
        return action

    def _build_menus_and_toolbar(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addActions([self.open_action, self.save_action])
        file_menu.addSeparator()
        file_menu.addActions([self.export_input_action, self.export_maps_action,
                              self.export_explore_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menus.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.paste_action, self.clear_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.pen_action, self.eraser_action,
                              self.thinner_action, self.thicker_action])
        model_menu = self.model_menu = menus.addMenu("&Model")
        model_menu.addActions(list(self.dataset_actions.values()))
        model_menu.addSeparator()
        model_menu.addAction(self.compare_action)
        view_menu = menus.addMenu("&View")
        view_menu.addAction(self.explore_action)
        view_menu.addActions([self.replay_view_action, self.browser_action, self.gallery_action])
        demo_menu = menus.addMenu("&Demo")
        demo_menu.addAction(self.present_action)
        self.screen_menu = demo_menu.addMenu("Present &On")
        self.screen_menu.aboutToShow.connect(self._fill_screen_menu)
        demo_menu.addSeparator()
        demo_menu.addActions([self.replay_action, self.challenge_action, self.next_round_action])
        demo_menu.addSeparator()
        demo_menu.addActions([self.browser_action, self.keep_action, self.gallery_action])

        toolbar = QToolBar("Tools")
        toolbar.setObjectName("tools")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addActions(list(self.dataset_actions.values()))
        toolbar.addSeparator()
        toolbar.addActions([self.pen_action, self.eraser_action])
        toolbar.addWidget(QLabel(" Width "))
        toolbar.addWidget(self.width_slider)
        toolbar.addSeparator()
        toolbar.addActions([self.undo_action, self.redo_action, self.clear_action])
        toolbar.addSeparator()
        toolbar.addAction(self.compare_action)
        toolbar.addAction(self.explore_action)
        toolbar.addSeparator()
        self.replay_action.setIconText("Replay")
        self.present_action.setIconText("Present")
        toolbar.addActions([self.replay_action, self.present_action])
        self.addToolBar(toolbar)

    def _build_status_bar(self) -> None:
        self.model_status = QLabel()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # an indeterminate "working" bar
        self.busy.setMaximumWidth(120)
        self.busy.setTextVisible(False)
        self.statusBar().addPermanentWidget(self.model_status)
        self.statusBar().addPermanentWidget(self.busy)

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

    def open_image(self, path: str | os.PathLike) -> bool:
        """Put a picture file (or a drawing with strokes, .json / .svg) on the page. On
        failure: a message, and the drawing stays."""
        if Path(path).suffix.lower() in DRAWING_SUFFIXES:
            return self.open_drawing(path)
        try:
            picture = read_image(path)
        except ImageFileError as exc:
            self._warn("Cannot open the image", str(exc))
            return False
        return self.open_picture(picture, Path(path).name)

    def open_picture(self, picture: np.ndarray, name: str = "the picture") -> bool:
        try:
            page = page_from_picture(picture)
        except ValueError as exc:  # BadImage or a zero-size picture
            self._warn("Cannot open the image", f"{name}: {exc}")
            return False
        self.canvas.set_background(page)
        self.statusBar().showMessage(f"Opened {name}", 4000)
        return True

    def open_drawing(self, path: str | os.PathLike) -> bool:
        """Put a saved drawing (.json or .svg, with its strokes) on the page: undoable, and
        ready to replay. A drawing saved with a dataset switches to it."""
        try:
            drawing = read_drawing(path)
        except DrawingFileError as exc:
            self._warn("Cannot open the drawing", str(exc))
            return False
        self.replay.stop()
        self.canvas.load_drawing(drawing)
        if drawing.dataset in DATASETS:
            self.set_dataset(drawing.dataset)
        self.statusBar().showMessage(
            f"Opened {Path(path).name}: {len(drawing.strokes)} strokes (F5 replays them)", 5000)
        return True

    def save_drawing(self, path: str | os.PathLike) -> Path:
        """The drawing as a PNG, or with its strokes as .json / .svg (by the suffix)."""
        path = Path(path)
        if path.suffix.lower() in DRAWING_SUFFIXES:
            write_drawing(path, replace(self.canvas.drawing(), dataset=self._dataset))
            return path
        return write_png(path, self.canvas.render_image(SAVE_SIZE))

    def export_input(self, path: str | os.PathLike) -> Path:
        """The 28 x 28 network input as a PNG (ink bright, as the network gets it)."""
        if self._result is None or self._result.image is None:
            raise ValueError("there is no network input yet: draw something first")
        return write_png(path, self._result.image)

    def export_feature_maps(self, path: str | os.PathLike) -> list[Path]:
        """The four 8 x 8 grids as PNGs: ``<stem>-conv1.png`` ... beside ``path``."""
        if self._result is None or not self._result.grids:
            raise ValueError("there are no feature maps yet: draw something first")
        path = Path(path)
        stem = path.stem if path.suffix.lower() == ".png" else path.name
        return [
            write_png(path.with_name(f"{stem}-{layer}.png"), mosaic_for_export(grid))
            for layer, grid in zip(FEATURE_LAYERS, self._result.grids, strict=True)
        ]

    def export_explore_view(self, path: str | os.PathLike) -> Path:
        """The whole Explore view as a PNG, written atomically."""
        return self.explore.export_view("panel", path)

    # ------------------------------------------------------------------ inference

    def _submit(self) -> None:
        """Read what is on the page: the picture itself when the page is only a picture (a test
        image is then read exactly as the evaluation reads it), else the page."""
        self.explore_link.hide_overlays()  # they describe the drawing before this change
        self._client.submit(self.canvas.network_picture(), dense=self.compare_action.isChecked(),
                            **self.explore_link.live_options())

    def _on_image_changed(self, _page: np.ndarray) -> None:
        self._submit()

    def _on_compare_changed(self) -> None:
        self._settings.setValue("compare_dense", self.compare_action.isChecked())
        self._submit()

    def _on_result_ready(self, result: LiveResult) -> None:
        names = class_names(result.dataset)
        self._result = result
        if result.empty:
            self.input_view.set_pixels(None, "Draw something")
            error = self._model_errors.get(result.dataset, "")
            self.probabilities.show_message(
                names, "Draw something",
                f"No prediction: the model failed to load ({error})" if error
                else f"Sketch {SUBJECTS[result.dataset]} and watch the network read it.")
            self.feature_maps.set_grids((), ())
        elif result.probabilities is None:
            self.input_view.set_pixels(result.image)
            state = self._client.model_state(result.dataset)
            headline = "No prediction" if state == "error" else "Waiting for the model…"
            self.probabilities.show_message(names, headline, result.error)
            self.feature_maps.set_grids((), ())
        else:
            self.input_view.set_pixels(result.image)
            dense = result.dense_probabilities
            self.probabilities.show_probabilities(names, result.probabilities, dense)
            if self.compare_action.isChecked() and dense is None:
                self.probabilities.set_detail(
                    f"No dense network is shipped for {SHORT_NAMES[result.dataset]}.")
            self.feature_maps.set_grids(result.grids, result.shapes)
        self._update_export_actions()
        self.explore_link.show_result(result)
        self._feed_presentation()
        self.challenge.on_result(result)
        self.sig_result_shown.emit(result)

    def _on_model_changed(self, dataset: str, state: str, message: str) -> None:
        short = SHORT_NAMES.get(dataset, dataset)
        if state == "error":
            self._model_errors[dataset] = message
            self.statusBar().showMessage(f"The {short} model failed to load: {message}")
        elif state == "ready" and dataset == self._dataset:
            self.statusBar().showMessage(f"The {short} model is ready", 3000)
        if dataset == self._dataset:
            self._show_model_state()
            if state in ("ready", "error"):
                self._submit()

    def _show_model_state(self) -> None:
        short = SHORT_NAMES.get(self._dataset, self._dataset)
        state = self._client.model_state(self._dataset)
        loading = state in ("", "loading")
        self.busy.setVisible(loading)
        self.model_status.setText(
            {"error": f"No {short} model", "ready": f"{BUTTON_NAMES[self._dataset]} model"}.get(
                state, f"Loading the {short} model…"))
        if loading:
            self.probabilities.show_message(
                class_names(self._dataset), f"Loading the {short} model…",
                "TensorFlow is starting; you can draw meanwhile.")

    # ------------------------------------------------------------------ the Explore view

    def explore_visible(self) -> bool:
        return self.explore_dock.isVisible()

    def _on_explore_visibility_changed(self, visible: bool) -> None:
        self.explore_link.set_visible(visible)
        self._update_export_actions()

    # ------------------------------------------------------------------ live demos

    def presenting(self) -> bool:
        return self.presentation is not None and self.presentation.isVisible()

    def toggle_presentation(self) -> None:
        if self.presenting():
            self.leave_presentation()
        else:
            self.enter_presentation()

    def enter_presentation(self, screen=None) -> None:
        """Full screen on ``screen`` (default: View > Present On's choice, else a second
        screen, else this one), with this window's canvas and drawing."""
        if self.presenting():
            return
        if self.presentation is None:
            self.presentation = PresentationWindow(FEATURE_LAYERS)
            self.presentation.sig_exit_requested.connect(self.leave_presentation)
            self.presentation.sig_key_action.connect(self._on_presentation_key)
        if screen is None:
            screen = pick_screen(QGuiApplication.screens(), self.screen(),
                                 str(self._settings.value("present_on", "")))
        self.presentation.attach_canvas(self.canvas)
        self.presentation.set_banner(self.challenge.text())
        probabilities = self.replay.probabilities()
        if probabilities is not None:
            self._on_timeline_ready(probabilities, 0.0)
        self.presentation.present_on(screen)
        self._feed_presentation()
        self.present_action.setText("Leave &Presentation Mode")

    def leave_presentation(self) -> None:
        if self.presentation is None or self.canvas.parent() is self.canvas_column:
            return
        self._canvas_layout.addWidget(self.canvas, 1)  # back under the challenge banner
        self.canvas.show()
        self.presentation.hide()
        self.present_action.setText("&Presentation Mode")
        self.activateWindow()

    def _fill_screen_menu(self) -> None:
        self.screen_menu.clear()
        wanted = str(self._settings.value("present_on", ""))
        chosen = pick_screen(QGuiApplication.screens(), self.screen(), wanted)
        group = QActionGroup(self.screen_menu)
        for screen in QGuiApplication.screens():
            size = screen.geometry()
            action = self.screen_menu.addAction(f"{screen.name()} ({size.width()} × {size.height()})")
            action.setCheckable(True)
            action.setChecked(screen is chosen)
            group.addAction(action)
            name = screen.name()
            action.triggered.connect(
                lambda _=False, n=name: self._settings.setValue("present_on", n))

    def _feed_presentation(self) -> None:
        if not self.presenting():
            return
        result, names = self._result, class_names(self._dataset)
        view = self.presentation
        if result is None:
            view.show_message(names, "Thinking…")
        elif result.empty:
            view.show_message(names, "Draw something")
        elif result.probabilities is None:
            view.show_message(names, "No prediction")
        else:
            view.show_result(names, result.probabilities, result.grids, result.shapes)

    def _on_presentation_key(self, what: str) -> None:
        {"clear": self.canvas.clear, "undo": self.canvas.undo, "redo": self.canvas.redo,
         "replay": self.start_replay, "challenge": self.start_challenge,
         "next round": self.challenge.next_round}[what]()

    def start_replay(self) -> bool:
        """Replay the drawing stroke by stroke, with its timeline (F5)."""
        if not self.presenting():
            self.replay_dock.show()
        return self.replay.start(self._dataset)

    def _on_timeline_ready(self, probabilities, _seconds) -> None:
        if self.presentation is not None:
            self.presentation.timeline.set_timeline(probabilities, class_names(self._dataset))
            self.presentation.timeline.show()

    def _on_replay_step_changed(self, step: int) -> None:
        if self.presentation is not None:
            self.presentation.timeline.set_cursor(step if self.replay.active() else None)

    def _on_test_image_chosen(self, page: np.ndarray, name: str) -> None:
        self.replay.stop()
        self.canvas.set_background(page)
        self.statusBar().showMessage(f"Opened {name}: draw over it, or undo", 4000)

    def start_challenge(self) -> None:
        """A round of "draw this" for the current dataset (F6; N for the next round)."""
        self.replay.stop()
        self.challenge.start(self._dataset, class_names(self._dataset))

    def _on_challenge_clear_requested(self) -> None:
        self.canvas.clear()
        self.challenge.set_min_seq(self._client.seq)

    def _on_challenge_changed(self, text: str) -> None:
        self.next_round_action.setEnabled(self.challenge.running())
        if self.presentation is not None:
            self.presentation.set_banner(text)

    def keep_drawing(self, label: int | None = None) -> bool:
        """Keep the drawing in the gallery with the model's answer and the true label (asked
        for when not given). False when there is nothing to keep or the user cancels."""
        result = self._result
        if self.replay.active():  # the answer on screen is for a step of the replay
            self.statusBar().showMessage("Stop the replay first (the drawing is what is kept)",
                                         4000)
            return False
        if result is None or result.probabilities is None or self.canvas.is_empty():
            self.statusBar().showMessage("Nothing to keep: draw something the model can read",
                                         4000)
            return False
        names = class_names(result.dataset)
        predicted = int(np.argmax(result.probabilities))
        confidence = float(result.probabilities[predicted])
        if label is None:
            label = ask_true_label(self, names, predicted, confidence)
            if label is None:
                return False
        strokes = drawing_to_json(replace(self.canvas.drawing(), dataset=result.dataset, label=label))
        try:
            self.gallery.add(self.canvas.render_image(PAGE_SIZE), result.dataset, label,
                             predicted, confidence, strokes)
        except (OSError, GalleryError) as exc:
            self._warn("Keep in Gallery", f"Cannot keep the drawing: {exc}")
            return False
        self.gallery_panel.refresh()
        mark = "right" if predicted == label else "wrong"
        self.statusBar().showMessage(
            f"Kept as {names[label]} (the model said {names[predicted]}: {mark}); "
            f"{len(self.gallery.items)} in the gallery (F4)", 5000)
        return True

    def open_gallery_item(self, item_id: str) -> None:
        """Put a kept drawing back on the page, strokes and all, in its dataset."""
        try:
            item = self.gallery.item(item_id)
        except GalleryError:
            return
        if not item.drawing_json:
            return
        try:
            drawing = drawing_from_json(item.drawing_json)
        except DrawingFileError as exc:
            self._warn("Gallery", f"Cannot open the kept drawing: {exc}")
            return
        self.replay.stop()
        self.set_dataset(item.dataset)
        self.canvas.load_drawing(drawing)

    # ------------------------------------------------------------------ small handlers

    def _set_dataset_ui(self, dataset: str) -> None:
        self.dataset_actions[dataset].setChecked(True)
        self.browser.set_dataset(dataset, class_names(dataset))
        if self.browser_dock.isVisible():
            self.browser.prefetch()
        self.replay_panel.set_class_names(class_names(dataset))
        if self.challenge.running() and self.challenge.dataset() != dataset:
            self.challenge.stop()
        self.setWindowTitle(f"{APP_NAME} — {DATASETS[dataset].title}")
        self._result = None
        names = class_names(dataset)
        self.probabilities.show_message(names, "Thinking…")
        self.input_view.set_pixels(None, "")
        self.feature_maps.set_grids((), ())
        self._update_export_actions()
        self._show_model_state()

    def _on_history_changed(self) -> None:
        self.undo_action.setEnabled(self.canvas.can_undo())
        self.redo_action.setEnabled(self.canvas.can_redo())

    def _on_brush_width_changed(self, value: int) -> None:
        self.canvas.set_brush_width(value)
        self._settings.setValue("brush_width", value)

    def _step_width(self, step: int) -> None:
        self.width_slider.setValue(self.width_slider.value() + step)

    def _update_export_actions(self) -> None:
        has = self._result is not None and self._result.image is not None
        self.export_input_action.setEnabled(has)
        self.export_maps_action.setEnabled(has and bool(self._result.grids))
        self.export_explore_action.setEnabled(self.explore_visible())

    def _warn(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)

    # ------------------------------------------------------------------ files and clipboard

    def _on_open_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Image", self._last_folder(),
                                              IMAGE_FILTER)
        if path:
            self._remember_folder(path)
            self.open_image(path)

    def _on_save_triggered(self) -> None:
        self._save_with_dialog("Save Drawing", "drawing.png", self.save_drawing, SAVE_FILTERS)

    def _on_export_input_triggered(self) -> None:
        self._save_with_dialog("Export Network Input", "network-input.png", self.export_input)

    def _on_export_maps_triggered(self) -> None:
        self._save_with_dialog("Export Feature Maps (one PNG per layer)", "feature-maps.png",
                               self.export_feature_maps)

    def _on_export_explore_triggered(self) -> None:
        self._save_with_dialog("Export Explore View", "explore.png", self.export_explore_view)

    def _save_with_dialog(self, title: str, default_name: str, save,
                          filters: dict[str, str] | None = None) -> None:
        """Ask for a file name, then ``save(path)``. ``filters`` maps the dialog's filters to
        the suffix added when the typed name has none of theirs (default: PNG, as typed)."""
        filters = filters or {"PNG images (*.png)": ""}
        suggestion = str(Path(self._last_folder()) / default_name)
        path, chosen = QFileDialog.getSaveFileName(self, title, suggestion, ";;".join(filters))
        if not path:
            return
        if Path(path).suffix.lower() not in filters.values():
            path += filters.get(chosen, "")
        self._remember_folder(path)
        try:
            written = save(path)
        except (OSError, ValueError) as exc:  # DrawingFileError is a ValueError
            self._warn(title, f"Cannot save {Path(path).name}: {exc}")
            return
        names = ", ".join(p.name for p in (written if isinstance(written, list) else [written]))
        self.statusBar().showMessage(f"Saved {names}", 5000)

    def _last_folder(self) -> str:
        return str(self._settings.value("last_folder", str(Path.home())))

    def _remember_folder(self, path: str) -> None:
        self._settings.setValue("last_folder", str(Path(path).parent))

    def _on_paste_triggered(self) -> None:
        self._take_mime(QGuiApplication.clipboard().mimeData(), "the clipboard")

    def _take_mime(self, mime, where: str) -> bool:
        """Open what a drop or the clipboard carries: a local file, or image data."""
        if mime is None:
            return False
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile():
                return self.open_image(url.toLocalFile())
        if mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                return self.open_picture(qimage_to_rgba(image), f"the image from {where}")
        if mime.hasText() and Path(mime.text().strip()).is_file():
            return self.open_image(mime.text().strip())
        self.statusBar().showMessage(f"There is no image in {where}", 4000)
        return False

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasImage() or any(u.isLocalFile() for u in mime.urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self._take_mime(event.mimeData(), "the drop"):
            event.acceptProposedAction()

    # ------------------------------------------------------------------ settings

    def _restore_settings(self) -> None:
        s = self._settings
        try:
            width = int(s.value("brush_width", round(self.canvas.brush_width())))
        except (TypeError, ValueError):
            width = round(self.canvas.brush_width())
        self.width_slider.setValue(width)
        self.canvas.set_brush_width(self.width_slider.value())
        self.compare_action.setChecked(str(s.value("compare_dense", "false")).lower() == "true")
        for key, restore in (("geometry", self.restoreGeometry),
                             ("window_state", self.restoreState),
                             ("splitter/main", self.main_splitter.restoreState),
                             ("splitter/right", self.right_splitter.restoreState)):
            value = s.value(key)
            if isinstance(value, QByteArray):
                restore(value)
        if not isinstance(s.value("geometry"), QByteArray):
            self.resize(1280, 800)

    def save_settings(self) -> None:
        s = self._settings
        s.setValue("dataset", self._dataset)
        s.setValue("brush_width", self.width_slider.value())
        s.setValue("compare_dense", self.compare_action.isChecked())
        s.setValue("geometry", self.saveGeometry())
        s.setValue("window_state", self.saveState())
        s.setValue("splitter/main", self.main_splitter.saveState())
        s.setValue("splitter/right", self.right_splitter.saveState())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.replay.stop()
        self.challenge.stop()
        self.leave_presentation()
        if self.presentation is not None:
            self.presentation.deleteLater()
            self.presentation = None
        self.autosaver.save_now()
        self.save_settings()
        self.training.shutdown()
        self._client.shutdown()
        super().closeEvent(event)


__all__ = ["MainWindow", "PAGE_SIZE", "default_settings"]
