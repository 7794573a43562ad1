"""The exploration panel on its own, for a look or a screenshot:

    python -m gui.devtools.demo                      a window (the shipped mnist model, or an untrained one)
    python -m gui.devtools.demo --shot docs/x.png    build it, show a map with its receptive field,
                                                     kernels and saliency, save a PNG and quit
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def drawn_seven() -> np.ndarray:
    """A page with a hand-drawn-looking 7 (dark ink on white), as the canvas would give it."""
    from PIL import Image, ImageDraw

    page = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(page)
    pen.line([(70, 70), (200, 64), (206, 72)], fill=0, width=18, joint="curve")
    pen.line([(206, 72), (150, 160), (120, 226)], fill=0, width=18, joint="curve")
    pen.line([(110, 140), (190, 138)], fill=0, width=14)
    return np.asarray(page)


def model_source(dataset: str, scratch: Path) -> tuple[Path, str]:
    """(path, note): the shipped model, else an untrained one saved to ``scratch``."""
    from model.paths import model_path

    shipped = model_path(dataset)
    if shipped.is_file():
        return shipped, f"trained {dataset} model"
    import keras

    from model.architecture import build_cnn

    keras.utils.set_random_seed(0)
    path = scratch / "untrained_cnn.keras"
    build_cnn().save(path)
    return path, "UNTRAINED model (no shipped model yet)"


def explore_session(dataset: str, scratch: Path, images=None):
    """The Explore panel on its own, wired to an engine client for ``dataset``'s shipped (or
    an untrained) model: (panel, client, link, note). Shut the client down when done."""
    from gui.engine_client import EngineClient
    from gui.explore.link import ExploreLink
    from gui.explore.panel import ExplorePanel
    from gui.jobs import shipped_test_images
    from model.inference import Engine

    path, note = model_source(dataset, scratch)
    client = EngineClient(lambda d: Engine.load(path, d), dataset,
                          test_images=images or shipped_test_images)
    panel = ExplorePanel()
    link = ExploreLink(panel, client)
    panel.set_dataset(dataset)
    client.request_facts()
    return panel, client, link, note


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.devtools.demo")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--shot", type=Path, help="save a screenshot here and quit")
    parser.add_argument("--layer", default="conv2")
    parser.add_argument("--channel", type=int, default=-1, help="the map to open (default: the strongest)")
    parser.add_argument("--tab", choices=("kernels", "top"), default="kernels")
    args = parser.parse_args(argv)

    import tempfile

    from PySide6.QtWidgets import QApplication

    from model.preprocess import preprocess

    app = QApplication.instance() or QApplication(sys.argv[:1])
    scratch = Path(tempfile.mkdtemp(prefix="sketchscope-demo-"))
    panel, client, link, note = explore_session(args.dataset, scratch)
    panel.setWindowTitle(f"Sketchscope - inside the network ({note})")
    panel.resize(1280, 860)
    panel.show()
    link.show_input(preprocess(drawn_seven(), args.dataset))
    _wait_for(lambda: panel.result is not None and panel.facts is not None)
    if args.shot is None:
        app.exec()
    else:
        _shoot(panel, args, note)
    client.shutdown()
    return 0


def _wait_for(condition, seconds: float = 60.0) -> None:
    """Run the event loop until ``condition()`` holds, or ``seconds`` have passed."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if condition() else None)
    timer.start(20)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()


def _shoot(panel, args: argparse.Namespace, note: str) -> None:
    """Open the chosen map with saliency on and hover its strongest position; save the panel."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    panel.select_layer(args.layer)
    maps = panel.result.prediction.feature_maps[("conv1", "pool1", "conv2", "pool2").index(args.layer)]
    channel = args.channel if args.channel >= 0 else int(np.argmax(maps.max(axis=(0, 1))))
    panel.open_map(channel)
    panel.set_saliency(True)
    _wait_for(lambda: panel.result is not None and panel.result.explanation is not None)
    if args.tab == "top":
        panel.tabs.setCurrentWidget(panel.top_view)
        _wait_for(lambda: panel.top is not None, 120)
    else:
        panel.tabs.setCurrentWidget(panel.kernel_grid)
    row, col = np.unravel_index(int(np.argmax(maps[..., channel])), maps.shape[:2])
    canvas = panel.map_view.canvas
    point = canvas.point_of(int(row), int(col))
    move = QMouseEvent(QMouseEvent.Type.MouseMove, point, canvas.mapToGlobal(point),
                       Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas, move)
    _wait_for(lambda: False, 0.3)
    args.shot.parent.mkdir(parents=True, exist_ok=True)
    panel.export_view("panel", args.shot)
    print(f"saved {args.shot} ({note}; {args.layer} map {channel}, position ({row}, {col}))")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
