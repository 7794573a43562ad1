import gzip
import io
import os
import pickle
import shutil

import numpy as np
import pytest

from model import datasets
from model.datasets import DataError


@pytest.mark.parametrize("name", ["mnist", "fashion"])
def test_real_datasets_load_with_the_expected_shapes(name):
    ds = datasets.load(name)  # fetched by `make test` (python main.py data fetch)
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.shape == (60000,)
    assert set(np.unique(ds.y_train)) == set(range(10)) == set(np.unique(ds.y_test))
    assert ds.x_train.max() == 255 and ds.x_train.min() == 0
    # Each class appears about as often as the originals have it (6,000 / 1,000 for fashion).
    counts = np.bincount(ds.y_test, minlength=10)
    assert counts.min() > 800 and counts.max() < 1200


def test_mnist_keeps_the_original_order():
    ds = datasets.load("mnist")
    assert ds.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert ds.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_class_names_live_in_one_place():
    assert datasets.class_names("fashion")[0] == "T-shirt/top"
    assert datasets.class_names("fashion")[9] == "Ankle boot"
    assert datasets.class_names("mnist") == tuple("0123456789")
    with pytest.raises(DataError, match="unknown dataset"):
        datasets.class_names("cifar")


def _copy_cache(tmp_path, monkeypatch, name):
    src = datasets.cache_path(name)
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
    shutil.copy(src, datasets.cache_path(name))
    shutil.copy(src.with_name(src.name + ".sha256"), tmp_path / (src.name + ".sha256"))
    return datasets.cache_path(name)


def test_corrupt_cache_is_detected_with_a_clear_message(tmp_path, monkeypatch):
    path = _copy_cache(tmp_path, monkeypatch, "fashion")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupt.*python main.py data fetch"):
        datasets.load("fashion")


def test_corrupt_cache_is_rebuilt_by_fetch(tmp_path, monkeypatch):
    if not datasets.FASHION_DIR.is_dir():
        pytest.skip("needs the Debian package")
    path = _copy_cache(tmp_path, monkeypatch, "fashion")
    path.write_bytes(b"garbage")
    datasets.fetch("fashion", log=lambda *a: None)
    assert datasets.load("fashion").x_test.shape == (10000, 28, 28)


def test_missing_dataset_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
    with pytest.raises(DataError, match="python main.py data fetch"):
        datasets.load("mnist")


def test_mnist_pickle_with_wrong_checksum_is_refused():
    with pytest.raises(DataError, match="SHA-256"):
        datasets.mnist_from_pickle_gz(gzip.compress(b"not the real file"))


class _RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_restricted_unpickler_refuses_a_pickle_that_would_run_a_command(tmp_path):
    marker = tmp_path / "pwned"
    evil = pickle.dumps(((np.zeros(3), _RunsACommand(marker)),))
    with pytest.raises(DataError, match="refused"):
        datasets.load_arrays_pickle(evil)
    assert not marker.exists()


def test_restricted_unpickler_admits_plain_arrays():
    arrays = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2])),)
    loaded = datasets.load_arrays_pickle(pickle.dumps(arrays))
    np.testing.assert_array_equal(loaded[0][0], arrays[0][0])


def test_restricted_unpickler_refuses_object_arrays():
    with pytest.raises(DataError, match="refused"):
        datasets.load_arrays_pickle(pickle.dumps(np.array([{"a": 1}], dtype=object)))


def test_idx_parser_reads_and_checks_length():
    header = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (2).to_bytes(4, "big") * 2
    arr = datasets.parse_idx(header + bytes(range(8)))
    assert arr.shape == (2, 2, 2) and arr[1, 1, 1] == 7
    with pytest.raises(DataError):
        datasets.parse_idx(header + bytes(range(7)))
    with pytest.raises(DataError):
        datasets.parse_idx(b"\x1f\x8b" + bytes(10))


def test_fetch_writes_cache_atomically_with_checksum(tmp_path, monkeypatch):
    if not datasets.FASHION_DIR.is_dir():
        pytest.skip("needs the Debian package")
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
    datasets.fetch("fashion", log=lambda *a: None)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["fashion.npz", "fashion.npz.sha256"]  # no temporary leftovers
    with np.load(io.BytesIO((tmp_path / "fashion.npz").read_bytes())) as z:
        assert z["x_train"].dtype == np.uint8
