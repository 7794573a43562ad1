"""Training: data through ``preprocess``, pluggable augmentation, a cosine schedule, an atomic save.

What each model trains with, stage by stage, is :mod:`model.training.recipes`; teachers and
their views are :mod:`model.training.distill`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from model import datasets, paths
from model.atomic import atomic_path, atomic_write_bytes
from model.cache import preprocessed_split
from model.keras_net import load_keras_model, quiet_tensorflow
from model.litert_net import read_card
from model.training import augment, distill
from model.training.export import export
from model.training.recipes import RECIPES, Recipe, SketchSet, warm_cosine


@dataclass(frozen=True)
class TrainResult:
    path: Path
    card: dict


@dataclass(frozen=True)
class TrainingData:
    """What a run trains on: the preprocessed training images, then the sketch sets."""

    x: np.ndarray  # float32 (n, 28, 28, 1)
    y: np.ndarray  # int64 (n,)
    originals: int  # the first ``originals`` are the training split's own images


def train(
    dataset: str,
    arch: str = "cnn",
    *,
    out: str | Path,
    epochs: int | None = None,
    seed: int = 0,
    limit: int | None = None,
    recipe: Recipe | None = None,
    init: str | Path | None = None,
    verbose: int = 1,
    log=print,
) -> TrainResult:
    """Train ``arch`` on ``dataset`` and write ``out`` (.keras) plus its JSON model card.

    ``out`` has no default: the shipped models are written only when a caller names them.
    ``epochs`` (None: the recipe's) and ``limit`` are at least 1; ``limit`` trains on the first
    ``limit`` training images (tests use small slices); the test accuracy in the card is always
    measured on the full 10,000-image test split. ``init`` starts from a trained model's
    weights instead of fresh ones (a later stage).
    """
    recipe = recipe or RECIPES[dataset][arch]
    epochs = recipe.schedule.epochs if epochs is None else epochs
    out = Path(out)
    if out.suffix != ".keras":
        raise ValueError(f"--out must end in .keras, not {out.name!r}")
    for name, value in (("epochs", epochs), ("limit", limit)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    init_card = _init_card(init)  # before hours of training: a bad card then would lose the run
    quiet_tensorflow()
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    ds = datasets.load(dataset)
    if limit is not None:
        recipe = limited(recipe, limit)
    data = training_data(ds, recipe, seed, limit, log)
    log(f"training {arch} on {len(data.x)} images ({data.originals} {dataset} + sketches), {epochs} epochs")

    steps = epochs * int(np.ceil(len(data.x) / recipe.schedule.batch_size))
    model = compiled_model(arch, init, recipe.schedule.learning_rate, steps, log)
    teacher_paths = distill.teacher_models(dataset, recipe.teacher)
    teachers = distill.load_teachers(teacher_paths)
    started = time.time()
    model.fit(pipeline(data, recipe, teachers, seed), epochs=epochs, verbose=verbose, shuffle=False)
    seconds = time.time() - started
    accuracy = accuracy_on_test_split(model, ds, log)

    card = model_card(ds, arch, epochs, seed, recipe, data, teacher_paths, init, accuracy, seconds)
    card["init_card"] = init_card
    with atomic_path(out) as tmp:
        model.save(tmp)
    atomic_write_bytes(paths.card_path(out), (json.dumps(card, indent=2) + "\n").encode())
    log(f"wrote {out} and {paths.card_path(out).name}")
    export(out, log)  # the app runs the .tflite: it must never lag behind the .keras
    return TrainResult(out, read_card(out))


def limited(recipe: Recipe, limit: int) -> Recipe:
    """The recipe for a run on ``limit`` training images: each sketch set at most half that."""
    sketches = tuple(SketchSet(s.kind, min(s.count, limit // 2)) for s in recipe.sketches)
    return replace(recipe, sketches=sketches)


def training_data(
    ds: datasets.Dataset, recipe: Recipe, seed: int, limit: int | None, log=print
) -> TrainingData:
    """The preprocessed training split (its first ``limit`` images), then the recipe's sketch
    sets (drawn from those images), each cut to the schedule's ``sketch_fraction``."""
    x_train = preprocessed_split(ds, "train", log)
    y_train = ds.y_train.astype(np.int64)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    parts_x, parts_y = [x_train], [y_train]
    fraction = recipe.schedule.sketch_fraction
    for part in recipe.sketches:
        sx, sy = augment.sketch_set(part, ds.name, ds.x_train[: len(x_train)], ds.y_train, seed, log)
        if fraction < 1.0:  # a random share of the cached set
            keep = np.random.default_rng(seed).permutation(len(sx))[: int(len(sx) * fraction)]
            sx, sy = sx[keep], sy[keep]
        parts_x.append(sx)
        parts_y.append(sy.astype(np.int64))
    return TrainingData(np.concatenate(parts_x), np.concatenate(parts_y), len(x_train))


def compiled_model(arch: str, init: str | Path | None, learning_rate: float, steps: int, log=print):
    """A fresh ``arch`` network, or the trained model ``init``, compiled for ``steps`` steps:
    AdamW with weight decay and weight EMA, a warm-up over the first 5% then a cosine decay."""
    import keras

    from model.architecture import build

    model = load_keras_model(init) if init else build(arch)
    model.summary(print_fn=log)
    optimizer = keras.optimizers.AdamW(learning_rate=warm_cosine(learning_rate, steps),
                                       weight_decay=1e-4, use_ema=True)
    model.compile(
        optimizer=optimizer,
        loss="categorical_crossentropy",
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
    )
    return model


def pipeline(data: TrainingData, recipe: Recipe, teachers: list, seed: int):
    """The ``tf.data`` pipeline of one run: shuffled batches through the online parts, each with
    its targets (the labels, smoothed, and with teachers their answers on the augmented batch)."""
    import tensorflow as tf

    schedule = recipe.schedule
    layers = augment.online_layers(recipe, seed)

    def batch_pair(x, y):
        x = augment.apply_online(layers, x)
        return x, distill.targets(teachers, x, y, schedule.teacher_views,
                                  float(schedule.teacher_weight), float(schedule.label_smoothing))

    return (
        tf.data.Dataset.from_tensor_slices((data.x, data.y))
        .shuffle(len(data.x), seed=seed, reshuffle_each_iteration=True)
        .batch(schedule.batch_size)
        .map(batch_pair, num_parallel_calls=1)
        .prefetch(2)
    )


def accuracy_on_test_split(model, ds: datasets.Dataset, log=print) -> float:
    """The model's accuracy on the full preprocessed test split of ``ds``."""
    x_test = preprocessed_split(ds, "test", log)
    predicted = model.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1)
    accuracy = float((predicted == ds.y_test.astype(np.int64)).mean())
    log(f"test accuracy on the full {ds.name} test split: {accuracy:.4f}")
    return accuracy


def _init_card(init: str | Path | None) -> dict | None:
    """The model card of the model a run starts from, if it has one (ModelError, one line, when
    it cannot be read)."""
    if not init or not paths.card_path(Path(init)).is_file():
        return None
    return read_card(Path(init))


def model_card(
    ds: datasets.Dataset,
    arch: str,
    epochs: int,
    seed: int,
    recipe: Recipe,
    data: TrainingData,
    teacher_paths: list[Path],
    init: str | Path | None,
    accuracy: float,
    seconds: float,
) -> dict:
    """The JSON model card written beside the weights: data, recipe, versions and result."""
    import keras
    import tensorflow as tf

    schedule = recipe.schedule
    return {
        "dataset": ds.name,
        "arch": arch,
        "epochs": epochs,
        "seed": seed,
        "train_images": int(data.originals),
        "sketch_images": int(len(data.x) - data.originals),
        "augmentation": list(recipe.online) + [f"{s.kind}x{s.count}" for s in recipe.sketches],
        "teacher": [str(p) for p in teacher_paths] or None,
        "teacher_weight": float(schedule.teacher_weight) if teacher_paths else None,
        "teacher_views": list(schedule.teacher_views) if teacher_paths else None,
        "sketch_fraction": float(schedule.sketch_fraction),
        "label_smoothing": float(schedule.label_smoothing),
        "learning_rate": float(schedule.learning_rate),
        "init": str(init) if init else None,
        "init_card": None,  # the card of ``init``, read before training
        "test_accuracy": round(float(accuracy), 5),
        "train_seconds": round(seconds, 1),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "data_sha256": ds.sha256,
    }
