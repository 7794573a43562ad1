"""Where the shipped models and their model cards live."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
MODELS = RESOURCES / "models"


def model_path(dataset: str, arch: str = "cnn") -> Path:
    return MODELS / f"{dataset}_{arch}.keras"


def card_path(model: Path) -> Path:
    return model.with_suffix(".json")
