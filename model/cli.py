"""The command line of everything that is numbers: data, train, evaluate, predict, bench accuracy.

``main.py`` sends the GUI and ``bench gui`` to :mod:`gui`; everything else comes here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from model.architecture import ARCHS
from model.datasets import DATASET_NAMES

COMMANDS = ("data", "train", "evaluate", "predict", "bench")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python main.py", description="Sketchscope")
    sub = p.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="fetch and cache the data sets")
    data.add_argument("action", choices=["fetch"])
    data.add_argument("--dataset", choices=DATASET_NAMES, action="append")
    data.add_argument("--force", action="store_true", help="rebuild the cache")

    train = sub.add_parser("train", help="train a model")
    train.add_argument("--dataset", choices=DATASET_NAMES, required=True)
    train.add_argument("--arch", choices=ARCHS, default="cnn")
    train.add_argument("--epochs", type=int)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, help="the .keras file (default: the shipped one)")
    train.add_argument("--limit", type=int, help="train on the first N training images only")
    train.add_argument("--init", type=Path, help="start from this trained model (fine-tuning)")
    from model.training.recipes import BASE, STAGE_NAMES

    train.add_argument(
        "--stage",
        choices=STAGE_NAMES,
        default=BASE,
        help="the recipe's schedule: the base run, the fine-tuning run that follows it, "
             "(fashion) a warm restart after that, or a distillation stage, (mnist) a gentler "
             "one after it, one whose teachers answer for several views of each batch, and "
             "that one with fewer online augmentations (all four with --teacher)",
    )
    train.add_argument(
        "--teacher", type=Path, action="append",
        help="a trained .keras model to distil from (repeat for an ensemble: their probabilities "
             "are averaged and mixed into the targets)",
    )

    ev = sub.add_parser("evaluate", help="accuracy on the full test split")
    ev.add_argument("--dataset", choices=DATASET_NAMES, required=True)
    ev.add_argument("--arch", choices=ARCHS, default="cnn")
    ev.add_argument("--model", type=Path)
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--confusion", type=Path, help="confusion-matrix PNG path")

    pr = sub.add_parser("predict", help="classify image files (one JSON object per line)")
    pr.add_argument("--dataset", choices=DATASET_NAMES, default="mnist")
    pr.add_argument("--model", type=Path)
    pr.add_argument("images", nargs="+", type=Path)

    bench = sub.add_parser("bench", help="benchmarks")
    bench.add_argument("what", choices=["accuracy"])
    bench.add_argument("--n", type=int, default=10000, help="test images per set")
    bench.add_argument("--json", action="store_true")
    return p


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from model.datasets import DataError
    from model.inference import ModelError

    try:
        return _COMMAND[args.command](args)
    except (DataError, ModelError) as exc:
        _err(str(exc))
        return 2
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


def _data(args) -> int:
    from model.training.fetch import fetch

    for name in args.dataset or DATASET_NAMES:
        fetch(name, force=args.force)
    return 0


def _train(args) -> int:
    from model.training.train import train

    if args.out is not None and args.out.suffix != ".keras":
        _err(f"--out must end in .keras: {args.out}")
        return 2
    from model.training.recipes import recipe_for

    try:
        recipe = recipe_for(args.dataset, args.arch, args.stage, teachers=args.teacher)
    except ValueError as exc:
        _err(str(exc))
        return 2
    result = train(
        args.dataset, args.arch, epochs=args.epochs, seed=args.seed, out=args.out, limit=args.limit,
        recipe=recipe, init=args.init,
    )
    print(json.dumps(result.card))
    return 0


def _evaluate(args) -> int:
    from model.training.evaluate import evaluate

    confusion = args.confusion or Path("out") / f"confusion-{args.dataset}-{args.arch}.png"
    log = (lambda *a: None) if args.json else print
    result = evaluate(args.dataset, args.model, args.arch, confusion_png=confusion, log=log)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['dataset']}: accuracy {result['accuracy']:.2%} on {result['n']} test images")
    print(f"model: {result['model']}")
    for name, acc in result["per_class_accuracy"].items():
        print(f"  {name:<12} {acc:.2%}")
    print(f"confusion matrix: {result['confusion_png']}")
    return 0


def _predict(args) -> int:
    from model import paths
    from model.datasets import class_names
    from model.imageio import ImageLoadError, load_image
    from model.inference import Predictor
    from model.preprocess import BadImage, EmptyDrawing, preprocess

    model_path = args.model or paths.model_path(args.dataset, "cnn")
    predictor = None
    names = class_names(args.dataset)
    failed = 0
    for path in args.images:
        try:
            image = preprocess(load_image(path), args.dataset)
        except (ImageLoadError, EmptyDrawing, BadImage) as exc:
            _err(f"{path}: {exc}")
            failed += 1
            continue
        if predictor is None:
            predictor = Predictor.load(model_path, args.dataset)
        result = predictor.run(image)
        probs = [round(float(p), 6) for p in result.probabilities]
        print(
            json.dumps(
                {"file": str(path), "label": result.label, "class": names[result.label],
                 "probabilities": probs}
            ),
            flush=True,
        )
    return 1 if failed else 0


def _bench(args) -> int:
    from model.training import bench_accuracy

    print(f"bench accuracy: drawn-style test sets, {args.n} test images each, shipped models")
    rows = bench_accuracy.run(n=args.n)
    print(json.dumps(rows) if args.json else bench_accuracy.format_table(rows))
    return 0


_COMMAND = {
    "data": _data,
    "train": _train,
    "evaluate": _evaluate,
    "predict": _predict,
    "bench": _bench,
}
