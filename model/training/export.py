"""``python main.py export``: a LiteRT ``.tflite`` beside each ``.keras``, kept in step.

The CNN is exported with the channel masks as a second input and every output the engine
reads (the four masked conv/pool maps, the dense layer, the probabilities), so the app's live
view, ablation, top examples, the test-split answers, ``predict`` and the replay timeline all
run on LiteRT; the dense network with its probabilities. Float32, not quantised: the live view
must show the seed network's own numbers. Before anything is written, every output of the
conversion is compared with Keras on ``CHECK_IMAGES`` images (the test split's first when it
is fetched, else random ones: within 1e-5, relative to the value where it is over 1); the
``.tflite`` is written atomically and the model card records
its SHA-256 and that of the ``.keras`` it came from.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from model.architecture import INPUT_SHAPE
from model.atomic import atomic_path, atomic_write_bytes
from model.datasets import sha256_file
from model.errors import ModelError
from model.litert_net import CARD_KEY, LiteCNN, LiteDense, difference, read_card, tflite_path
from model.paths import card_path

CHECK_IMAGES = 200
TOLERANCE = 1e-5


def _convert(keras_model) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
    converter.optimizations = []  # float32, exactly: no quantisation
    return converter.convert()


def _check_images(dataset: str | None) -> np.ndarray:
    if dataset is not None:
        try:
            from model import datasets
            from model.preprocess import preprocess_dataset

            return preprocess_dataset(datasets.load(dataset).x_test[:CHECK_IMAGES], dataset)
        except Exception:  # DataError above all: not fetched; random images still check the maths
            pass
    return np.random.default_rng(0).random((CHECK_IMAGES, *INPUT_SHAPE), dtype=np.float32)


def export(keras_path: str | os.PathLike, log=print) -> Path:
    """Write ``keras_path``'s ``.tflite`` and record it in its model card; return its path.

    Raises ModelError when the conversion's outputs differ from Keras's by more than 1e-5."""
    from model.keras_net import KerasCNN, load_keras_model

    keras_path = Path(keras_path)
    model = load_keras_model(keras_path)
    is_cnn = any(layer.name == "conv1" for layer in model.layers)
    card_file = card_path(keras_path)
    card = read_card(keras_path) if card_file.is_file() else {}  # before the work: a bad card stops it
    images = _check_images(card.get("dataset"))
    masks = np.ones((len(images), 4, 64), np.float32)
    if is_cnn:
        net = KerasCNN(model)
        data, expected = _convert(net.net), net.forward(images, masks)
    else:
        data, expected = _convert(model), [model(images, training=False).numpy()]
    lite = tflite_path(keras_path)
    with atomic_path(lite) as tmp:  # checked before it replaces anything
        tmp.write_bytes(data)
        got = (LiteCNN(keras_path, tmp).forward(images, masks) if is_cnn
               else [LiteDense(keras_path, tmp).forward(images)])
        worst = difference(got, expected)
        if worst > TOLERANCE:
            raise ModelError(f"{lite.name}: LiteRT differs from Keras by {worst:.2g} "
                             f"(more than {TOLERANCE:g}); nothing written")
    card[CARD_KEY] = {"file": lite.name, "sha256": sha256_file(lite),
                      "keras_sha256": sha256_file(keras_path), "float32": True,
                      "checked_images": len(images), "largest_difference": worst}
    atomic_write_bytes(card_file, (json.dumps(card, indent=2) + "\n").encode())
    log(f"wrote {lite} ({len(data) / 1e6:.2f} MB); largest difference to Keras over "
        f"{len(images)} images: {worst:.2g}")
    return lite
