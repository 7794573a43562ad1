"""Arrays computed once and kept in the user cache folder, keyed by data and code digests.

A cached array's file name carries the digest of the data it was computed from (the dataset
cache's SHA-256) and of the source code that computed it (:func:`code_digest`), so a new data
set or a change to that code is never served stale arrays: it simply misses the cache.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.atomic import atomic_write_bytes
from model.datasets import cache_dir

if TYPE_CHECKING:
    from model.datasets import Dataset

MODEL_DIR = Path(__file__).resolve().parent


def read_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The named arrays of a cache file written by :func:`write_arrays`, or None when it is
    missing, empty, truncated or foreign (the caller computes them again)."""
    try:
        # Our own handle, closed here: np.load leaves its file open when a foreign file fails.
        with open(path, "rb") as f:
            z = np.load(f, allow_pickle=False)
            if not isinstance(z, np.lib.npyio.NpzFile):
                return None  # a .npy: one array, not named ones
            return {name: z[name] for name in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def write_arrays(path: Path, **arrays) -> None:
    """Write ``arrays`` by name to the cache file ``path``, atomically (its folder made)."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())


def code_digest(*sources: str) -> str:
    """A short digest of the source files ``sources`` (paths relative to ``model/``, in order)."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update((MODEL_DIR / source).read_bytes())
    return digest.hexdigest()[:12]


def preprocess_digest() -> str:
    """The digest of ``model/preprocess.py``: what every cache of preprocessed images is keyed by."""
    return code_digest("preprocess.py")


def preprocessed_split(ds: Dataset, split: str, log=print) -> np.ndarray:
    """A split ("train" or "test") of ``ds`` through ``preprocess``, as float32 (n, 28, 28, 1);
    cached per data and preprocessing code."""
    path = cache_dir() / "preprocessed" / f"{ds.name}-{split}-{ds.sha256[:12]}-{preprocess_digest()}.npy"
    images = ds.x_train if split == "train" else ds.x_test
    if path.is_file():
        try:
            with open(path, "rb") as f:  # np.load would leave a foreign (zip) file open
                x = np.load(f, allow_pickle=False)
            if isinstance(x, np.ndarray) and x.shape == (len(images), 28, 28, 1):
                return x
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            pass  # a damaged cache (empty, truncated, foreign) is rebuilt below
    from model.preprocess import preprocess_dataset  # SciPy: only when there is work to do

    log(f"preprocessing the {ds.name} {split} split ({len(images)} images, cached afterwards) ...")
    x = preprocess_dataset(images, ds.name)
    buf = io.BytesIO()
    np.save(buf, x)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())
    return x
