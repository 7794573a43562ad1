"""Start-up: the GUI modules import without TensorFlow; the app's command-line option."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from main import parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_gui_does_not_import_tensorflow_keras_scipy_or_inference():
    code = (
        "import sys, gui.app, gui.devtools.bench, gui.main_window\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'scipy', 'model.inference', 'PIL')\n"
        "         if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_dataset_option():
    assert parse_args([]).app_dataset is None
    assert parse_args(["--dataset", "fashion"]).app_dataset == "fashion"
    with pytest.raises(SystemExit):
        parse_args(["--dataset", "cifar"])


def test_main_py_opens_the_app_on_the_dataset_it_was_given(monkeypatch):
    import gui.app
    import main

    opened = []
    monkeypatch.setattr(gui.app, "main", lambda dataset=None: opened.append(dataset) or 0)
    assert main.main([]) == 0 and main.main(["--dataset", "fashion"]) == 0
    assert opened == [None, "fashion"]


def test_the_binding_keeps_none_alive(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call (it assumes
    3.12's immortal None), and the app aborts after a few thousand events."""
    before = sys.getrefcount(None)
    for _ in range(500):
        qapp.processEvents()
    assert sys.getrefcount(None) >= before - 50


@pytest.mark.parametrize("args", [[], ["--dataset", "fashion"]])
def test_python_main_py_shows_the_window(args, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SKETCHSCOPE_EXIT_WHEN="shown",
               XDG_CONFIG_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("sketchscope-shown ")


def test_every_gui_module_imports_first_without_a_cycle():
    """Each module must import on its own (the benchmark imports gui.jobs first)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    modules = sorted(
        ".".join(p.relative_to(root).with_suffix("").parts)
        for p in (root / "gui").rglob("*.py")
        if p.name != "__init__.py"
    )
    for name in modules:
        proc = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=root,
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{name}: {proc.stderr.strip().splitlines()[-1:]}"
