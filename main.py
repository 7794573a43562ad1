"""Sketchscope: draw a digit or a piece of clothing and watch a CNN read it.

    python main.py [--dataset mnist|fashion]        the app (the default)
    python main.py COMMAND ...                      data, train, export, evaluate, predict, bench
    python main.py [COMMAND] --help                 what each takes

One parser, with a sub-parser per command. Parsing imports nothing heavy: TensorFlow, Keras,
SciPy and Qt are imported only on the path of the command that needs them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

# NumPy's BLAS may spin several threads on a small matrix product; on a 2-core machine that also
# runs TensorFlow that is ten times slower than one thread (measured: 100 ms against 10 ms).
# Set before anything imports NumPy (the parser's tables do), as OpenBLAS reads it once.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Sketchscope's models are TensorFlow's: a user's ~/.keras/keras.json (or environment) that
# picks JAX or PyTorch must not decide for this process. Set before anything imports Keras.
os.environ["KERAS_BACKEND"] = "tensorflow"

# The benchmarks that drive the real window, each a module that parses its own options.
GUI_BENCHES = {"gui": "gui.devtools.bench", "train": "gui.devtools.train_bench"}
APP_HELP = "Without a COMMAND: the app. `main.py COMMAND --help` tells a command's options."


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line: what is wrong, and where the help is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands: dict[str, Parser] = {}  # its sub-command parsers, by name

    def error(self, message: str):
        from model.errors import printable  # an argument may hold a newline: still one line

        self.exit(2, f"{self.prog}: error: {printable(message)} (see: {self.prog} --help)\n")


def whole_number(low: int, high: int | None = None, name: str = "a whole number"):
    """An argparse type: an int from ``low`` to ``high`` (no upper bound if None), else a
    one-line usage error before any work starts."""
    span = f"from {low:,} to {high:,}" if high is not None else f"of at least {low:,}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{name} {span} is needed, not {value}")
        return value

    return parse


SEED = whole_number(0, 2**32 - 1, "a seed")  # NumPy's seeds are unsigned 32-bit numbers
AT_LEAST_ONE = whole_number(1)


class _PrintVersion(argparse.Action):
    """``--version``, read from the package's metadata only when asked (50 ms of imports)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from model.version import version

        print(f"Sketchscope {version()}")  # stdout, as argparse's own version action does
        parser.exit(0)


def build_parser() -> Parser:
    from model.datasets import DATASET_NAMES

    parser = Parser(prog="main.py", epilog=APP_HELP, description="Sketchscope: draw a digit or "
                    "a piece of clothing and watch a CNN read it, feature map by feature map.")
    parser.add_argument("--dataset", dest="app_dataset", choices=DATASET_NAMES,
                        help="the app starts on digits (mnist) or clothing (fashion); "
                             "default: as last time")
    parser.add_argument("--version", action=_PrintVersion, nargs=0,
                        help="show the program's version number and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    parser.commands = commands.choices
    _add_data(commands, DATASET_NAMES)
    _add_train(commands, DATASET_NAMES)
    _add_export(commands)
    _add_evaluate_and_predict(commands, DATASET_NAMES)
    _add_bench(commands)
    return parser


def _command(commands, name: str, summary: str, handler: str | None, **kwargs) -> Parser:
    """A sub-command; ``handler`` is "module:function", imported only when it runs."""
    sub = commands.add_parser(name, help=summary, description=summary, **kwargs)
    sub.set_defaults(handler=handler)
    return sub


def _add_data(commands, dataset_names) -> None:
    data = _command(commands, "data", "fetch and cache the data sets", "model.training.cli:data")
    data.add_argument("action", choices=["fetch"])
    data.add_argument("--dataset", choices=dataset_names, action="append",
                      help="this data set only (repeat for both; default: both)")
    data.add_argument("--force", action="store_true", help="rebuild the cache")


def _add_train(commands, dataset_names) -> None:
    from model.architecture import ARCHS
    from model.training.recipes import BASE, BASE_HELP, STAGE_NAMES, STAGES

    stages = [f"{BASE} ({BASE_HELP})"] + [
        f"{name} ({stage.help}; for {', '.join(f'{d} {a}' for d, a in stage.schedules)}"
        f"{'; needs --teacher' if stage.needs_teacher else ''})"
        for name, stage in STAGES.items()
    ]
    train = _command(commands, "train", "train a model", "model.training.cli:train")
    train.add_argument("--dataset", choices=dataset_names, required=True)
    train.add_argument("--arch", choices=ARCHS, default="cnn")
    train.add_argument("--epochs", type=AT_LEAST_ONE, help="default: the stage's schedule")
    train.add_argument("--seed", type=SEED, default=0, help="0 to 2**32 - 1 (default 0)")
    train.add_argument("--out", type=Path,
                       help="the .keras file (default: out/DATASET_ARCH.keras, with _STAGE after "
                            "a later stage; the shipped models only when named here)")
    train.add_argument("--limit", type=AT_LEAST_ONE, help="train on the first N training images only")
    train.add_argument("--init", type=Path, help="start from this trained model (a later stage)")
    train.add_argument("--stage", choices=STAGE_NAMES, default=BASE,
                       help="the recipe's schedule: " + "; ".join(stages))
    train.add_argument("--teacher", type=Path, action="append",
                       help="a trained .keras model to distil from (repeat for an ensemble: "
                            "their probabilities are averaged and mixed into the targets)")


def _add_export(commands) -> None:
    export = _command(commands, "export", "write the LiteRT .tflite the app runs beside each .keras",
                      "model.training.cli:export")
    export.add_argument("--model", type=Path, action="append",
                        help="this .keras file (repeat for more; default: the four shipped models)")


def _add_evaluate_and_predict(commands, dataset_names) -> None:
    from model.architecture import ARCHS

    evaluate = _command(commands, "evaluate", "accuracy on the full test split",
                        "model.training.cli:evaluate")
    evaluate.add_argument("--dataset", choices=dataset_names, required=True)
    evaluate.add_argument("--arch", choices=ARCHS, default="cnn")
    evaluate.add_argument("--model", type=Path, help="default: the shipped model of --arch")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--confusion", type=Path, help="confusion-matrix PNG path")

    predict = _command(commands, "predict", "classify image files (one JSON object per line)",
                       "model.cli:predict")
    predict.add_argument("--dataset", choices=dataset_names, default="mnist")
    predict.add_argument("--model", type=Path, help="default: the shipped CNN of --dataset")
    predict.add_argument("images", nargs="+", type=Path)


def _add_bench(commands) -> None:
    bench = _command(commands, "bench", "benchmarks: drawn-style accuracy, or the app's speed "
                     "and memory", None)
    what = bench.add_subparsers(dest="what", metavar="WHAT", title="benchmarks", required=True)
    bench.commands = what.choices
    accuracy = what.add_parser("accuracy", help="the shipped CNNs on drawn-style test sets")
    accuracy.add_argument("--n", type=whole_number(1, 10_000), default=10_000,
                          help="test images per set (1 to 10,000; default all 10,000)")
    accuracy.add_argument("--json", action="store_true")
    accuracy.set_defaults(handler="model.training.cli:bench_accuracy")
    # The GUI benchmarks read their own options (gui/devtools/): they are passed on.
    what.add_parser("gui", add_help=False,
                    help="the app's speed and memory (its options: main.py bench gui --help)")
    what.add_parser("train", add_help=False,
                    help="Train Live through the real window and trainer process: seconds to "
                         "95%% and 98%%, repaint and memory while training (main.py bench train "
                         "--help)")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The parsed command line; argparse's one-line error and exit status 2 when it is wrong.
    ``bench gui``'s and ``bench train``'s own arguments are left in ``bench_gui_argv``."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "bench" and args.what in GUI_BENCHES:
        args.bench_gui_argv = rest
    elif rest:
        where = parser  # the innermost command given, so that its help is the one named
        for name in (args.command, getattr(args, "what", None)):
            where = where.commands.get(name, where)
        where.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command and args.app_dataset:
        parser.error(f"--dataset before {args.command} is the app's option; "
                     f"give it after the command: main.py {args.command} ... --dataset ...")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.command is None:
        from gui.display_check import check  # before Qt: it aborts when it cannot start

        problem = check()
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
        from gui.app import main as app

        return app(args.app_dataset)
    if args.command == "bench" and args.what in GUI_BENCHES:
        bench = importlib.import_module(GUI_BENCHES[args.what])
        return bench.main(args.bench_gui_argv)
    from model.cli import run

    module, function = args.handler.split(":")
    return run(getattr(importlib.import_module(module), function), args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
