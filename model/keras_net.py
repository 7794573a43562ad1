"""The engine's arithmetic on TensorFlow: a ``.keras`` file loaded safely and run through
``tf.function`` with fixed input signatures (never ``model.predict`` per stroke).

:class:`KerasCNN` re-wires the trained layers with a channel mask after every conv and pool
layer: one functional model, inputs ``[images (n, 28, 28, 1), masks (n, 4, 64)]``, outputs the
four masked maps, the dense layer and the probabilities. It shares the trained layers (and so
their weights) with the loaded model, which is never changed; masks of ones give the network as
trained. TensorFlow is imported when the first model is loaded, not with this module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.architecture import CHANNELS, FEATURE_LAYERS, INPUT_SHAPE, NUM_CLASSES
from model.errors import ModelError, one_line
from model.keras_archive import check_archive
from model.stderr import muted_stderr

if TYPE_CHECKING:
    import keras


def quiet_tensorflow() -> None:
    """Import TensorFlow and Keras, Keras on TensorFlow, with the C++ start-up chatter kept off
    stderr; a Keras that cannot start is a one-line ModelError.

    Sketchscope's models are TensorFlow's, so a user's ``~/.keras/keras.json`` or environment
    picking another backend (JAX, PyTorch), another float type or channels-first images must not
    decide for this process: the backend is set before Keras is imported, the rest after.
    TensorFlow 2.21 logs through absl before TF_CPP_MIN_LOG_LEVEL applies, so a user's
    one-line error would come after lines of oneDNN notices; fd 2 is muted for the import only.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "tensorflow"
        try:
            with muted_stderr():
                import keras
                import tensorflow  # noqa: F401
        except Exception as exc:  # an unreadable keras.json raises ValueError, for one
            raise ModelError(f"Keras cannot start ({one_line(exc)}); "
                             f"check ~/.keras/keras.json and $KERAS_BACKEND") from None
    import keras

    if keras.config.backend() != "tensorflow":  # Keras was imported before this was called
        raise ModelError(f"Keras runs on {keras.config.backend()}, and Sketchscope's models "
                         f"need TensorFlow: set KERAS_BACKEND=tensorflow")
    keras.config.set_floatx("float32")
    keras.config.set_image_data_format("channels_last")
    keras.config.set_epsilon(1e-7)


def check_model_file(path: str | os.PathLike) -> Path:
    """``path`` if it is a ``.keras`` archive of plausible size, checked without TensorFlow
    (milliseconds: before a long run that would load it at its end); else a one-line ModelError."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    if path.suffix != ".keras":
        raise ModelError(f"{path}: not a .keras model file")
    check_archive(path)  # before Keras inflates anything
    return path


def load_keras_model(path: str | os.PathLike) -> keras.Model:
    """Load a ``.keras`` file with safe mode on; every failure is a one-line ModelError."""
    path = check_model_file(path)
    quiet_tensorflow()
    import keras

    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many kinds; the user needs one line
        raise ModelError(f"{path}: cannot load the model ({one_line(exc, 200)})") from None


def _check_cnn(model: keras.Model) -> None:
    names = [layer.name for layer in model.layers]
    missing = [name for name in (*FEATURE_LAYERS, "dense") if name not in names]
    if missing:
        raise ModelError(f"the model lacks the expected conv/pool layers (missing: {', '.join(missing)})")
    shape, out = tuple(model.input_shape[1:]), tuple(model.output_shape[1:])
    if shape != INPUT_SHAPE or out != (NUM_CLASSES,):
        raise ModelError(f"the model takes {shape} -> {out}, not {INPUT_SHAPE} -> ({NUM_CLASSES},)")


class KerasCNN:
    """A trained CNN ready for the engine: forward passes with masks, and gradients."""

    def __init__(self, model: keras.Model):
        import keras
        import tensorflow as tf

        _check_cnn(model)
        self.model = model
        self.config = model.get_config()
        self.conv1 = model.get_layer("conv1").get_weights()[0]
        self.conv2 = model.get_layer("conv2").get_weights()[0]
        image = keras.Input(INPUT_SHAPE, name="image")
        masks = keras.Input((len(FEATURE_LAYERS), CHANNELS), name="channel_masks")
        x, maps, hidden = image, [], None
        for layer in model.layers:
            if type(layer).__name__ == "InputLayer":
                continue
            x = layer(x)
            if layer.name in FEATURE_LAYERS:
                index = FEATURE_LAYERS.index(layer.name)
                x = x * keras.ops.reshape(masks[:, index, :], (-1, 1, 1, CHANNELS))
                maps.append(x)
            elif layer.name == "dense":
                hidden = x
        self.net = keras.Model([image, masks], [*maps, hidden, x], name="masked_cnn")
        head = model.layers[-1]
        self._head_kernel, self._head_bias = head.kernel, head.bias
        x_spec = tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)
        m_spec = tf.TensorSpec((None, len(FEATURE_LAYERS), CHANNELS), tf.float32)
        self._forward = tf.function(lambda x, m: self.net([x, m], training=False),
                                    input_signature=[x_spec, m_spec])
        self._gradients = tf.function(self._gradients_graph, input_signature=[x_spec, m_spec])

    @classmethod
    def load(cls, path: str | os.PathLike) -> KerasCNN:
        return cls(load_keras_model(path))

    def forward(self, images: np.ndarray, masks: np.ndarray) -> list[np.ndarray]:
        """(n, 28, 28, 1) images and (n, 4, 64) masks -> [four maps, dense, probabilities]."""
        return [t.numpy() for t in self._forward(images, masks)]

    def _gradients_graph(self, x, m):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            *maps, hidden, probs = self.net([x, m], training=False)
            logits = tf.matmul(hidden, tf.convert_to_tensor(self._head_kernel))
            logits += tf.convert_to_tensor(self._head_bias)
            target = tf.argmax(probs[0], output_type=tf.int32)
            score = logits[0, target]
        conv2 = maps[FEATURE_LAYERS.index("conv2")]
        d_conv2, d_image = tape.gradient(score, [conv2, x])
        weights = tf.reduce_mean(d_conv2, axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(conv2 * weights, axis=-1))[0]
        return (*maps, hidden, probs, target, cam, tf.abs(d_image[0, :, :, 0]))

    def gradients(self, image: np.ndarray, masks: np.ndarray) -> list[np.ndarray]:
        """One image (1, 28, 28, 1) and masks (1, 4, 64) -> [four maps, dense, probabilities
        (each batched), the top class, Grad-CAM on conv2 (11, 11), |d score / d pixel| (28, 28)]."""
        return [t.numpy() for t in self._gradients(image, masks)]


class KerasDense:
    """The dense comparison network."""

    def __init__(self, model: keras.Model):
        import tensorflow as tf

        if tuple(model.input_shape[1:]) != INPUT_SHAPE or tuple(model.output_shape[1:]) != (NUM_CLASSES,):
            raise ModelError(f"the dense model takes {tuple(model.input_shape[1:])}, not {INPUT_SHAPE}")
        self.model = model
        spec = tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)
        self._forward = tf.function(lambda x: model(x, training=False), input_signature=[spec])

    @classmethod
    def load(cls, path: str | os.PathLike) -> KerasDense:
        return cls(load_keras_model(path))

    def forward(self, images: np.ndarray) -> np.ndarray:
        return self._forward(images).numpy()


def classifier(path: str | os.PathLike):
    """A ``.keras`` classifier of the app's input (the CNN or the dense network) as a batched
    ``images -> probabilities`` function through Keras, with the checks the engine makes:
    one (28, 28, 1) input, one output of 10 classes that are probability distributions."""
    from model.inference import check_distributions

    model = load_keras_model(path)
    inputs, outputs = model.inputs, model.outputs
    shape = tuple(model.input_shape[1:]) if len(inputs) == 1 else None
    if shape != INPUT_SHAPE or len(outputs) != 1 or tuple(model.output_shape[1:]) != (NUM_CLASSES,):
        got = f"{len(inputs)} input(s) {[tuple(i.shape[1:]) for i in inputs]}, " \
              f"{len(outputs)} output(s) {[tuple(o.shape[1:]) for o in outputs]}"
        raise ModelError(f"{Path(path).name}: the model takes {got}, not {INPUT_SHAPE} -> ({NUM_CLASSES},)")

    def probabilities(images):
        return check_distributions(np.asarray(model.predict(images, batch_size=1000, verbose=0), np.float32))

    return probabilities
