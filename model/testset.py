"""The test split with a model's answers on it: what the test-set browser shows.

:func:`answers_on_test_split` runs a model over all 10,000 preprocessed test images once and
caches the probabilities, keyed by the model file's SHA-256 and the preprocessing code, so
``python main.py evaluate`` and the app's browser share one evaluation run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model import datasets
from model.cache import preprocess_digest, preprocessed_split, read_arrays, write_arrays
from model.datasets import cache_dir, sha256_file
from model.errors import ModelError, one_line

CACHE_VERSION = 1


@dataclass(frozen=True)
class TestSplit:
    """A dataset's test images (raw, as published), their labels and a model's answers."""

    __test__ = False  # not a pytest class

    dataset: str
    images: np.ndarray  # (n, 28, 28) uint8, ink bright
    labels: np.ndarray  # (n,) int64
    probabilities: np.ndarray | None = None  # (n, 10) float32; None when no model answered
    error: str = ""  # one line: why there are no answers (or no images)

    def __len__(self) -> int:
        return int(len(self.labels))

    @property
    def predicted(self) -> np.ndarray | None:
        return None if self.probabilities is None else self.probabilities.argmax(axis=1)

    def mistakes(self) -> np.ndarray:
        """Indices of the images the model got wrong, in test-split order."""
        if self.probabilities is None:
            return np.zeros(0, np.int64)
        return np.flatnonzero(self.predicted != self.labels)

    def accuracy(self) -> float | None:
        return None if self.probabilities is None else float((self.predicted == self.labels).mean())


def _cache_path(ds: datasets.Dataset, model_path: Path) -> Path:
    key = f"{ds.name}-{sha256_file(model_path)[:16]}-{ds.sha256[:12]}-{preprocess_digest()}-v{CACHE_VERSION}"
    return cache_dir() / "evaluations" / f"{key}.npz"


Answer = Callable[[np.ndarray], np.ndarray]  # (N, 28, 28, 1) images -> (N, 10) probabilities


def _engine_answer(model_path: Path, dataset: str) -> Answer:
    from model.inference import Engine

    return Engine.load(model_path, dataset).probabilities


def answers_on_test_split(ds: datasets.Dataset, model_path: str | Path, log=print,
                          answer: Callable[[], Answer] | None = None) -> np.ndarray:
    """The model's (10000, 10) probabilities on the loaded dataset ``ds``'s test split
    (cached by the model file's SHA-256). ``answer()`` gives the function that computes them
    when the cache cannot (default: an engine loaded from ``model_path``); it is not called
    when the cache answers."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise ModelError(f"{model_path}: no such model file")
    path = _cache_path(ds, model_path)
    probs = (read_arrays(path) or {}).get("probabilities")  # damaged: rebuilt below
    if probs is not None and probs.shape == (len(ds.y_test), 10):
        return probs
    compute = answer() if answer is not None else _engine_answer(model_path, ds.name)
    x_test = preprocessed_split(ds, "test", log)
    probs = np.asarray(compute(x_test), np.float32)
    write_arrays(path, probabilities=probs)
    return probs


def load_test_split(dataset: str, model_path: str | Path | None,
                    answer: Callable[[], Answer] | None = None) -> TestSplit:
    """The test split and the model's answers (see :func:`answers_on_test_split`). Raises
    DataError when the data is missing; a model that cannot answer leaves ``probabilities``
    None and says why in ``error``."""
    ds = datasets.load(dataset)
    split = TestSplit(dataset, ds.x_test, ds.y_test.astype(np.int64))
    if model_path is None:
        return split
    try:
        probs = answers_on_test_split(ds, model_path, log=lambda *_: None, answer=answer)
    except ModelError as exc:
        return TestSplit(dataset, split.images, split.labels, None, one_line(exc))
    return TestSplit(dataset, split.images, split.labels, probs)
