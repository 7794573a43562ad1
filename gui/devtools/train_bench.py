"""``python main.py bench train [--json]``: Train Live through the real window and trainer process.

Offscreen, with the shipped models as the live view's: the window is opened, the Train Live
panel shown, and a pen draws on the canvas at a steady pace (a stroke segment every
PACE_S, each timed until the bars, the input and the 256 maps are repainted). After an idle
phase, Train is pressed (MNIST, the CNN from random weights, the course's recipe: the panel's
defaults) and the pen keeps drawing while the network trains. Measured:

- seconds from pressing Train to the first report with >= 95% and >= 98% right on the
  held-out 2,000 MNIST test images (a report every 100 steps, the panel's default; the time is
  when the app received it, so the process start and TensorFlow's import are in it);
- the stroke-to-repaint p95 while training;
- the app process's resident memory idle (panel open, after IDLE_SEGMENTS segments of drawing:
  the app's own memory has settled by then) and while training (the largest sample):
  TensorFlow lives in the trainer, not here.

Wall-clock figures on this machine as it is now (its load average is printed); nothing is
asserted. ``--json`` prints one JSON object as the last line. ``--screenshot PNG`` instead
makes the README's picture of a run: a drawn 5, the panel, presentation colours not used.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from gui.devtools.bench import Row, format_table, percentile
from gui.devtools.bench_live import LiveDriver, rss_mb

PACE_S = 0.05  # a pen moving at 20 segments a second
IDLE_SEGMENTS = 400  # 20 s; the resident memory still grows over the first 200 or so
TARGETS = {"seconds_to_95": 30.0, "seconds_to_98": 120.0, "repaint_p95_ms": 33.0}
RSS_GROWTH = 0.10


@dataclass
class Timeline:
    """When each report came (seconds after Train) and what it said."""

    reports: list[tuple[float, int, float]] = field(default_factory=list)  # (s, step, held-out)
    failure: str = ""

    def first(self, accuracy: float) -> float | None:
        return next((s for s, _step, acc in self.reports if acc >= accuracy), None)


def _quiet_offscreen_notices() -> None:
    """The offscreen platform warns on every change of a window's minimum size; not news."""
    from PySide6.QtCore import qInstallMessageHandler

    previous = None

    def handler(kind, context, message: str) -> None:
        if "does not support propagateSizeHints" in message:
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)


def _app_and_window(data_folder: str, size=(1440, 900)):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    _quiet_offscreen_notices()
    app = QApplication.instance() or QApplication(["sketchscope-bench"])
    settings = QSettings(os.path.join(data_folder, "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow("mnist", settings=settings, data_folder=data_folder)
    window.resize(*size)
    window.show()
    return app, window


def _wait(app, condition, timeout_s: float, what: str) -> None:
    """Process events until ``condition()``; sleeping between them (a busy loop here would
    take the core that the trainer and the app share with it)."""
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout_s:.0f} s")
        app.processEvents()
        time.sleep(0.01)


def _paced(app, driver: LiveDriver) -> float:
    """One stroke segment (its repaint time in seconds), then the rest of PACE_S idle."""
    started = time.perf_counter()
    seconds = driver.update_once()
    while time.perf_counter() - started < PACE_S:
        app.processEvents()
        time.sleep(0.005)
    return seconds


def _record(window, timeline: Timeline, t0: list[float]) -> None:
    from model.training.live_protocol import Report

    def on_event(event) -> None:
        if isinstance(event, Report):
            timeline.reports.append((time.perf_counter() - t0[0], event.step, event.test_accuracy))

    def on_failed(line: str) -> None:
        timeline.failure = line

    window.training.client.sig_event.connect(on_event)
    window.training.client.sig_failed.connect(on_failed)


def bench_train(max_seconds: float, log) -> dict:
    """Run the benchmark; a dict of its figures (see the module's docstring)."""
    from PySide6.QtCore import QTimer

    folder = tempfile.mkdtemp(prefix="sketchscope-bench-train-")
    app, window = _app_and_window(folder)
    heartbeat = QTimer()
    heartbeat.start(50)
    driver = LiveDriver(window, app)
    timeline, t0 = Timeline(), [0.0]
    _record(window, timeline, t0)
    try:
        _wait(app, lambda: window.client.model_state("mnist") == "ready" and driver._repainted(),
              60, "the window's first prediction")
        window.training.action.trigger()
        idle = [_paced(app, driver) for _ in range(IDLE_SEGMENTS)]
        rss_idle = rss_mb()
        log(f"idle: repaint p95 {1e3 * percentile(idle, 95):.1f} ms, {rss_idle:.0f} MB; training ...")
        t0[0] = time.perf_counter()
        window.training.panel.train_button.click()
        training, rss_samples = [], []
        while time.perf_counter() - t0[0] < max_seconds and not timeline.failure:
            training.append(_paced(app, driver))
            if len(training) % 20 == 0:
                rss_samples.append(rss_mb())
            if timeline.first(0.98) is not None or window.training.panel.state == "finished":
                break
        steps = timeline.reports[-1][1] if timeline.reports else 0
        log(f"{len(timeline.reports)} reports, {steps} steps; " + (timeline.failure or "stopping"))
    finally:
        heartbeat.stop()
        window.close()
    return _figures(timeline, idle, training, rss_idle, rss_samples, max_seconds)


def _figures(timeline: Timeline, idle: list[float], training: list[float], rss_idle: float,
             rss_samples: list[float], max_seconds: float) -> dict:
    def rounded(value, digits=1):
        return None if value is None else round(float(value), digits)

    return {
        "seconds_to_95": rounded(timeline.first(0.95)),
        "seconds_to_98": rounded(timeline.first(0.98)),
        "repaint_p95_ms": rounded(1e3 * percentile(training, 95)) if training else None,
        "repaint_median_ms": rounded(1e3 * statistics.median(training)) if training else None,
        "repaint_idle_p95_ms": rounded(1e3 * percentile(idle, 95)),
        "gui_rss_mb_idle": rounded(rss_idle),
        "gui_rss_mb_training": rounded(max(rss_samples)) if rss_samples else None,
        "reports": [[round(s, 1), step, round(acc, 4)] for s, step, acc in timeline.reports],
        "max_seconds": max_seconds,
        "failure": timeline.failure,
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def rows(f: dict) -> list[Row]:
    """The figures as the table's rows, against the targets."""
    def met(key: str):
        return None if f[key] is None else f[key] <= TARGETS[key]

    def seconds(key: str) -> str:
        return "not reached" if f[key] is None else f"{f[key]:.1f} s"

    rss_ok = None
    if f["gui_rss_mb_training"] is not None:
        rss_ok = f["gui_rss_mb_training"] <= f["gui_rss_mb_idle"] * (1 + RSS_GROWTH)
    rss = (f"{f['gui_rss_mb_idle']:.0f} MB idle, {f['gui_rss_mb_training']:.0f} MB training"
           if f["gui_rss_mb_training"] is not None else "not measured")
    return [
        Row("Train -> >= 95% of 2,000 held-out MNIST test images", seconds("seconds_to_95"),
            "<= 30 s", met("seconds_to_95") if f["seconds_to_95"] is not None else False),
        Row("Train -> >= 98% of them", seconds("seconds_to_98"), "<= 120 s",
            met("seconds_to_98") if f["seconds_to_98"] is not None else False),
        Row("stroke segment -> repainted, while training",
            f"p95 {f['repaint_p95_ms']} ms (median {f['repaint_median_ms']}; idle p95 "
            f"{f['repaint_idle_p95_ms']})", "p95 <= 33 ms", met("repaint_p95_ms")),
        Row("the app's resident memory", rss, "training within 10% of idle", rss_ok),
    ]


def screenshot(path: str, seconds_to_wait: float = 120.0) -> int:
    """A real window mid-run: a drawn 5, the panel, the curves past 95%; saved to ``path``."""
    from model.training.live_protocol import Report

    folder = tempfile.mkdtemp(prefix="sketchscope-screenshot-")
    app, window = _app_and_window(folder)
    try:
        _wait(app, lambda: window.client.model_state("mnist") == "ready", 60, "the model")
        turn = np.radians(np.linspace(-140, 150, 24))  # a 5: its bar, its back, its bowl
        window.canvas.add_stroke([(190, 50), (110, 52), (102, 135)])
        window.canvas.add_stroke([(140 + 55 * np.cos(t), 180 + 50 * np.sin(t)) for t in turn])
        window.training.action.trigger()
        window.training.panel.train_button.click()
        last: list[Report] = []
        window.training.client.sig_event.connect(
            lambda e: last.append(e) if isinstance(e, Report) else None)
        _wait(app, lambda: bool(last) and last[-1].test_accuracy >= 0.96, seconds_to_wait,
              "96% held-out accuracy")
        settle = time.perf_counter() + 1.0  # the last report's repaint
        _wait(app, lambda: time.perf_counter() > settle, 5, "a repaint")
        if not window.grab().save(path):
            print(f"error: cannot write {path}", file=sys.stderr)
            return 1
        print(f"wrote {path}")
        return 0
    finally:
        window.close()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py bench train", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="the last line is one JSON object")
    parser.add_argument("--seconds", type=float, default=150.0,
                        help="give up on 98%% after this many seconds of training (default 150)")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="instead: save a picture of the window mid-run (run under Xvfb)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.screenshot:
        return screenshot(args.screenshot)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    load = os.getloadavg()
    log(f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        "(other work slows every figure)")
    figures = bench_train(args.seconds, log)
    print(f"Sketchscope Train Live benchmark ({os.cpu_count()} CPUs, load average "
          f"{load[0]:.2f} before, {figures['load_average'][0]:.2f} after)")
    print(format_table(rows(figures)))
    if figures["failure"]:
        print(f"the trainer failed: {figures['failure']}")
    if args.json:
        print(json.dumps(figures))
    return 0
