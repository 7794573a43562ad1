"""Soak: many live updates through the real widgets and a real (untrained) CNN, offscreen.

``SKETCHSCOPE_SOAK_UPDATES`` sets the number of updates (default 300, for CI; ``make soak``
runs 10 000). Each update is a random stroke (through the canvas API or real mouse events),
an undo, a redo, a clear or a dataset switch. The test fails on any exception raised inside a
Qt callback, on memory growth of 5 % or more after warm-up (only judged from 2 000 updates on:
shorter runs only report it), and unless the bars finally shown equal a direct
``Engine.run(preprocess(...))`` of the final drawing.
"""

import gc
import os
import random
import time

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from .conftest import draw, wait_for_result

UPDATES = int(os.environ.get("SKETCHSCOPE_SOAK_UPDATES", "300"))
JUDGE_MEMORY_FROM = 2_000  # fewer updates than this: memory growth is reported, not judged
MAX_GROWTH = 0.05
TF_TIMEOUT_MS = 60_000


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for row in status:
            if row.startswith("VmRSS:"):
                return int(row.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


@pytest.fixture(scope="module")
def untrained_cnn(tmp_path_factory):
    from model.architecture import build_cnn

    path = tmp_path_factory.mktemp("soak") / "cnn.keras"
    build_cnn().save(path)
    return path


def random_points(rng: random.Random, n: int) -> list[tuple[float, float]]:
    x, y = rng.uniform(30, 250), rng.uniform(30, 250)
    points = []
    for _ in range(n):
        x = min(max(x + rng.uniform(-25, 25), 5), 275)
        y = min(max(y + rng.uniform(-25, 25), 5), 275)
        points.append((x, y))
    return points


def one_update(window, rng: random.Random) -> str:
    canvas = window.canvas
    roll = rng.random()
    if roll < 0.45:
        canvas.set_brush_width(rng.uniform(8, 30))
        canvas.add_stroke(random_points(rng, rng.randint(1, 12)), erase=rng.random() < 0.1)
        return "stroke"
    if roll < 0.60:
        draw(canvas, random_points(rng, rng.randint(2, 8)))
        return "mouse stroke"
    if roll < 0.75:
        canvas.undo()
        return "undo"
    if roll < 0.87:
        canvas.redo()
        return "redo"
    if roll < 0.90:
        canvas.clear()
        return "clear"
    window.set_dataset("fashion" if window.dataset == "mnist" else "mnist")
    return "dataset"


def test_soak_live_updates(make_window, qtbot, untrained_cnn):
    from model.inference import Engine
    from model.preprocess import preprocess

    predictors: dict[str, Engine] = {}

    def loader(dataset: str) -> Engine:
        predictors[dataset] = Engine.load(untrained_cnn, dataset)
        return predictors[dataset]

    window = make_window(loader=loader)
    for dataset in ("mnist", "fashion"):
        qtbot.waitUntil(lambda d=dataset: window.client.model_state(d) == "ready",
                        timeout=TF_TIMEOUT_MS)
    rng = random.Random(20240611)
    warm_up = max(UPDATES // 10, 50)
    counts: dict[str, int] = {}
    rss_start = None
    started = time.perf_counter()
    with qtbot.capture_exceptions() as exceptions:
        for i in range(UPDATES):
            kind = one_update(window, rng)
            counts[kind] = counts.get(kind, 0) + 1
            QApplication.processEvents()  # results arrive while the "user" keeps going
            if i + 1 == min(warm_up, UPDATES):
                qtbot.wait(50)
                gc.collect()
                rss_start = rss_mb()
        if window.canvas.is_empty():  # end on a drawing that has an answer to compare
            window.canvas.add_stroke(random_points(rng, 10))
        result = wait_for_result(qtbot, window, lambda r: r.probabilities is not None,
                                 timeout=TF_TIMEOUT_MS)
    elapsed = time.perf_counter() - started
    gc.collect()
    rss_end = rss_mb()
    growth = rss_end / rss_start - 1.0
    print(f"\nsoak: {UPDATES} updates {dict(sorted(counts.items()))} in {elapsed:.1f} s; "
          f"RSS after {min(warm_up, UPDATES)} warm-up updates {rss_start:.1f} MB, at the end "
          f"{rss_end:.1f} MB ({growth:+.2%}); exceptions: {len(exceptions)}")

    assert not exceptions, [str(e[1]) for e in exceptions]
    expected = predictors[window.dataset].run(preprocess(window.canvas.image(), window.dataset))
    assert result.dataset == window.dataset
    np.testing.assert_allclose(result.probabilities, expected.probabilities, atol=1e-5)
    np.testing.assert_allclose(window.live.probabilities.chart.probabilities(), expected.probabilities,
                               atol=1e-5)
    if UPDATES >= JUDGE_MEMORY_FROM:
        assert growth < MAX_GROWTH, f"RSS grew {growth:.1%} after warm-up"
