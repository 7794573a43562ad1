"""Looking inside the CNN: what each layer does to the shape, what each map position sees,
what a channel is for (ablation, top examples) and which pixels drove the answer (saliency).

Plain NumPy in, plain NumPy out, so a worker thread can hand every result to the GUI.
TensorFlow and Keras are imported inside the functions that need them. Nothing here changes a
model's weights: ablation multiplies the layer outputs by a channel mask *input* of a second
functional model built from the same trained layers.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.architecture import FEATURE_LAYERS, INPUT_SHAPE
from model.atomic import atomic_path
from model.datasets import cache_dir, sha256_file

if TYPE_CHECKING:  # model.inference imports SciPy: kept off the import path
    from model.inference import Prediction

CHANNELS = 64  # every feature layer has 64 maps
MAP_KINDS = ("Conv2D", "MaxPooling2D")  # the layers that have maps (and a receptive field)
SALIENCY_METHODS = ("gradcam", "gradient")
TOP_K = 16  # the most activating test images kept per channel
TOP_BATCH = 500  # images per batch of the one pass over the test split
TOP_VERSION = 1  # bump when the cache layout changes

Progress = Callable[[int, int], None]  # (images done, images in all)


# ---------------------------------------------------------------- the strip of layers


@dataclass(frozen=True)
class LayerFacts:
    """One layer as the strip shows it: the model.summary() row and why its shape is so."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    reason: str

    @property
    def has_maps(self) -> bool:
        return len(self.output_shape) == 3


def _pair(value) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    first, second = value
    return int(first), int(second)


def _output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


def _sizes(before: tuple[int, ...], after: tuple[int, ...]) -> str:
    """'28 -> 26' for square maps, '28x20 -> 26x18' otherwise."""
    if before[0] == before[1] and after[0] == after[1]:
        return f"{before[0]} -> {after[0]}"
    return f"{before[0]}x{before[1]} -> {after[0]}x{after[1]}"


def _window(layer) -> tuple[tuple[int, int], tuple[int, int], str]:
    """A conv or pool layer's (effective kernel size, strides, padding), from its config."""
    config = layer.get_config()
    if type(layer).__name__ == "Conv2D":
        kernel = _pair(config["kernel_size"])
        dilation = _pair(config.get("dilation_rate", 1))
        kernel = ((kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1)
    else:
        kernel = _pair(config["pool_size"])
    strides = _pair(config.get("strides") or kernel)
    return kernel, strides, str(config.get("padding", "valid")).lower()


def _input_shape(layer) -> tuple[int, ...]:
    return tuple(int(d) for d in layer.input.shape[1:])


def shape_reason(layer) -> str:
    """One line on why ``layer``'s output has its shape, computed from the layer's config."""
    kind = type(layer).__name__
    shape_in = _input_shape(layer)
    shape_out = tuple(int(d) for d in layer.output.shape[1:])
    if kind in MAP_KINDS:
        (kh, kw), (sh, sw), padding = _window(layer)
        box = f"{kh}x{kw}"
        steps = "" if (sh, sw) == (1, 1) or (kind == "MaxPooling2D" and (sh, sw) == (kh, kw)) else (
            f" in steps of {sh}" if sh == sw else f" in steps of {sh}x{sw}"
        )
        sizes = _sizes(shape_in, shape_out)
        if kind == "Conv2D":
            filters = shape_out[2]
            if padding == "same":
                how = f"a {box} filter with zero padding{steps} keeps the size: {sizes}"
            elif kh == kw and kh % 2 == 1 and (sh, sw) == (1, 1):
                margin = (kh - 1) // 2
                how = f"a {box} filter without padding loses a {margin}-pixel margin: {sizes}"
            else:
                how = f"a {box} filter without padding{steps} fits {sizes} times"
            return f"{how}; {filters} filters make {filters} maps"
        how = f"a {box} max-pool{steps} keeps the largest of every {kh * kw} pixels: {sizes}"
        dropped = [
            n - ((m - 1) * s + k) for n, m, k, s in ((shape_in[0], shape_out[0], kh, sh),
                                                    (shape_in[1], shape_out[1], kw, sw))
        ]
        if padding != "same" and any(dropped):
            how += " (rounds down: the last row and column are left out)"
        return how
    if kind == "Flatten":
        factors = " x ".join(str(d) for d in shape_in)
        return f"{factors} = {int(np.prod(shape_in)):,} values flattened"
    if kind == "Dense":
        units, inputs = shape_out[-1], shape_in[-1]
        activation = getattr(layer.activation, "__name__", "")
        if activation == "softmax":
            return (f"{units} scores, one per class, each weighing all {inputs:,} inputs; "
                    f"softmax makes them probabilities")
        return f"{units} units, each a weighted sum of all {inputs:,} inputs ({activation})"
    return kind


def layer_strip(model) -> tuple[LayerFacts, ...]:
    """The model's layers (input left out) in the model.summary() order, each with its reason."""
    rows = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        shape = tuple(int(d) for d in layer.output.shape[1:])
        rows.append(LayerFacts(layer.name, kind, shape, int(layer.count_params()), shape_reason(layer)))
    return tuple(rows)


# ---------------------------------------------------------------- receptive fields


@dataclass(frozen=True)
class Rect:
    """A rectangle of input pixels, half-open: rows top..bottom-1, columns left..right-1."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


@dataclass(frozen=True)
class Field:
    """Where a layer's positions look in the input: position (r, c) sees the ``size`` box whose
    top-left corner is ``start + (r, c) * jump`` (before clipping to the image)."""

    size: tuple[int, int]
    jump: tuple[int, int]
    start: tuple[int, int]

    def rect(self, row: int, col: int, image: tuple[int, int] = INPUT_SHAPE[:2]) -> Rect:
        top = self.start[0] + row * self.jump[0]
        left = self.start[1] + col * self.jump[1]
        return Rect(max(top, 0), max(left, 0),
                    min(top + self.size[0], image[0]), min(left + self.size[1], image[1]))

    def centre(self, index: int, axis: int) -> float:
        """The input coordinate (pixel centres at integers) at the middle of position ``index``."""
        return self.start[axis] + index * self.jump[axis] + (self.size[axis] - 1) / 2


def receptive_fields(model) -> dict[str, Field]:
    """Each conv/pool layer's receptive field, from the layers' kernel sizes, strides and padding.

    The usual recurrence: a layer with kernel k and stride s grows the field by (k - 1) times
    the distance between neighbouring positions before it, and multiplies that distance by s.
    """
    size, jump, start = (1, 1), (1, 1), (0, 0)
    fields: dict[str, Field] = {}
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        if kind not in MAP_KINDS:
            break
        kernel, strides, padding = _window(layer)
        shape_in = _input_shape(layer)
        pads = [0, 0]
        if padding == "same":
            for axis in (0, 1):
                out = _output_size(shape_in[axis], kernel[axis], strides[axis], padding)
                pads[axis] = max((out - 1) * strides[axis] + kernel[axis] - shape_in[axis], 0) // 2
        size = (size[0] + (kernel[0] - 1) * jump[0], size[1] + (kernel[1] - 1) * jump[1])
        start = (start[0] - pads[0] * jump[0], start[1] - pads[1] * jump[1])
        jump = (jump[0] * strides[0], jump[1] * strides[1])
        fields[layer.name] = Field(size, jump, start)
    return fields


def receptive_field(fields: Mapping[str, Field], layer: str, row: int, col: int) -> Rect:
    """The input rectangle (28x28 coordinates) that position (row, col) of ``layer`` sees."""
    return fields[layer].rect(row, col)


# ---------------------------------------------------------------- ablation and saliency


def channel_masks(off: Mapping[str, Iterable[int]] | None = None) -> np.ndarray:
    """(4, 64) float32 ones, with 0 for every channel switched off ({layer name: channels})."""
    masks = np.ones((len(FEATURE_LAYERS), CHANNELS), np.float32)
    for layer, channels in (off or {}).items():
        masks[FEATURE_LAYERS.index(layer), list(channels)] = 0.0
    return masks


@dataclass(frozen=True)
class Kernels:
    """The trained filters, as plain arrays."""

    conv1: np.ndarray  # (3, 3, 1, 64): one 3x3 kernel per first-layer map
    conv2: np.ndarray  # (3, 3, 64, 64): [..., i, k] is what map k of conv2 applies to input map i

    def first_layer(self) -> np.ndarray:
        """(64, 3, 3): the first layer's kernels, map by map."""
        return np.ascontiguousarray(self.conv1[:, :, 0, :].transpose(2, 0, 1))

    def inputs_of(self, channel: int) -> np.ndarray:
        """(64, 3, 3): the 64 kernels second-layer map ``channel`` applies to its 64 inputs."""
        return np.ascontiguousarray(self.conv2[:, :, :, channel].transpose(2, 0, 1))


@dataclass(frozen=True)
class Explanation:
    """A prediction under channel masks, plus what drove its top class."""

    prediction: Prediction
    target: int  # the class explained: the top class under these masks
    gradcam: np.ndarray  # (28, 28) in [0, 1]: Grad-CAM on conv2, brought to input pixels
    gradient: np.ndarray  # (28, 28) in [0, 1]: |d score / d pixel|

    def saliency(self, method: str = "gradcam") -> np.ndarray:
        if method not in SALIENCY_METHODS:
            raise ValueError(f"unknown saliency method {method!r}; choose one of {SALIENCY_METHODS}")
        return self.gradcam if method == "gradcam" else self.gradient


def _unit(values: np.ndarray) -> np.ndarray:
    """Scaled into [0, 1] by the maximum; all zeros stay zeros."""
    values = np.asarray(values, np.float32)
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def upsample(cam: np.ndarray, field: Field, size: tuple[int, int] = INPUT_SHAPE[:2]) -> np.ndarray:
    """A map of a conv/pool layer -> input pixels, linearly, each position at its field's centre."""
    from scipy import ndimage

    rows = (np.arange(size[0]) - field.centre(0, 0)) / field.jump[0]
    cols = (np.arange(size[1]) - field.centre(0, 1)) / field.jump[1]
    grid = np.meshgrid(rows, cols, indexing="ij")
    return ndimage.map_coordinates(np.asarray(cam, np.float64), grid, order=1, mode="nearest")


class Explainer:
    """The trained layers re-wired with a channel mask after every conv and pool layer.

    One functional model, inputs ``[image (1, 28, 28, 1), masks (1, 4, 64)]``, outputs the four
    masked maps, the dense layer and the probabilities; it shares the trained layers (and so
    their weights) with ``keras_model``, which is never changed. Called through ``tf.function``
    with fixed input signatures: one for the forward pass, one with the gradients for saliency.
    Build it (and call it) in a worker thread: construction traces both functions (~1 s).
    """

    def __init__(self, keras_model):
        import keras
        import tensorflow as tf
        from keras import ops

        from model.inference import ModelError

        self.model = keras_model
        names = [layer.name for layer in keras_model.layers]
        missing = [name for name in (*FEATURE_LAYERS, "dense") if name not in names]
        if missing or tuple(keras_model.input_shape[1:]) != INPUT_SHAPE:
            raise ModelError(f"not the Sketchscope CNN (missing layers: {', '.join(missing) or 'none'})")
        self.layers = layer_strip(keras_model)
        self.fields = receptive_fields(keras_model)
        conv1 = keras_model.get_layer("conv1").get_weights()[0]
        conv2 = keras_model.get_layer("conv2").get_weights()[0]
        self.kernels = Kernels(conv1.astype(np.float32), conv2.astype(np.float32))

        image = keras.Input(INPUT_SHAPE, name="image")
        masks = keras.Input((len(FEATURE_LAYERS), CHANNELS), name="channel_masks")
        x, maps, hidden = image, [], None
        for layer in keras_model.layers:
            if type(layer).__name__ == "InputLayer":
                continue
            x = layer(x)
            if layer.name in FEATURE_LAYERS:
                index = FEATURE_LAYERS.index(layer.name)
                x = x * ops.reshape(masks[:, index, :], (-1, 1, 1, CHANNELS))
                maps.append(x)
            elif layer.name == "dense":
                hidden = x
        self.net = keras.Model([image, masks], [*maps, hidden, x], name="masked_cnn")
        head = keras_model.layers[-1]
        self._head_kernel, self._head_bias = head.kernel, head.bias
        self._cam_field = self.fields["conv2"]

        x_spec = tf.TensorSpec((1, *INPUT_SHAPE), tf.float32)
        m_spec = tf.TensorSpec((1, len(FEATURE_LAYERS), CHANNELS), tf.float32)
        self._forward = tf.function(lambda x, m: self.net([x, m], training=False),
                                    input_signature=[x_spec, m_spec])
        self._explain = tf.function(self._explain_graph, input_signature=[x_spec, m_spec])
        blank = np.zeros(INPUT_SHAPE, np.float32)
        self.run(blank)  # trace both now, not on the first click
        self.explain(blank)

    def _explain_graph(self, x, m):
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

    @staticmethod
    def _inputs(image: np.ndarray, masks: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(image, np.float32).reshape(1, *INPUT_SHAPE)
        m = channel_masks() if masks is None else np.asarray(masks, np.float32)
        return x, m.reshape(1, len(FEATURE_LAYERS), CHANNELS)

    def run(self, image: np.ndarray, masks: np.ndarray | None = None) -> Prediction:
        """One (28, 28, 1) image -> the prediction with the masked channels zeroed."""
        from model.inference import Prediction

        x, m = self._inputs(image, masks)
        *maps, dense, probs = (t.numpy()[0] for t in self._forward(x, m))
        return Prediction(image=x[0], probabilities=probs, feature_maps=tuple(maps), dense=dense)

    def explain(self, image: np.ndarray, masks: np.ndarray | None = None) -> Explanation:
        """The masked prediction plus Grad-CAM (conv2) and input-gradient saliency of its top class."""
        from model.inference import Prediction

        x, m = self._inputs(image, masks)
        *maps, dense, probs, target, cam, gradient = (t.numpy() for t in self._explain(x, m))
        prediction = Prediction(image=x[0], probabilities=probs[0],
                                feature_maps=tuple(t[0] for t in maps), dense=dense[0])
        gradcam = _unit(np.maximum(upsample(cam, self._cam_field), 0.0))
        return Explanation(prediction, int(target), gradcam, _unit(gradient))

    def saliency(self, image: np.ndarray, masks: np.ndarray | None = None,
                 method: str = "gradcam") -> np.ndarray:
        """A (28, 28) map in [0, 1]: which pixels drove the top class."""
        return self.explain(image, masks).saliency(method)


# ---------------------------------------------------------------- top examples


@dataclass(frozen=True)
class TopExample:
    index: int  # into the test split
    value: float  # the channel's largest activation on that image
    row: int  # where in the map it peaks
    col: int


@dataclass(frozen=True)
class TopExamples:
    """For every channel of the four feature layers (FEATURE_LAYERS order, 64 each), the test
    images that activate it most and where."""

    maxima: np.ndarray  # (N, 256) float32: each image's largest activation per channel
    index: np.ndarray  # (256, K) int32: the K most activating images, hottest first
    position: np.ndarray  # (256, K, 2) int16: (row, col) of each one's peak in the map

    @staticmethod
    def column(layer: str, channel: int) -> int:
        return FEATURE_LAYERS.index(layer) * CHANNELS + channel

    def top(self, layer: str, channel: int, k: int = TOP_K) -> list[TopExample]:
        j = self.column(layer, channel)
        return [
            TopExample(int(i), float(self.maxima[i, j]), int(r), int(c))
            for i, (r, c) in zip(self.index[j, :k], self.position[j, :k], strict=True)
        ]


def _peaks_model(keras_model):
    """A tf.function: a batch of images -> each channel's maximum and its flat position."""
    import keras
    import tensorflow as tf

    outputs = [keras_model.get_layer(name).output for name in FEATURE_LAYERS]
    maps = keras.Model(inputs=keras_model.inputs, outputs=outputs)

    def peaks(x):
        tops, where = [], []
        for m in maps(x, training=False):
            flat = tf.reshape(m, (tf.shape(m)[0], -1, CHANNELS))
            tops.append(tf.reduce_max(flat, axis=1))
            where.append(tf.argmax(flat, axis=1, output_type=tf.int32))
        return tf.concat(tops, axis=1), tf.concat(where, axis=1)

    spec = tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)
    return tf.function(peaks, input_signature=[spec]), [tuple(int(d) for d in o.shape[1:3]) for o in outputs]


def channel_peaks(keras_model, images: np.ndarray, batch: int = TOP_BATCH,
                  progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All 256 channels' largest activation on every image, in one batched pass.

    Returns (maxima (N, 256) float32, flat positions (N, 256) int32 into each map).
    """
    peaks, _ = _peaks_model(keras_model)
    images = np.asarray(images, np.float32).reshape(-1, *INPUT_SHAPE)
    total = len(images)
    maxima = np.empty((total, len(FEATURE_LAYERS) * CHANNELS), np.float32)
    where = np.empty(maxima.shape, np.int32)
    for begin in range(0, total, batch):
        top, flat = peaks(images[begin:begin + batch])
        maxima[begin:begin + batch] = top.numpy()
        where[begin:begin + batch] = flat.numpy()
        if progress is not None:
            progress(min(begin + batch, total), total)
    return maxima, where


def top_examples(keras_model, images: np.ndarray, k: int = TOP_K,
                 progress: Progress | None = None) -> TopExamples:
    """Every channel's ``k`` most activating images (ties: the lower index first)."""
    maxima, where = channel_peaks(keras_model, images, progress=progress)
    k = min(k, len(maxima))
    order = np.argsort(-maxima, axis=0, kind="stable")[:k].T.astype(np.int32)  # (256, k)
    widths = np.repeat([keras_model.get_layer(name).output.shape[2] for name in FEATURE_LAYERS], CHANNELS)
    flat = np.take_along_axis(where.T, order, axis=1)
    position = np.stack([flat // widths[:, None], flat % widths[:, None]], axis=-1).astype(np.int16)
    return TopExamples(maxima, order, position)


def top_examples_path(model_path: str | os.PathLike, dataset: str) -> Path:
    """Where the top examples of this model file (by its SHA-256) over ``dataset`` are cached."""
    return cache_dir() / "top-examples" / f"{dataset}-{sha256_file(Path(model_path))}.npz"


def _digest(images: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(images, np.float32).tobytes()).hexdigest()


def _read_cache(path: Path, digest: str) -> TopExamples | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            if int(z["version"]) != TOP_VERSION or str(z["images_sha256"]) != digest:
                return None
            return TopExamples(z["maxima"], z["index"], z["position"])
    except (OSError, KeyError, ValueError):  # missing, truncated or foreign: compute again
        return None


def split_images(dataset: str) -> np.ndarray:
    """The (10000, 28, 28, 1) float32 test split as the network sees it (cached on disk)."""
    from model import datasets
    from model.cache import preprocessed_split

    return preprocessed_split(datasets.load(dataset), "test", log=lambda _message: None)


def cached_top_examples(model_path: str | os.PathLike, dataset: str, images: np.ndarray | None = None,
                        keras_model=None, progress: Progress | None = None) -> TopExamples:
    """Top examples of the model in ``model_path``: from the cache if this exact model file
    (and these images) were done before, otherwise computed once and cached.

    ``images`` defaults to the preprocessed test split of ``dataset``; ``keras_model`` (the
    model loaded from ``model_path``) saves loading it again.
    """
    path = top_examples_path(model_path, dataset)
    images = split_images(dataset) if images is None else np.asarray(images, np.float32)
    digest = _digest(images)
    cached = _read_cache(path, digest)
    if cached is not None:
        if progress is not None:
            progress(len(images), len(images))
        return cached
    if keras_model is None:
        from model.inference import load_keras_model

        keras_model = load_keras_model(model_path)
    found = top_examples(keras_model, images, progress=progress)
    buf = io.BytesIO()
    np.savez(buf, version=TOP_VERSION, images_sha256=digest, maxima=found.maxima,
             index=found.index, position=found.position)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())
    return found
