"""The training-only commands of ``main.py`` (which parses them): data, train, export, evaluate,
bench accuracy. Each imports what it needs when it runs."""

from __future__ import annotations

import json
from pathlib import Path

from model.cli import error
from model.datasets import DATASET_NAMES


def data(args) -> int:
    """``data fetch``: fetch and cache the data sets."""
    from model.training.fetch import fetch

    for name in args.dataset or DATASET_NAMES:
        fetch(name, force=args.force)
    return 0


def train(args) -> int:
    """``train``: one stage of a recipe; prints the model card."""
    from model.training.train import train as train_model

    if args.out is not None and args.out.suffix != ".keras":
        error(f"--out must end in .keras: {args.out}")
        return 2
    from model.training.recipes import recipe_for

    try:
        recipe = recipe_for(args.dataset, args.arch, args.stage, teachers=args.teacher)
    except ValueError as exc:
        error(str(exc))
        return 2
    result = train_model(
        args.dataset, args.arch, epochs=args.epochs, seed=args.seed, out=args.out, limit=args.limit,
        recipe=recipe, init=args.init,
    )
    print(json.dumps(result.card))
    return 0


def export(args) -> int:
    """``export``: a LiteRT .tflite beside each .keras (default: the four shipped models),
    checked output by output and recorded in the model card."""
    from model import paths
    from model.architecture import ARCHS
    from model.training.export import export as export_model

    models = args.model or [paths.model_path(d, a) for d in DATASET_NAMES for a in ARCHS]
    for model in models:
        export_model(model)
    return 0


def evaluate(args) -> int:
    """``evaluate``: accuracy on the full test split, per class, and a confusion matrix."""
    from model.training.evaluate import evaluate as evaluate_model

    confusion = args.confusion or Path("out") / f"confusion-{args.dataset}-{args.arch}.png"
    log = (lambda *a: None) if args.json else print
    result = evaluate_model(args.dataset, args.model, args.arch, confusion_png=confusion, log=log)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['dataset']}: accuracy {result['accuracy']:.2%} on {result['n']} test images")
    print(f"model: {result['model']}")
    for name, acc in result["per_class_accuracy"].items():
        print(f"  {name:<12} {acc:.2%}")
    print(f"confusion matrix: {result['confusion_png']}")
    return 0


def bench_accuracy(args) -> int:
    """``bench accuracy``: the shipped CNNs on drawn-style test sets."""
    from model.training import bench_accuracy as bench

    print(f"bench accuracy: drawn-style test sets, {args.n} test images each, shipped models")
    rows = bench.run(n=args.n)
    print(json.dumps(rows) if args.json else bench.format_table(rows))
    return 0
