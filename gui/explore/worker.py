"""The exploration's TensorFlow work, off the GUI thread.

Two worker objects, each in its own :class:`gui.worker.WorkerThread` (a ``QThread`` whose event
loop keeps one Python thread state, which TensorFlow needs), neither ever touching a widget:

- :class:`ExploreWorker` builds a :class:`model.explain.Explainer` for a model and answers
  :class:`ExploreRequest` s (the maps, the probabilities with channels switched off, saliency):
  a few milliseconds each;
- :class:`TopExamplesWorker` finds every channel's most activating test images: seconds the
  first time for a model file, then read from the disk cache. It has its own thread so that it
  never holds up the live requests.

:class:`ExploreClient` lives in the GUI thread and feeds them. At most one request is in flight;
while it runs only the newest waits (newest request wins), and a result is passed on only if it
answers the newest request for the current model. Every signal carries plain data.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from gui.worker import WorkerThread
from model.explain import Field, Kernels, LayerFacts, TopExamples

if TYPE_CHECKING:  # model.inference imports SciPy: kept off the start-up path
    from model.inference import Prediction

ImagesLoader = Callable[[str], np.ndarray]  # dataset -> (N, 28, 28, 1) float32 test images


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class ModelFacts:
    """What the panel needs to know of a model, once: plain data."""

    generation: int  # which set_model call this answers
    dataset: str
    path: Path | None
    layers: tuple[LayerFacts, ...]
    fields: dict[str, Field]
    kernels: Kernels

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)


@dataclass(frozen=True)
class ExploreRequest:
    seq: int
    generation: int
    image: np.ndarray  # (28, 28, 1) float32, what the network sees
    masks: np.ndarray | None  # (4, 64); None: no channel switched off
    saliency: bool


@dataclass(frozen=True)
class ExploreResult:
    """The answer to one request. ``ablated`` is None when no channel is off; the saliency maps
    are None when not asked for (and then explain ``ablated`` if there is one)."""

    seq: int
    generation: int
    prediction: Prediction | None = None  # the network as trained
    ablated: Prediction | None = None  # with the switched-off channels zeroed
    target: int = -1  # the class the saliency maps explain
    gradcam: np.ndarray | None = None  # (28, 28) in [0, 1]
    gradient: np.ndarray | None = None  # (28, 28) in [0, 1]
    seconds: float = 0.0  # time spent in TensorFlow
    error: str = ""

    def shown(self) -> Prediction | None:
        """What the panel shows: the ablated network if channels are off."""
        return self.ablated if self.ablated is not None else self.prediction


@dataclass(frozen=True)
class TopResult:
    """Every channel's top examples for one model file, and the test images they index."""

    generation: int
    examples: TopExamples
    images: np.ndarray  # (N, 28, 28) uint8: the test split as the network sees it


def compute(explainer, request: ExploreRequest) -> ExploreResult:
    """One request -> its result: a plain function, data in and data out."""
    started = time.perf_counter()
    off = request.masks is not None and not np.all(request.masks == 1.0)
    prediction = ablated = explanation = None
    if off:
        prediction = explainer.run(request.image)
        if request.saliency:
            explanation = explainer.explain(request.image, request.masks)
            ablated = explanation.prediction
        else:
            ablated = explainer.run(request.image, request.masks)
    elif request.saliency:
        explanation = explainer.explain(request.image)
        prediction = explanation.prediction
    else:
        prediction = explainer.run(request.image)
    seconds = time.perf_counter() - started
    if explanation is None:
        return ExploreResult(request.seq, request.generation, prediction, ablated, seconds=seconds)
    return ExploreResult(request.seq, request.generation, prediction, ablated, explanation.target,
                         explanation.gradcam, explanation.gradient, seconds)


class ExploreWorker(QObject):
    """Holds the Explainer and answers requests in its own thread. Never touches a widget."""

    sig_model_ready = Signal(object)
    """A ModelFacts: the model loaded and traced."""

    sig_model_failed = Signal(int, str)
    """(generation, one-line reason) the model could not be used."""

    sig_result = Signal(object)
    """An ExploreResult for one ExploreRequest."""

    def __init__(self):
        super().__init__()
        self._explainer = None
        self._generation = -1

    @Slot(int, object, str, object)
    def load(self, generation: int, path: object, dataset: str, keras_model: object) -> None:
        from model.explain import Explainer
        from model.inference import load_keras_model

        self._explainer, self._generation = None, generation
        try:
            model = keras_model if keras_model is not None else load_keras_model(path)
            self._explainer = Explainer(model)
        except Exception as exc:  # ModelError above all, but nothing may kill the thread
            self.sig_model_failed.emit(generation, one_line(exc))
            return
        e = self._explainer
        self.sig_model_ready.emit(ModelFacts(generation, dataset, Path(path) if path else None,
                                             e.layers, e.fields, e.kernels))

    @Slot(object)
    def compute(self, request: ExploreRequest) -> None:
        if self._explainer is None or request.generation != self._generation:
            self.sig_result.emit(ExploreResult(request.seq, request.generation, error="no model"))
            return
        try:
            result = compute(self._explainer, request)
        except Exception as exc:  # a broken model must not take the thread down
            result = ExploreResult(request.seq, request.generation, error=one_line(exc))
        self.sig_result.emit(result)


class TopExamplesWorker(QObject):
    """Finds (or reads from the cache) the top examples of a model file. Never touches a widget."""

    sig_progress = Signal(int, int, int)
    """(generation, images done, images in all)."""

    sig_ready = Signal(object)
    """A TopResult."""

    sig_failed = Signal(int, str)
    """(generation, one-line reason)."""

    def __init__(self, images: ImagesLoader):
        super().__init__()
        self._images = images

    @Slot(int, object, str)
    def find(self, generation: int, path: object, dataset: str) -> None:
        from model.explain import cached_top_examples

        try:
            images = np.asarray(self._images(dataset), np.float32)
            found = cached_top_examples(
                path, dataset, images,
                progress=lambda done, total: self.sig_progress.emit(generation, done, total),
            )
            pixels = np.clip(images.reshape(-1, 28, 28) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        except Exception as exc:  # DataError, ModelError, a full disk: say so, keep the thread
            self.sig_failed.emit(generation, one_line(exc))
            return
        self.sig_ready.emit(TopResult(generation, found, pixels))


def _default_images(dataset: str) -> np.ndarray:
    from model.explain import split_images

    return split_images(dataset)


class ExploreClient(QObject):
    """The GUI side: owns the two worker threads and feeds them, newest request first."""

    sig_model_ready = Signal(object)
    """The current model's ModelFacts."""

    sig_model_failed = Signal(str)
    """The current model could not be loaded: one line."""

    sig_result = Signal(object)
    """An ExploreResult answering the newest request for the current model."""

    sig_top_progress = Signal(int, int)
    """Top examples: (images done, images in all)."""

    sig_top_ready = Signal(object)
    """The current model's TopResult."""

    sig_top_failed = Signal(str)
    """Top examples could not be found: one line."""

    _sig_load = Signal(int, object, str, object)
    _sig_compute = Signal(object)
    _sig_find = Signal(int, object, str)

    def __init__(self, parent: QObject | None = None, images: ImagesLoader | None = None):
        super().__init__(parent)
        self._generation = 0
        self._seq = 0
        self._busy = False
        self._pending: ExploreRequest | None = None
        self._facts: ModelFacts | None = None
        self._model_path: Path | None = None
        self._dataset = ""
        self._top: TopResult | None = None
        self._top_running = False
        self._top_wanted = False  # asked for while an older model's search still ran
        self._threads: list[QThread] = []

        self._worker = ExploreWorker()
        self._top_worker = TopExamplesWorker(images or _default_images)
        for name, worker in (("explore", self._worker), ("top-examples", self._top_worker)):
            thread = WorkerThread()  # one Python thread state for TensorFlow (see its docstring)
            thread.setObjectName(f"sketchscope-{name}")
            worker.moveToThread(thread)
            thread.finished.connect(worker.deleteLater)
            self._threads.append(thread)
        self._sig_load.connect(self._worker.load)
        self._sig_compute.connect(self._worker.compute)
        self._sig_find.connect(self._top_worker.find)
        self._worker.sig_model_ready.connect(self._on_model_ready)
        self._worker.sig_model_failed.connect(self._on_model_failed)
        self._worker.sig_result.connect(self._on_result)
        self._top_worker.sig_progress.connect(self._on_top_progress)
        self._top_worker.sig_ready.connect(self._on_top_ready)
        self._top_worker.sig_failed.connect(self._on_top_failed)
        for thread in self._threads:
            thread.start()
        app = QCoreApplication.instance()
        if app is not None:  # a safety net: the owner should call shutdown() itself
            app.aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------------ public API

    @property
    def facts(self) -> ModelFacts | None:
        """The current model's facts, once loaded."""
        return self._facts

    @property
    def top(self) -> TopResult | None:
        """The current model's top examples, once found."""
        return self._top

    @property
    def seq(self) -> int:
        return self._seq

    def busy(self) -> bool:
        return self._busy

    def set_model(self, path: str | os.PathLike | None, dataset: str, keras_model=None) -> None:
        """Explore this model: ``keras_model`` if given (``path`` then only keys the top-example
        cache), else the file at ``path``, loaded in the worker with Keras' safe mode."""
        self._generation += 1
        self._facts, self._top, self._pending = None, None, None
        self._model_path = Path(path) if path else None
        self._dataset = dataset
        self._busy = True  # the load is queued before any request: the worker does them in order
        self._sig_load.emit(self._generation, self._model_path, dataset, keras_model)

    def request(self, image: np.ndarray, masks: np.ndarray | None = None, saliency: bool = False) -> int:
        """Ask for the maps, the ablated probabilities (masks) and saliency of one image,
        replacing any request still waiting. Returns its sequence number."""
        self._seq += 1
        self._pending = ExploreRequest(
            self._seq, self._generation, np.asarray(image, np.float32).reshape(28, 28, 1),
            None if masks is None else np.asarray(masks, np.float32).copy(), saliency,
        )
        self._pump()
        return self._seq

    def find_top_examples(self) -> None:
        """Find the current model's top examples (if not found or running already)."""
        if self._top is not None:
            return
        if self._top_running:
            self._top_wanted = True
            return
        if self._model_path is None:
            self.sig_top_failed.emit("top examples need a model file (they are cached by its SHA-256)")
            return
        self._top_running = True
        self._sig_find.emit(self._generation, self._model_path, self._dataset)

    def top_running(self) -> bool:
        return self._top_running

    def shutdown(self) -> None:
        """Stop both threads (after the jobs in flight finish)."""
        self._pending = None
        for thread in self._threads:
            if thread.isRunning():
                thread.quit()
                thread.wait()

    # ------------------------------------------------------------------ scheduling

    def _pump(self) -> None:
        if self._busy or self._pending is None or self._facts is None:
            return
        request, self._pending = self._pending, None
        self._busy = True
        self._sig_compute.emit(request)

    def _on_model_ready(self, facts: ModelFacts) -> None:
        if facts.generation != self._generation:
            return
        self._busy = False
        self._facts = facts
        self.sig_model_ready.emit(facts)
        self._pump()

    def _on_model_failed(self, generation: int, reason: str) -> None:
        if generation != self._generation:
            return
        self._busy = False
        self._pending = None
        self.sig_model_failed.emit(reason)

    def _on_result(self, result: ExploreResult) -> None:
        self._busy = False
        if result.generation == self._generation and result.seq == self._seq:
            self.sig_result.emit(result)
        self._pump()

    def _on_top_progress(self, generation: int, done: int, total: int) -> None:
        if generation == self._generation:
            self.sig_top_progress.emit(done, total)

    def _on_top_ready(self, result: TopResult) -> None:
        self._top_running = False
        if result.generation == self._generation:
            self._top = result
            self.sig_top_ready.emit(result)
        self._find_again_if_wanted()

    def _on_top_failed(self, generation: int, reason: str) -> None:
        self._top_running = False
        if generation == self._generation:
            self.sig_top_failed.emit(reason)
        self._find_again_if_wanted()

    def _find_again_if_wanted(self) -> None:
        if self._top_wanted:
            self._top_wanted = False
            self.find_top_examples()
