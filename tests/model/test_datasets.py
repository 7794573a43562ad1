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


def test_corrupt_cache_is_detected_with_a_clear_message(cache_copy):
    path = cache_copy("fashion")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupt.*python main.py data fetch"):
        datasets.load("fashion")


def test_missing_dataset_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
    with pytest.raises(DataError, match="python main.py data fetch"):
        datasets.load("mnist")
