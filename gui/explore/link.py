"""The Explore view's wiring: the panel on one side, the engine client and the live views on the
other.

The panel is fed only while it is shown, so that hidden it costs live drawing nothing. It never
asks for a forward pass of its own for a new drawing: the live request carries its channel
masks and one job answers both. Only when the user switches channels without drawing is the
current network input asked again, as an "explore" job. Saliency needs gradients, which load
TensorFlow the first time: it is asked for separately, on a lane of its own, and merged into
the panel's answer when it comes. The receptive field of the hovered map position and the
saliency overlay are drawn on the 28 x 28 input view and on the page.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, QRectF

from gui.colormap import overlay_rgba
from gui.engine_client import EngineClient
from gui.explore.panel import ExplorePanel
from gui.jobs import LiveResult


def page_rect(geometry, top: float, left: float, height: float, width: float) -> QRectF:
    """A rectangle of network-input pixels -> where it came from on the page (page pixels)."""
    y, x, h, w = geometry.rect_to_drawing(top, left, height, width)
    return QRectF(x, y, w, h)


class ExploreLink(QObject):
    """Feeds ``panel`` from ``client`` and draws its overlays on ``canvas`` and ``input_view``
    (the live views; None for a panel on its own)."""

    def __init__(self, panel: ExplorePanel, client: EngineClient, canvas=None, input_view=None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.panel, self._client = panel, client
        self._views = tuple(v for v in (canvas, input_view) if v is not None)
        self._canvas, self._input_view = canvas, input_view
        self._visible = False
        self._result: LiveResult | None = None  # the newest live answer, shown or not
        self._saliency: np.ndarray | None = None
        self._own_inputs = itertools.count(-1, -1)  # sequence numbers of show_input's inputs
        self._saliency_asked: tuple | None = None  # (seq, masks) of the saliency on its way
        self._saliency_ever = False  # the first answer means TensorFlow is loaded
        client.sig_facts_ready.connect(panel.set_facts)
        client.sig_model_replaced.connect(self._on_model_replaced)
        client.sig_explore_ready.connect(self._on_explored)
        client.sig_saliency_ready.connect(self._on_saliency_ready)
        client.sig_top_progress.connect(panel.set_top_progress)
        client.sig_top_ready.connect(panel.set_top_examples)
        client.sig_top_failed.connect(panel.set_top_failed)
        panel.sig_top_examples_wanted.connect(client.request_top_examples)
        panel.sig_wants_changed.connect(self._ask_again_if_needed)
        panel.sig_receptive_field.connect(self._on_receptive_field_changed)
        panel.sig_saliency_changed.connect(self._on_saliency_changed)
        panel.sig_result_shown.connect(lambda _result: self._show_saliency())

    def visible(self) -> bool:
        return self._visible

    def set_visible(self, visible: bool) -> None:
        """The Explore view was shown or hidden."""
        self._visible = visible
        if visible:
            self.panel.set_dataset(self._client.dataset)
            if self.panel.facts is None:  # a tab switch back does not ask again
                self._client.request_facts()
            self.show_result(self._result)
        else:
            self.hide_overlays()

    def set_dataset(self, dataset: str) -> None:
        self._result = None
        if self._visible:
            self.panel.set_dataset(dataset)
            self._client.request_facts()

    def _on_model_replaced(self, dataset: str) -> None:
        if dataset != self.panel.dataset:
            return  # the panel learns of another dataset's model when it switches to it
        self._saliency_asked = None
        self.panel.set_model(dataset)
        if self._visible:
            self._client.request_facts()

    def live_options(self) -> dict:
        """What a live request should also compute for the panel (nothing while it is hidden)."""
        if not self._visible:
            return {}
        return {"masks": self.panel.masks()}

    def show_result(self, result: LiveResult | None) -> None:
        """The live view shows ``result`` now: so does the panel, if it is shown."""
        self._result = result
        if not self._visible:
            return
        answered = result is not None and (result.prediction is not None or result.error)
        self.panel.show_result(result if answered else None)
        self._ask_again_if_needed()

    def show_input(self, image: np.ndarray) -> None:
        """Explore one network input ((28, 28, 1) floats) without a drawing: the panel on its
        own, in the developer tools."""
        self._visible = True
        image = np.asarray(image, np.float32).reshape(28, 28, 1)
        self._result = LiveResult(next(self._own_inputs), self._client.dataset, net_input=image)
        self._ask_again_if_needed()

    def _ask_again_if_needed(self) -> None:
        """Ask for the current input again if the panel has no answer for it or wants other
        masks than the answer it has; ask for its saliency if wanted and missing."""
        result = self._result
        if not self._visible or result is None or result.net_input is None or result.error:
            return
        masks, shown = self.panel.masks(), self.panel.result
        if shown is None or shown.seq != result.seq or not _same(masks, shown.masks):
            self._client.explore(result, masks)
            return
        wanted = (shown.seq, None if masks is None else masks.tobytes())
        if self.panel.wants_saliency() and shown.explanation is None and self._saliency_asked != wanted:
            self._saliency_asked = wanted
            if not self._saliency_ever:
                note = "loading TensorFlow for saliency (the first time only)…"
                self.panel.controls.show_saliency_state(note)
            self._client.request_saliency(shown, masks)

    def _on_explored(self, result: LiveResult) -> None:
        if self._visible and self._result is not None and result.seq == self._result.seq:
            self.panel.show_result(result)
            self._ask_again_if_needed()

    def _on_saliency_ready(self, answer) -> None:
        self._saliency_asked = None
        shown = self.panel.result
        if answer.error:
            self.panel.controls.show_saliency_state(f"no saliency: {answer.error}")
            return
        self._saliency_ever = True
        self.panel.controls.show_saliency_state("")
        if shown is not None and answer.seq == shown.seq and _same(answer.masks, shown.masks):
            self.panel.show_result(replace(shown, explanation=answer.explanation))
        else:
            self._ask_again_if_needed()  # the drawing moved on meanwhile

    # ------------------------------------------------------------------ overlays on the live views

    def _on_receptive_field_changed(self, rect) -> None:
        """Outline what the hovered map position sees, on the 28 x 28 input and on the page."""
        geometry = self._geometry()
        if not self._views:
            return
        if rect is None or geometry is None:
            self._input_view.set_outline(None)
            self._canvas.set_outline(None)
            return
        self._input_view.set_outline(rect)
        self._canvas.set_outline(page_rect(geometry, rect.top, rect.left, rect.height, rect.width))

    def _on_saliency_changed(self, saliency: np.ndarray | None) -> None:
        self._saliency = saliency
        self._show_saliency()

    def _geometry(self):
        shown = self.panel.result
        return shown.geometry if self._visible and shown is not None else None

    def _show_saliency(self) -> None:
        geometry = self._geometry()
        if not self._views:
            return
        if self._saliency is None or geometry is None:
            self._input_view.set_overlay(None)
            self._canvas.set_overlay(None)
            return
        rgba = overlay_rgba(self._saliency)
        self._input_view.set_overlay(rgba)
        self._canvas.set_overlay(rgba, page_rect(geometry, 0, 0, 28, 28))

    def hide_overlays(self) -> None:
        """Take the outline and the saliency off both views (the saliency comes back with the
        panel's next answer)."""
        for view in self._views:
            view.set_outline(None)
            view.set_overlay(None)


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """The same channel masks (None: every channel on)."""
    return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))
