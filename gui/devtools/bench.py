"""``python main.py bench gui [--updates N]``: how fast the app reads a drawing, in a table.

Measured, with the shipped models (an untrained network, said so, when they are absent):

- inference: the median of ``Engine.run`` (probabilities and the four feature maps, one
  drawing) against Keras ``model.predict`` on the same input, and the ratio;
- a stroke segment to probabilities and all 256 maps repainted, through the real widgets
  (offscreen): a mouse move on the canvas, then wait until every view has painted the result;
- launch to main window shown, and to first prediction possible: ``python main.py`` in a
  subprocess, against ``python -c "import tensorflow"`` in the same run;
- resident memory after 1,000 live updates, and its growth from 1,000 to N updates;
- the same stroke-segment figure in presentation mode (full HD), and the time from starting
  the replay of a 20-stroke drawing to its computed timeline.

The numbers are wall-clock times on this machine as it is now; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
LAUNCH_TIMEOUT_S = 120


@dataclass
class Row:
    figure: str
    measured: str
    target: str
    met: bool | None  # None: not measured

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


def rss_mb() -> float:
    """This process's resident memory in MB, from /proc/self/status (NaN where there is none)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# ---------------------------------------------------------------- models


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


def _digit_page() -> np.ndarray:
    """A drawn-looking 7 on a white 280 x 280 page, for the inference timing."""
    page = np.full((280, 280), 255, np.uint8)
    yy, xx = np.mgrid[0:280, 0:280]
    top = (np.abs(yy - 60) < 9) & (xx > 70) & (xx < 210)
    slope = np.abs((xx - 205) + 0.45 * (yy - 60)) < 10
    page[top | (slope & (yy > 55) & (yy < 235))] = 20
    return page


def bench_inference(predictor, keras_model, runs: int) -> tuple[float, float]:
    """Median milliseconds of Engine.run and of model.predict on one preprocessed drawing."""
    from model.preprocess import preprocess

    x = preprocess(_digit_page(), "mnist")
    for _ in range(10):
        predictor.run(x)
    own = []
    for _ in range(runs):
        t0 = time.perf_counter()
        predictor.run(x)
        own.append(time.perf_counter() - t0)
    batch = x[None]
    keras_model.predict(batch, verbose=0)
    keras = []
    for _ in range(max(10, runs // 10)):
        t0 = time.perf_counter()
        keras_model.predict(batch, verbose=0)
        keras.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(own), 1e3 * statistics.median(keras)


def bench_worker(predictor, runs: int) -> list[float]:
    """Milliseconds of the worker's whole job for one drawing (no Qt involved)."""
    from gui.jobs import LiveRequest, ModelHub, read_drawing
    from model.drawing import NetworkPicture

    page = NetworkPicture(_digit_page())
    hub = ModelHub(lambda dataset: predictor)
    read_drawing(hub, LiveRequest(0, "mnist", page))
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        read_drawing(hub, LiveRequest(i, "mnist", page))
        times.append(1e3 * (time.perf_counter() - t0))
    return times


# ---------------------------------------------------------------- live updates through widgets


def _stroke_points(n: int):
    """Endless drawing: digit-like loops and strokes, one page point per segment."""
    t = 0
    while True:
        shape = (t // 60) % 3
        k = t % 60
        if shape == 0:  # a loop: a 0
            a = 2 * np.pi * k / 59
            yield 140 + 60 * np.sin(a), 140 - 90 * np.cos(a), k == 0
        elif shape == 1:  # a 7
            yield (70 + 140 * k / 20, 60, k == 0) if k <= 20 else (
                210 - 80 * (k - 20) / 39, 60 + 170 * (k - 20) / 39, False)
        else:  # a 1 with a flag
            yield (110 + 30 * k / 15, 80 - 30 * k / 15, k == 0) if k <= 15 else (
                140, 50 + 190 * (k - 15) / 44, False)
        t += 1


class LiveDriver:
    """Moves the mouse over the real canvas and waits until the window has repainted."""

    def __init__(self, window, app, presentation: bool = False):
        from PySide6.QtCore import QEventLoop, QPoint, Qt
        from PySide6.QtTest import QTest

        self.window, self.app = window, app
        self.presentation = presentation  # wait for the presentation window's views instead
        self._QTest, self._QPoint, self._Qt = QTest, QPoint, Qt
        self._wait = QEventLoop.ProcessEventsFlag.WaitForMoreEvents
        self._points = _stroke_points(0)
        self._down = False
        self._strokes = 0

    def _to_widget(self, x: float, y: float):
        from gui.views.canvas import PAGE_SIZE

        rect = self.window.canvas.page_rect()
        scale = rect.width() / PAGE_SIZE
        return self._QPoint(round(rect.x() + x * scale), round(rect.y() + y * scale))

    def _repainted(self) -> bool:
        w = self.window
        result = w.result()
        if self.presentation:
            return (result is not None and result.seq == w.client.seq
                    and w.presenter.view.painted())
        return result is not None and result.seq == w.client.seq and w.live.painted()

    def update_once(self, timeout_s: float = 30.0) -> float:
        """One stroke segment; seconds until probabilities, input and 256 maps are painted."""
        x, y, new_stroke = next(self._points)
        canvas, button = self.window.canvas, self._Qt.MouseButton.LeftButton
        no_keys = self._Qt.KeyboardModifier.NoModifier
        if new_stroke and self._down:
            self._QTest.mouseRelease(canvas, button, no_keys, self._to_widget(x, y))
            self._down = False
            self._strokes += 1
            if self._strokes % 3 == 0:
                canvas.clear()
            self._settle(timeout_s)
        t0 = time.perf_counter()
        if not self._down:
            self._QTest.mousePress(canvas, button, no_keys, self._to_widget(x, y))
            self._QTest.mouseMove(canvas, self._to_widget(x + 3, y + 3))
            self._down = True
        else:
            self._QTest.mouseMove(canvas, self._to_widget(x, y))
        self._settle(timeout_s)
        return time.perf_counter() - t0

    def _settle(self, timeout_s: float) -> None:
        deadline = time.perf_counter() + timeout_s
        while not self._repainted():
            if time.perf_counter() > deadline:
                raise TimeoutError("the window did not repaint within the timeout")
            self.app.processEvents(self._wait)  # sleeps until an event comes


@dataclass
class LiveFigures:
    latencies_s: list[float]  # one per timed stroke segment
    updates: int  # live updates made in all (warm-up, timed and memory)
    rss_1000_mb: float  # NaN if fewer than 1,000 updates were made
    rss_end_mb: float


PRESENTATION_SIZE = (1920, 1080)  # a projector's full HD


def bench_live(predictor, updates: int, segments: int, log, presentation: bool = False) -> LiveFigures:
    """Time ``segments`` stroke segments, then keep drawing up to ``updates`` live updates,
    reading the resident memory after the 1,000th and the last. With ``presentation``, in
    presentation mode at PRESENTATION_SIZE, waiting for its big answer, bars and maps."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["sketchscope-bench"])
    folder = tempfile.mkdtemp(prefix="sketchscope-bench-settings-")
    settings = QSettings(os.path.join(folder, "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow("mnist", loader=lambda dataset: predictor, settings=settings,
                        data_folder=folder)  # not the user's autosave and gallery
    window.resize(1280, 800)
    window.show()
    if presentation:
        window.presenter.enter()
        view = window.presenter.view
        view.showNormal()  # the offscreen screen is small: a projector-sized window instead
        view.resize(*PRESENTATION_SIZE)
    driver = LiveDriver(window, app, presentation)
    heartbeat = QTimer()  # wakes the waiting loops now and then, so that deadlines are checked
    heartbeat.start(100)
    try:
        deadline = time.perf_counter() + 60
        while window.client.model_state("mnist") != "ready" or not driver._repainted():
            if time.perf_counter() > deadline:
                raise TimeoutError("the window never became ready")
            app.processEvents(driver._wait)
        warm_up = 20  # first paints, first preprocessing
        total = max(updates, warm_up + segments)
        latencies: list[float] = []
        rss_1000 = float("nan")
        t0 = time.perf_counter()
        for done in range(1, total + 1):
            seconds = driver.update_once()
            if warm_up < done <= warm_up + segments:
                latencies.append(seconds)
            if done == 1000:
                rss_1000 = rss_mb()
            if done % 2000 == 0:
                log(f"  {done} live updates, {rss_mb():.0f} MB, {time.perf_counter() - t0:.0f} s")
        return LiveFigures(latencies, total, rss_1000, rss_mb())
    finally:
        heartbeat.stop()
        window.close()


def bench_replay(predictor, runs: int = 5, strokes: int = 20) -> list[float]:
    """Seconds from starting the replay of a ``strokes``-stroke drawing to its timeline (pages
    rendered, every step preprocessed and classified in the worker, the answer back)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["sketchscope-bench"])
    folder = tempfile.mkdtemp(prefix="sketchscope-bench-replay-")
    settings = QSettings(os.path.join(folder, "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow("mnist", loader=lambda dataset: predictor, settings=settings,
                        data_folder=folder)
    window.show()
    wait = QEventLoop.ProcessEventsFlag.WaitForMoreEvents
    heartbeat = QTimer()
    heartbeat.start(50)
    rng = np.random.default_rng(0)
    times = []
    try:
        deadline = time.perf_counter() + 60
        while window.client.model_state("mnist") != "ready":
            if time.perf_counter() > deadline:
                raise TimeoutError("the model never loaded")
            app.processEvents(wait)
        for k in range(strokes):  # short strokes all over a digit-sized area
            x, y = rng.uniform(60, 220, 2)
            t = np.linspace(0, 1, 12)[:, None]
            points = np.hstack([x + 40 * np.cos(3 * t + k), y + 40 * np.sin(2 * t + k)])
            window.canvas.add_stroke([tuple(p) for p in points])
        window.demos.replay.sig_timeline_ready.connect(lambda _p, seconds: times.append(seconds))
        for run in range(runs + 1):  # the first run warms up
            window.demos.replay.start()
            deadline = time.perf_counter() + 60
            while len(times) <= run:
                if time.perf_counter() > deadline:
                    raise TimeoutError("no timeline within a minute")
                app.processEvents(wait)
            window.demos.replay.stop()
        return times[1:]
    finally:
        heartbeat.stop()
        window.close()


# ---------------------------------------------------------------- launch in a subprocess


def _app_command() -> tuple[list[str], str]:
    """``python main.py``, or the GUI's own entry point if main.py cannot start the GUI yet."""
    probe = subprocess.run([sys.executable, str(ROOT / "main.py"), "--help"], cwd=ROOT,
                           capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S)
    if probe.returncode == 0:
        return [sys.executable, str(ROOT / "main.py")], "python main.py"
    reason = (probe.stderr.strip().splitlines() or ["?"])[-1]
    command = "import sys; from gui.app import main; sys.exit(main([]))"
    return [sys.executable, "-c", command], f"gui.app.main (main.py failed: {reason[:80]})"


def time_launch(command: list[str], event: str, settings_dir: str) -> float:
    """Seconds from starting ``command`` to its ``sketchscope-<event>`` line."""
    env = dict(os.environ, SKETCHSCOPE_EXIT_WHEN=event, QT_QPA_PLATFORM="offscreen",
               XDG_CONFIG_HOME=settings_dir, TF_CPP_MIN_LOG_LEVEL="2")
    t0 = time.time()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=LAUNCH_TIMEOUT_S)
    for line in proc.stdout.splitlines():
        name, _, stamp = line.partition(" ")
        if name == f"sketchscope-{event}":
            return float(stamp) - t0
        if name == "sketchscope-error":
            raise RuntimeError("the app reported that its model failed to load")
    raise RuntimeError(f"no timestamp from the app: {proc.stderr.strip()[-300:]}")


def time_tensorflow_import() -> float:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tensorflow"], env=env, check=True,
                   capture_output=True, timeout=LAUNCH_TIMEOUT_S)
    return time.perf_counter() - t0


# ---------------------------------------------------------------- main


def explore_rows(log) -> list[Row]:
    """The Explore panel's figures (gui.devtools.explore_bench) as table rows."""
    from gui.devtools.explore_bench import bench_explore

    figures = bench_explore(runs=40, top=True, log=log)
    rows = []
    names = {
        "hover_map_ms": "hover an enlarged map: value + receptive field repainted",
        "hover_grid_ms": "hover a map in the grid: receptive field repainted",
        "ablation_ms": "ablation recompute (channels zeroed), one call",
        "saliency_ms": "saliency recompute (Grad-CAM and gradients), one call",
        "ablation_roundtrip_ms": "ablation through the worker, panel repainted",
        "saliency_roundtrip_ms": "saliency through the worker, panel repainted",
    }
    for key, title in names.items():
        f = figures[key]
        rows.append(Row(title, f"median {f['median_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms",
                        f"<= {f['target_ms']:.0f} ms", f["p95_ms"] <= f["target_ms"]))
    top = figures.get("top_examples_first_s")
    if isinstance(top, dict):
        rows.append(Row(f"top examples, all 256 channels over {top['images']:,} test images",
                        f"{top['seconds']:.2f} s first, "
                        f"{figures['top_examples_cached_ms']['median_ms']:.0f} ms cached",
                        f"<= {top['target_s']:.0f} s", top["seconds"] <= top["target_s"]))
    else:
        rows.append(Row("top examples", str(figures.get("top_examples"))[:70], "<= 5 s", None))
    return rows


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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    log(f"{os.cpu_count()} CPUs, load average {load[0]:.1f} (other work slows every figure)")
    rows = launch_rows(args.launches, log)
    predictor, note, engine_rows = inference_rows(args.runs, log)
    rows += engine_rows + live_rows(predictor, args.updates, args.segments, log)
    if not args.no_explore:
        log("the Explore panel: hover, ablation, saliency, top examples ...")
        rows.extend(explore_rows(log))
    print(f"Sketchscope GUI benchmark ({note}; {os.cpu_count()} CPUs, load {load[0]:.1f})")
    print(format_table(rows))
    return 0


def launch_rows(launches: int, log) -> list[Row]:
    """Launch to window shown and to first prediction, against ``import tensorflow``."""
    command, how = _app_command()
    settings_dir = tempfile.mkdtemp(prefix="sketchscope-bench-launch-")
    log(f"launching the app {launches} times per figure via {how} ...")
    tf_import = statistics.median(time_tensorflow_import() for _ in range(launches))
    rows = []
    try:
        shown = statistics.median(time_launch(command, "shown", settings_dir)
                                  for _ in range(launches))
        rows.append(Row("launch -> main window shown (median)",
                        f"{shown:.2f} s (import tensorflow alone: {tf_import:.2f} s)",
                        "<= 1.0 s, < half the TF import", shown <= 1.0 and shown < tf_import / 2))
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        rows.append(Row("launch -> main window shown", f"not measured: {exc}"[:70], "<= 1.0 s",
                        None))
    try:
        ready = statistics.median(time_launch(command, "ready", settings_dir)
                                  for _ in range(launches))
        rows.append(Row("launch -> first prediction possible (median)", f"{ready:.2f} s",
                        "<= 4 s", ready <= 4.0))
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        rows.append(Row("launch -> first prediction possible", f"not measured: {exc}"[:70],
                        "<= 4 s", None))
    return rows


def inference_rows(runs: int, log) -> tuple[object, str, list[Row]]:
    """(the engine, a note on its model, the rows): Engine.run against model.predict, and the
    worker's whole job for one drawing."""
    from model.inference import Engine
    from model.keras_net import load_keras_model

    cnn, dense, note = _models(log)
    log(f"timing inference on the {note} ...")
    predictor = Engine.load(cnn, "mnist", dense)
    own_ms, keras_ms = bench_inference(predictor, load_keras_model(cnn), runs)
    worker_ms = bench_worker(predictor, runs)
    return predictor, note, [
        Row(f"inference, median of {runs}: Engine.run vs model.predict",
            f"{own_ms:.2f} ms vs {keras_ms:.1f} ms = {keras_ms / own_ms:.0f}x",
            "<= 2 ms, >= 25x", own_ms <= 2.0 and keras_ms / own_ms >= 25),
        Row("worker job, one drawing: preprocess + run + colour maps",
            f"median {statistics.median(worker_ms):.1f} ms, p95 {percentile(worker_ms, 95):.1f} ms",
            "-", None),
    ]


def live_rows(predictor, updates: int, segments: int, log) -> list[Row]:
    """Stroke segments through the real widgets, memory, presentation mode and replay."""
    log(f"drawing through the real widgets: {segments} timed segments, "
        f"then up to {updates} live updates ...")
    live = bench_live(predictor, updates, segments, log)
    ms = [1e3 * t for t in live.latencies_s]
    p95 = percentile(ms, 95)
    rows = [Row("stroke segment -> bars, input and 256 maps repainted",
                f"p95 {p95:.1f} ms (median {statistics.median(ms):.1f}, max {max(ms):.0f})",
                "p95 <= 16 ms", p95 <= 16.0)]
    if live.updates > 1000:
        growth = 100.0 * (live.rss_end_mb - live.rss_1000_mb) / live.rss_1000_mb
        rows.append(Row(f"resident memory after 1,000 / {live.updates:,} live updates",
                        f"{live.rss_1000_mb:.0f} MB / {live.rss_end_mb:.0f} MB ({growth:+.1f}%)",
                        "<= 800 MB, < 5% growth", live.rss_end_mb <= 800 and growth < 5.0))
    else:
        rows.append(Row(f"resident memory after {live.updates:,} live updates",
                        f"{live.rss_end_mb:.0f} MB (for the growth, use --updates > 1000)",
                        "<= 800 MB", live.rss_end_mb <= 800))
    log(f"presentation mode at {PRESENTATION_SIZE[0]} x {PRESENTATION_SIZE[1]}: "
        f"{segments} timed segments ...")
    shown = bench_live(predictor, 0, segments, log, presentation=True)
    ms = [1e3 * t for t in shown.latencies_s]
    p95 = percentile(ms, 95)
    rows.append(Row("presentation mode: stroke segment -> answer, bars, maps repainted",
                    f"p95 {p95:.1f} ms = {1000 / p95:.0f} fps (median {statistics.median(ms):.1f})",
                    "60 fps: p95 <= 16.7 ms", p95 <= 1000 / 60))
    log("replaying a 20-stroke drawing ...")
    replay = bench_replay(predictor)
    rows.append(Row(f"replay of a 20-stroke drawing -> timeline computed ({len(replay)} runs)",
                    f"median {statistics.median(replay):.2f} s, max {max(replay):.2f} s",
                    "<= 1 s", max(replay) <= 1.0))
    return rows
