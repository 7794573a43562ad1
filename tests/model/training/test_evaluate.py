"""``python main.py evaluate``'s figures, against a hand count on a made-up test split."""

import numpy as np
import pytest
from PIL import Image

from model import datasets
from model.training import evaluate as evaluation
from model.training.evaluate import evaluate, write_confusion_png

LABELS = np.array(list(range(10)) * 2)
# Right but for three: a 3 read as 8, a 5 read as 6, a 9 read as 4.
PREDICTED = LABELS.copy()
PREDICTED[[3, 15, 19]] = [8, 6, 4]


@pytest.fixture
def made_up(monkeypatch, tmp_path):
    images = np.zeros((20, 28, 28), np.uint8)
    ds = datasets.Dataset("mnist", images, LABELS.astype(np.uint8), images, LABELS.astype(np.uint8),
                          sha256="0" * 64)
    probs = np.full((20, 10), 0.01, np.float32)
    probs[np.arange(20), PREDICTED] = 0.91
    monkeypatch.setattr(evaluation.datasets, "load", lambda name: ds)
    monkeypatch.setattr(evaluation, "answers_on_test_split", lambda ds, path, log, answer: probs)
    model = tmp_path / "m.keras"
    model.write_bytes(b"")
    return model


def test_accuracy_and_confusion_matrix_agree_with_a_hand_count(made_up, tmp_path):
    result = evaluate("mnist", made_up, confusion_png=tmp_path / "c.png", log=lambda *a: None)
    assert result["n"] == 20 and result["accuracy"] == 0.85  # 17 of 20
    confusion = np.diag([2, 2, 2, 1, 2, 1, 2, 2, 2, 1])
    confusion[3, 8] = confusion[5, 6] = confusion[9, 4] = 1  # rows: true class
    assert result["confusion_matrix"] == confusion.tolist()
    assert result["per_class_accuracy"] == {
        "0": 1.0, "1": 1.0, "2": 1.0, "3": 0.5, "4": 1.0,
        "5": 0.5, "6": 1.0, "7": 1.0, "8": 1.0, "9": 0.5,
    }
    assert result["model"] == str(made_up) and result["confusion_png"] == str(tmp_path / "c.png")
    with Image.open(tmp_path / "c.png") as png:
        assert png.format == "PNG" and png.size == (690, 670)


def test_the_confusion_png_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "confusion.png"
    target.write_bytes(b"the old picture")
    confusion = np.eye(10, dtype=np.int64) * 5
    names = datasets.class_names("fashion")

    def save_half(self, path, format=None):
        with open(path, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(Image.Image, "save", save_half)
        with pytest.raises(OSError, match="disk full"):
            write_confusion_png(confusion, names, target, "fashion")
    assert target.read_bytes() == b"the old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["confusion.png"]  # no temporary left
    write_confusion_png(confusion, names, target, "fashion")
    assert [p.name for p in tmp_path.iterdir()] == ["confusion.png"]
    with Image.open(target) as png:
        assert png.format == "PNG" and png.size == (690, 670)
