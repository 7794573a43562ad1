"""The shipped models reach their targets on the real, full test splits."""

import json

import pytest

from model import paths
from model.evaluate import evaluate

TARGETS = [
    ("mnist", "cnn", 0.995),
    ("fashion", "cnn", 0.930),
    ("mnist", "dense", 0.983),
    ("fashion", "dense", 0.900),
]


@pytest.mark.parametrize("dataset,arch,target", TARGETS)
def test_shipped_model_reaches_its_target(dataset, arch, target, tmp_path):
    result = evaluate(dataset, arch=arch, confusion_png=tmp_path / "c.png", log=lambda *a: None)
    assert result["n"] == 10000
    assert result["accuracy"] >= target, f"{dataset} {arch}: {result['accuracy']:.4f} < {target}"
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The model card beside the weights tells the truth about them.
    card = json.loads(paths.card_path(paths.model_path(dataset, arch)).read_text())
    assert card["dataset"] == dataset and card["arch"] == arch
    assert card["test_accuracy"] == pytest.approx(result["accuracy"], abs=2e-4)
