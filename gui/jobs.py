"""The background jobs the GUI asks of the engine: plain functions and plain data, no Qt.

Each job takes its inputs as arguments and returns a frozen dataclass the GUI can show as it is,
so :class:`gui.scheduler.Scheduler` can run it on a worker thread and hand the answer back. An
engine comes from a :class:`ModelHub`, which loads one per dataset per worker thread (an engine
is not thread-safe) on first use and remembers why a model could not be loaded.

SciPy, TensorFlow and ``model.inference`` are imported inside the jobs, in the worker thread,
so that importing this module (and showing the window) stays fast.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gui.colormap import feature_grid, input_pixels
from model.drawing import NetworkPicture
from model.errors import ModelError, one_line

if TYPE_CHECKING:  # SciPy and the engine stay off the start-up path
    from model.explain import ModelFacts, TopExamples
    from model.inference import Explanation, Prediction
    from model.preprocess import Geometry

Loader = Callable[[str], Any]  # dataset -> model.inference.Engine (or a stand-in)


class ModelHub:
    """Engines by dataset, loaded on first use by the thread that asks, one set per thread.

    A dataset's engines can be pointed elsewhere (:meth:`set_loader`: the user's own model, or
    the network being trained live): that bumps the dataset's generation, and each thread loads
    anew at its next question (an engine is dropped by the thread that made it, since engines
    are not thread-safe)."""

    def __init__(self, loader: Loader):
        self._loader = loader
        self._local = threading.local()
        self._errors: dict[str, str] = {}
        self._loaders: dict[str, Loader] = {}  # per dataset, instead of ``loader``
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()

    def set_loader(self, dataset: str, loader: Loader | None) -> None:
        """Load ``dataset``'s engines with ``loader`` from now on (None: the hub's own loader);
        engines already loaded for it are dropped, and its last error forgotten."""
        with self._lock:
            if loader is None:
                self._loaders.pop(dataset, None)
            else:
                self._loaders[dataset] = loader
            self._generations[dataset] = self._generations.get(dataset, 0) + 1
            self._errors.pop(dataset, None)

    def generation(self, dataset: str) -> int:
        """How many times ``dataset`` was pointed elsewhere."""
        with self._lock:
            return self._generations.get(dataset, 0)

    def engine(self, dataset: str):
        """This thread's engine for ``dataset``. Raises ModelError (one line) when it cannot be
        loaded; a failed load is not tried again by this thread (until :meth:`set_loader`)."""
        engines = self._local.__dict__.setdefault("engines", {})
        with self._lock:
            generation = self._generations.get(dataset, 0)
            loader = self._loaders.get(dataset, self._loader)
        held = engines.get(dataset)
        if held is None or held[0] != generation:
            engines.pop(dataset, None)  # the old engine goes before the new one loads
            try:
                engine = loader(dataset)
            except Exception as exc:  # ModelError above all, but the message is all we keep
                engine = None
                with self._lock:
                    if self._generations.get(dataset, 0) == generation:
                        self._errors[dataset] = one_line(exc)
            engines[dataset] = (generation, engine)
        if engines[dataset][1] is None:
            raise ModelError(self.error(dataset) or "the model could not be loaded")
        return engines[dataset][1]

    def error(self, dataset: str) -> str:
        with self._lock:
            return self._errors.get(dataset, "")


def load_model(hub: ModelHub, dataset: str) -> str:
    """Load ``dataset``'s engine in this thread now; the one-line error, or "" when it is ready."""
    try:
        hub.engine(dataset)
    except ModelError as exc:
        return str(exc)
    return ""


# ---------------------------------------------------------------- reading one drawing


@dataclass(frozen=True)
class LiveRequest:
    """One drawing to read, and what else the open panels want to know of it.

    Either ``picture`` (preprocessed here) or ``net_input`` (a network input already made, with
    the ``geometry`` that maps it onto the page: Explore asking again with other masks).
    """

    seq: int
    dataset: str
    picture: NetworkPicture | None  # the page, or the one picture on it, and where it lies
    dense: bool = False  # also run the dense comparison network
    masks: np.ndarray | None = None  # (4, 64): channels switched off (0) for Explore
    net_input: np.ndarray | None = None  # (28, 28, 1) float32
    geometry: Geometry | None = None


@dataclass(frozen=True)
class LiveResult:
    """Plain data for the GUI. ``image`` is None for an empty drawing."""

    seq: int
    dataset: str
    image: np.ndarray | None = None  # (28, 28) uint8, what the network saw (ink bright)
    probabilities: np.ndarray | None = None  # (10,) from the CNN
    dense_probabilities: np.ndarray | None = None  # (10,) from the dense network, if asked
    grids: tuple[np.ndarray, ...] = ()  # four RGBA feature-map mosaics, FEATURE_LAYERS order
    shapes: tuple[tuple[int, ...], ...] = ()  # the four layers' output shapes
    error: str = ""  # one line: why there are no probabilities
    net_input: np.ndarray | None = None  # (28, 28, 1) float32: the network input itself
    geometry: Geometry | None = None  # maps the 28 x 28 input back onto the page
    prediction: Prediction | None = None  # the network as trained, maps and all
    ablated: Prediction | None = None  # with the request's masked channels zeroed
    explanation: Explanation | None = None  # saliency, added by the GUI when it arrives
    masks: np.ndarray | None = None  # the channel masks ``ablated`` was computed with
    seconds: float = 0.0  # time spent in the engine

    @property
    def empty(self) -> bool:
        return self.image is None and not self.error

    def shown(self) -> Prediction | None:
        """What Explore shows: the ablated network if channels are off."""
        return self.ablated if self.ablated is not None else self.prediction


def _on_page(geometry: Geometry, picture: NetworkPicture) -> Geometry:
    """A geometry onto a picture, composed with where that picture lies on the page."""
    from model.preprocess import Geometry

    scale, (left, top) = picture.scale, picture.offset
    return Geometry((top + geometry.offset[0] * scale, left + geometry.offset[1] * scale),
                    (geometry.scale[0] * scale, geometry.scale[1] * scale))


def _ask(engine, image: np.ndarray, request: LiveRequest) -> dict:
    """The engine's answers for one network input: as trained, and ablated when channels are off."""
    started = time.perf_counter()
    off = request.masks is not None and not np.all(request.masks == 1.0)
    prediction = engine.run(image)
    ablated = engine.run(image, request.masks) if off else None
    dense = engine.run_dense(image) if request.dense else None
    return {"prediction": prediction, "ablated": ablated, "masks": request.masks if off else None,
            "dense_probabilities": None if dense is None else np.asarray(dense, np.float32),
            "seconds": time.perf_counter() - started}


def read_drawing(hub: ModelHub, request: LiveRequest) -> LiveResult:
    """Preprocess and classify one drawing: a plain function, data in and data out.

    Without a model (it failed to load) the result carries the network input and the reason.
    """
    from model.preprocess import EmptyDrawing, preprocess_with_geometry  # SciPy: off start-up

    if request.net_input is not None:
        image, geometry = np.asarray(request.net_input, np.float32).reshape(28, 28, 1), request.geometry
    else:
        try:
            image, geometry = preprocess_with_geometry(request.picture.pixels, request.dataset)
        except EmptyDrawing:
            return LiveResult(request.seq, request.dataset)
        except ValueError as exc:
            return LiveResult(request.seq, request.dataset, error=one_line(exc))
        geometry = _on_page(geometry, request.picture)
    seen = {"image": input_pixels(image), "net_input": image, "geometry": geometry}
    try:
        engine = hub.engine(request.dataset)
    except ModelError as exc:
        return LiveResult(request.seq, request.dataset, error=str(exc), **seen)
    try:
        answers = _ask(engine, image, request)
    except Exception as exc:  # a broken model must not take the thread down
        return LiveResult(request.seq, request.dataset, error=f"inference failed: {one_line(exc)}",
                          **seen)
    maps = answers["prediction"].feature_maps
    return LiveResult(
        seq=request.seq, dataset=request.dataset,
        probabilities=np.asarray(answers["prediction"].probabilities, np.float32),
        grids=tuple(feature_grid(m) for m in maps),
        shapes=tuple(tuple(int(d) for d in m.shape) for m in maps),
        **seen, **answers,
    )


@dataclass(frozen=True)
class SaliencyAnswer:
    """Which pixels drove the top class of one network input (under its masks), or why not."""

    dataset: str
    seq: int
    masks: np.ndarray | None
    explanation: Explanation | None = None
    error: str = ""


def explain_input(hub: ModelHub, dataset: str, seq: int, image: np.ndarray,
                  masks: np.ndarray | None) -> SaliencyAnswer:
    """Saliency for one network input. Gradients need TensorFlow: its first use imports it
    (seconds), so this runs on a lane of its own and live drawing never waits for it."""
    try:
        explanation = hub.engine(dataset).explain(image, masks)
    except Exception as exc:  # ModelError above all: the panel says it in one line
        return SaliencyAnswer(dataset, seq, masks, error=one_line(exc))
    return SaliencyAnswer(dataset, seq, masks, explanation)


# ---------------------------------------------------------------- a drawing's timeline


@dataclass(frozen=True)
class Timeline:
    """The network's probabilities after each step; a NaN row where the page was empty."""

    dataset: str
    probabilities: np.ndarray  # (steps, 10) float32
    error: str = ""


def timeline(hub: ModelHub, dataset: str, pages: tuple[np.ndarray, ...]) -> Timeline:
    """Classify every page of a growing drawing through the same ``preprocess`` as live
    drawing, all steps in one batched pass."""
    from model.preprocess import EmptyDrawing, preprocess  # SciPy: off start-up

    rows = np.full((len(pages), 10), np.nan, np.float32)
    try:
        engine = hub.engine(dataset)
        images, steps = [], []
        for k, page in enumerate(pages):
            try:
                images.append(preprocess(page, dataset))
                steps.append(k)
            except EmptyDrawing:
                continue  # nothing to read on this page: its row stays NaN
        if images:
            rows[steps] = engine.probabilities(np.stack(images))
    except ModelError as exc:
        return Timeline(dataset, rows, str(exc))
    except Exception as exc:  # a bad page or a broken model must not take the thread down
        return Timeline(dataset, rows, f"inference failed: {one_line(exc)}")
    return Timeline(dataset, rows)


# ---------------------------------------------------------------- the test split


@dataclass(frozen=True)
class TestSplitAnswer:
    """``model.testset.TestSplit`` for ``dataset``, or a one-line error."""

    __test__ = False

    dataset: str
    split: Any = None
    error: str = ""


TestSplitLoader = Callable[[str, Any], Any]
"""(dataset, engine) -> model.testset.TestSplit with ``engine``'s answers on it."""


def engine_test_split(dataset: str, engine):
    """The test split and the answers of ``engine`` (the model the window reads with: the
    shipped one or the user's), cached by ``model.testset`` under its model file. A network
    without a file (the one in training) has no answers."""
    from dataclasses import replace

    from model.testset import load_test_split

    if engine.source is None:
        return replace(load_test_split(dataset, None), error="the network in training has no file yet")
    return load_test_split(dataset, engine.source, answer=lambda: engine.probabilities)


def test_split(load: TestSplitLoader, hub: ModelHub, dataset: str) -> TestSplitAnswer:
    """``load`` as an answer: a DataError (not fetched) becomes its one line."""
    try:
        return TestSplitAnswer(dataset, load(dataset, hub.engine(dataset)))
    except Exception as exc:  # DataError above all, but never kill the thread
        return TestSplitAnswer(dataset, None, one_line(exc))


test_split.__test__ = False  # a job, not a pytest test


# ---------------------------------------------------------------- Explore's facts and top examples


@dataclass(frozen=True)
class FactsAnswer:
    dataset: str
    facts: ModelFacts | None = None
    error: str = ""


def model_facts(hub: ModelHub, dataset: str) -> FactsAnswer:
    try:
        return FactsAnswer(dataset, hub.engine(dataset).facts)
    except Exception as exc:  # ModelError above all: the Explore view says it in one line
        return FactsAnswer(dataset, None, one_line(exc))


@dataclass(frozen=True)
class TopResult:
    """Every channel's top examples for one model, and the test images they index."""

    dataset: str
    examples: TopExamples
    images: np.ndarray  # (N, 28, 28) uint8: the test split as the network sees it


ImagesLoader = Callable[[str], np.ndarray]  # dataset -> (N, 28, 28, 1) float32 test images


def shipped_test_images(dataset: str) -> np.ndarray:
    from model.explain import split_images

    return split_images(dataset)


def top_examples(hub: ModelHub, images: ImagesLoader, dataset: str, progress=None) -> TopResult:
    """The engine's top examples over ``images(dataset)`` (cached on disk by model file)."""
    from model.explain import cached_top_examples

    split = np.asarray(images(dataset), np.float32)
    found = cached_top_examples(hub.engine(dataset), split, progress=progress)
    pixels = np.clip(split.reshape(-1, 28, 28) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return TopResult(dataset, found, pixels)
