"""The benchmark's figures that need a fresh process: start-up (also with the worst drawing an
autosave may hold to restore), ``predict``, saliency's first use.

Each runs ``python main.py ...`` (or a short script) in a subprocess, on the LiteRT path the app
takes and, for comparison in the same run, on the TensorFlow path (``SKETCHSCOPE_ENGINE=
tensorflow``: the engine ignores the exports, as the app did before them). The launches are a
user's usual start: with Python's bytecode cache, which a first, untimed launch writes
(``PYTHONDONTWRITEBYTECODE``, set on some machines, would have every start compile every
module again; :func:`launches` can measure that too).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 180
TF_PATH = {"SKETCHSCOPE_ENGINE": "tensorflow"}


def _env(extra: dict | None = None, bytecode: bool = True) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="2", **(extra or {}))
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:  # an empty cache folder that is never written: every module compiled at every start
        env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="pyc-"))
    return env


def time_launch(event: str, settings_dir: str, extra: dict | None = None,
                bytecode: bool = True) -> float:
    """Seconds from starting ``python main.py`` to its ``sketchscope-<event>`` line ("shown":
    the window's first frame; "ready": the model can predict)."""
    env = _env({"SKETCHSCOPE_EXIT_WHEN": event, "XDG_CONFIG_HOME": settings_dir,
                "SKETCHSCOPE_DATA_DIR": settings_dir, **(extra or {})}, bytecode)
    t0 = time.time()
    proc = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    for line in proc.stdout.splitlines():
        name, _, stamp = line.partition(" ")
        if name == f"sketchscope-{event}":
            return float(stamp) - t0
        if name == "sketchscope-error":
            raise RuntimeError("the app reported that its model failed to load")
    raise RuntimeError(f"no timestamp from the app: {proc.stderr.strip()[-300:]}")


def launches(event: str, n: int, extra: dict | None = None, bytecode: bool = True) -> float:
    """The median of ``n`` launches to ``event``, after an untimed one (it writes the bytecode
    cache and warms the disk cache)."""
    folder = tempfile.mkdtemp(prefix="sketchscope-bench-launch-")
    time_launch(event, folder, extra, bytecode)
    return statistics.median(time_launch(event, folder, extra, bytecode) for _ in range(n))


def worst_drawing():
    """The costliest drawing an autosave may hold: MAX_POINTS points in strokes of 40, every
    piece a 120-pixel eraser stroke (MAX_WIDTH, doubled) from one random place to another."""
    import numpy as np

    from model.drawing import MAX_POINTS, MAX_WIDTH, Drawing, StrokeData

    rng = np.random.default_rng(9)
    xy = rng.uniform(0, 280, (MAX_POINTS, 2))
    return Drawing(tuple(StrokeData(True, tuple((float(x), float(y), MAX_WIDTH) for x, y in
                                                xy[k:k + 40])) for k in range(0, MAX_POINTS, 40)))


WRITE_WORST = """
import sys
from pathlib import Path
from gui.autosave import AUTOSAVE_NAME, write_autosave
from gui.devtools.bench_launch import worst_drawing
write_autosave(Path(sys.argv[1]) / AUTOSAVE_NAME, worst_drawing())
"""


def worst_restore(n: int) -> float:
    """The median of ``n`` launches to the window's first frame with :func:`worst_drawing` to
    restore, after an untimed one."""
    folder = tempfile.mkdtemp(prefix="sketchscope-bench-restore-")
    # Written by a child: 5,000 points built here would add 12 MB to this process's memory
    # figure, which is meant to be the live views'.
    subprocess.run([sys.executable, "-c", WRITE_WORST, folder], cwd=ROOT, env=_env(), check=True,
                   timeout=TIMEOUT_S)
    time_launch("shown", folder)
    return statistics.median(time_launch("shown", folder) for _ in range(n))


def time_predict(image: Path, n: int, extra: dict | None = None) -> float:
    """The median seconds of the whole ``python main.py predict IMAGE`` process."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "predict", str(image)],
                              cwd=ROOT, env=_env(extra), capture_output=True, text=True,
                              timeout=TIMEOUT_S)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(f"predict failed: {proc.stderr.strip()[-200:]}")
    return statistics.median(times)


SALIENCY = """
import sys, time, numpy as np
from model.inference import Engine
from model.paths import model_path
engine = Engine.load(model_path("mnist", "cnn"), "mnist")
x = np.zeros((28, 28, 1), np.float32); x[4:24, 12:16] = 1
assert "tensorflow" not in sys.modules
t0 = time.perf_counter(); engine.explain(x); first = time.perf_counter() - t0
later = []
for i in range(20):
    t0 = time.perf_counter(); engine.explain(np.roll(x, i % 5, axis=1))
    later.append(time.perf_counter() - t0)
print(first, float(np.median(later)), float(np.percentile(later, 95)))
"""


def time_saliency() -> tuple[float, float, float]:
    """Saliency in a fresh process: (first use in s, TensorFlow's import included; later uses'
    median and p95 in ms)."""
    proc = subprocess.run([sys.executable, "-c", SALIENCY], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"saliency failed: {proc.stderr.strip()[-200:]}")
    first, median, p95 = (float(v) for v in proc.stdout.split()[-3:])
    return first, 1e3 * median, 1e3 * p95


def time_tensorflow_import() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tensorflow"], env=_env(), check=True,
                   capture_output=True, timeout=TIMEOUT_S)
    return time.perf_counter() - t0
