"""Make docs/screenshot-mnist.png, docs/screenshot-fashion.png, docs/screenshot-explore.png,
docs/screenshot-presentation.png and docs/screenshot-replay.png: draw with the mouse, grab.

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots.py

Uses the shipped models; where one is missing, an untrained network of the same architecture
stands in and the script says so. ``--dark`` renders with a dark colour scheme (for checking);
``--explore-only`` makes only the Explore view's screenshot, ``--demos-only`` only the
presentation mode's and the replay's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Page coordinates (0..280) of the strokes drawn for each dataset.
THREE = [
    [(92 + 55 * np.sin(a), 92 - 45 * np.cos(a)) for a in np.linspace(-1.9, 2.7, 16)],
    [(118, 138), (150, 136)],
    [(140, 136)] + [(95 + 60 * np.sin(a), 185 - 50 * np.cos(a)) for a in np.linspace(0.4, 3.9, 16)],
]
# A 4 in four strokes: the network reads a 1, then a 7 or a 4, then certainly a 4.
FOUR = [
    [(100, 50), (86, 150)],
    [(86, 150), (210, 150)],
    [(180, 60), (176, 250)],
    [(60, 150), (86, 150)],
]
TSHIRT = [[(112, 48), (62, 62), (28, 112), (58, 134), (74, 118), (76, 236), (204, 236),
           (206, 118), (222, 134), (252, 112), (218, 62), (168, 48), (152, 64), (128, 64),
           (112, 48)]]


def densify(points, step=8.0):
    """Points every ``step`` page pixels along the polyline: one mouse event each."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        n = max(1, int(np.hypot(x1 - x0, y1 - y0) // step))
        out += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]
    return out


def loader_for(dataset: str):
    from model.architecture import build_cnn, build_dense
    from model.inference import Engine
    from model.keras_net import KerasCNN, KerasDense
    from model.paths import model_path

    if model_path(dataset, "cnn").is_file():
        from gui.engine_client import load_shipped_engine

        return load_shipped_engine(dataset)
    print(f"NOTE: {model_path(dataset, 'cnn')} is missing: an UNTRAINED network stands in")
    return Engine(KerasCNN(build_cnn()), dataset, KerasDense(build_dense()))


def dark_palette():
    """A dark theme's palette, as a desktop in dark mode would hand it to Qt."""
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in ((roles.Window, "#2b2b2b"), (roles.WindowText, "#e6e6e6"),
                         (roles.Base, "#1e1e1e"), (roles.AlternateBase, "#333333"),
                         (roles.Text, "#e6e6e6"), (roles.Button, "#3a3a3a"),
                         (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#3d8ee0"),
                         (roles.HighlightedText, "#ffffff"), (roles.Mid, "#555555"),
                         (roles.PlaceholderText, "#8a8a8a")):
        palette.setColor(role, QColor(colour))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


def wait(app, done, seconds: float) -> None:
    deadline = time.time() + seconds
    while not done() and time.time() < deadline:
        app.processEvents()
        time.sleep(0.02)


def open_explore(app, window) -> None:
    """Open the Explore view, enlarge a conv2 map and hover it: the receptive field shows on the
    input and on the canvas."""
    from PySide6.QtTest import QTest

    panel = window.explore
    shown = []
    panel.sig_result_shown.connect(shown.append)
    window.explore_action.trigger()
    wait(app, lambda: bool(shown) and panel.facts is not None, 120)
    panel.select_layer("conv2")
    order = panel.order
    panel.open_map(int(order[0]))  # the map this drawing excites most, if sorted; else map 0
    wait(app, lambda: False, 0.3)
    canvas = panel.map_view.canvas
    QTest.mouseMove(canvas, canvas.point_of(4, 3).toPoint())
    wait(app, lambda: window.canvas.outline() is not None, 5)


def show_replay(app, window, presentation: bool) -> None:
    """Replay the drawing to its end; in the main window, stop at the second-to-last stroke so
    the timeline's cursor shows."""
    ready = []
    window.demos.replay.sig_timeline_ready.connect(lambda *args: ready.append(args))
    window.start_replay()
    window.demos.replay.set_speed(8.0)
    wait(app, lambda: bool(ready) and not window.demos.replay.running(), 60)
    if not presentation:
        window.demos.replay.seek(window.demos.replay.steps() - 2)
    wait(app, lambda: False, 0.5)


def _open_window(dataset: str, dark: bool):
    """The app as at a first start (private settings and autosave), its model loaded."""
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["Sketchscope"])
    if dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    scratch = Path(tempfile.mkdtemp())
    settings = QSettings(str(scratch / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(dataset, loader=loader_for, settings=settings, data_folder=scratch)
    window.show()  # as a first start: 90% of the screen
    QTest.qWaitForWindowExposed(window)
    deadline = time.time() + 120
    while window.client.model_state(dataset) not in ("ready", "error") and time.time() < deadline:
        app.processEvents()
        time.sleep(0.02)
    return app, window


def _draw(app, window, strokes) -> None:
    """Draw ``strokes`` (page coordinates) with the mouse, then wait for every view's answer."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from gui.views.canvas import PAGE_SIZE

    canvas = window.canvas
    rect = canvas.page_rect()
    scale = rect.width() / PAGE_SIZE

    def at(x, y):
        return QPoint(round(rect.x() + x * scale), round(rect.y() + y * scale))

    for stroke in strokes:
        points = densify(stroke)
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         at(*points[0]))
        for x, y in points[1:]:
            QTest.mouseMove(canvas, at(x, y))
            app.processEvents()
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                           at(*points[-1]))
    deadline = time.time() + 30
    while time.time() < deadline:
        app.processEvents()
        result = window.result()
        if result is not None and result.seq == window.client.seq and window.live.feature_maps.painted():
            break
        time.sleep(0.02)


def shoot(dataset: str, strokes, out: Path, compare: bool, dark: bool,
          explore: bool = False, demo: str = "") -> None:
    from PySide6.QtTest import QTest

    app, window = _open_window(dataset, dark)
    if compare:
        window.compare_action.trigger()
    _draw(app, window, strokes)
    if explore:
        open_explore(app, window)
    target = window
    if demo == "replay":
        show_replay(app, window, presentation=False)
    elif demo == "presentation":
        window.presenter.enter()
        target = window.presenter.view
        QTest.qWaitForWindowExposed(target)
        show_replay(app, window, presentation=True)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)
    target.grab().save(str(out))
    print(f"{out}: {window.live.probabilities.headline_text()}")
    window.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dark", action="store_true", help="a dark colour scheme")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--explore-only", action="store_true",
                        help="only the Explore view's screenshot")
    parser.add_argument("--demos-only", action="store_true",
                        help="only the presentation mode's and the replay's screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "-dark" if args.dark else ""
    if args.demos_only:
        shoot("mnist", FOUR, args.out / f"screenshot-replay{suffix}.png", False, args.dark,
              demo="replay")
        shoot("mnist", FOUR, args.out / f"screenshot-presentation{suffix}.png", False, args.dark,
              demo="presentation")
        return 0
    if not args.explore_only:
        shoot("mnist", THREE, args.out / f"screenshot-mnist{suffix}.png", True, args.dark)
        shoot("fashion", TSHIRT, args.out / f"screenshot-fashion{suffix}.png", False, args.dark)
    shoot("mnist", THREE, args.out / f"screenshot-explore{suffix}.png", False, args.dark,
          explore=True)
    if not args.explore_only:
        shoot("mnist", FOUR, args.out / f"screenshot-replay{suffix}.png", False, args.dark,
              demo="replay")
        shoot("mnist", FOUR, args.out / f"screenshot-presentation{suffix}.png", False,
              args.dark, demo="presentation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
