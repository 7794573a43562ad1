"""``python main.py bench accuracy``: the shipped models on drawn-style versions of the test splits.

Three sets are built from the *test* splits only (never training data) with :mod:`model.training.sketch`:
digits re-drawn as brush strokes, clothing as outlines, clothing as filled silhouettes; each a
dark-ink page of ``CANVAS`` x ``CANVAS`` pixels. Each set is classified twice in the same run:
through :func:`model.preprocess.preprocess` (what the app does) and by naive whole-canvas
resizing to 28x28 (inverted to light-on-dark, so only the framing differs).
"""

from __future__ import annotations

import time

import numpy as np

from model import datasets, paths
from model.keras_net import load_keras_model
from model.preprocess import EmptyDrawing, area_resize, preprocess
from model.training import sketch
from model.training.augment import parallel_map

CANVAS = 400
SETS = (
    ("digits re-drawn as strokes", "mnist", "strokes", 0.990),
    ("clothing outlines", "fashion", "outline", 0.80),
    ("clothing filled silhouettes", "fashion", "silhouette", 0.83),
)


def _render(args):
    kind, dataset, img, seed = args
    page = sketch.GENERATORS[kind](img, np.random.default_rng(seed), canvas=CANVAS)
    naive = area_resize(1.0 - page / 255.0, 28, 28).astype(np.float32)[:, :, None]
    try:
        ours = preprocess(page, dataset)
    except EmptyDrawing:
        ours = np.zeros((28, 28, 1), np.float32)
    return ours, naive


def build_set(kind: str, dataset: str, images: np.ndarray, seed: int, processes: int = 2):
    """(preprocessed, naive) float32 arrays, one pair per test image."""
    jobs = [(kind, dataset, img, seed * 7919 + i) for i, img in enumerate(images)]
    results = parallel_map(_render, jobs, processes)
    ours = np.stack([r[0] for r in results])
    naive = np.stack([r[1] for r in results])
    return ours, naive


def run(n: int = 10000, seed: int = 1, log=print) -> list[dict]:
    rows = []
    loaded = {}  # dataset -> (test split, model): each read once, though two sets share one
    for title, dataset, kind, target in SETS:
        started = time.time()
        if dataset not in loaded:
            loaded[dataset] = (datasets.load(dataset), load_keras_model(paths.model_path(dataset, "cnn")))
        ds, model = loaded[dataset]
        images, labels = ds.x_test[:n], ds.y_test[:n].astype(np.int64)
        ours, naive = build_set(kind, dataset, images, seed)
        acc = float((model.predict(ours, batch_size=1000, verbose=0).argmax(1) == labels).mean())
        acc_naive = float(
            (model.predict(naive, batch_size=1000, verbose=0).argmax(1) == labels).mean()
        )
        rows.append(
            {
                "set": title,
                "n": int(len(labels)),
                "naive_resize": round(acc_naive, 4),
                "preprocess": round(acc, 4),
                "target": target,
                "met": acc >= target,
                "seconds": round(time.time() - started, 1),
            }
        )
        log(f"  {title}: {acc:.2%} (naive resize {acc_naive:.2%}), {time.time() - started:.0f} s")
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [
        "| set | n | naive resize | Sketchscope preprocess | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['set']} | {r['n']} | {r['naive_resize']:.2%} | {r['preprocess']:.2%} "
            f"| >= {r['target']:.1%} | {'yes' if r['met'] else 'NO'} |"
        )
    return "\n".join(lines)
