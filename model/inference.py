"""Inference: probabilities and the four feature-map tensors for one drawing, in one call.

:class:`Predictor` wraps a trained CNN in one extra functional model whose outputs are every
conv and pool output plus the probabilities, and calls it through a ``tf.function`` with a
fixed input signature: no ``model.predict`` per stroke.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.architecture import FEATURE_LAYERS, INPUT_SHAPE
from model.preprocess import preprocess


class ModelError(Exception):
    """A model file is missing, corrupt, unsafe or not the network Sketchscope expects."""


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


def quiet_tensorflow() -> None:
    """Import TensorFlow and Keras with the C++ start-up chatter kept off stderr.

    TensorFlow 2.21 logs through absl before TF_CPP_MIN_LOG_LEVEL applies, so a user's
    one-line error would come after lines of oneDNN notices; fd 2 is muted for the import only.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_keras_model(path: str | os.PathLike):
    """Load a ``.keras`` file with safe mode on; every failure is a one-line ModelError."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    if path.suffix != ".keras":
        raise ModelError(f"{path}: not a .keras model file")
    quiet_tensorflow()
    import keras

    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many kinds; the user needs one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: cannot load the model ({reason[:200]})") from None


class Predictor:
    """A loaded CNN (and optionally its dense comparison network), ready for live inference."""

    def __init__(self, keras_model, dataset: str, dense_model=None):
        import keras
        import tensorflow as tf

        self.dataset = dataset
        self.model = keras_model
        self.dense_model = dense_model
        try:
            outputs = [keras_model.get_layer(name).output for name in FEATURE_LAYERS]
            outputs += [keras_model.get_layer("dense").output, keras_model.output]
        except ValueError as exc:
            raise ModelError(f"the model lacks the expected conv/pool layers ({exc})") from None
        shape = tuple(keras_model.input_shape[1:])
        if shape != INPUT_SHAPE or tuple(keras_model.output_shape[1:]) != (10,):
            raise ModelError(f"the model takes {shape} -> {keras_model.output_shape[1:]}, "
                             f"not {INPUT_SHAPE} -> (10,)")
        self.explainer = keras.Model(inputs=keras_model.inputs, outputs=outputs)
        spec = tf.TensorSpec((1, *INPUT_SHAPE), tf.float32)
        self._call = tf.function(lambda x: self.explainer(x, training=False), input_signature=[spec])
        self._dense_call = (
            tf.function(lambda x: dense_model(x, training=False), input_signature=[spec])
            if dense_model is not None
            else None
        )
        self.run(np.zeros(INPUT_SHAPE, np.float32))  # trace once, now, not on the first stroke

    @classmethod
    def load(cls, path: str | os.PathLike, dataset: str, dense_path: str | os.PathLike | None = None):
        dense = load_keras_model(dense_path) if dense_path else None
        return cls(load_keras_model(path), dataset, dense)

    def run(self, image: np.ndarray) -> Prediction:
        """One preprocessed (28, 28, 1) image -> probabilities and the four feature maps."""
        x = np.asarray(image, np.float32).reshape(1, *INPUT_SHAPE)
        *maps, dense, probs = (t.numpy()[0] for t in self._call(x))
        return Prediction(image=x[0], probabilities=probs, feature_maps=tuple(maps), dense=dense)

    def run_dense(self, image: np.ndarray) -> np.ndarray | None:
        """The dense comparison network's probabilities, or None if it is not loaded."""
        if self._dense_call is None:
            return None
        x = np.asarray(image, np.float32).reshape(1, *INPUT_SHAPE)
        return self._dense_call(x).numpy()[0]

    def predict_drawing(self, drawing: np.ndarray) -> Prediction:
        """A raw drawing (any size, any polarity) -> Prediction. Raises EmptyDrawing."""
        return self.run(preprocess(drawing, self.dataset))
