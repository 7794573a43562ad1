import numpy as np
import pytest

from model.architecture import build_cnn, build_dense
from model.inference import Engine, ModelError
from model.keras_net import load_keras_model
from model.preprocess import EmptyDrawing, preprocess


@pytest.fixture(scope="module")
def cnn_file(tmp_path_factory):
    import keras

    keras.utils.set_random_seed(1)
    path = tmp_path_factory.mktemp("m") / "cnn.keras"
    build_cnn().save(path)
    return path


def test_one_call_gives_probabilities_and_four_feature_maps_matching_predict(cnn_file):
    predictor = Engine.load(cnn_file, "mnist")
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.random((28, 28, 1), dtype=np.float32)
        result = predictor.run(x)
        assert [m.shape for m in result.feature_maps] == [
            (26, 26, 64), (13, 13, 64), (11, 11, 64), (5, 5, 64)
        ]
        expected = predictor.cnn.model.predict(x[None], verbose=0)[0]
        np.testing.assert_allclose(result.probabilities, expected, atol=1e-5)
        assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        # The maps are the layers' real outputs: pool1 is the 2x2 max of conv1.
        conv1, pool1 = result.feature_maps[:2]
        np.testing.assert_allclose(pool1, conv1.reshape(13, 2, 13, 2, 64).max(axis=(1, 3)), atol=1e-6)


def test_batched_answers_equal_one_at_a_time_and_the_peaks_are_the_maps_maxima(cnn_file):
    engine = Engine.load(cnn_file, "mnist")
    images = np.random.default_rng(4).random((7, 28, 28, 1), dtype=np.float32)
    batched = engine.probabilities(images, batch=3)  # batches of 3, 3 and 1
    single = np.stack([engine.run(x).probabilities for x in images])
    np.testing.assert_allclose(batched, single, atol=1e-6)
    done = []
    maxima, where = engine.channel_peaks(images, batch=4, progress=lambda d, t: done.append((d, t)))
    assert done == [(7, 7)]  # a report every 500 images or so, and one at the end
    for i in (0, 6):
        maps = engine.run(images[i]).feature_maps
        for n, m in enumerate(maps):
            flat = m.reshape(-1, 64)
            np.testing.assert_allclose(maxima[i, n * 64:(n + 1) * 64], flat.max(axis=0), atol=1e-6)
            np.testing.assert_array_equal(flat[where[i, n * 64:(n + 1) * 64], np.arange(64)],
                                          flat.max(axis=0))


def test_a_page_goes_through_preprocess_which_reports_empty(cnn_file):
    engine = Engine.load(cnn_file, "mnist")
    page = np.full((200, 200), 255, np.uint8)
    with pytest.raises(EmptyDrawing):
        preprocess(page, "mnist")
    page[40:160, 95:105] = 0
    assert engine.run(preprocess(page, "mnist")).image.shape == (28, 28, 1)


def test_dense_comparison(cnn_file, tmp_path):
    build_dense().save(tmp_path / "dense.keras")
    predictor = Engine.load(cnn_file, "fashion", dense_path=tmp_path / "dense.keras")
    x = np.zeros((28, 28, 1), np.float32)
    x[5:20, 10:15] = 1
    dense = predictor.run_dense(x)
    np.testing.assert_allclose(dense, predictor.dense_net.model.predict(x[None], verbose=0)[0], atol=1e-5)
    assert Engine.load(cnn_file, "fashion").run_dense(x) is None


def test_missing_corrupt_and_foreign_model_files_give_one_line_errors(tmp_path, cnn_file):
    with pytest.raises(ModelError, match="no such model file"):
        load_keras_model(tmp_path / "absent.keras")
    (tmp_path / "notes.keras").write_text("not a zip")
    with pytest.raises(ModelError, match="cannot load") as info:
        load_keras_model(tmp_path / "notes.keras")
    assert "\n" not in str(info.value)
    data = cnn_file.read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="cannot load"):
        load_keras_model(tmp_path / "cut.keras")


def test_model_without_the_conv_layers_or_with_another_input_is_refused(tmp_path):
    import keras

    dense = tmp_path / "dense.keras"
    build_dense().save(dense)
    with pytest.raises(ModelError, match="conv/pool"):
        Engine.load(dense, "mnist")
    inputs = keras.Input((32, 32, 1))
    x = keras.layers.Conv2D(64, 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(64, 3, activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(128, name="dense")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="probabilities")(x)
    keras.Model(inputs, outputs).save(tmp_path / "big.keras")
    with pytest.raises(ModelError, match=r"takes \(32, 32, 1\)"):
        Engine.load(tmp_path / "big.keras", "mnist")


def test_lambda_layer_is_refused_by_safe_mode_and_never_runs(tmp_path, monkeypatch):
    import keras

    marker = tmp_path / "ran"
    monkeypatch.setenv("SKETCHSCOPE_TEST_MARKER", str(marker))
    # Code that would run a shell command: loading with safe_mode=False does create the marker.
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Lambda(
        lambda t: t * float(__import__("os").system('touch "$SKETCHSCOPE_TEST_MARKER"') == 0)
    )(inputs)
    keras.Model(inputs, outputs).save(tmp_path / "lambda.keras")
    marker.unlink()  # building the model ran the code once; loading must not
    with pytest.raises(ModelError, match="cannot load"):
        load_keras_model(tmp_path / "lambda.keras")
    assert not marker.exists()


def test_a_model_whose_outputs_are_not_probabilities_is_refused_in_one_line(tmp_path):
    import keras

    keras.utils.set_random_seed(3)
    x = np.zeros((28, 28, 1), np.float32)
    x[5:20, 10:15] = 1
    broken = build_cnn()
    broken.set_weights([np.full_like(w, np.nan) for w in broken.get_weights()])
    broken.save(tmp_path / "nan.keras")
    with pytest.raises(ModelError, match="not finite"):
        Engine.load(tmp_path / "nan.keras", "mnist").run(x)
    linear = build_cnn()
    linear.get_layer("probabilities").activation = keras.activations.linear
    inputs = keras.Input((28, 28, 1))
    outputs = inputs
    for layer in linear.layers[1:]:
        outputs = layer(outputs)
    keras.Model(inputs, outputs).save(tmp_path / "logits.keras")
    with pytest.raises(ModelError, match="not probabilities") as info:  # refused as it loads
        Engine.load(tmp_path / "logits.keras", "mnist")
    assert "\n" not in str(info.value)


def test_a_keras_zip_bomb_is_refused_before_keras_inflates_it(tmp_path, cnn_file):
    import zipfile

    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(cnn_file) as good, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in good.infolist():
            if item.filename != "config.json":
                out.writestr(item, good.read(item))
        with out.open("config.json", "w") as config:  # 300 MB of spaces: a few hundred kB packed
            chunk = b" " * 1_000_000
            for _ in range(300):
                config.write(chunk)
    assert bomb.stat().st_size < 2_000_000
    with pytest.raises(ModelError, match="refused") as info:
        load_keras_model(bomb)
    assert "\n" not in str(info.value)
