"""Training augmentation, as pluggable parts.

Two kinds of part, named by a :class:`model.training.recipes.Recipe`:

- *online* parts: Keras preprocessing layers applied to every batch in the ``tf.data``
  pipeline (small shifts, rotations, zooms, flips for clothing only, random erasing);
- *sketch sets*: drawn-style copies of training images (:mod:`model.training.sketch`), rendered on a
  page, put through the same :func:`model.preprocess.preprocess` as a user's drawing, and added
  to the training data with their labels. They are made once and cached.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable

import numpy as np

from model.cache import code_digest, read_arrays, write_arrays
from model.datasets import cache_dir
from model.preprocess import EmptyDrawing, preprocess
from model.training import sketch
from model.training.recipes import Recipe, SketchSet

# A factory, so that a recipe can be described without importing Keras.
OnlinePart = Callable[[int], object]  # seed -> a Keras layer


def _rotation(seed):
    import keras

    return keras.layers.RandomRotation(0.03, fill_mode="constant", seed=seed)  # +-11 degrees


def _shift(seed):
    import keras

    return keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed)


def _zoom(seed):
    import keras

    return keras.layers.RandomZoom(0.1, 0.1, fill_mode="constant", seed=seed)


def _small_shift(seed):
    import keras

    return keras.layers.RandomTranslation(0.04, 0.04, fill_mode="constant", seed=seed)


def _flip(seed):
    import keras

    return keras.layers.RandomFlip("horizontal", seed=seed)


def _erase(seed):
    import keras

    return keras.layers.RandomErasing(
        factor=0.5, scale=(0.02, 0.2), fill_value=0.0, value_range=(0, 1), seed=seed
    )


ONLINE_PARTS: dict[str, OnlinePart] = {
    "rotation": _rotation,
    "shift": _shift,
    "small_shift": _small_shift,
    "zoom": _zoom,
    "flip": _flip,  # never for digits: a flipped 2 is no 2
    "erase": _erase,
}


def online_layers(recipe: Recipe, seed: int) -> list:
    """The recipe's online parts as Keras layers; each gets its own seed, so that two parts of
    the same kind do not move in step, and a run is reproducible."""
    return [ONLINE_PARTS[name](seed + i) for i, name in enumerate(recipe.online)]


def apply_online(layers: list, batch):
    """Run a batch through the online parts (training mode)."""
    for layer in layers:
        batch = layer(batch, training=True)
    return batch


# ---------------------------------------------------------------- sketch sets

SKETCH_VERSION = 1
SKETCH_CANVAS = 320


@contextlib.contextmanager
def single_threaded_blas():
    """Worker processes inherit this: several multi-threaded BLAS pools on 2 cores thrash."""
    saved = {k: os.environ.get(k) for k in BLAS_THREAD_VARS}
    os.environ.update({k: "1" for k in BLAS_THREAD_VARS})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _sketch_one(args):
    kind, dataset, img, seed = args
    rng = np.random.default_rng(seed)
    page = sketch.GENERATORS[kind](img, rng, canvas=SKETCH_CANVAS, jitter=sketch.TRAIN_JITTER)
    try:
        return preprocess(page, dataset)
    except EmptyDrawing:
        return None


def parallel_map(func, jobs: list, processes: int = 2, chunksize: int = 128) -> list:
    """``[func(job) for job in jobs]``, on ``processes`` worker processes when it is worth it.

    ``func`` must be a module-level function; callers' main modules need the usual
    ``if __name__ == "__main__"`` guard (the workers are spawned, not forked: TensorFlow's
    threads do not survive a fork).
    """
    if processes > 1 and len(jobs) > 100:
        with single_threaded_blas(), multiprocessing.get_context("spawn").Pool(processes) as pool:
            return pool.map(func, jobs, chunksize=chunksize)
    return [func(job) for job in jobs]


def render_sketches(
    kind: str, dataset: str, images: np.ndarray, seed: int, processes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Drawn copies of ``images`` through ``preprocess``; returns (x, index of each source)."""
    jobs = [(kind, dataset, img, seed * 1_000_003 + i) for i, img in enumerate(images)]
    results = parallel_map(_sketch_one, jobs, processes)
    keep = [i for i, r in enumerate(results) if r is not None]
    x = np.stack([results[i] for i in keep]) if keep else np.zeros((0, 28, 28, 1), np.float32)
    return x, np.array(keep, dtype=np.int64)


def sketch_set(
    part: SketchSet, dataset: str, x_train: np.ndarray, y_train: np.ndarray, seed: int, log=print
) -> tuple[np.ndarray, np.ndarray]:
    """The (cached) sketch set for ``part``: float32 (n, 28, 28, 1) images and their labels."""
    # Keyed by the code that draws and preprocesses the copies: a change to either redraws them.
    code = code_digest("training/sketch.py", "preprocess.py")
    key = f"{dataset}-{part.kind}-{part.count}-{seed}-{len(x_train)}-v{SKETCH_VERSION}-{code}"
    path = cache_dir() / "sketches" / f"{key}.npz"
    cached = read_arrays(path) or {}
    if "x" in cached and "y" in cached:
        return cached["x"], cached["y"]
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(x_train), size=min(part.count, len(x_train)), replace=False)
    log(f"rendering {len(chosen)} {part.kind} sketches of {dataset} (cached afterwards) ...")
    x, kept = render_sketches(part.kind, dataset, x_train[chosen], seed)
    y = y_train[chosen][kept]
    write_arrays(path, x=x, y=y)
    return x, y
