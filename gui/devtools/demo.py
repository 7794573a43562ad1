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


def model_source(dataset: str, scratch: Path):
    """(path, keras model or None, note): the shipped model, else an untrained one saved to ``scratch``."""
    from model.paths import model_path

    shipped = model_path(dataset)
    if shipped.is_file():
        return shipped, None, f"trained {dataset} model"
    import keras

    from model.architecture import build_cnn

    keras.utils.set_random_seed(0)
    model = build_cnn()
    path = scratch / "untrained_cnn.keras"
    model.save(path)
    return path, model, "UNTRAINED model (no shipped model yet)"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.devtools.demo")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--shot", type=Path, help="save a screenshot here and quit")
    parser.add_argument("--layer", default="conv2")
    parser.add_argument("--channel", type=int, default=-1, help="the map to open (default: the strongest)")
    parser.add_argument("--tab", choices=("kernels", "top"), default="kernels")
    args = parser.parse_args(argv)

    import tempfile

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from gui.explore.panel import ExplorePanel
    from model.preprocess import preprocess

    app = QApplication.instance() or QApplication(sys.argv[:1])
    scratch = Path(tempfile.mkdtemp(prefix="sketchscope-demo-"))
    path, keras_model, note = model_source(args.dataset, scratch)
    panel = ExplorePanel()
    panel.setWindowTitle(f"Sketchscope - inside the network ({note})")
    panel.resize(1280, 860)
    panel.show()

    def wait_for(condition, seconds: float = 60.0) -> None:
        loop = QEventLoop()
        timer = QTimer()
        timer.timeout.connect(lambda: loop.quit() if condition() else None)
        timer.start(20)
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
        timer.stop()

    panel.set_model(path, args.dataset, keras_model)
    panel.set_image(preprocess(drawn_seven(), args.dataset))
    wait_for(lambda: panel.result is not None)
    if args.shot is None:
        app.exec()
        panel.shutdown()
        return 0

    panel.select_layer(args.layer)
    maps = panel.result.prediction.feature_maps[("conv1", "pool1", "conv2", "pool2").index(args.layer)]
    channel = args.channel if args.channel >= 0 else int(np.argmax(maps.max(axis=(0, 1))))
    panel.open_map(channel)
    panel.set_saliency(True)
    wait_for(lambda: panel.result is not None and panel.result.gradcam is not None)
    if args.tab == "top":
        panel.tabs.setCurrentWidget(panel.top_view)
        wait_for(lambda: panel.client.top is not None, 120)
    else:
        panel.tabs.setCurrentWidget(panel.kernel_grid)
    row, col = np.unravel_index(int(np.argmax(maps[..., channel])), maps.shape[:2])
    canvas = panel.map_view.canvas
    point = canvas.point_of(int(row), int(col))
    move = QMouseEvent(QMouseEvent.Type.MouseMove, point, canvas.mapToGlobal(point),
                       Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas, move)
    wait_for(lambda: False, 0.3)
    args.shot.parent.mkdir(parents=True, exist_ok=True)
    panel.export_view("panel", args.shot)
    print(f"saved {args.shot} ({note}; {args.layer} map {channel}, position ({row}, {col}))")
    panel.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
