"""Sketchscope: draw a digit or a piece of clothing and watch a CNN read it.

    python main.py [--dataset mnist|fashion]        the app (the default)
    python main.py data fetch [--dataset ...]       fetch and cache the data sets
    python main.py train --dataset mnist|fashion    train a model
    python main.py evaluate --dataset ...           accuracy on the full test split
    python main.py predict IMAGE...                 classify image files
    python main.py bench accuracy | bench gui       benchmarks
"""

import os
import sys

# NumPy's BLAS may spin several threads on a small matrix product; on a 2-core machine that also
# runs TensorFlow that is ten times slower than one thread (measured: 100 ms against 10 ms).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: list[str]) -> int:
    if argv[:2] == ["bench", "gui"]:
        from gui.devtools.bench import main as bench_gui

        return bench_gui(argv[2:])
    if argv and argv[0] in ("data", "train", "evaluate", "predict", "bench"):
        from model.cli import main as model_cli

        return model_cli(argv)
    from gui.app import main as app

    return app(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
