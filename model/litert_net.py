"""The engine's arithmetic on LiteRT, TensorFlow's runtime for trained models in applications.

``python main.py export`` writes a ``.tflite`` beside each ``.keras``: float32, not quantised,
holding every output the engine needs (the CNN's four masked maps, its dense layer and its
probabilities; the dense network's probabilities), and records in the model card the SHA-256
of the ``.keras`` it came from. Here the pair is checked to be in step and the ``.tflite`` run
with LiteRT's interpreter: milliseconds to load, a fraction of a millisecond per drawing, and
no TensorFlow in the process. The layers' configuration (for the facts the Explore view shows)
is read from the ``.keras`` file's ``config.json``, the trained kernels from the ``.tflite``.

An interpreter is not thread-safe: each engine owns its own, and each thread asks its own engine.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from model.architecture import CHANNELS, FEATURE_LAYERS, INPUT_SHAPE, NUM_CLASSES
from model.errors import ModelError, one_line
from model.keras_archive import read_config
from model.regular_file import read_regular_file
from model.stderr import muted_stderr

CNN_OUTPUTS = ((26, 26, 64), (13, 13, 64), (11, 11, 64), (5, 5, 64), (128,), (NUM_CLASSES,))
CARD_KEY = "litert"
MAX_CARD_BYTES = 10_000_000  # a model card is a few kB, with its earlier stages' cards nested


def difference(got: list[np.ndarray], expected: list[np.ndarray]) -> float:
    """The largest difference between two networks' outputs, relative to the value where it is
    over 1 (float32 sums of 1,600 terms that reach 14 agree to about 1e-6 of their size)."""
    return max(float((np.abs(a - b) / np.maximum(1.0, np.abs(b))).max())
               for a, b in zip(got, expected, strict=True))


def tflite_path(keras_path: str | os.PathLike) -> Path:
    return Path(keras_path).with_suffix(".tflite")


def _sha256(path: Path) -> str:
    from model.datasets import sha256_file

    return sha256_file(path)


def read_card(keras_path: Path) -> dict:
    from model.paths import card_path

    name = card_path(keras_path).name
    try:
        card = json.loads(read_regular_file(card_path(keras_path), MAX_CARD_BYTES).decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise ModelError(f"{name}: cannot read the model card ({one_line(exc)})") from None
    if not isinstance(card, dict):
        raise ModelError(f"{name}: the model card is not a JSON object")
    return card


def check_in_step(keras_path: str | os.PathLike) -> Path:
    """The ``.tflite`` exported from ``keras_path``, checked against the model card: ModelError
    (one line, naming the command that mends it) when it is missing or out of step."""
    keras_path = Path(keras_path)
    lite = tflite_path(keras_path)
    fix = "run python main.py export"
    if not lite.is_file():
        raise ModelError(f"{lite.name}: no LiteRT export beside {keras_path.name} ({fix})")
    record = read_card(keras_path).get(CARD_KEY)
    if not isinstance(record, dict):
        raise ModelError(f"{lite.name}: the model card does not record it ({fix})")
    if record.get("keras_sha256") != _sha256(keras_path):
        raise ModelError(f"{lite.name} was exported from another {keras_path.name} ({fix})")
    if record.get("sha256") != _sha256(lite):
        raise ModelError(f"{lite.name} is not the file the model card records ({fix})")
    return lite


def _interpreter(path: Path):
    from ai_edge_litert.interpreter import Interpreter

    try:
        with muted_stderr():
            interpreter = Interpreter(model_path=str(path), num_threads=1)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(f"{path.name}: not a LiteRT model ({one_line(exc, 160)})") from None
    return interpreter


def _shape(detail) -> tuple[int, ...]:
    return tuple(int(d) for d in detail["shape_signature"][1:])


class _Runner:
    """One interpreter with named inputs and ordered outputs; resized to each batch's size."""

    def __init__(self, path: Path, inputs: dict[str, tuple[int, ...]],
                 outputs: tuple[tuple[int, ...], ...]):
        self.interpreter = _interpreter(path)
        details = self.interpreter.get_input_details()
        found = {d["name"]: d for d in details}
        self.inputs = {}
        for name, shape in inputs.items():
            match = [d for key, d in found.items() if key.endswith(f"_{name}:0") or key == name]
            if len(match) != 1 or _shape(match[0]) != shape:
                raise ModelError(f"{path.name}: its inputs are not the Sketchscope network's "
                                 f"(expected {name} {shape})")
            self.inputs[name] = match[0]["index"]
        ordered = sorted(self.interpreter.get_output_details(), key=_output_order)
        if tuple(_shape(d) for d in ordered) != outputs:
            raise ModelError(f"{path.name}: its outputs are not the Sketchscope network's "
                             f"({[_shape(d) for d in ordered]} instead of {list(outputs)})")
        self.outputs = [d["index"] for d in ordered]
        self._batch = 1

    def run(self, **arrays: np.ndarray) -> list[np.ndarray]:
        n = len(next(iter(arrays.values())))
        if n != self._batch:
            for name, array in arrays.items():
                self.interpreter.resize_tensor_input(self.inputs[name], array.shape)
            with muted_stderr():
                self.interpreter.allocate_tensors()
            self._batch = n
        for name, array in arrays.items():
            self.interpreter.set_tensor(self.inputs[name], np.ascontiguousarray(array, np.float32))
        self.interpreter.invoke()
        return [self.interpreter.get_tensor(i) for i in self.outputs]  # copies: safe to keep


def _output_order(detail) -> int:
    """The converter names outputs "...:k" in the order the model returns them."""
    match = re.search(r":(\d+)$", detail["name"])
    return int(match.group(1)) if match else 0


class LiteCNN:
    """An exported CNN: forward passes with channel masks. Gradients (saliency) are Keras's.

    Batched questions go 8 images at a time: measured on 10,000 test images, LiteRT takes 1.8 s
    at 8 a pass and 3.7 s at 500 (large batches' maps no longer fit the cache).

    ``lite`` is the ``.tflite`` to run; by default the one beside ``keras_path``, checked to be
    in step with it."""

    batch = 8
    backend = "litert"

    def __init__(self, keras_path: str | os.PathLike, lite: Path | None = None):
        keras_path = Path(keras_path)
        lite = lite or check_in_step(keras_path)
        self.config = read_config(keras_path)
        self._runner = _Runner(lite, {"image": INPUT_SHAPE,
                                      "channel_masks": (len(FEATURE_LAYERS), CHANNELS)}, CNN_OUTPUTS)
        self.conv1, self.conv2 = (self._kernel(lite, name) for name in ("conv1", "conv2"))

    def _kernel(self, lite: Path, layer: str) -> np.ndarray:
        """A conv layer's trained kernel, (kh, kw, in, out) as Keras keeps it (LiteRT: out first)."""
        pattern = re.compile(rf"^[^;]*/{layer}(_\d+)?/convolution$")  # the weights, not the activation
        found = [d for d in self._runner.interpreter.get_tensor_details() if pattern.search(d["name"])]
        if len(found) != 1:
            raise ModelError(f"{lite.name}: cannot find the {layer} kernel")
        kernel = self._runner.interpreter.get_tensor(found[0]["index"])
        return np.ascontiguousarray(kernel.transpose(1, 2, 3, 0))

    def forward(self, images: np.ndarray, masks: np.ndarray) -> list[np.ndarray]:
        """(n, 28, 28, 1) images and (n, 4, 64) masks -> [four maps, dense, probabilities]."""
        return self._runner.run(image=images, channel_masks=masks)


class LiteDense:
    """An exported dense comparison network."""

    def __init__(self, keras_path: str | os.PathLike, lite: Path | None = None):
        lite = lite or check_in_step(keras_path)
        self._runner = _Runner(lite, {"image": INPUT_SHAPE}, ((NUM_CLASSES,),))

    def forward(self, images: np.ndarray) -> np.ndarray:
        return self._runner.run(image=images)[0]
