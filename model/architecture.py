"""The seed networks, exactly: the course CNN and the dense network it starts from."""

from __future__ import annotations

from typing import NamedTuple

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
ARCHS = ("cnn", "dense")


class LayerRow(NamedTuple):
    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int


# The seed's model.summary() table (batch dimension left out).
CNN_TABLE: tuple[LayerRow, ...] = (
    LayerRow("conv1", "Conv2D", (26, 26, 64), 640),
    LayerRow("pool1", "MaxPooling2D", (13, 13, 64), 0),
    LayerRow("conv2", "Conv2D", (11, 11, 64), 36_928),
    LayerRow("pool2", "MaxPooling2D", (5, 5, 64), 0),
    LayerRow("flatten", "Flatten", (1600,), 0),
    LayerRow("dense", "Dense", (128,), 204_928),
    LayerRow("probabilities", "Dense", (10,), 1_290),
)
CNN_PARAMS = 243_786
DENSE_PARAMS = 101_770
# The layers whose feature maps the app shows, CHANNELS maps each.
FEATURE_LAYERS = ("conv1", "pool1", "conv2", "pool2")
CHANNELS = 64


def build_cnn():
    """Conv2D(64,3x3,relu) -> MaxPool(2) -> Conv2D(64,3x3,relu) -> MaxPool(2) -> Flatten ->
    Dense(128,relu) -> Dense(10,softmax)."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = layers.Conv2D(CHANNELS, (3, 3), activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D((2, 2), name="pool1")(x)
    x = layers.Conv2D(CHANNELS, (3, 3), activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D((2, 2), name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="dense")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="sketchscope_cnn")


def build_dense():
    """Flatten -> Dense(128,relu) -> Dense(10,softmax): the seed's first network."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = layers.Flatten(name="flatten")(inputs)
    x = layers.Dense(128, activation="relu", name="dense")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="sketchscope_dense")


def build(arch: str):
    if arch == "cnn":
        return build_cnn()
    if arch == "dense":
        return build_dense()
    raise ValueError(f"unknown architecture {arch!r}; choose one of: {', '.join(ARCHS)}")

