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


HOLD_THE_APP = """
import sys, time
from PySide6.QtCore import QCoreApplication
from gui.files import lock_data_folder
app = QCoreApplication([])
lock = lock_data_folder(sys.argv[1])
print("held" if lock is not None else "not held", flush=True)
time.sleep(120)
"""


def test_a_second_app_on_the_same_data_folder_is_refused_and_a_dead_ones_lock_is_taken_over(
        qapp, tmp_path, monkeypatch, capsys):
    """Two windows on one data folder lost data: each rewrote the gallery index and the
    autosave without the other's. A second start on the folder is refused in one line."""
    import signal

    import gui.app
    from gui.files import lock_data_folder

    data = tmp_path / "data"
    monkeypatch.setenv("SKETCHSCOPE_DATA_DIR", str(data))
    first = subprocess.Popen([sys.executable, "-c", HOLD_THE_APP, str(data)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    try:
        assert first.stdout.readline() == "held\n"
        warned, opened = [], []
        monkeypatch.setattr(gui.app.QMessageBox, "warning", lambda *args: warned.append(args[2]))
        monkeypatch.setattr(gui.app, "MainWindow", lambda **kwargs: opened.append(kwargs))
        assert gui.app.main() == 1
        assert opened == []  # no second window: nothing of the first's can be overwritten
        error = capsys.readouterr().err
        assert error == f"error: {warned[0]}\n" and error.count("\n") == 1
        assert warned[0].startswith(f"Sketchscope is already running (process {first.pid}) "
                                    f"with the data folder {data}")
        assert "SKETCHSCOPE_DATA_DIR=" in warned[0]
    finally:
        first.send_signal(signal.SIGKILL)  # it dies holding the lock
        first.wait()
        first.stdout.close()
    lock = lock_data_folder(data)  # a dead process's lock is taken over
    assert lock is not None and lock.isLocked()
    lock.unlock()


def test_the_data_folder_lock_is_one_per_folder_and_none_where_nothing_can_be_written(qapp, tmp_path):
    from gui.files import DataFolderBusy, lock_data_folder

    lock = lock_data_folder(tmp_path / "a")
    with pytest.raises(DataFolderBusy, match=f"process {os.getpid()}"):
        lock_data_folder(tmp_path / "a")
    other = lock_data_folder(tmp_path / "b")  # another folder: another window may run
    assert other is not None
    lock.unlock()
    again = lock_data_folder(tmp_path / "a")
    assert again is not None
    (tmp_path / "a-file").write_text("not a folder")
    assert lock_data_folder(tmp_path / "a-file" / "data") is None
    again.unlock()
    other.unlock()
