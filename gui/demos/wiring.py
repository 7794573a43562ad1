"""The live demos wired to the canvas, the engine client and one another: stroke replay, the
test images, the challenge and the gallery.

:class:`Demos` makes each demo and its panel and connects them; the window puts the panels in
docks and above the canvas, calls the methods here from its actions, feeds the live results in
(``show_result``, ``set_dataset``) and shows what comes back (``sig_message``,
``sig_dataset_wanted``). Presentation mode has its own wiring (``gui.demos.presenting``).
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from gui.demos.browser import TestSetBrowser
from gui.demos.challenge import Challenge, ChallengeBanner
from gui.demos.gallery_view import GalleryPanel, ask_true_label
from gui.demos.replay import ReplayController, ReplayPanel
from gui.engine_client import EngineClient
from gui.jobs import LiveResult
from gui.views.canvas import PAGE_SIZE, Canvas
from model.datasets import class_names
from model.drawing import DrawingFileError, drawing_from_json, drawing_to_json
from model.gallery import Gallery, GalleryError


class Demos(QObject):
    """Replay, test images, challenge and gallery for ``canvas``, answered through ``client``;
    the gallery kept in ``gallery_folder``; dialogs parented to ``parent``."""

    sig_message = Signal(str, int)
    """A one-line status message, and how long to show it (milliseconds; 0 until replaced)."""

    sig_dataset_wanted = Signal(str)
    """A kept drawing was opened: classify as its dataset."""

    def __init__(self, canvas: Canvas, client: EngineClient, settings: QSettings,
                 gallery_folder: str | os.PathLike, parent: QWidget):
        super().__init__(parent)
        self._canvas, self._client = canvas, client
        self._dataset = ""
        self._result: LiveResult | None = None  # the live answer on screen
        self.replay = ReplayController(canvas, client, self)
        self.replay_panel = ReplayPanel(self.replay, settings)
        self.browser = TestSetBrowser()
        self.challenge = Challenge(self)
        self.challenge_banner = ChallengeBanner(self.challenge)
        self.gallery = Gallery(gallery_folder)
        self.gallery_panel = GalleryPanel()

        self.replay.sig_message.connect(lambda text: self.sig_message.emit(text, 0))
        self.browser.sig_split_wanted.connect(client.request_test_split)
        client.sig_test_split_ready.connect(self.browser.set_split)
        client.sig_model_replaced.connect(self._on_model_replaced)
        self.browser.sig_image_chosen.connect(self._on_test_image_chosen)
        self.challenge.sig_clear_requested.connect(self._on_challenge_clear_requested)
        self.gallery_panel.sig_message.connect(lambda text: self.sig_message.emit(text, 0))
        self.gallery_panel.sig_open_requested.connect(self.open_gallery_item)

    def restore(self) -> None:
        """Show what earlier sessions kept; a gallery that could not be read is reported
        (``sig_message``), so call this once its signals are connected."""
        self.gallery_panel.set_gallery(self.gallery)

    # ------------------------------------------------------------------ fed by the window

    def set_dataset(self, dataset: str) -> None:
        """The window classifies as ``dataset`` from now on (nothing is on screen yet)."""
        self._dataset, self._result = dataset, None
        names = class_names(dataset)
        self.browser.set_dataset(dataset, names)
        self.replay_panel.set_class_names(names)
        if self.challenge.running() and self.challenge.dataset() != dataset:
            self.challenge.stop()

    def _on_model_replaced(self, dataset: str) -> None:
        if dataset == self._dataset:
            self.browser.forget_split()  # its mistakes were another model's

    def show_result(self, result: LiveResult) -> None:
        """The live answer now on screen."""
        self._result = result
        self.challenge.on_result(result)

    # ------------------------------------------------------------------ the demos

    def start_replay(self) -> bool:
        """Replay the drawing stroke by stroke, with its timeline; False when there is none."""
        return self.replay.start(self._dataset)

    def start_challenge(self) -> None:
        """A round of "draw this" for the current dataset (the page is wiped, undoably)."""
        self.challenge.start(self._dataset)

    def leave_mode(self) -> bool:
        """Esc: stop a replay, else a challenge; False when neither runs. The drawing stays."""
        if self.replay.active():
            self.replay.stop()
        elif self.challenge.running():
            self.challenge.stop()
        else:
            return False
        return True

    def stop(self) -> None:
        """Stop whatever runs (the window is closing)."""
        self.replay.stop()
        self.challenge.stop()

    def keep_drawing(self, label: int | None = None) -> bool:
        """Keep the drawing in the gallery with the model's answer and the true label (asked
        for when not given). False when there is nothing to keep or the user cancels."""
        result = self._result
        if self.replay.active():  # the answer on screen is for a step of the replay
            self.sig_message.emit("Stop the replay first (the drawing is what is kept)", 4000)
            return False
        if result is None or result.probabilities is None or self._canvas.is_empty():
            self.sig_message.emit("Nothing to keep: draw something the model can read", 4000)
            return False
        names = class_names(result.dataset)
        predicted = int(np.argmax(result.probabilities))
        confidence = float(result.probabilities[predicted])
        if label is None:
            label = ask_true_label(self.parent(), names, predicted, confidence)
            if label is None:
                return False
        drawing = replace(self._canvas.drawing(), dataset=result.dataset, label=label)
        try:
            self.gallery.add(self._canvas.render_image(PAGE_SIZE), result.dataset, label,
                             predicted, confidence, drawing_to_json(drawing))
        except (OSError, GalleryError) as exc:
            QMessageBox.warning(self.parent(), "Keep in Gallery", f"Cannot keep the drawing: {exc}")
            return False
        self.gallery_panel.refresh()
        mark = "right" if predicted == label else "wrong"
        self.sig_message.emit(
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
            QMessageBox.warning(self.parent(), "Gallery", f"Cannot open the kept drawing: {exc}")
            return
        self.sig_dataset_wanted.emit(item.dataset)
        self._canvas.load_drawing(drawing)

    # ------------------------------------------------------------------ internals

    def _on_test_image_chosen(self, page: np.ndarray, name: str) -> None:
        self._canvas.set_background(page)
        self.sig_message.emit(f"Opened {name}: draw over it, or undo", 4000)

    def _on_challenge_clear_requested(self) -> None:
        self._canvas.clear()
        self.challenge.set_min_seq(self._client.seq)
