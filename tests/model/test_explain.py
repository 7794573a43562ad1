"""model/explain.py: the layer strip, receptive fields, ablation, saliency and top examples."""

import subprocess
import sys

import numpy as np
import pytest

from model import explain
from model.architecture import CNN_PARAMS, CNN_TABLE, FEATURE_LAYERS, build_cnn
from model.datasets import sha256_file
from model.inference import SALIENCY_METHODS, Engine
from model.keras_net import KerasCNN

RNG = np.random.default_rng(7)


@pytest.fixture(scope="module")
def cnn():
    import keras

    keras.utils.set_random_seed(3)
    return build_cnn()


@pytest.fixture(scope="module")
def explainer(cnn):
    """The engine on this network: ablation, saliency and the facts are its answers."""
    return Engine(KerasCNN(cnn), "mnist")


@pytest.fixture(scope="module")
def digit():
    """A stroke-like image: a bar and a diagonal, bright ink on black as the network sees it."""
    image = np.zeros((28, 28, 1), np.float32)
    image[5:23, 13:16] = 1.0
    for i in range(14):
        image[5 + i, 8 + i // 2] = 0.8
    return image


def variant(kernel=5, pool=3, padding="valid"):
    """A CNN with other kernel sizes: the facts must follow the layers, not a typed-in table."""
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1), name="image")
    x = layers.Conv2D(8, kernel, padding=padding, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(pool, name="pool1")(x)
    x = layers.Conv2D(8, 3, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs)


def test_importing_explain_loads_neither_qt_nor_tensorflow():
    code = ("import sys, model.explain; "
            "bad = [m for m in ('PySide6', 'tensorflow', 'keras') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_strip_is_the_summary_table_with_reasons_from_the_layers(cnn):
    strip = explain.layer_strip(cnn.get_config())
    assert [(f.name, f.kind, f.output_shape, f.params) for f in strip] == [tuple(r) for r in CNN_TABLE]
    assert sum(f.params for f in strip) == CNN_PARAMS == 243_786
    reasons = {f.name: f.reason for f in strip}
    assert "3x3 filter without padding loses a 1-pixel margin: 28 -> 26" in reasons["conv1"]
    assert "2x2 max-pool keeps the largest of every 4 pixels: 26 -> 13" in reasons["pool1"]
    assert "rounds down" not in reasons["pool1"]
    assert "13 -> 11" in reasons["conv2"]
    assert "11 -> 5 (rounds down" in reasons["pool2"]
    assert reasons["flatten"] == "5 x 5 x 64 = 1,600 values flattened"
    assert "1,600 inputs" in reasons["dense"] and "softmax" in reasons["probabilities"]
    assert [f.has_maps for f in strip] == [True] * 4 + [False] * 3


def test_reasons_and_fields_follow_other_kernel_sizes():
    strip = {f.name: f.reason for f in explain.layer_strip(variant(kernel=5, pool=3).get_config())}
    assert "5x5 filter without padding loses a 2-pixel margin: 28 -> 24" in strip["conv1"]
    assert "3x3 max-pool keeps the largest of every 9 pixels: 24 -> 8" in strip["pool1"]
    assert "8 x 8" not in strip["flatten"] and strip["flatten"].startswith("3 x 3 x 8 = 72")
    same = {f.name: f.reason
            for f in explain.layer_strip(variant(kernel=3, pool=2, padding="same").get_config())}
    assert "zero padding keeps the size: 28 -> 28" in same["conv1"]
    fields = explain.receptive_fields(variant(kernel=5, pool=3).get_config())
    assert [fields[n].size for n in FEATURE_LAYERS] == [(5, 5), (7, 7), (13, 13), (16, 16)]
    padded = explain.receptive_fields(variant(kernel=3, pool=2, padding="same").get_config())
    assert padded["conv1"].start == (-1, -1)
    assert explain.receptive_field(padded, "conv1", 0, 0) == explain.Rect(0, 0, 2, 2)


def test_receptive_fields_of_the_seed_network(cnn):
    fields = explain.receptive_fields(cnn.get_config())
    assert list(fields) == list(FEATURE_LAYERS)
    assert [fields[n].size[0] for n in FEATURE_LAYERS] == [3, 4, 8, 10]
    assert [fields[n].jump[0] for n in FEATURE_LAYERS] == [1, 2, 2, 4]
    assert explain.receptive_field(fields, "conv1", 25, 25) == explain.Rect(25, 25, 28, 28)
    assert explain.receptive_field(fields, "pool1", 2, 3) == explain.Rect(4, 6, 8, 10)
    assert explain.receptive_field(fields, "conv2", 10, 0) == explain.Rect(20, 0, 28, 8)
    assert explain.receptive_field(fields, "pool2", 4, 4) == explain.Rect(16, 16, 26, 26)


@pytest.mark.parametrize("layer, row, col", [("conv1", 7, 11), ("pool1", 5, 2), ("conv2", 4, 9),
                                             ("pool2", 2, 3)])
def test_pixels_outside_the_field_do_not_change_the_position_and_inside_they_do(explainer, layer, row, col):
    index = FEATURE_LAYERS.index(layer)
    rect = explain.receptive_field(explainer.facts.fields, layer, row, col)
    base = RNG.random((28, 28, 1), dtype=np.float32)
    before = explainer.run(base).feature_maps[index][row, col]
    outside = RNG.random((28, 28, 1), dtype=np.float32)
    outside[rect.top:rect.bottom, rect.left:rect.right] = base[rect.top:rect.bottom, rect.left:rect.right]
    np.testing.assert_allclose(explainer.run(outside).feature_maps[index][row, col], before, atol=1e-6)
    inside = base.copy()
    inside[rect.top:rect.bottom, rect.left:rect.right] = RNG.random((rect.height, rect.width, 1))
    assert np.abs(explainer.run(inside).feature_maps[index][row, col] - before).max() > 1e-4


def test_without_masks_the_engine_is_the_trained_keras_model(cnn, explainer, digit):
    import keras

    inner = keras.Model(cnn.inputs, [cnn.get_layer(n).output for n in (*FEATURE_LAYERS, "dense")]
                        + [cnn.output])
    *maps, dense, probs = (t.numpy()[0] for t in inner(digit[None], training=False))
    got = explainer.run(digit)
    np.testing.assert_allclose(got.probabilities, probs, atol=1e-6)
    np.testing.assert_allclose(got.dense, dense, atol=1e-5)
    for a, b in zip(got.feature_maps, maps, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def zeroed_copy(cnn, channels_by_layer):
    """A Keras copy of ``cnn`` whose conv kernel and bias are zero for the given channels."""
    import keras

    copy = keras.models.clone_model(cnn)
    copy.set_weights(cnn.get_weights())
    for layer, channels in channels_by_layer.items():
        kernel, bias = copy.get_layer(layer).get_weights()
        kernel[..., channels] = 0.0
        bias[channels] = 0.0
        copy.get_layer(layer).set_weights([kernel, bias])
    return copy


@pytest.mark.parametrize("off", [{"conv1": [5]}, {"conv2": [0, 17, 63]}, {"conv1": [1, 2], "conv2": [40]}])
def test_ablation_equals_a_keras_model_with_those_channels_zeroed(cnn, explainer, digit, off):
    weights = [w.copy() for w in cnn.get_weights()]
    copy = zeroed_copy(cnn, off)
    ablated = explainer.run(digit, explain.channel_masks(off)).probabilities
    np.testing.assert_allclose(ablated, copy(digit[None], training=False).numpy()[0], atol=1e-5)
    # ... and it is not simply the unablated answer; the trained model is left as it was.
    many = {"conv2": list(range(0, 64, 2))}
    assert np.abs(explainer.run(digit, explain.channel_masks(many)).probabilities
                  - explainer.run(digit).probabilities).max() > 1e-4
    for before, after in zip(weights, cnn.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_switching_off_a_pool_channel_zeroes_its_map_and_matches_the_conv_below(explainer, digit):
    pool = explainer.run(digit, explain.channel_masks({"pool1": [9]}))
    conv = explainer.run(digit, explain.channel_masks({"conv1": [9]}))
    assert not pool.feature_maps[1][..., 9].any()
    assert pool.feature_maps[0][..., 9].any()  # the conv map above the pool is still there
    np.testing.assert_allclose(pool.probabilities, conv.probabilities, atol=1e-6)


def test_saliency_maps_are_28x28_in_unit_range_and_explain_the_top_class(cnn, explainer, digit):
    import keras
    import tensorflow as tf

    result = explainer.explain(digit)
    assert result.target == int(np.argmax(result.prediction.probabilities))
    for method in SALIENCY_METHODS:
        saliency = result.saliency(method)
        assert saliency.shape == (28, 28) and saliency.min() >= 0 and saliency.max() == pytest.approx(1)
    # The input gradient, computed independently in eager mode on the original model's logits.
    logits_model = keras.Model(cnn.inputs, cnn.get_layer("dense").output)
    head = cnn.get_layer("probabilities")
    x = tf.constant(digit[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = (logits_model(x) @ head.kernel + head.bias)[0, result.target]
    gradient = np.abs(tape.gradient(score, x).numpy()[0, :, :, 0])
    np.testing.assert_allclose(result.gradient, gradient / gradient.max(), atol=1e-5)
    with pytest.raises(ValueError, match="unknown saliency"):
        result.saliency("lime")


def test_gradcam_is_the_weighted_conv2_maps_brought_to_input_pixels(cnn, explainer, digit):
    import keras
    import tensorflow as tf

    result = explainer.explain(digit)
    # Independently, in eager mode: conv2's maps weighted by the mean gradient of the score.
    inner = keras.Model(cnn.inputs, [cnn.get_layer("conv2").output, cnn.get_layer("dense").output])
    head = cnn.get_layer("probabilities")
    with tf.GradientTape() as tape:
        conv2, hidden = inner(tf.constant(digit[None]))
        score = (hidden @ head.kernel + head.bias)[0, result.target]
    weights = tape.gradient(score, conv2).numpy()[0].mean(axis=(0, 1))
    cam = np.maximum((conv2.numpy()[0] * weights).sum(axis=-1), 0)
    assert cam.max() > 0
    up = explain.upsample(cam, explainer.facts.fields["conv2"])
    np.testing.assert_allclose(result.gradcam, up / up.max(), atol=1e-5)
    # Grad-CAM vanishes where conv2 has nothing: switch conv2 off entirely.
    silent = explainer.explain(digit, explain.channel_masks({"conv2": range(64)}))
    assert not silent.gradcam.any()


def test_upsampling_puts_a_position_at_its_field_centre(explainer):
    cam = np.zeros((11, 11), np.float32)
    cam[3, 7] = 1.0  # conv2 (3, 7) sees rows 6..13, columns 14..21: centre (9.5, 17.5)
    up = explain.upsample(cam, explainer.facts.fields["conv2"])
    assert up.shape == (28, 28)
    np.testing.assert_allclose(up[9:11, 17:19], 0.75 * 0.75)
    assert up[9:11, 17:19].min() == up.max()
    assert up[:5].max() == 0 and up[:, :13].max() == 0


def test_kernels_are_the_trained_weights(cnn, explainer):
    conv1 = cnn.get_layer("conv1").get_weights()[0]
    conv2 = cnn.get_layer("conv2").get_weights()[0]
    first = explainer.facts.kernels.first_layer()
    assert first.shape == (64, 3, 3)
    np.testing.assert_array_equal(first[12], conv1[:, :, 0, 12])
    inputs = explainer.facts.kernels.inputs_of(30)
    assert inputs.shape == (64, 3, 3)
    np.testing.assert_array_equal(inputs[5], conv2[:, :, 5, 30])


@pytest.fixture(scope="module")
def images():
    images = RNG.random((240, 28, 28, 1), dtype=np.float32) * 0.3
    images[17, 10:14, 20:24] = 1.0  # one image with a bright patch near the right edge
    return images


def test_top_examples_are_the_most_activating_images_with_their_peak(cnn, explainer, images):
    maxima, where = explainer.channel_peaks(images)
    found = explain.top_examples(maxima, where, (26, 13, 11, 5), k=5)
    assert found.maxima.shape == (240, 256) and found.index.shape == (256, 5)
    maps = [explainer.run(images[i]).feature_maps for i in range(0, 240, 40)]
    for n in range(len(FEATURE_LAYERS)):
        brute = np.array([m[n].max(axis=(0, 1)) for m in maps])
        np.testing.assert_allclose(found.maxima[::40, n * 64:(n + 1) * 64], brute, rtol=1e-5, atol=1e-6)
    for layer, channel in [("conv1", 3), ("conv2", 50), ("pool2", 8)]:
        top = found.top(layer, channel, k=3)
        column = found.maxima[:, explain.TopExamples.column(layer, channel)]
        assert [t.index for t in top] == list(np.argsort(-column, kind="stable")[:3])
        best = explainer.run(images[top[0].index]).feature_maps[FEATURE_LAYERS.index(layer)][..., channel]
        assert best[top[0].row, top[0].col] == pytest.approx(best.max()) == pytest.approx(top[0].value)


def test_top_examples_are_cached_by_model_file_and_recomputed_when_it_changes(
        cnn, images, tmp_path, monkeypatch):
    import keras

    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path / "cache"))
    model_file = tmp_path / "cnn.keras"
    cnn.save(model_file)
    engine = Engine.load(model_file, "mnist")
    progress = []
    first = explain.cached_top_examples(engine, images, progress=lambda d, t: progress.append(d))
    path = explain.top_examples_path(model_file, "mnist")
    assert path.parent == tmp_path / "cache" / "top-examples"
    assert sha256_file(model_file) in path.name and path.is_file()
    assert progress == [240]  # one batch of 240: 500 images per batch

    def boom(*args, **kwargs):
        raise AssertionError("computed again although cached")

    monkeypatch.setattr(explain, "top_examples", boom)
    again = explain.cached_top_examples(engine, images)
    np.testing.assert_array_equal(again.index, first.index)
    with pytest.raises(AssertionError, match="computed again"):  # other images: not the same cache
        explain.cached_top_examples(engine, images[:100])
    monkeypatch.undo()
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path / "cache"))

    keras.utils.set_random_seed(99)
    other = build_cnn()
    other.save(model_file)  # a retrained model: a new key, computed afresh
    engine = Engine.load(model_file, "mnist")
    changed = explain.cached_top_examples(engine, images)
    assert explain.top_examples_path(model_file, "mnist") != path
    assert not np.array_equal(changed.maxima, first.maxima)
    for torn in (b"torn", b"", b"PK\x03\x04 not a zip"):  # corrupt, empty, a broken archive
        explain.top_examples_path(model_file, "mnist").write_bytes(torn)
        np.testing.assert_array_equal(explain.cached_top_examples(engine, images).maxima,
                                      changed.maxima)


def test_a_network_without_a_file_has_no_cached_top_examples_and_says_so(explainer, images):
    from model.errors import ModelError

    assert explainer.source is None
    with pytest.raises(ModelError, match="need a model file"):
        explain.cached_top_examples(explainer, images)


def test_channel_masks_mark_switched_off_channels():
    masks = explain.channel_masks({"pool1": [0, 63], "conv2": range(3)})
    assert masks.shape == (4, 64) and masks.dtype == np.float32
    assert masks.sum() == 256 - 5
    assert masks[1, 0] == masks[1, 63] == masks[2, 2] == 0 and masks[2, 3] == 1


def test_the_facts_read_from_a_keras_files_config_without_tensorflow_match_keras(cnn, tmp_path):
    import json
    import zipfile

    cnn.save(tmp_path / "cnn.keras")
    with zipfile.ZipFile(tmp_path / "cnn.keras") as archive:
        stored = json.loads(archive.read("config.json"))
    assert explain.layer_strip(stored) == explain.layer_strip(cnn.get_config())
    assert explain.receptive_fields(stored) == explain.receptive_fields(cnn.get_config())
    assert [(f.name, f.params) for f in explain.layer_strip(stored)] == [
        (layer.name, layer.count_params()) for layer in cnn.layers[1:]]


def test_a_layer_sketchscope_does_not_know_is_a_one_line_model_error(cnn):
    config = cnn.get_config()
    config["layers"][2] = {**config["layers"][2], "class_name": "Conv3D"}
    with pytest.raises(explain.ModelError, match="Conv3D"):
        explain.layer_strip(config)
    with pytest.raises(explain.ModelError, match="not a chain"):
        explain.layer_strip({"layers": []})
