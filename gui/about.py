"""Help > About: the version, what it runs on, and how good each shipped model is."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMessageBox, QWidget

from model.architecture import ARCHS
from model.datasets import DATASETS
from model.paths import RESOURCES, card_path, model_path
from model.version import version

ICON = RESOURCES / "icons" / "sketchscope.png"


def app_icon() -> QIcon:
    return QIcon(str(ICON))


def _package(name: str) -> str:
    """An installed package's version, without importing it (TensorFlow takes seconds)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def model_lines() -> list[str]:
    """Each shipped model's test-split accuracy, as its model card records it."""
    lines = []
    for dataset, info in DATASETS.items():
        for arch in ARCHS:
            card = card_path(model_path(dataset, arch))
            try:
                accuracy = json.loads(Path(card).read_text(encoding="utf-8"))["test_accuracy"]
                said = f"{100 * float(accuracy):.2f}% of the 10,000 test images"
            except (OSError, ValueError, KeyError, TypeError):
                said = "no model card"
            lines.append(f"{info.title}, {arch.upper() if arch == 'cnn' else arch}: {said}")
    return lines


def about_text() -> str:
    import numpy

    runs_on = [f"Python {platform.python_version()}", f"Qt {qVersion()} (PySide6 {pyside_version})",
               f"NumPy {numpy.__version__}", f"LiteRT {_package('ai-edge-litert')}",
               f"TensorFlow {_package('tensorflow-cpu')} (training, evaluation, saliency)"]
    models = "".join(f"<li>{line}</li>" for line in model_lines())
    return (f"<h3>Sketchscope {version()}</h3>"
            "<p>Draw a digit or a piece of clothing and watch a CNN read it, feature map by "
            "feature map.</p>"
            f"<p><b>Runs on</b><br>{'<br>'.join(runs_on)}</p>"
            f"<p><b>The shipped models</b></p><ul>{models}</ul>")


def show_about(parent: QWidget | None) -> None:
    box = QMessageBox(parent)
    box.setWindowTitle("About Sketchscope")
    box.setIconPixmap(app_icon().pixmap(96, 96))
    box.setText(about_text())
    box.exec()
