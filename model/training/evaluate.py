"""Accuracy on the full test split, per-class accuracy and a confusion-matrix PNG.

The model's answers are cached (``model.testset``): the app's test-set browser shows the
mistakes of this very evaluation run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model import datasets, paths
from model.atomic import atomic_path, check_writable
from model.keras_net import classifier
from model.testset import answers_on_test_split


def evaluate(
    dataset: str,
    model_path: str | Path | None = None,
    arch: str = "cnn",
    confusion_png: str | Path | None = None,
    log=print,
) -> dict:
    """Evaluate a model file on all 10,000 test images of ``dataset``; return the figures.

    Where the confusion PNG goes is checked first: a folder or a place that cannot be written
    is a one-line OutputError before any work, not a traceback after it.
    """
    model_path = Path(model_path) if model_path else paths.model_path(dataset, arch)
    if confusion_png:
        check_writable(confusion_png)
    ds = datasets.load(dataset)
    y_test = ds.y_test.astype(np.int64)
    # Evaluation runs on TensorFlow, the framework that trained the model; the answers are
    # cached and shared with the app's browser (whose LiteRT gives the same label for every
    # test image: tests/model/test_litert.py).
    probs = answers_on_test_split(ds, model_path, log, answer=lambda: classifier(model_path))
    predicted = probs.argmax(axis=1)
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (y_test, predicted), 1)
    names = datasets.class_names(dataset)
    per_class = {names[k]: round(float(confusion[k, k] / confusion[k].sum()), 5) for k in range(10)}
    result = {
        "dataset": dataset,
        "model": str(model_path),
        "n": int(len(y_test)),
        "accuracy": round(float((predicted == y_test).mean()), 5),
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
    }
    if confusion_png:
        write_confusion_png(confusion, names, Path(confusion_png), f"{dataset} - {model_path.name}")
        result["confusion_png"] = str(confusion_png)
    return result


def write_confusion_png(confusion: np.ndarray, names, path: Path, title: str) -> None:
    """Rows: true class; columns: predicted. Cell shade: share of the row."""
    from PIL import Image, ImageDraw, ImageFont

    cell, left, top = 56, 110, 70
    size = (left + 10 * cell + 20, top + 10 * cell + 40)
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=12)
    draw.text((10, 10), f"Confusion matrix: {title}", fill="black", font=font)
    draw.text((left, top - 40), "predicted ->", fill="black", font=font)
    rows = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    for i in range(10):
        draw.text((8, top + i * cell + cell // 2 - 6), names[i][:14], fill="black", font=font)
        draw.text((left + i * cell + 4, top - 20), names[i][:8], fill="black", font=font)
        for j in range(10):
            share = rows[i, j]
            shade = int(255 - 215 * share)
            colour = (shade, shade, 255) if i == j else (255, shade, shade)
            x0, y0 = left + j * cell, top + i * cell
            draw.rectangle([x0, y0, x0 + cell - 1, y0 + cell - 1], fill=colour, outline="#bbbbbb")
            ink = "white" if share > 0.6 else "black"
            draw.text((x0 + 6, y0 + cell // 2 - 6), str(confusion[i, j]), fill=ink, font=font)
    draw.text((8, size[1] - 28), "true class (rows)", fill="black", font=font)
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")
