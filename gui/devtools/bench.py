"""``python main.py bench gui [--json]``: how fast and lean the app is, in a table.

Measured with the shipped models (an untrained network, said so, when they are absent), each
LiteRT figure beside the TensorFlow path measured in the same run (``SKETCHSCOPE_ENGINE=
tensorflow``: the engine ignores the exports):

- launch to main window shown (also restoring the worst drawing an autosave may hold), and to
  first prediction possible (``python main.py`` in a subprocess); ``python main.py predict
  one.png``, the whole process; saliency's first use in a fresh process (TensorFlow's import
  included) and later uses;
- one forward pass with every output (``Engine.run``), and the worker's job for one drawing with
  ``preprocess`` alone, for digits and clothing;
- a stroke segment to probabilities and all 256 maps repainted, through the real widgets, in
  the window and in presentation mode (full HD); resident memory after 1,000 and N live
  updates; the replay of a 20-stroke drawing to its timeline;
- the Explore panel: hover, ablation, saliency, top examples.

The process measures its memory before it imports TensorFlow (the TensorFlow figures come last).
The numbers are wall-clock times on this machine as it is now; nothing is asserted. With
``--json`` the last line is one object with the headline figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gui.devtools import bench_launch
from gui.devtools.bench_live import PRESENTATION_SIZE, bench_live, bench_replay


@dataclass
class Row:
    figure: str
    measured: str
    target: str
    met: bool | None  # None: not measured, or no target

    def cells(self) -> list[str]:
        met = {True: "yes", False: "NO", None: "-"}[self.met]
        return [self.figure, self.measured, self.target, met]


def format_table(rows: list[Row]) -> str:
    header = ["figure", "measured", "target", "met"]
    table = [header] + [row.cells() for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]

    def fmt(line: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(header), rule, *(fmt(line) for line in table[1:])])


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _median_ms(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


# ---------------------------------------------------------------- inputs


def _models(log) -> tuple[Path, Path | None, str]:
    """The shipped digits CNN and dense network, or untrained stand-ins; and a note."""
    from model.paths import model_path

    cnn, dense = model_path("mnist", "cnn"), model_path("mnist", "dense")
    if cnn.is_file():
        return cnn, dense if dense.is_file() else None, "shipped mnist model"
    log(f"NOTE: {cnn} is missing (train it with `python main.py train --dataset mnist`); "
        "timing an UNTRAINED network of the same architecture instead")
    from model.architecture import build_cnn

    folder = Path(tempfile.mkdtemp(prefix="sketchscope-bench-"))
    cnn = folder / "mnist_cnn.keras"
    build_cnn().save(cnn)
    return cnn, None, "UNTRAINED stand-in (no shipped model)"


def digit_page(size: int = 280) -> np.ndarray:
    """A drawn-looking 7 on a white page (the canvas's page is 280 x 280)."""
    page = np.full((size, size), 255, np.uint8)
    yy, xx = np.mgrid[0:size, 0:size] * (280 / size)
    top = (np.abs(yy - 60) < 9) & (xx > 70) & (xx < 210)
    slope = np.abs((xx - 205) + 0.45 * (yy - 60)) < 10
    page[top | (slope & (yy > 55) & (yy < 235))] = 20
    return page


def coat_page(size: int = 280) -> np.ndarray:
    """A filled, coat-like silhouette: clothing's preprocessing never thins it."""
    page = np.full((size, size), 255, np.uint8)
    s = size / 280
    page[int(50 * s):int(240 * s), int(80 * s):int(200 * s)] = 30
    page[int(50 * s):int(180 * s), int(40 * s):int(80 * s)] = 30
    page[int(50 * s):int(180 * s), int(200 * s):int(240 * s)] = 30
    return page


# ---------------------------------------------------------------- rows


def launch_rows(n: int, log) -> tuple[list[Row], dict]:
    """Start-up and ``predict``, LiteRT against the TensorFlow path; saliency's first use."""
    log(f"launching the app {n} times per figure, on LiteRT and on the TensorFlow path ...")
    tf = bench_launch.TF_PATH
    shown, ready = bench_launch.launches("shown", n), bench_launch.launches("ready", n)
    compiled = bench_launch.launches("shown", n, bytecode=False)
    restore = bench_launch.worst_restore(n)
    ready_tf = bench_launch.launches("ready", n, tf)
    image = Path(tempfile.mkdtemp(prefix="sketchscope-bench-")) / "seven.png"
    from PIL import Image

    Image.fromarray(digit_page()).save(image)
    log("timing python main.py predict ...")
    predict, predict_tf = bench_launch.time_predict(image, n), bench_launch.time_predict(image, n, tf)
    log("saliency in a fresh process ...")
    first, later, later_p95 = bench_launch.time_saliency()
    rows = [
        Row("launch -> main window shown (median)",
            f"{shown:.2f} s ({compiled:.2f} s compiling every module: no bytecode cache)",
            "<= 1.0 s", shown <= 1.0),
        Row("launch -> window shown, restoring the worst drawing an autosave may hold",
            f"{restore:.2f} s: the restore adds {restore - shown:.2f} s to an empty page's",
            "restore <= 1.0 s", restore - shown <= 1.0),
        Row("launch -> first prediction possible (median)",
            f"{ready:.2f} s (TensorFlow path {ready_tf:.2f} s = {ready_tf / ready:.1f}x)",
            "<= 1.0 s", ready <= 1.0),
        Row("python main.py predict one.png, whole process (median)",
            f"{predict:.2f} s (TensorFlow path {predict_tf:.2f} s = {predict_tf / predict:.1f}x)",
            "<= 1.0 s", predict <= 1.0),
        Row("saliency: first use (imports TensorFlow), then later uses",
            f"{first:.2f} s, then median {later:.1f} ms (p95 {later_p95:.1f})",
            "<= 4 s, <= 50 ms", first <= 4.0 and later <= 50.0),
    ]
    return rows, {"window_s": shown, "first_prediction_s": ready, "predict_cli_s": predict}


def engine_rows(engine, runs: int) -> tuple[list[Row], dict]:
    """One forward pass on LiteRT, and ``preprocess`` of a full page, for both data sets."""
    from model.preprocess import preprocess

    pages = {"digit": digit_page(), "coat": coat_page(), "big": digit_page(400)}
    x = preprocess(pages["digit"], "mnist")
    run_ms = _median_ms(lambda: engine.run(x), runs)
    digits = _median_ms(lambda: preprocess(pages["digit"], "mnist"), runs // 3)
    clothing = _median_ms(lambda: preprocess(pages["coat"], "fashion"), runs // 3)
    big = _median_ms(lambda: preprocess(pages["big"], "mnist"), runs // 3)
    rows = [
        Row(f"one forward pass, every output (Engine.run on LiteRT, median of {runs})",
            f"{run_ms:.3f} ms", "<= 0.25 ms", run_ms <= 0.25),
        Row("preprocess a full page (median): digits / clothing / a 400 x 400 digit page",
            f"{digits:.2f} / {clothing:.2f} / {big:.2f} ms", "<= 1 ms",
            max(digits, clothing, big) <= 1.0),
    ]
    return rows, {"inference_ms": run_ms, "preprocess_ms": max(digits, clothing)}


def tensorflow_rows(cnn: Path, dense: Path | None, engine, runs: int) -> list[Row]:
    """The same forward pass on TensorFlow (tf.function, and model.predict): imports it."""
    from model.inference import Engine
    from model.keras_net import KerasCNN, KerasDense, load_keras_model
    from model.preprocess import preprocess

    x = preprocess(digit_page(), "mnist")
    lite_ms = _median_ms(lambda: engine.run(x), runs)
    tf_engine = Engine(KerasCNN.load(cnn), "mnist", KerasDense.load(dense) if dense else None)
    tf_ms = _median_ms(lambda: tf_engine.run(x), runs)
    keras_model = load_keras_model(cnn)
    predict_ms = _median_ms(lambda: keras_model.predict(x[None], verbose=0), max(10, runs // 10))
    return [Row("the same pass on the TensorFlow path: tf.function / model.predict",
                f"{tf_ms:.2f} ms / {predict_ms:.1f} ms (LiteRT {tf_ms / lite_ms:.1f}x / "
                f"{predict_ms / lite_ms:.0f}x faster)", "-", None)]


def live_rows(engine, updates: int, segments: int, log) -> tuple[list[Row], dict]:
    """Stroke segments through the real widgets, memory, presentation mode and replay."""
    log(f"drawing through the real widgets: {segments} timed segments, "
        f"then up to {updates} live updates ...")
    live = bench_live(engine, updates, segments, log)
    ms = [1e3 * t for t in live.latencies_s]
    p95 = percentile(ms, 95)
    growth = 100.0 * (live.rss_end_mb - live.rss_1000_mb) / live.rss_1000_mb
    rows = [Row("stroke segment -> bars, input and 256 maps repainted",
                f"p95 {p95:.1f} ms (median {statistics.median(ms):.1f}, max {max(ms):.0f})",
                "p95 <= 8 ms", p95 <= 8.0),
            Row(f"resident memory after 1,000 / {live.updates:,} live updates",
                f"{live.rss_1000_mb:.0f} MB / {live.rss_end_mb:.0f} MB ({growth:+.1f}%)",
                "<= 200 MB, < 5% growth", live.rss_1000_mb <= 200 and growth < 5.0)]
    log(f"presentation mode at {PRESENTATION_SIZE[0]} x {PRESENTATION_SIZE[1]}: "
        f"{segments} timed segments ...")
    shown = bench_live(engine, 0, segments, log, presentation=True)
    ms_p = [1e3 * t for t in shown.latencies_s]
    p95_p = percentile(ms_p, 95)
    rows.append(Row("presentation mode: stroke segment -> answer, bars, maps repainted",
                    f"p95 {p95_p:.1f} ms = {1000 / p95_p:.0f} fps (median {statistics.median(ms_p):.1f})",
                    "p95 <= 8 ms", p95_p <= 8.0))
    log("replaying a 20-stroke drawing ...")
    replay = bench_replay(engine)
    rows.append(Row(f"replay of a 20-stroke drawing -> timeline computed ({len(replay)} runs)",
                    f"median {statistics.median(replay):.2f} s, max {max(replay):.2f} s",
                    "<= 1 s", max(replay) <= 1.0))
    return rows, {"repaint_p95_ms": p95, "presentation_p95_ms": p95_p,
                  "rss_mb_1000": live.rss_1000_mb, "rss_growth_pct": growth}


def explore_rows(log) -> list[Row]:
    """The Explore panel's figures (gui.devtools.explore_bench) as table rows."""
    from gui.devtools.explore_bench import bench_explore

    figures = bench_explore(runs=40, top=True, log=log)
    names = {
        "hover_map_ms": "hover an enlarged map: value + receptive field repainted",
        "hover_grid_ms": "hover a map in the grid: receptive field repainted",
        "ablation_ms": "ablation recompute (channels zeroed), one call",
        "saliency_ms": "saliency recompute (Grad-CAM and gradients), one call",
        "ablation_roundtrip_ms": "ablation through the worker, panel repainted",
        "saliency_roundtrip_ms": "saliency through its worker, panel repainted",
    }
    rows = [Row(title, f"median {figures[k]['median_ms']:.1f} ms, p95 {figures[k]['p95_ms']:.1f} ms",
                f"<= {figures[k]['target_ms']:.0f} ms", figures[k]["p95_ms"] <= figures[k]["target_ms"])
            for k, title in names.items()]
    top = figures.get("top_examples_first_s")
    if isinstance(top, dict):
        rows.append(Row(f"top examples, all 256 channels over {top['images']:,} test images",
                        f"{top['seconds']:.2f} s first, "
                        f"{figures['top_examples_cached_ms']['median_ms']:.0f} ms cached",
                        f"<= {top['target_s']:.0f} s", top["seconds"] <= top["target_s"]))
    else:
        rows.append(Row("top examples", str(figures.get("top_examples"))[:70], "<= 5 s", None))
    return rows


# ---------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py bench gui", description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=10_000,
                        help="live updates for the memory figure (default 10000)")
    parser.add_argument("--segments", type=int, default=300,
                        help="stroke segments timed for the latency figure (default 300)")
    parser.add_argument("--runs", type=int, default=300,
                        help="Engine.run calls timed (default 300)")
    parser.add_argument("--no-explore", action="store_true", help="leave out the Explore panel")
    parser.add_argument("--launches", type=int, default=3,
                        help="subprocess launches per start-up figure (default 3)")
    parser.add_argument("--json", action="store_true",
                        help="end with one line of JSON holding the headline figures")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    from model.inference import Engine

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    log(f"{os.cpu_count()} CPUs, load average {load[0]:.1f} (other work slows every figure)")
    rows, figures = launch_rows(args.launches, log)
    cnn, dense, note = _models(log)
    engine = Engine.load(cnn, "mnist", dense)
    for more, values in (engine_rows(engine, args.runs),
                         live_rows(engine, args.updates, args.segments, log)):
        rows += more
        figures.update(values)
    rows += tensorflow_rows(cnn, dense, engine, args.runs)  # TensorFlow from here on
    if not args.no_explore:
        log("the Explore panel: hover, ablation, saliency, top examples ...")
        rows.extend(explore_rows(log))
    print(f"Sketchscope GUI benchmark ({note}, {engine.backend}; {os.cpu_count()} CPUs, "
          f"load {load[0]:.1f})")
    print(format_table(rows))
    if args.json:
        print(json_line(figures))
    return 0


JSON_KEYS = ("window_s", "first_prediction_s", "inference_ms", "repaint_p95_ms",
             "presentation_p95_ms", "rss_mb_1000", "rss_growth_pct", "predict_cli_s")


def json_line(figures: dict) -> str:
    """The headline figures as one line of JSON, for comparing runs and machines."""
    return json.dumps({key: round(float(figures[key]), 4) for key in JSON_KEYS})
