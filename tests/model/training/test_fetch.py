"""Fetching and converting the data sets (``python main.py data fetch``)."""

import gzip
import io
import os
import pickle

import numpy as np
import pytest

from model import datasets
from model.datasets import DataError
from model.training import fetch


def test_corrupt_cache_is_rebuilt_by_fetch(cache_copy):
    if not fetch.FASHION_DIR.is_dir():
        pytest.skip("needs the Debian package")
    path = cache_copy("fashion")
    path.write_bytes(b"garbage")
    fetch.fetch("fashion", log=lambda *a: None)
    assert datasets.load("fashion").x_test.shape == (10000, 28, 28)


def test_mnist_pickle_with_wrong_checksum_is_refused():
    with pytest.raises(DataError, match="SHA-256"):
        fetch.mnist_from_pickle_gz(gzip.compress(b"not the real file"))


class _RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_restricted_unpickler_refuses_a_pickle_that_would_run_a_command(tmp_path):
    marker = tmp_path / "pwned"
    evil = pickle.dumps(((np.zeros(3), _RunsACommand(marker)),))
    with pytest.raises(DataError, match="refused"):
        fetch.load_arrays_pickle(evil)
    assert not marker.exists()


def test_restricted_unpickler_admits_plain_arrays():
    arrays = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2])),)
    loaded = fetch.load_arrays_pickle(pickle.dumps(arrays))
    np.testing.assert_array_equal(loaded[0][0], arrays[0][0])


def test_restricted_unpickler_refuses_object_arrays():
    with pytest.raises(DataError, match="refused"):
        fetch.load_arrays_pickle(pickle.dumps(np.array([{"a": 1}], dtype=object)))


def test_idx_parser_reads_and_checks_length():
    header = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (2).to_bytes(4, "big") * 2
    arr = fetch.parse_idx(header + bytes(range(8)))
    assert arr.shape == (2, 2, 2) and arr[1, 1, 1] == 7
    with pytest.raises(DataError):
        fetch.parse_idx(header + bytes(range(7)))
    with pytest.raises(DataError):
        fetch.parse_idx(b"\x1f\x8b" + bytes(10))


def test_fetch_writes_cache_atomically_with_checksum(tmp_path, monkeypatch):
    if not fetch.FASHION_DIR.is_dir():
        pytest.skip("needs the Debian package")
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
    fetch.fetch("fashion", log=lambda *a: None)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["fashion.npz", "fashion.npz.sha256"]  # no temporary leftovers
    with np.load(io.BytesIO((tmp_path / "fashion.npz").read_bytes())) as z:
        assert z["x_train"].dtype == np.uint8
