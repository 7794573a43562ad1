"""Distillation: training targets that mix the labels with trained teacher models' answers.

The teachers answer for the same augmented batch the student sees, optionally for several
views of it (:data:`TEACHER_VIEWS`), averaged; their mean probabilities are ``teacher_weight``
of each target (:class:`model.training.recipes.Schedule`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model import paths
from model.keras_net import load_keras_model

# What a teacher can look at: the batch itself, its mirror image (clothing only: a mirrored 2 is
# no 2), the four one-pixel shifts, the batch turned 5 degrees either way, and its ink thickened
# by one pixel. A teacher's answer averaged over such views is better than its answer on the
# batch alone, and the student learns that better answer.
TEACHER_VIEWS = ("plain", "flip", "shifts", "rotations", "thicker")


def teacher_models(dataset: str, teacher) -> list[Path]:
    """The teacher models of a recipe: none, an arch name (that arch's shipped model), or a list
    of .keras paths whose probabilities are averaged (an ensemble distilled into one model)."""
    if not teacher:
        return []
    if isinstance(teacher, str):
        return [paths.model_path(dataset, teacher)]
    return [Path(p) for p in teacher]


def load_teachers(teacher_paths: list[Path]) -> list:
    """The teacher models, loaded (Keras safe mode, like every model)."""
    return [load_keras_model(p) for p in teacher_paths]


def mixed_targets(onehot, teacher_probs: list, mix: float, smoothing: float):
    """The training targets: the (smoothed) one-hot labels, and, with teachers, ``mix`` of the
    teachers' mean probabilities for the same augmented images. Works on NumPy and TF tensors."""
    labels = onehot * (1.0 - smoothing) + smoothing / 10.0
    if not teacher_probs:
        return labels
    return (1.0 - mix) * labels + mix * (sum(teacher_probs) / len(teacher_probs))


def _rotated(x, degrees: float):
    """``x`` (n, 28, 28, 1) turned by ``degrees`` about its centre, zeros shifted in."""
    import keras

    t = np.deg2rad(degrees)
    c, s, mid = np.cos(t), np.sin(t), 13.5
    transform = [c, -s, mid - c * mid + s * mid, s, c, mid - s * mid - c * mid, 0.0, 0.0]
    return keras.ops.image.affine_transform(x, np.array(transform, np.float32), fill_mode="constant")


def teacher_views(x, views):
    """The views of a batch ``x`` (n, 28, 28, 1) named by ``views`` (of TEACHER_VIEWS), as
    one batch: view k is rows k*n .. (k+1)*n. Works on NumPy arrays and TF tensors."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x, tf.float32)
    out = []
    for name in views:
        if name == "plain":
            out.append(x)
        elif name == "flip":
            out.append(tf.reverse(x, axis=[2]))
        elif name == "shifts":
            padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
            for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                out.append(padded[:, 1 - dy : 29 - dy, 1 - dx : 29 - dx, :])
        elif name == "rotations":
            out.extend(_rotated(x, d) for d in (-5.0, 5.0))
        elif name == "thicker":
            out.append(tf.nn.max_pool2d(x, ksize=2, strides=1, padding="SAME"))
        else:
            raise ValueError(f"unknown teacher view {name!r}; choose from {TEACHER_VIEWS}")
    return tf.concat(out, axis=0)


def view_averaged(teachers: list, x, views) -> list:
    """Each teacher's probabilities for the batch ``x``, averaged over its ``views`` (the views
    are made once and shared by the teachers)."""
    import tensorflow as tf

    if not teachers:
        return []
    batch = teacher_views(x, views)
    out = []
    for teacher in teachers:
        p = teacher(batch, training=False)
        out.append(tf.reduce_mean(tf.reshape(p, (-1, tf.shape(x)[0], p.shape[-1])), axis=0))
    return out


def targets(teachers: list, x, y, views, mix: float, smoothing: float):
    """The targets of the augmented batch ``x`` with labels ``y``: the labels, smoothed, mixed
    with the teachers' view-averaged answers (the labels alone without teachers)."""
    import tensorflow as tf

    soft = view_averaged(teachers, x, views)
    return mixed_targets(tf.one_hot(y, 10), soft, mix, smoothing)
