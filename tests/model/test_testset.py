"""The test split with a model's answers: mistakes, accuracy and the shared answers cache.

A tiny untrained CNN and a 20-image data set stand in for the shipped model and the real test
split, so nothing here trains or reads the fetched data.
"""

import numpy as np
import pytest

from model import datasets, testset
from model.testset import TestSplit, answers_on_test_split, load_test_split


def test_mistakes_and_accuracy_come_from_the_answers():
    labels = np.array([0, 1, 2, 3])
    probs = np.full((4, 10), 0.01, np.float32)
    probs[[0, 1, 2, 3], [0, 2, 2, 1]] = 0.91  # right, wrong, right, wrong
    split = TestSplit("mnist", np.zeros((4, 28, 28), np.uint8), labels, probs)
    assert len(split) == 4 and split.predicted.tolist() == [0, 2, 2, 1]
    assert split.mistakes().tolist() == [1, 3] and split.accuracy() == 0.5
    unanswered = TestSplit("mnist", split.images, labels)
    assert unanswered.predicted is None and unanswered.accuracy() is None
    assert unanswered.mistakes().tolist() == []


@pytest.fixture(scope="module")
def untrained(tmp_path_factory):
    """Two untrained CNNs (different weights), saved as .keras files."""
    from model.architecture import build_cnn

    folder = tmp_path_factory.mktemp("models")
    models = []
    for k in range(2):
        path = folder / f"untrained{k}.keras"
        build_cnn().save(path)
        models.append(path)
    return models


@pytest.fixture
def small(tmp_path, monkeypatch, untrained):
    """A 20-image "mnist" data set with a cache folder of its own, and the untrained CNNs."""
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    x = np.zeros((20, 28, 28), np.uint8)
    for i in range(20):
        x[i, 5 + i % 10 : 20, 8 : 12 + i % 8] = 255  # some ink, a different shape each
    y = (np.arange(20) % 10).astype(np.uint8)
    ds = datasets.Dataset("mnist", x, y, x.copy(), y.copy(), sha256=rng.bytes(32).hex())
    monkeypatch.setattr(testset.datasets, "load", lambda name: ds)
    return ds, untrained


def evaluation_files(ds_cache):
    return sorted((ds_cache / "evaluations").glob("*.npz"))


def test_the_answers_are_cached_per_model_file_and_read_back(small, tmp_path):
    ds, (first, second) = small
    probs = answers_on_test_split(ds, first, log=lambda *a: None)
    assert probs.shape == (20, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert len(evaluation_files(tmp_path / "cache")) == 1

    def no_model():
        raise AssertionError("loaded the model again")

    np.testing.assert_array_equal(answers_on_test_split(ds, first, log=lambda *a: None,
                                                        answer=no_model), probs)
    with pytest.raises(AssertionError, match="loaded the model again"):  # another file, its own
        answers_on_test_split(ds, second, log=lambda *a: None, answer=no_model)


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 not an npz", "wrong shape"])
def test_a_corrupt_answers_cache_is_rebuilt(small, tmp_path, damage):
    ds, (first, _) = small
    probs = answers_on_test_split(ds, first, log=lambda *a: None)
    (cached,) = evaluation_files(tmp_path / "cache")
    if damage == "wrong shape":
        np.savez(cached, probabilities=np.zeros((3, 10), np.float32))
    else:
        cached.write_bytes(damage)
    np.testing.assert_allclose(answers_on_test_split(ds, first, log=lambda *a: None), probs,
                               rtol=1e-6)
    with np.load(cached) as z:  # and written again, whole
        np.testing.assert_allclose(z["probabilities"], probs, rtol=1e-6)


def test_load_test_split_says_why_a_model_cannot_answer(small, tmp_path):
    ds, (first, _) = small
    plain = load_test_split("mnist", None)
    assert len(plain) == 20 and plain.probabilities is None and plain.error == ""
    np.testing.assert_array_equal(plain.images, ds.x_test)
    missing = load_test_split("mnist", tmp_path / "nope.keras")
    assert missing.probabilities is None
    assert missing.error == f"{tmp_path / 'nope.keras'}: no such model file"
    answered = load_test_split("mnist", first)
    assert answered.probabilities.shape == (20, 10) and answered.error == ""
    assert answered.accuracy() == pytest.approx(1 - len(answered.mistakes()) / 20)
