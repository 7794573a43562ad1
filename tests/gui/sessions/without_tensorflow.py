"""A scripted session through everything in the app but saliency, with the shipped models and
the real test split; prints the modules it found loaded at the end. Run by
tests/gui/test_without_tensorflow.py in a process of its own (pytest's own process has
TensorFlow loaded by other tests)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui.main_window import MainWindow  # noqa: E402

TIMEOUT_S = 120


def wait(app, done, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.005)


def answered(window, check=lambda r: True):
    def done():
        result = window.result()
        return result is not None and result.seq == window.client.seq and check(result)

    return done


def draw_and_read(app, window) -> None:
    window.canvas.add_stroke([(150.0, 50.0), (140.0, 140.0), (132.0, 230.0)])
    wait(app, answered(window, lambda r: r.probabilities is not None), "a prediction")
    for dataset in ("fashion", "mnist"):
        window.dataset_actions[dataset].trigger()
        wait(app, answered(window, lambda r, d=dataset: r.dataset == d and r.probabilities is not None),
             f"the {dataset} model")
    window.compare_action.trigger()
    wait(app, answered(window, lambda r: r.dense_probabilities is not None), "the dense network")


def demos(app, window, folder: Path) -> None:
    replayed = []
    window.demos.replay.sig_timeline_ready.connect(lambda *args: replayed.append(args))
    window.start_replay()
    wait(app, lambda: bool(replayed), "the replay's timeline")
    window.demos.replay.stop()
    window.presenter.enter()
    wait(app, answered(window), "presentation mode")
    window.presenter.leave()
    browser = window.demos.browser
    browser.show_next()
    wait(app, lambda: browser.split() is not None and browser.split().probabilities is not None,
         "the test split and the model's answers on it")
    browser.show_mistake(1)
    wait(app, answered(window, lambda r: r.probabilities is not None), "a test image's answer")
    window.demos.start_challenge()
    window.demos.challenge.stop()
    window.canvas.add_stroke([(100.0, 60.0), (200.0, 60.0), (120.0, 240.0)])
    wait(app, answered(window, lambda r: r.probabilities is not None), "the drawing's answer")
    if not window.demos.keep_drawing(label=7):
        raise SystemExit("the drawing was not kept in the gallery")
    saved = window.files.save_drawing(folder / "seven.json")
    window.files.save_drawing(folder / "seven.png")
    window.files.open_drawing(saved)
    window.files.open_image(folder / "seven.png")
    wait(app, answered(window, lambda r: r.probabilities is not None), "the opened picture's answer")


def explore(app, window) -> None:
    window.explore_action.trigger()
    panel = window.explore
    wait(app, lambda: panel.facts is not None and panel.result is not None, "Explore's facts")
    panel.select_layer("conv2")
    panel.open_map(3)  # its kernels
    panel.set_channel_off("conv2", 3)
    wait(app, lambda: panel.result is not None and panel.result.ablated is not None, "an ablation")
    panel.tabs.setCurrentWidget(panel.top_view)
    panel.open_map(5)
    wait(app, lambda: panel.top is not None, "the top examples")


def main() -> int:
    app = QApplication.instance() or QApplication(["sketchscope-session"])
    folder = Path(tempfile.mkdtemp(prefix="sketchscope-session-"))
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow("mnist", settings=settings, data_folder=folder)
    window.show()
    heartbeat = QTimer()
    heartbeat.start(50)
    draw_and_read(app, window)
    demos(app, window, folder)
    explore(app, window)
    window.close()
    heavy = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
    print("loaded:", ",".join(heavy) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
