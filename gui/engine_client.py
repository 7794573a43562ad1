"""The GUI's handle on the engine: every question any view asks goes through one scheduler.

:class:`EngineClient` turns the views' requests (read this drawing, the timeline of that replay,
the test split, Explore's facts and top examples) into jobs of :mod:`gui.jobs` on one
:class:`gui.scheduler.Scheduler`, and passes the answers on as signals carrying plain data. It
owns the models' loading state for the status bar. Three lanes, so that nothing slow holds up
live drawing: "live" (the drawing, Explore's masks, the timeline, the models), "batch" (passes
over the whole test split) and "saliency" (gradients, which load TensorFlow the first time).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PySide6.QtCore import QObject, Signal

from gui import jobs
from gui.jobs import (
    FactsAnswer,
    LiveRequest,
    LiveResult,
    ModelHub,
    TestSplitLoader,
    Timeline,
    TopResult,
)
from gui.scheduler import Scheduler
from model.drawing import NetworkPicture

# Which waiting job goes first on the live lane.
LOAD_NOW, LIVE, FACTS, TIMELINE, PRELOAD = 50, 40, 30, 20, 0


def load_shipped_engine(dataset: str):
    """The shipped CNN for ``dataset`` (and its dense network, if shipped)."""
    from model.inference import Engine
    from model.paths import model_path

    dense = model_path(dataset, "dense")
    return Engine.load(model_path(dataset, "cnn"), dataset, dense if dense.is_file() else None)


class EngineClient(QObject):
    """Feeds the engine from the GUI thread, newest request first; answers come as signals."""

    sig_result_ready = Signal(object)
    """A LiveResult for the newest drawing of the current dataset."""

    sig_model_changed = Signal(str, str, str)
    """A model's state changed: (dataset, "loading" | "ready" | "error", message)."""

    sig_model_replaced = Signal(str)
    """``set_model`` put another model behind this dataset: what was learnt of the one before
    (its facts, top examples, answers on the test split) no longer holds."""

    sig_timeline_ready = Signal(object)
    """A Timeline answering the newest ``request_timeline``."""

    sig_test_split_ready = Signal(object)
    """A TestSplitAnswer for ``request_test_split``."""

    sig_explore_ready = Signal(object)
    """A LiveResult answering the newest ``explore`` (unless a newer drawing came meanwhile)."""

    sig_saliency_ready = Signal(object)
    """A SaliencyAnswer for the newest ``request_saliency`` of the current dataset."""

    sig_facts_ready = Signal(object)
    """A FactsAnswer: the current dataset's model's layers, fields and kernels (or why not)."""

    sig_top_progress = Signal(int, int)
    """Top examples: (images done, images in all)."""

    sig_top_ready = Signal(object)
    """The current dataset's TopResult."""

    sig_top_failed = Signal(str)
    """Top examples could not be found: one line."""

    def __init__(self, loader: jobs.Loader, dataset: str, parent: QObject | None = None,
                 test_split_loader: TestSplitLoader = jobs.engine_test_split,
                 test_images: jobs.ImagesLoader = jobs.shipped_test_images):
        super().__init__(parent)
        self._dataset = dataset
        self._seq = 0
        self._states: dict[str, str] = {}
        self._hub = ModelHub(loader)
        self._test_split_loader = test_split_loader
        self._test_images = test_images
        self._scheduler = Scheduler(("live", "batch", "saliency"), self)

    @property
    def dataset(self) -> str:
        return self._dataset

    @property
    def seq(self) -> int:
        """The sequence number of the newest drawing submitted."""
        return self._seq

    def model_state(self, dataset: str) -> str:
        """The model's state: "" (not asked for yet), "loading", "ready" or "error"."""
        return self._states.get(dataset, "")

    def preload(self, datasets: Iterable[str]) -> None:
        """Load these datasets' models when the live lane has nothing more urgent to do (the
        current dataset's first)."""
        for dataset in sorted(datasets, key=lambda d: d != self._dataset):  # stable: current first
            if not self._states.get(dataset):
                self._load(dataset)

    def set_dataset(self, dataset: str) -> None:
        """Switch datasets: answers still on their way for the other one are dropped."""
        self._dataset = dataset
        self._scheduler.cancel("live")
        if self._states.get(dataset) in ("", None, "loading"):
            self._load(dataset)  # again, now urgent

    def set_model(self, dataset: str, loader: jobs.Loader | None) -> None:
        """Read ``dataset`` with the engine ``loader`` makes from now on (the user's own model,
        or the network being trained live); None goes back to the client's own loader. The
        engines loaded for it are dropped, and it loads again now if it was loaded before:
        ``sig_model_changed`` says "loading", then "ready" (or "error"), and the live view
        reads the drawing again."""
        self._hub.set_loader(dataset, loader)
        if dataset == self._dataset:
            self._scheduler.cancel("live")  # an answer from the engine before is stale
        if self._states.get(dataset):
            self._load(dataset)
        self.sig_model_replaced.emit(dataset)

    def submit(self, picture: NetworkPicture | np.ndarray, dense: bool = False,
               masks: np.ndarray | None = None) -> int:
        """Read ``picture`` (a page, or ``Canvas.network_picture()``) for the current dataset,
        replacing any drawing still waiting."""
        self._seq += 1
        if not isinstance(picture, NetworkPicture):
            picture = NetworkPicture(np.asarray(picture))
        request = LiveRequest(self._seq, self._dataset, picture, dense,
                              None if masks is None else np.array(masks, np.float32))
        self._scheduler.cancel("explore")  # the new drawing's answer carries what Explore wants
        self._scheduler.submit("live", jobs.read_drawing, self._hub, request,
                               on_done=self._on_result, priority=LIVE)
        return self._seq

    def explore(self, result: LiveResult, masks: np.ndarray | None) -> None:
        """Ask again for ``result``'s network input with other channel masks (no new drawing:
        nothing is preprocessed again)."""
        request = LiveRequest(result.seq, result.dataset, None,
                              masks=None if masks is None else np.array(masks, np.float32),
                              net_input=result.net_input, geometry=result.geometry)
        self._scheduler.submit("explore", jobs.read_drawing, self._hub, request,
                               on_done=self._on_explored, priority=LIVE)

    def request_saliency(self, result: LiveResult, masks: np.ndarray | None) -> None:
        """Which pixels drove ``result``'s top class (under ``masks``): ``sig_saliency_ready``.
        On a lane of its own: the first time, TensorFlow loads for seconds."""
        self._scheduler.submit("saliency", jobs.explain_input, self._hub, result.dataset,
                               result.seq, result.net_input, masks,
                               on_done=self._on_saliency, lane="saliency")

    def request_timeline(self, pages, dataset: str | None = None) -> None:
        """Classify each page of a growing drawing in one job; the answer is
        ``sig_timeline_ready`` (only for the newest request)."""
        dataset = dataset or self._dataset
        self.preload([dataset])
        self._scheduler.submit("timeline", jobs.timeline, self._hub, dataset, tuple(pages),
                               on_done=self.sig_timeline_ready.emit, priority=TIMELINE)

    def request_test_split(self, dataset: str) -> None:
        """``dataset``'s test split and the CNN's answers on it (seconds the first time, while
        the model runs over 10,000 images; cached afterwards)."""
        self._scheduler.submit(f"test split:{dataset}", jobs.test_split, self._test_split_loader,
                               self._hub, dataset, on_done=self.sig_test_split_ready.emit,
                               lane="batch")

    def request_facts(self) -> None:
        """The current dataset's model's layers, receptive fields and kernels."""
        self._scheduler.submit("facts", jobs.model_facts, self._hub, self._dataset,
                               on_done=self._on_facts, priority=FACTS)

    def request_top_examples(self) -> None:
        """Every channel's most activating test images for the current dataset's model."""
        self._scheduler.submit("top examples", jobs.top_examples, self._hub, self._test_images,
                               self._dataset, on_done=self._on_top, on_error=self.sig_top_failed.emit,
                               on_progress=self.sig_top_progress.emit, lane="batch")

    def shutdown(self) -> None:
        """Stop the worker threads (after the jobs in flight finish)."""
        self._scheduler.shutdown()

    # ------------------------------------------------------------------ answers

    def _load(self, dataset: str) -> None:
        self._states[dataset] = "loading"
        self.sig_model_changed.emit(dataset, "loading", "")
        self._scheduler.submit(f"load:{dataset}", jobs.load_model, self._hub, dataset,
                               on_done=lambda error, d=dataset: self._on_loaded(d, error),
                               priority=LOAD_NOW if dataset == self._dataset else PRELOAD)

    def _on_loaded(self, dataset: str, error: str) -> None:
        self._states[dataset] = "error" if error else "ready"
        self.sig_model_changed.emit(dataset, self._states[dataset], error)

    def _on_result(self, result: LiveResult) -> None:
        if result.dataset == self._dataset:
            self.sig_result_ready.emit(result)

    def _on_explored(self, result: LiveResult) -> None:
        if result.dataset == self._dataset:
            self.sig_explore_ready.emit(result)

    def _on_saliency(self, answer: jobs.SaliencyAnswer) -> None:
        if answer.dataset == self._dataset:
            self.sig_saliency_ready.emit(answer)

    def _on_facts(self, answer: FactsAnswer) -> None:
        if answer.dataset == self._dataset:
            self.sig_facts_ready.emit(answer)

    def _on_top(self, result: TopResult) -> None:
        if result.dataset == self._dataset:
            self.sig_top_ready.emit(result)


__all__ = ["EngineClient", "LiveResult", "Timeline", "load_shipped_engine"]
