"""Cached arrays keyed by data and code digests (model/cache.py)."""

import hashlib

import numpy as np
import pytest

import model.preprocess
from model import datasets
from model.cache import (
    MODEL_DIR,
    code_digest,
    preprocess_digest,
    preprocessed_split,
    read_arrays,
    write_arrays,
)


def test_the_code_digest_covers_every_source_named_in_order():
    both = (MODEL_DIR / "training" / "sketch.py").read_bytes() + (MODEL_DIR / "preprocess.py").read_bytes()
    assert code_digest("training/sketch.py", "preprocess.py") == hashlib.sha256(both).hexdigest()[:12]
    assert code_digest("preprocess.py", "training/sketch.py") != code_digest("training/sketch.py",
                                                                             "preprocess.py")
    assert preprocess_digest() == code_digest("preprocess.py") != code_digest("training/sketch.py")


@pytest.fixture
def small(tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
    x = np.zeros((6, 28, 28), np.uint8)
    for i in range(6):
        x[i, 4 + i : 22, 10:16] = 255
    y = np.arange(6, dtype=np.uint8)
    return datasets.Dataset("mnist", x, y, x[:4].copy(), y[:4].copy(), sha256="ab" * 32)


def _refuse(*args, **kwargs):
    raise AssertionError("preprocessed again")


def test_a_preprocessed_split_is_computed_once_then_read_back(small, tmp_path, monkeypatch):
    said = []
    test = preprocessed_split(small, "test", log=said.append)
    train = preprocessed_split(small, "train", log=said.append)
    assert test.shape == (4, 28, 28, 1) and train.shape == (6, 28, 28, 1) and len(said) == 2
    np.testing.assert_array_equal(test, model.preprocess.preprocess_dataset(small.x_test, "mnist"))
    monkeypatch.setattr(model.preprocess, "preprocess_dataset", _refuse)
    np.testing.assert_array_equal(preprocessed_split(small, "test", log=said.append), test)
    assert len(said) == 2 and len(list((tmp_path / "preprocessed").iterdir())) == 2
    other = datasets.Dataset("mnist", small.x_train, small.y_train, small.x_test, small.y_test,
                             sha256="cd" * 32)
    with pytest.raises(AssertionError, match="preprocessed again"):  # other data, other arrays
        preprocessed_split(other, "test")


@pytest.mark.parametrize("damage", [b"", b"\x93NUMPY garbage", b"PK\x03\x04 not an npy", "wrong shape"])
def test_a_damaged_preprocessed_split_is_rebuilt(small, tmp_path, damage):
    test = preprocessed_split(small, "test", log=lambda *a: None)
    (cached,) = (tmp_path / "preprocessed").iterdir()
    if damage == "wrong shape":
        np.save(cached, np.zeros((3, 28, 28, 1), np.float32))
    else:
        cached.write_bytes(damage)
    np.testing.assert_array_equal(preprocessed_split(small, "test", log=lambda *a: None), test)
    np.testing.assert_array_equal(np.load(cached), test)


def test_named_arrays_come_back_and_a_damaged_file_reads_as_absent(tmp_path):
    path = tmp_path / "deep" / "a.npz"
    write_arrays(path, x=np.arange(3), label=np.str_("abc"))
    back = read_arrays(path)
    assert sorted(back) == ["label", "x"] and back["x"].tolist() == [0, 1, 2]
    assert str(back["label"]) == "abc" and [p.name for p in path.parent.iterdir()] == ["a.npz"]
    np.save(tmp_path / "one.npy", np.arange(2))
    for damage in (b"", b"PK\x03\x04 not a zip", b"\x93NUMPY garbage"):
        path.write_bytes(damage)
        assert read_arrays(path) is None
    assert read_arrays(tmp_path / "one.npy") is None and read_arrays(tmp_path / "missing.npz") is None
