"""MNIST and Fashion-MNIST as the app and the training use them: the table of data sets, and
their converted, verified cache.

The converted arrays live in a user cache folder (``$SKETCHSCOPE_CACHE`` or
``$XDG_CACHE_HOME/sketchscope`` or ``~/.cache/sketchscope``) as ``<name>.npz`` with a
``<name>.npz.sha256`` beside it. Making that cache (``python main.py data fetch``) is
training-only work: :mod:`model.training.fetch`. Here a missing or corrupt cache is a
:class:`DataError` that names the command.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class DataError(Exception):
    """A dataset is missing, corrupt or fails its checksum; the message says what to do."""


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset as the app names it: everything a widget says about it comes from here."""

    name: str
    title: str
    class_names: tuple[str, ...]
    short: str  # in a sentence: "the digits model"
    button: str  # its button and menu entry: "Digits"
    subject: str  # what to draw: "Sketch a digit ..."
    phrases: tuple[str, ...]  # each class as a sentence names it, with its article: "an 8", "trousers"


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        "mnist",
        "Digits (MNIST)",
        tuple(str(d) for d in range(10)),
        short="digits",
        button="Digits",
        subject="a digit",
        phrases=tuple(f"an {d}" if d == 8 else f"a {d}" for d in range(10)),
    ),
    "fashion": DatasetInfo(
        "fashion",
        "Clothing (Fashion-MNIST)",
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        short="clothing",
        button="Clothing",
        subject="a piece of clothing",
        phrases=(
            "a T-shirt/top",
            "trousers",
            "a Pullover",
            "a Dress",
            "a Coat",
            "a Sandal",
            "a Shirt",
            "a Sneaker",
            "a Bag",
            "an Ankle boot",
        ),
    ),
}
DATASET_NAMES = tuple(DATASETS)
FETCH_COMMAND = "python main.py data fetch"


def class_names(dataset: str) -> tuple[str, ...]:
    return info(dataset).class_names


def info(dataset: str) -> DatasetInfo:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise DataError(
            f"unknown dataset {dataset!r}; choose one of: {', '.join(DATASET_NAMES)}"
        ) from None


def cache_dir() -> Path:
    if os.environ.get("SKETCHSCOPE_CACHE"):
        return Path(os.environ["SKETCHSCOPE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sketchscope"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Dataset:
    """uint8 images (N, 28, 28) and int labels (N,), plus the checksum of the cache file."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    sha256: str


def check_arrays(name: str, arrays: tuple[np.ndarray, ...]) -> None:
    """DataError unless ``arrays`` are (x_train, y_train, x_test, y_test) of the published shapes."""
    x_train, y_train, x_test, y_test = arrays
    ok = (
        x_train.shape == (60000, 28, 28)
        and x_test.shape == (10000, 28, 28)
        and y_train.shape == (60000,)
        and y_test.shape == (10000,)
        and x_train.dtype == np.uint8
        and int(max(y_train.max(), y_test.max())) == 9
    )
    if not ok:
        raise DataError(f"{name}: the converted arrays have unexpected shapes or labels")


def cache_path(name: str) -> Path:
    return cache_dir() / f"{name}.npz"


def cache_ok(path: Path) -> bool:
    """Whether the cache file at ``path`` exists and matches the SHA-256 written beside it."""
    sidecar = path.with_name(path.name + ".sha256")
    if not path.is_file() or not sidecar.is_file():
        return False
    return sidecar.read_text().strip() == sha256_file(path)


def load(name: str) -> Dataset:
    """The cached dataset; a clear DataError (naming the fetch command) when it is missing."""
    info(name)
    path = cache_path(name)
    if not path.is_file():
        raise DataError(f"the {name} dataset is not fetched yet; run `{FETCH_COMMAND}`")
    if not cache_ok(path):
        raise DataError(f"the cached {name} dataset at {path} is corrupt; run `{FETCH_COMMAND}`")
    data = path.read_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        arrays = (z["x_train"], z["y_train"], z["x_test"], z["y_test"])
    check_arrays(name, arrays)
    return Dataset(name, *arrays, sha256=sha256_of(data))
