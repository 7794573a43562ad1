"""model/ never imports Qt, and importing it stays cheap (no TensorFlow until needed)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (ROOT / "model").glob("*.py") if p.stem != "__init__")

PROBE = """
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "shiboken6"):
            raise ImportError("Qt is blocked in model/: " + name)
sys.meta_path.insert(0, Block())
for name in sys.argv[1:]:
    importlib.import_module("model." + name)
print("tensorflow" in sys.modules, "keras" in sys.modules)
"""


def test_every_model_module_imports_with_qt_blocked_and_without_tensorflow():
    assert "preprocess" in MODULES and "inference" in MODULES
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *MODULES], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-800:]
    assert proc.stdout.split() == ["False", "False"]
