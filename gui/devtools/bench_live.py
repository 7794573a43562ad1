"""The benchmark's figures through the real widgets (offscreen): a stroke segment to everything
repainted, in the window and in presentation mode; resident memory over many live updates; a
replay's timeline. In this process, with the engine the benchmark gives the window.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass

import numpy as np


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
