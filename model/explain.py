"""Looking inside the CNN: what each layer does to the shape, what each map position sees, the
trained kernels, channel masks for ablation, and every channel's most activating test images.

Everything here is plain data computed from a model's *configuration* (the dict a ``.keras``
file keeps in ``config.json``, or ``keras.Model.get_config()``) and plain arrays, so it needs
neither Qt nor TensorFlow: the facts follow the layers of the file at hand, not a typed-in
table. The arithmetic itself (forward passes, gradients) is :class:`model.inference.Engine`'s.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.architecture import CHANNELS, FEATURE_LAYERS, INPUT_SHAPE
from model.datasets import cache_dir, sha256_file
from model.errors import ModelError

MAP_KINDS = ("Conv2D", "MaxPooling2D")  # the layers that have maps (and a receptive field)
SHAPE_KEEPING = ("Activation", "ReLU", "Dropout", "BatchNormalization")
TOP_K = 16  # the most activating test images kept per channel
TOP_VERSION = 1  # bump when the cache layout changes

Progress = Callable[[int, int], None]  # (images done, images in all)


# ---------------------------------------------------------------- the layers, from the config


@dataclass(frozen=True)
class LayerSpec:
    """One layer as its configuration describes it, with the shapes that follow from it."""

    name: str
    kind: str  # the Keras class name
    config: Mapping
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int


def _pair(value) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    first, second = value
    return int(first), int(second)


def _output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


def _window(kind: str, config: Mapping) -> tuple[tuple[int, int], tuple[int, int], str]:
    """A conv or pool layer's (effective kernel size, strides, padding)."""
    if kind == "Conv2D":
        kernel = _pair(config["kernel_size"])
        dilation = _pair(config.get("dilation_rate", 1))
        kernel = ((kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1)
    else:
        kernel = _pair(config["pool_size"])
    strides = _pair(config.get("strides") or kernel)
    return kernel, strides, str(config.get("padding", "valid")).lower()


def _output(kind: str, config: Mapping, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """(output shape, parameter count) of one layer on an input of ``shape``."""
    if kind in MAP_KINDS:
        (kh, kw), (sh, sw), padding = _window(kind, config)
        h, w = _output_size(shape[0], kh, sh, padding), _output_size(shape[1], kw, sw, padding)
        if kind == "MaxPooling2D":
            return (h, w, shape[2]), 0
        filters = int(config["filters"])
        kernel = _pair(config["kernel_size"])
        bias = filters if config.get("use_bias", True) else 0
        return (h, w, filters), kernel[0] * kernel[1] * shape[2] * filters + bias
    if kind == "Flatten":
        return (int(np.prod(shape)),), 0
    if kind == "Dense":
        units = int(config["units"])
        return (*shape[:-1], units), shape[-1] * units + (units if config.get("use_bias", True) else 0)
    if kind in SHAPE_KEEPING:
        return shape, 0
    raise ModelError(f"layer {config.get('name', '?')!r} of type {kind} is not one Sketchscope knows")


def layer_specs(model_config: Mapping) -> tuple[LayerSpec, ...]:
    """The layers of a chain-shaped functional model, input first, from its configuration
    (``keras.Model.get_config()``, or the whole ``config.json`` of a ``.keras`` file)."""
    config = model_config.get("config", model_config) if "layers" not in model_config else model_config
    try:
        layers = list(config["layers"])
        first = layers[0]["config"]
        shape = tuple(int(d) for d in (first.get("batch_shape") or first["batch_input_shape"])[1:])
        specs = []
        for layer in layers[1:]:
            kind, cfg = layer["class_name"], layer["config"]
            out, params = _output(kind, cfg, shape)
            specs.append(LayerSpec(layer.get("name") or cfg["name"], kind, cfg, shape, out, params))
            shape = out
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ModelError(f"the model's configuration is not a chain of known layers ({exc})") from None
    return tuple(specs)


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


def _sizes(before: tuple[int, ...], after: tuple[int, ...]) -> str:
    """'28 -> 26' for square maps, '28x20 -> 26x18' otherwise."""
    if before[0] == before[1] and after[0] == after[1]:
        return f"{before[0]} -> {after[0]}"
    return f"{before[0]}x{before[1]} -> {after[0]}x{after[1]}"


def _window_reason(spec: LayerSpec) -> str:
    (kh, kw), (sh, sw), padding = _window(spec.kind, spec.config)
    shape_in, shape_out = spec.input_shape, spec.output_shape
    box = f"{kh}x{kw}"
    plain_steps = (sh, sw) == (1, 1) or (spec.kind == "MaxPooling2D" and (sh, sw) == (kh, kw))
    steps = "" if plain_steps else (f" in steps of {sh}" if sh == sw else f" in steps of {sh}x{sw}")
    sizes = _sizes(shape_in, shape_out)
    if spec.kind == "Conv2D":
        filters = shape_out[2]
        if padding == "same":
            how = f"a {box} filter with zero padding{steps} keeps the size: {sizes}"
        elif kh == kw and kh % 2 == 1 and (sh, sw) == (1, 1):
            how = f"a {box} filter without padding loses a {(kh - 1) // 2}-pixel margin: {sizes}"
        else:
            how = f"a {box} filter without padding{steps} fits {sizes} times"
        return f"{how}; {filters} filters make {filters} maps"
    how = f"a {box} max-pool{steps} keeps the largest of every {kh * kw} pixels: {sizes}"
    dropped = [n - ((m - 1) * s + k) for n, m, k, s in ((shape_in[0], shape_out[0], kh, sh),
                                                        (shape_in[1], shape_out[1], kw, sw))]
    if padding != "same" and any(dropped):
        how += " (rounds down: the last row and column are left out)"
    return how


def shape_reason(spec: LayerSpec) -> str:
    """One line on why the layer's output has its shape, from the layer's configuration."""
    if spec.kind in MAP_KINDS:
        return _window_reason(spec)
    if spec.kind == "Flatten":
        factors = " x ".join(str(d) for d in spec.input_shape)
        return f"{factors} = {int(np.prod(spec.input_shape)):,} values flattened"
    if spec.kind == "Dense":
        units, inputs = spec.output_shape[-1], spec.input_shape[-1]
        activation = spec.config.get("activation")
        activation = activation if isinstance(activation, str) else "custom"
        if activation == "softmax":
            return (f"{units} scores, one per class, each weighing all {inputs:,} inputs; "
                    f"softmax makes them probabilities")
        return f"{units} units, each a weighted sum of all {inputs:,} inputs ({activation})"
    return spec.kind


def layer_strip(model_config: Mapping) -> tuple[LayerFacts, ...]:
    """The model's layers (input left out) in the model.summary() order, each with its reason."""
    return tuple(LayerFacts(s.name, s.kind, s.output_shape, s.params, shape_reason(s))
                 for s in layer_specs(model_config))


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


def receptive_fields(model_config: Mapping) -> dict[str, Field]:
    """Each conv/pool layer's receptive field, from the layers' kernel sizes, strides and padding.

    The usual recurrence: a layer with kernel k and stride s grows the field by (k - 1) times
    the distance between neighbouring positions before it, and multiplies that distance by s.
    """
    size, jump, start = (1, 1), (1, 1), (0, 0)
    fields: dict[str, Field] = {}
    for spec in layer_specs(model_config):
        if spec.kind not in MAP_KINDS:
            break
        kernel, strides, padding = _window(spec.kind, spec.config)
        pads = [0, 0]
        if padding == "same":
            for axis in (0, 1):
                out = _output_size(spec.input_shape[axis], kernel[axis], strides[axis], padding)
                needed = (out - 1) * strides[axis] + kernel[axis] - spec.input_shape[axis]
                pads[axis] = max(needed, 0) // 2
        size = (size[0] + (kernel[0] - 1) * jump[0], size[1] + (kernel[1] - 1) * jump[1])
        start = (start[0] - pads[0] * jump[0], start[1] - pads[1] * jump[1])
        jump = (jump[0] * strides[0], jump[1] * strides[1])
        fields[spec.name] = Field(size, jump, start)
    return fields


def receptive_field(fields: Mapping[str, Field], layer: str, row: int, col: int) -> Rect:
    """The input rectangle (28x28 coordinates) that position (row, col) of ``layer`` sees."""
    return fields[layer].rect(row, col)


def upsample(cam: np.ndarray, field: Field, size: tuple[int, int] = INPUT_SHAPE[:2]) -> np.ndarray:
    """A map of a conv/pool layer -> input pixels, linearly, each position at its field's centre."""
    from scipy import ndimage

    rows = (np.arange(size[0]) - field.centre(0, 0)) / field.jump[0]
    cols = (np.arange(size[1]) - field.centre(0, 1)) / field.jump[1]
    grid = np.meshgrid(rows, cols, indexing="ij")
    return ndimage.map_coordinates(np.asarray(cam, np.float64), grid, order=1, mode="nearest")


# ---------------------------------------------------------------- kernels, masks, facts


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
class ModelFacts:
    """What the Explore view needs to know of a model, once: plain data."""

    layers: tuple[LayerFacts, ...]
    fields: dict[str, Field]
    kernels: Kernels

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)


def model_facts(model_config: Mapping, conv1: np.ndarray, conv2: np.ndarray) -> ModelFacts:
    return ModelFacts(layer_strip(model_config), receptive_fields(model_config),
                      Kernels(np.asarray(conv1, np.float32), np.asarray(conv2, np.float32)))


def channel_masks(off: Mapping[str, Iterable[int]] | None = None) -> np.ndarray:
    """(4, 64) float32 ones, with 0 for every channel switched off ({layer name: channels})."""
    masks = np.ones((len(FEATURE_LAYERS), CHANNELS), np.float32)
    for layer, channels in (off or {}).items():
        masks[FEATURE_LAYERS.index(layer), list(channels)] = 0.0
    return masks


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


def top_examples(maxima: np.ndarray, where: np.ndarray, map_widths: Iterable[int],
                 k: int = TOP_K) -> TopExamples:
    """Every channel's ``k`` most activating images (ties: the lower index first), from
    ``Engine.channel_peaks``' (maxima, flat positions) and the four layers' map widths."""
    k = min(k, len(maxima))
    order = np.argsort(-maxima, axis=0, kind="stable")[:k].T.astype(np.int32)  # (256, k)
    widths = np.repeat(np.asarray(list(map_widths)), CHANNELS)
    flat = np.take_along_axis(where.T, order, axis=1)
    position = np.stack([flat // widths[:, None], flat % widths[:, None]], axis=-1).astype(np.int16)
    return TopExamples(maxima, order, position)


def top_examples_path(model_path: str | os.PathLike, dataset: str) -> Path:
    """Where the top examples of this model file (by its SHA-256) over ``dataset`` are cached."""
    return cache_dir() / "top-examples" / f"{dataset}-{sha256_file(Path(model_path))}.npz"


def _digest(images: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(images, np.float32).tobytes()).hexdigest()


def _read_cache(path: Path, digest: str) -> TopExamples | None:
    """The cached top examples, or None: missing, damaged, or for other images or code."""
    from model.cache import read_arrays

    z = read_arrays(path) or {}
    try:
        fresh = int(z["version"]) == TOP_VERSION and str(z["images_sha256"]) == digest
        return TopExamples(z["maxima"], z["index"], z["position"]) if fresh else None
    except (KeyError, TypeError, ValueError):  # not written by this code
        return None


def cached_top_examples(engine, images: np.ndarray, progress: Progress | None = None) -> TopExamples:
    """Top examples of ``engine``'s network over ``images``: from the cache if this exact model
    file (``engine.source``) and these images were done before, otherwise computed once and
    cached."""
    if engine.source is None:  # a network with no file (the one in training) has no cache key
        raise ModelError("top examples need a model file; this network has none yet")
    path = top_examples_path(engine.source, engine.dataset)
    images = np.asarray(images, np.float32)
    digest = _digest(images)
    cached = _read_cache(path, digest)
    if cached is not None:
        if progress is not None:
            progress(len(images), len(images))
        return cached
    maxima, where = engine.channel_peaks(images, progress=progress)
    widths = [spec.output_shape[1] for spec in engine.facts.layers if spec.name in FEATURE_LAYERS]
    found = top_examples(maxima, where, widths)
    from model.cache import write_arrays

    write_arrays(path, version=TOP_VERSION, images_sha256=digest, maxima=found.maxima,
                 index=found.index, position=found.position)
    return found


def split_images(dataset: str) -> np.ndarray:
    """The (10000, 28, 28, 1) float32 test split as the network sees it (cached on disk)."""
    from model import datasets
    from model.cache import preprocessed_split

    return preprocessed_split(datasets.load(dataset), "test", log=lambda _message: None)
