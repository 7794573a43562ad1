"""Live inference off the GUI thread: one worker thread, one job in flight, newest drawing wins.

:class:`InferenceWorker` lives in its own ``QThread``. It loads models and runs inference
(preprocessing included) and emits plain data; it never touches a widget.

:class:`InferenceClient` lives in the GUI thread and feeds the worker. At most one job is in
flight; while it runs, only the newest drawing waits (older ones are dropped), so bursts of pen
movement coalesce instead of queueing up. Every request carries a sequence number and the
dataset, and a result is passed on only if it answers the newest request for the current
dataset: a stale drawing or the other dataset is never shown.

TensorFlow is imported by the loader, inside the worker thread, so that importing this module
(and showing the window) stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from gui.colormap import feature_grid, input_pixels

if TYPE_CHECKING:  # model.preprocess imports SciPy: kept off the start-up path
    from model.preprocess import Geometry


class PredictorLike(Protocol):
    """What the worker needs of ``model.inference.Predictor``."""

    def run(self, image: np.ndarray) -> Any: ...

    def run_dense(self, image: np.ndarray) -> np.ndarray | None: ...


Loader = Callable[[str], PredictorLike]
TestSplitLoader = Callable[[str], Any]  # dataset -> model.testset.TestSplit (raises DataError)


def load_shipped_test_split(dataset: str):
    """The test split and the shipped CNN's answers on it (cached by ``model.testset``)."""
    from model.paths import model_path
    from model.testset import load_test_split

    return load_test_split(dataset, model_path(dataset, "cnn"))


def load_shipped_predictor(dataset: str) -> PredictorLike:
    """The shipped CNN for ``dataset`` (and its dense network, if shipped). Imports TensorFlow."""
    from model.inference import Predictor
    from model.paths import model_path

    dense = model_path(dataset, "dense")
    return Predictor.load(model_path(dataset, "cnn"), dataset, dense if dense.is_file() else None)


@dataclass(frozen=True)
class Request:
    """One drawing to classify."""

    seq: int
    dataset: str
    drawing: np.ndarray  # (H, W) uint8 page, dark ink on white
    dense: bool  # also run the dense comparison network


@dataclass(frozen=True)
class Result:
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
    geometry: Geometry | None = None  # maps the 28 x 28 input back onto the drawing

    @property
    def empty(self) -> bool:
        return self.image is None and not self.error


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def infer(predictor: PredictorLike | None, request: Request, load_error: str = "") -> Result:
    """Preprocess and classify one drawing: a plain function, data in and data out.

    With no predictor (still loading or failed) the result carries the network input only,
    and ``load_error``.
    """
    from model.preprocess import EmptyDrawing, preprocess_with_geometry  # SciPy: off start-up

    try:
        image, geometry = preprocess_with_geometry(request.drawing, request.dataset)
    except EmptyDrawing:
        return Result(request.seq, request.dataset)
    except ValueError as exc:
        return Result(request.seq, request.dataset, error=one_line(exc))
    seen = {"image": input_pixels(image), "net_input": image, "geometry": geometry}
    if predictor is None:
        return Result(request.seq, request.dataset, error=load_error or "no model", **seen)
    try:
        prediction = predictor.run(image)
        dense = predictor.run_dense(image) if request.dense else None
    except Exception as exc:  # a broken model must not take the thread down
        return Result(request.seq, request.dataset, error=f"inference failed: {one_line(exc)}",
                      **seen)
    maps = prediction.feature_maps
    return Result(
        seq=request.seq,
        dataset=request.dataset,
        probabilities=np.asarray(prediction.probabilities, np.float32),
        dense_probabilities=None if dense is None else np.asarray(dense, np.float32),
        grids=tuple(feature_grid(m) for m in maps),
        shapes=tuple(tuple(int(d) for d in m.shape) for m in maps),
        **seen,
    )


@dataclass(frozen=True)
class TimelineRequest:
    """A drawing's growth: the page after each step (stroke), to classify in one job."""

    token: int
    dataset: str
    pages: tuple[np.ndarray, ...]  # (H, W) uint8 pages, dark ink on white


@dataclass(frozen=True)
class Timeline:
    """The network's probabilities after each step; a NaN row where the page was empty."""

    token: int
    dataset: str
    probabilities: np.ndarray  # (steps, 10) float32
    error: str = ""


def timeline(predictor: PredictorLike | None, request: TimelineRequest, load_error: str = ""):
    """Classify every page of ``request`` through the same ``preprocess`` and ``run`` as live
    drawing (``infer``), without the feature maps' colouring nobody looks at here."""
    from model.preprocess import EmptyDrawing, preprocess  # SciPy: off start-up

    rows = np.full((len(request.pages), 10), np.nan, np.float32)
    if predictor is None:
        return Timeline(request.token, request.dataset, rows, load_error or "no model")
    for k, page in enumerate(request.pages):
        try:
            rows[k] = predictor.run(preprocess(page, request.dataset)).probabilities
        except EmptyDrawing:
            continue  # nothing to read on this page: its row stays NaN
        except Exception as exc:  # a bad page or a broken model must not take the thread down
            return Timeline(request.token, request.dataset, rows, f"inference failed: {one_line(exc)}")
    return Timeline(request.token, request.dataset, rows)


@dataclass(frozen=True)
class TestSplitAnswer:
    """``model.testset.TestSplit`` for ``dataset``, or a one-line error."""

    __test__ = False

    dataset: str
    split: Any = None
    error: str = ""


class InferenceWorker(QObject):
    """Loads models and classifies drawings in its own thread. Never touches a widget."""

    sig_loaded = Signal(str, str)
    """A model finished loading: (dataset, one-line error or "")."""

    sig_result = Signal(object)
    """A Result for one Request."""

    sig_timeline = Signal(object)
    """A Timeline for one TimelineRequest."""

    sig_test_split = Signal(object)
    """A TestSplitAnswer."""

    def __init__(self, loader: Loader, test_split_loader: TestSplitLoader = load_shipped_test_split):
        super().__init__()
        self._loader = loader
        self._test_split_loader = test_split_loader
        self._predictors: dict[str, PredictorLike] = {}
        self._errors: dict[str, str] = {}

    @Slot(str)
    def load(self, dataset: str) -> None:
        try:
            self._predictors[dataset] = self._loader(dataset)
            self._errors.pop(dataset, None)
        except Exception as exc:  # ModelError above all, but nothing may kill the thread
            self._errors[dataset] = one_line(exc)
        self.sig_loaded.emit(dataset, self._errors.get(dataset, ""))

    @Slot(object)
    def infer(self, request: Request) -> None:
        predictor = self._predictors.get(request.dataset)
        self.sig_result.emit(infer(predictor, request, self._errors.get(request.dataset, "")))

    @Slot(object)
    def timeline(self, request: TimelineRequest) -> None:
        predictor = self._predictors.get(request.dataset)
        self.sig_timeline.emit(timeline(predictor, request, self._errors.get(request.dataset, "")))

    @Slot(str)
    def test_split(self, dataset: str) -> None:
        try:
            answer = TestSplitAnswer(dataset, self._test_split_loader(dataset))
        except Exception as exc:  # DataError above all (not fetched), but never kill the thread
            answer = TestSplitAnswer(dataset, None, one_line(exc))
        self.sig_test_split.emit(answer)


class WorkerThread(QThread):
    """A QThread whose event loop runs inside one Python call.

    With a plain QThread every queued slot call gets a fresh Python thread state, so
    ``threading.local`` data does not survive from one call to the next; TensorFlow keeps its
    graph-building context there, and tracing a second model then crashes the process. Running
    ``exec()`` from a Python ``run()`` keeps one thread state for the thread's whole life.
    """

    def run(self) -> None:
        self.exec()


class InferenceClient(QObject):
    """The GUI side: starts the worker thread and feeds it, one job at a time, newest first."""

    sig_result_ready = Signal(object)
    """A Result for the newest drawing of the current dataset."""

    sig_model_changed = Signal(str, str, str)
    """A model's state changed: (dataset, "loading" | "ready" | "error", message)."""

    sig_timeline_ready = Signal(object)
    """A Timeline answering the newest ``request_timeline``."""

    sig_test_split_ready = Signal(object)
    """A TestSplitAnswer for ``request_test_split``."""

    _sig_load = Signal(str)
    _sig_infer = Signal(object)
    _sig_timeline = Signal(object)
    _sig_test_split = Signal(str)

    def __init__(
        self,
        loader: Loader,
        dataset: str,
        parent: QObject | None = None,
        test_split_loader: TestSplitLoader = load_shipped_test_split,
    ):
        super().__init__(parent)
        self._dataset = dataset
        self._seq = 0
        self._busy = False
        self._pending: Request | None = None
        self._timeline: TimelineRequest | None = None  # waiting; the newest replaces it
        self._timeline_token = 0
        self._test_splits: list[str] = []  # datasets whose test split is wanted
        self._to_load: list[str] = []
        self._states: dict[str, str] = {}
        self._thread = WorkerThread()
        self._thread.setObjectName("sketchscope-inference")
        self._worker = InferenceWorker(loader, test_split_loader)
        self._worker.moveToThread(self._thread)
        self._sig_load.connect(self._worker.load)
        self._sig_infer.connect(self._worker.infer)
        self._sig_timeline.connect(self._worker.timeline)
        self._sig_test_split.connect(self._worker.test_split)
        self._worker.sig_loaded.connect(self._on_model_loaded)
        self._worker.sig_result.connect(self._on_result_received)
        self._worker.sig_timeline.connect(self._on_timeline_received)
        self._worker.sig_test_split.connect(self._on_test_split_received)
        self._thread.finished.connect(self._worker.deleteLater)
        self._thread.start()

    # ------------------------------------------------------------------ public API

    @property
    def dataset(self) -> str:
        return self._dataset

    @property
    def seq(self) -> int:
        """The sequence number of the newest request."""
        return self._seq

    def busy(self) -> bool:
        return self._busy

    def model_state(self, dataset: str) -> str:
        """The model's state: "" (not asked for yet), "loading", "ready" or "error"."""
        return self._states.get(dataset, "")

    def preload(self, datasets) -> None:
        """Load these datasets' models when the worker has nothing more urgent to do."""
        for dataset in datasets:
            if not self._states.get(dataset) and dataset not in self._to_load:
                self._to_load.append(dataset)
        self._pump()

    def set_dataset(self, dataset: str) -> None:
        """Switch datasets: results still on their way for the other one will be dropped."""
        self._dataset = dataset
        self._pending = None
        self.preload([dataset])

    def submit(self, drawing: np.ndarray, dense: bool = False) -> int:
        """Classify ``drawing`` for the current dataset, replacing any drawing still waiting."""
        self._seq += 1
        self._pending = Request(self._seq, self._dataset, drawing, dense)
        self._pump()
        return self._seq

    def request_timeline(self, pages, dataset: str | None = None) -> int:
        """Classify each page of a growing drawing in one job (after any live drawing);
        the answer comes as ``sig_timeline_ready`` with the returned token."""
        self._timeline_token += 1
        dataset = dataset or self._dataset
        self.preload([dataset])
        self._timeline = TimelineRequest(self._timeline_token, dataset, tuple(pages))
        self._pump()
        return self._timeline_token

    def request_test_split(self, dataset: str) -> None:
        """Load ``dataset``'s test split and the CNN's answers on it (seconds the first time,
        while the model runs over 10,000 images; cached afterwards)."""
        if dataset not in self._test_splits:
            self._test_splits.append(dataset)
        self._pump()

    def shutdown(self) -> None:
        """Stop the thread (after the job in flight, if any, finishes)."""
        self._pending = None
        self._timeline = None
        self._test_splits.clear()
        self._to_load.clear()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()

    # ------------------------------------------------------------------ scheduling

    def _pump(self) -> None:
        """Start the most urgent job if none is in flight: the current model, a drawing, a
        timeline, a test split, a preload."""
        if self._busy:
            return
        if self._dataset in self._to_load:
            self._start_load(self._dataset)
        elif self._pending is not None:
            request, self._pending = self._pending, None
            self._busy = True
            self._sig_infer.emit(request)
        elif self._timeline is not None and self._timeline.dataset in self._to_load:
            self._start_load(self._timeline.dataset)
        elif self._timeline is not None:
            request, self._timeline = self._timeline, None
            self._busy = True
            self._sig_timeline.emit(request)
        elif self._test_splits:
            self._busy = True
            self._sig_test_split.emit(self._test_splits.pop(0))
        elif self._to_load:
            self._start_load(self._to_load[0])

    def _start_load(self, dataset: str) -> None:
        self._to_load.remove(dataset)
        self._busy = True
        self._states[dataset] = "loading"
        self.sig_model_changed.emit(dataset, "loading", "")
        self._sig_load.emit(dataset)

    def _on_model_loaded(self, dataset: str, error: str) -> None:
        self._busy = False
        self._states[dataset] = "error" if error else "ready"
        self.sig_model_changed.emit(dataset, self._states[dataset], error)
        self._pump()

    def _on_result_received(self, result: Result) -> None:
        self._busy = False
        if result.seq == self._seq and result.dataset == self._dataset:
            self.sig_result_ready.emit(result)
        self._pump()

    def _on_timeline_received(self, answer: Timeline) -> None:
        self._busy = False
        if answer.token == self._timeline_token:
            self.sig_timeline_ready.emit(answer)
        self._pump()

    def _on_test_split_received(self, answer: TestSplitAnswer) -> None:
        self._busy = False
        self.sig_test_split_ready.emit(answer)
        self._pump()
