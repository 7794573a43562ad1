"""The live path on LiteRT: the exported .tflite files are in step with their .keras, give the
same numbers, and every bad file is a one-line error."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from model import datasets
from model.architecture import build_cnn, build_dense
from model.datasets import sha256_file
from model.errors import ModelError
from model.explain import channel_masks
from model.inference import Engine
from model.litert_net import CARD_KEY, LiteCNN, check_in_step, difference, tflite_path
from model.paths import card_path, model_path
from model.preprocess import preprocess_dataset

SHIPPED = [(d, a) for d in ("mnist", "fashion") for a in ("cnn", "dense")]


@pytest.mark.parametrize("dataset, arch", SHIPPED)
def test_every_shipped_model_has_its_export_in_step(dataset, arch):
    keras_file = model_path(dataset, arch)
    card = json.loads(card_path(keras_file).read_text())
    record = card[CARD_KEY]
    assert record["keras_sha256"] == sha256_file(keras_file), "re-run python main.py export"
    assert record["sha256"] == sha256_file(tflite_path(keras_file))
    assert check_in_step(keras_file) == tflite_path(keras_file)


def _test_images(dataset: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        ds = datasets.load(dataset)
    except datasets.DataError as exc:
        pytest.fail(f"the data set is needed ({exc})")
    return preprocess_dataset(ds.x_test[:n], dataset), ds.y_test[:n]


@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
def test_litert_gives_every_output_of_keras_on_200_test_images(dataset):
    from model.keras_net import KerasCNN, KerasDense

    images, _ = _test_images(dataset, 200)
    masks = np.ones((200, 4, 64), np.float32)
    lite = Engine.load(model_path(dataset, "cnn"), dataset, model_path(dataset, "dense"))
    assert lite.backend == "litert"
    keras = KerasCNN.load(model_path(dataset, "cnn"))
    got, want = lite.cnn.forward(images, masks), keras.forward(images, masks)
    assert [g.shape for g in got] == [w.shape for w in want]
    assert difference(got, want) <= 1e-5  # within 1e-5, relative to the value where it is over 1
    assert np.abs(got[-1] - want[-1]).max() <= 1e-5  # the probabilities themselves
    dense = KerasDense.load(model_path(dataset, "dense"))
    assert np.abs(lite.dense_net.forward(images) - dense.forward(images)).max() <= 1e-5
    # Ablation: the masks are an input of the exported model.
    off = np.broadcast_to(channel_masks({"conv1": [3, 9], "pool2": [0]}), (200, 4, 64)).copy()
    assert difference(lite.cnn.forward(images, off), keras.forward(images, off)) <= 1e-5


@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
def test_litert_and_tensorflow_give_the_same_label_for_every_test_image(dataset):
    from model.keras_net import load_keras_model

    images, _ = _test_images(dataset, 10_000)
    lite = Engine.load(model_path(dataset, "cnn"), dataset).probabilities(images)
    keras = load_keras_model(model_path(dataset, "cnn")).predict(images, batch_size=1000, verbose=0)
    assert (lite.argmax(axis=1) == keras.argmax(axis=1)).all()


def test_the_live_engine_never_imports_tensorflow_until_saliency():
    code = """
import sys, numpy as np
from model.inference import Engine
from model.paths import model_path
e = Engine.load(model_path("fashion", "cnn"), "fashion", model_path("fashion", "dense"))
x = np.zeros((28, 28, 1), np.float32); x[5:20, 8:20] = 1
e.run(x); e.run_dense(x); e.probabilities(np.stack([x] * 3)); e.channel_peaks(np.stack([x] * 3)); e.facts
print(e.backend, "tensorflow" in sys.modules)
e.explain(x)
print("tensorflow" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.split() == ["litert", "False", "True"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """An untrained CNN and dense network, exported as the shipped ones are."""
    import keras

    from model.training.export import export

    keras.utils.set_random_seed(2)
    folder = tmp_path_factory.mktemp("exported")
    for name, build in (("cnn", build_cnn), ("dense", build_dense)):
        build().save(folder / f"{name}.keras")
        card_path(folder / f"{name}.keras").write_text(json.dumps({"dataset": "mnist"}))
        export(folder / f"{name}.keras", log=lambda *_: None)
    return folder


def _copy(folder, tmp_path, name="cnn"):
    for suffix in (".keras", ".tflite", ".json"):
        shutil.copy(folder / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    return tmp_path / f"{name}.keras"


def test_export_writes_the_tflite_and_records_both_checksums(exported):
    record = json.loads(card_path(exported / "cnn.keras").read_text())[CARD_KEY]
    assert record["keras_sha256"] == sha256_file(exported / "cnn.keras")
    assert record["sha256"] == sha256_file(exported / "cnn.tflite")
    assert record["largest_difference"] <= 1e-5 and record["float32"] is True
    engine = Engine.load(exported / "cnn.keras", "mnist")
    assert engine.backend == "litert"
    from model.keras_net import KerasCNN

    keras = KerasCNN.load(exported / "cnn.keras")
    np.testing.assert_array_equal(engine.facts.kernels.conv1, keras.conv1)  # kernels from the .tflite
    np.testing.assert_array_equal(engine.facts.kernels.conv2, keras.conv2)


def test_a_keras_file_changed_after_its_export_is_refused_in_one_line(exported, tmp_path):
    keras_file = _copy(exported, tmp_path)
    build_cnn().save(keras_file)  # retrained, not exported again
    with pytest.raises(ModelError, match="exported from another cnn.keras") as info:
        Engine.load(keras_file, "mnist")
    assert "python main.py export" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("damage", ["truncated", "random bytes", "empty", "card records another"])
def test_a_broken_tflite_is_a_one_line_error(exported, tmp_path, damage):
    keras_file = _copy(exported, tmp_path)
    lite = tflite_path(keras_file)
    data = lite.read_bytes()
    damaged = {"truncated": data[: len(data) // 2], "random bytes": np.random.default_rng(1).bytes(5000),
               "empty": b"", "card records another": data[:-1] + b"\x00"}
    lite.write_bytes(damaged[damage])
    if damage != "card records another":  # the card follows the file: the content itself is bad
        card = json.loads(card_path(keras_file).read_text())
        card[CARD_KEY]["sha256"] = sha256_file(lite)
        card_path(keras_file).write_text(json.dumps(card))
    with pytest.raises(ModelError) as info:
        Engine.load(keras_file, "mnist")
    message = str(info.value)
    assert "cnn.tflite" in message and "\n" not in message and len(message) < 300


def test_a_foreign_tflite_with_other_inputs_or_outputs_is_refused(exported, tmp_path):
    keras_file = _copy(exported, tmp_path)
    lite = tflite_path(keras_file)
    shutil.copy(exported / "dense.tflite", lite)  # a real LiteRT model, but not this network
    card = json.loads(card_path(keras_file).read_text())
    card[CARD_KEY]["sha256"] = sha256_file(lite)
    card_path(keras_file).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="not the Sketchscope network"):
        LiteCNN(keras_file)


def test_without_an_export_the_engine_runs_on_tensorflow(tmp_path):
    build_cnn().save(tmp_path / "plain.keras")
    engine = Engine.load(tmp_path / "plain.keras", "mnist")
    assert engine.backend == "tensorflow"
    assert engine.run(np.zeros((28, 28, 1), np.float32)).probabilities.shape == (10,)


def test_a_model_card_that_is_a_fifo_is_a_one_line_error_not_a_hang(tmp_path):
    import os
    import signal

    for suffix in (".keras", ".tflite"):
        shutil.copy(model_path("mnist", "cnn").with_suffix(suffix), tmp_path / f"m{suffix}")
    os.mkfifo(tmp_path / "m.json")  # read as the card, it would block for ever

    def blocked(*_):
        raise TimeoutError("loading the model blocked")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(20)
    try:
        with pytest.raises(ModelError, match=r"^m\.json: cannot read the model card \(.*not a "
                                             r"regular file.*\)$"):
            Engine.load(tmp_path / "m.keras", "mnist")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
