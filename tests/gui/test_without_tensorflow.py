"""The app runs on LiteRT: a session through everything but saliency never imports TensorFlow."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_session_through_everything_but_saliency_never_imports_tensorflow(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path),
               SKETCHSCOPE_DATA_DIR=str(tmp_path / "data"), SKETCHSCOPE_CACHE=os.environ.get(
                   "SKETCHSCOPE_CACHE", str(Path.home() / ".cache" / "sketchscope")))
    proc = subprocess.run([sys.executable, "-m", "tests.gui.sessions.without_tensorflow"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-1500:] + proc.stdout[-500:]
    assert "loaded: none" in proc.stdout
