"""How fast the exploration answers, measured offscreen: ``bench_explore() -> dict``.

- hover: a mouse move over the enlarged map (or the grid) until the value, the receptive field
  and the outlines are repainted, on the GUI thread (target 16 ms: one frame);
- ablation and saliency: one call of the engine (the arithmetic alone), and the round trip
  through the scheduler's worker thread until the panel has repainted the result (target 50 ms);
- top examples (optional): the first search over the test split into an empty cache (target
  5 s), and reading it back from the cache.

Wall-clock times on this machine as it is now; nothing is asserted.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HOVER_TARGET_MS = 16.0
RECOMPUTE_TARGET_MS = 50.0
TOP_TARGET_S = 5.0


def _figure(samples_s: list[float], target_ms: float) -> dict:
    ms = np.asarray(samples_s) * 1e3
    return {"median_ms": round(float(np.median(ms)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "target_ms": target_ms, "runs": len(ms)}


def _wait(app, condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the exploration panel did not answer in time")
        app.processEvents()
        time.sleep(0.0005)


def bench_explore(runs: int = 40, top: bool = False, dataset: str = "mnist", log=lambda _m: None) -> dict:
    """Measure hover, ablation and saliency (and, with ``top``, the top-example search)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])

    from gui.devtools.demo import drawn_seven, explore_session, model_source
    from model.inference import Engine
    from model.preprocess import preprocess

    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="sketchscope-bench-") as scratch:
        path, note = model_source(dataset, Path(scratch))
        figures["model"] = note
        image = preprocess(drawn_seven(), dataset)
        rng = np.random.default_rng(0)
        engine = Engine.load(path, dataset)
        figures.update(_time_engine(engine, image, runs, rng))
        log("engine measured")
        panel, client, link, _note = explore_session(dataset, Path(scratch))
        panel.resize(1200, 800)
        panel.show()
        try:
            shown: list[object] = []
            panel.sig_result_shown.connect(shown.append)
            link.show_input(image)
            _wait(app, lambda: bool(shown) and panel.facts is not None)
            panel.select_layer("conv2")
            panel.open_map(0)
            app.processEvents()
            figures.update(_time_hover(panel, runs, rng))
            log("hover measured")
            figures.update(_time_round_trips(app, panel, link, shown, image, runs))
            log("round trips measured")
        finally:
            client.shutdown()
            panel.close()
            panel.deleteLater()
        if top:
            figures.update(_bench_top(engine, Path(scratch)))
    return figures


def _time_engine(engine, image: np.ndarray, runs: int, rng) -> dict:
    """The arithmetic alone, in this thread: ablation (a run with channels zeroed) and
    saliency (explain)."""
    from model.explain import channel_masks

    ablate, explain = [], []
    for _ in range(runs):
        masks = channel_masks({"conv2": rng.choice(64, 3, replace=False).tolist()})
        t0 = time.perf_counter()
        engine.run(image, masks)
        ablate.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        engine.explain(image, masks)
        explain.append(time.perf_counter() - t0)
    return {"ablation_ms": _figure(ablate, RECOMPUTE_TARGET_MS),
            "saliency_ms": _figure(explain, RECOMPUTE_TARGET_MS)}


def _time_hover(panel, runs: int, rng) -> dict:
    """A mouse move over the enlarged map, and over the grid, until both are repainted."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    def move(widget, point: QPointF) -> None:
        event = QMouseEvent(QMouseEvent.Type.MouseMove, point, widget.mapToGlobal(point),
                            Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)

    canvas, grid = panel.map_view.canvas, panel.grid
    hover_map, hover_grid = [], []
    for i in range(runs):
        row, col = int(rng.integers(11)), int(rng.integers(11))
        t0 = time.perf_counter()
        move(canvas, canvas.point_of(row, col))
        canvas.repaint()
        panel.map_view.value_label.repaint()
        panel.input_view.repaint()
        hover_map.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        move(grid, grid.point_of(i % 64, row, col))
        grid.repaint()
        panel.input_view.repaint()
        hover_grid.append(time.perf_counter() - t0)
    return {"hover_map_ms": _figure(hover_map, HOVER_TARGET_MS),
            "hover_grid_ms": _figure(hover_grid, HOVER_TARGET_MS)}


def _time_round_trips(app, panel, link, shown: list, image: np.ndarray, runs: int) -> dict:
    """Through the scheduler's worker thread until the panel has repainted: channels switched
    off and on, then saliency for shifted inputs."""

    def round_trip(action) -> float:
        shown.clear()
        t0 = time.perf_counter()
        action()
        _wait(app, lambda: bool(shown))
        panel.repaint()
        return time.perf_counter() - t0

    # Channel c // 2 off, then on again: every step changes what the panel asks for.
    ablation = [round_trip(lambda c=c: panel.set_channel_off("conv2", c // 2, c % 2 == 0))
                for c in range(runs)]
    panel.restore_channels()
    panel.set_saliency(True)
    _wait(app, lambda: panel.result is not None and panel.result.explanation is not None)
    shifted = [np.roll(image, (i % 5) - 2, axis=1) for i in range(runs)]
    saliency = [round_trip(lambda s=s: link.show_input(s)) for s in shifted]
    return {"ablation_roundtrip_ms": _figure(ablation, RECOMPUTE_TARGET_MS),
            "saliency_roundtrip_ms": _figure(saliency, RECOMPUTE_TARGET_MS)}


def _bench_top(engine, scratch: Path) -> dict:
    from model.explain import cached_top_examples, split_images

    try:
        images = split_images(engine.dataset)
    except Exception as exc:  # no data set fetched: say so in the figures
        return {"top_examples": f"not measured: {exc}"}
    previous = os.environ.get("SKETCHSCOPE_CACHE")
    os.environ["SKETCHSCOPE_CACHE"] = str(scratch / "cache")  # an empty cache: the first time
    try:
        t0 = time.perf_counter()
        cached_top_examples(engine, images)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        cached_top_examples(engine, images)
        again = time.perf_counter() - t0
    finally:
        if previous is None:
            os.environ.pop("SKETCHSCOPE_CACHE", None)
        else:
            os.environ["SKETCHSCOPE_CACHE"] = previous
    return {"top_examples_first_s": {"seconds": round(first, 2), "target_s": TOP_TARGET_S,
                                     "images": len(images)},
            "top_examples_cached_ms": {"median_ms": round(again * 1e3, 1), "runs": 1}}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(bench_explore(top="--top" in sys.argv, log=print), indent=2))
