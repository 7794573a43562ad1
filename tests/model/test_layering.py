"""model/ never imports Qt, and importing it stays cheap (no TensorFlow until needed); the
runtime modules (model/*.py) never import the training-only code (model/training/)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (ROOT / "model").glob("*.py") if p.stem != "__init__")
TRAINING = sorted(p.stem for p in (ROOT / "model" / "training").glob("*.py") if p.stem != "__init__")

# Imports the modules named on the command line with the packages named in BLOCKED refused,
# then prints whether TensorFlow and Keras were imported.
PROBE = """
import importlib, sys
BLOCKED = {blocked!r}
class Block:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ImportError("blocked here: " + name)
sys.meta_path.insert(0, Block())
for name in sys.argv[1:]:
    importlib.import_module(name)
print("tensorflow" in sys.modules, "keras" in sys.modules)
"""
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6")


def probe(blocked: tuple[str, ...], modules: list[str]) -> subprocess.CompletedProcess:
    code = PROBE.format(blocked=blocked)
    return subprocess.run([sys.executable, "-c", code, *modules], cwd=ROOT, capture_output=True,
                          text=True)


def test_every_model_module_imports_with_qt_blocked_and_without_tensorflow():
    assert "preprocess" in MODULES and "inference" in MODULES
    assert "train" in TRAINING and "fetch" in TRAINING
    modules = [f"model.{m}" for m in MODULES] + [f"model.training.{m}" for m in TRAINING]
    proc = probe(QT, modules)
    assert proc.returncode == 0, proc.stderr[-800:]
    assert proc.stdout.split() == ["False", "False"]


def test_no_runtime_module_imports_the_training_code():
    assert {"cache", "datasets", "testset", "explain", "cli"} <= set(MODULES)
    for name in MODULES:  # one process each, so that no module hides another's import
        proc = probe(("model.training",), [f"model.{name}"])
        assert proc.returncode == 0, f"model.{name}: {proc.stderr.strip().splitlines()[-1:]}"


def training_imports(source: str) -> list[str]:
    """Every import of model.training in ``source``, at any depth (inside functions too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("model.training")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("model.training"):
                found.append(node.module)
            elif node.module == "model":
                found += [f"model.{a.name}" for a in node.names if a.name == "training"]
    return found


def test_no_runtime_module_imports_the_training_code_even_lazily():
    for name in MODULES:
        source = (ROOT / "model" / f"{name}.py").read_text()
        assert training_imports(source) == [], f"model/{name}.py imports the training code"


def test_the_import_finder_sees_lazy_imports_of_the_training_code():
    source = "def f():\n    from model.training.train import train\n    from model import training\n"
    assert training_imports(source) == ["model.training.train", "model.training"]
    assert training_imports("import model.training.sketch as s\nfrom model import cache\n") == [
        "model.training.sketch"]


def test_the_probe_notices_a_blocked_import():
    proc = probe(("model.training",), ["model.training.sketch"])
    assert proc.returncode != 0 and "blocked here: model.training" in proc.stderr
