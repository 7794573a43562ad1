"""The one engine: every question the app and the command line ask of a trained network.

:class:`Engine` holds one loaded CNN (and, when shipped, its dense comparison network) and
answers through one small typed API, plain NumPy in and out:

- :meth:`Engine.run`: one image -> probabilities, the four feature maps and the dense layer's
  activations; with ``masks``, the same with channels switched off (ablation);
- :meth:`Engine.run_dense`: the dense comparison network's probabilities;
- :meth:`Engine.probabilities`: batched answers over many images (the test split, a replay's
  timeline, ``predict``);
- :meth:`Engine.channel_peaks`: every channel's largest activation on every image, batched (the
  Explore view's top examples);
- :meth:`Engine.explain`: which pixels drove the top class (Grad-CAM and the input gradient);
- :attr:`Engine.facts`: the layer strip, receptive fields and kernels (``model.explain``).

The arithmetic is a network object's: one forward function over a batch of images and channel
masks. A model exported with ``python main.py export`` runs on LiteRT (``model.litert_net``:
no TensorFlow in the process); saliency, which needs gradients, loads the same ``.keras`` into
TensorFlow (``model.keras_net``) the first time it is asked for. A ``.keras`` without an export
runs on TensorFlow altogether. An Engine is not thread-safe: a thread asks its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from model.architecture import FEATURE_LAYERS, INPUT_SHAPE
from model.errors import ModelError

if TYPE_CHECKING:
    from model.explain import ModelFacts

__all__ = ["Engine", "Explanation", "ModelError", "Prediction"]

BATCH = 500  # images per forward pass of a batched question (TensorFlow's; LiteRT asks fewer)
PROGRESS_EVERY = 500  # images between two progress reports of a long question
SALIENCY_METHODS = ("gradcam", "gradient")


@dataclass(frozen=True)
class Prediction:
    """Plain data: safe to hand from a worker thread to the GUI."""

    image: np.ndarray  # (28, 28, 1) float32, what the network saw
    probabilities: np.ndarray  # (10,) float32
    feature_maps: tuple[np.ndarray, ...]  # (26,26,64), (13,13,64), (11,11,64), (5,5,64)
    dense: np.ndarray  # (128,) the hidden dense layer's activations

    @property
    def label(self) -> int:
        return int(np.argmax(self.probabilities))


@dataclass(frozen=True)
class Explanation:
    """A prediction (under channel masks) plus what drove its top class."""

    prediction: Prediction
    target: int  # the class explained: the top class under these masks
    gradcam: np.ndarray  # (28, 28) in [0, 1]: Grad-CAM on conv2, brought to input pixels
    gradient: np.ndarray  # (28, 28) in [0, 1]: |d score / d pixel|

    def saliency(self, method: str = "gradcam") -> np.ndarray:
        if method not in SALIENCY_METHODS:
            raise ValueError(f"unknown saliency method {method!r}; choose one of {SALIENCY_METHODS}")
        return self.gradcam if method == "gradcam" else self.gradient


class CNN(Protocol):
    """What the engine needs of a network (``LiteCNN``, ``KerasCNN``); gradients are
    ``KerasCNN.gradients``."""

    config: dict
    conv1: np.ndarray
    conv2: np.ndarray

    def forward(self, images: np.ndarray, masks: np.ndarray) -> list[np.ndarray]: ...


class Dense(Protocol):
    def forward(self, images: np.ndarray) -> np.ndarray: ...


ENGINE_ENV = "SKETCHSCOPE_ENGINE"  # "tensorflow": ignore the exports (benchmarks compare the two)


def _network(path: str | os.PathLike, cnn: bool):
    """The network in ``path`` (``.keras``) on LiteRT if it has an export beside it (checked to
    be in step: a stale or broken one is a ModelError, never silently replaced), else on
    TensorFlow."""
    from model.litert_net import tflite_path

    if tflite_path(path).exists() and os.environ.get(ENGINE_ENV, "") != "tensorflow":
        from model.litert_net import LiteCNN, LiteDense

        return LiteCNN(path) if cnn else LiteDense(path)
    from model.keras_net import KerasCNN, KerasDense

    return KerasCNN.load(path) if cnn else KerasDense.load(path)


def check_distributions(probs: np.ndarray) -> np.ndarray:
    """``probs`` if every row is a probability distribution, else ModelError: a model with NaN
    weights or without its softmax must not print "probabilities" that are none."""
    if not np.isfinite(probs).all():
        raise ModelError("the model's outputs are not finite (NaN or infinite weights?)")
    if (probs < -1e-6).any() or np.abs(probs.sum(axis=-1) - 1.0).max() > 1e-3:
        raise ModelError("the model's outputs are not probabilities (no softmax at the end?)")
    return probs


def _unit(values: np.ndarray) -> np.ndarray:
    """Scaled into [0, 1] by the maximum; all zeros stay zeros."""
    values = np.asarray(values, np.float32)
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else np.zeros_like(values)


_ONE = np.ones((1, len(FEATURE_LAYERS), 64), np.float32)
_ONE.setflags(write=False)


def _ones(n: int) -> np.ndarray:
    """Masks that switch nothing off, for ``n`` images (one drawing: a shared read-only array)."""
    return _ONE if n == 1 else np.ones((n, len(FEATURE_LAYERS), 64), np.float32)


class Engine:
    """A loaded CNN (and optionally its dense comparison network) answering every question."""

    def __init__(self, cnn: CNN, dataset: str, dense: Dense | None = None,
                 source: str | os.PathLike | None = None):
        self.cnn = cnn
        self.dense_net = dense
        self.dataset = dataset
        self.source = Path(source) if source is not None else None  # keys the on-disk caches
        self._keras: CNN | None = None  # for gradients, when the forward passes are LiteRT's
        self.run(np.zeros(INPUT_SHAPE, np.float32))  # the first call traces: now, not on a stroke

    @classmethod
    def load(cls, path: str | os.PathLike, dataset: str,
             dense_path: str | os.PathLike | None = None) -> Engine:
        """The network in ``path`` (``.keras``), and the dense one in ``dense_path`` if given:
        on LiteRT when exported, else on TensorFlow. Every failure is a one-line ModelError."""
        return cls(_network(path, cnn=True), dataset,
                   _network(dense_path, cnn=False) if dense_path else None, source=path)

    @property
    def backend(self) -> str:
        """"litert" or "tensorflow": what runs the forward passes."""
        return getattr(self.cnn, "backend", "tensorflow")

    @cached_property
    def facts(self) -> ModelFacts:
        from model.explain import model_facts

        return model_facts(self.cnn.config, self.cnn.conv1, self.cnn.conv2)

    @staticmethod
    def _inputs(images: np.ndarray, masks: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(images, np.float32).reshape(-1, *INPUT_SHAPE)
        if masks is None:
            return x, _ones(len(x))
        m = np.asarray(masks, np.float32).reshape(-1, len(FEATURE_LAYERS), 64)
        return x, np.broadcast_to(m, (len(x), *m.shape[1:])).copy()

    def run(self, image: np.ndarray, masks: np.ndarray | None = None) -> Prediction:
        """One preprocessed (28, 28, 1) image -> its prediction; ``masks`` ((4, 64), 0 = off)
        zero the switched-off channels' maps before the next layer sees them."""
        x, m = self._inputs(image, masks)
        *maps, dense, probs = self.cnn.forward(x, m)
        return Prediction(x[0], check_distributions(probs)[0], tuple(f[0] for f in maps), dense[0])

    def run_dense(self, image: np.ndarray) -> np.ndarray | None:
        """The dense comparison network's probabilities, or None if it is not loaded."""
        if self.dense_net is None:
            return None
        x = np.asarray(image, np.float32).reshape(1, *INPUT_SHAPE)
        return check_distributions(self.dense_net.forward(x))[0]

    def _gradients(self) -> CNN:
        """The network that gives gradients: TensorFlow's, loaded on first use when the forward
        passes run on LiteRT (importing TensorFlow takes seconds: saliency's first use only)."""
        if hasattr(self.cnn, "gradients"):
            return self.cnn
        if self._keras is None:
            from model.keras_net import KerasCNN

            if self.source is None:
                raise ModelError("saliency needs the .keras file the network came from")
            self._keras = KerasCNN.load(self.source)
        return self._keras

    def _batches(self, images: np.ndarray, batch: int | None):
        batch = batch or self.batch
        x = np.asarray(images, np.float32).reshape(-1, *INPUT_SHAPE)
        for begin in range(0, len(x), batch):
            chunk = x[begin:begin + batch]
            yield begin, self.cnn.forward(chunk, _ones(len(chunk)))

    @property
    def batch(self) -> int:
        """Images per forward pass of a batched question: LiteRT is fastest on a few at a time
        (its working set stays in the cache), TensorFlow on hundreds."""
        return getattr(self.cnn, "batch", BATCH)

    def probabilities(self, images: np.ndarray, batch: int | None = None) -> np.ndarray:
        """(N, 28, 28, 1) images -> (N, 10) float32 probabilities, in batches."""
        out = np.empty((len(images), 10), np.float32)
        for begin, outputs in self._batches(images, batch):
            out[begin:begin + len(outputs[-1])] = check_distributions(outputs[-1])
        return out

    def channel_peaks(self, images: np.ndarray, batch: int | None = None,
                      progress=None) -> tuple[np.ndarray, np.ndarray]:
        """All 256 channels' largest activation on every image, in batched passes: (maxima
        (N, 256) float32, flat positions (N, 256) int32 into each map). ``progress(done, all)``
        is called every PROGRESS_EVERY images or so, and at the end."""
        batch, total, reported = batch or self.batch, len(images), 0
        maxima = np.empty((total, len(FEATURE_LAYERS) * 64), np.float32)
        where = np.empty(maxima.shape, np.int32)
        for begin, outputs in self._batches(images, batch):
            for n, maps in enumerate(outputs[: len(FEATURE_LAYERS)]):
                flat = maps.reshape(len(maps), -1, 64)
                columns, rows = slice(n * 64, (n + 1) * 64), slice(begin, begin + len(maps))
                peak = flat.argmax(axis=1)  # the maximum is read at it: one pass, not two
                where[rows, columns] = peak
                maxima[rows, columns] = np.take_along_axis(flat, peak[:, None, :], axis=1)[:, 0, :]
            done = min(begin + batch, total)
            if progress is not None and (done - reported >= PROGRESS_EVERY or done == total):
                reported = done
                progress(done, total)
        return maxima, where

    def explain(self, image: np.ndarray, masks: np.ndarray | None = None) -> Explanation:
        """The (masked) prediction plus Grad-CAM (conv2) and input-gradient saliency of its
        top class."""
        from model.explain import upsample

        x, m = self._inputs(image, masks)
        *maps, dense, probs, target, cam, gradient = self._gradients().gradients(x[:1], m[:1])
        prediction = Prediction(x[0], probs[0], tuple(f[0] for f in maps), dense[0])
        field = self.facts.fields["conv2"]
        gradcam = _unit(np.maximum(upsample(cam, field), 0.0))
        return Explanation(prediction, int(target), gradcam, _unit(gradient))
