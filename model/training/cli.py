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


def default_out(dataset: str, arch: str, stage: str) -> Path:
    """Where ``train`` writes when no --out is given: ``out/<dataset>_<arch>.keras`` (with
    ``_<stage>`` after a later stage, so that a stage never overwrites the one it started from),
    never the shipped models: those are replaced only when --out names them."""
    from model.training.recipes import BASE

    return Path("out") / f"{dataset}_{arch}{'' if stage == BASE else '_' + stage}.keras"


def train(args) -> int:
    """``train``: one stage of a recipe; prints the model card. Every argument is checked before
    any work: the recipe, the models it starts from, and that --out can be written."""
    from model.atomic import check_writable
    from model.keras_net import check_model_file
    from model.training.recipes import recipe_for
    from model.training.train import train as train_model

    out = args.out or default_out(args.dataset, args.arch, args.stage)
    if out.suffix != ".keras":
        error(f"--out must end in .keras: {out}")
        return 2
    try:
        recipe = recipe_for(args.dataset, args.arch, args.stage, teachers=args.teacher)
    except ValueError as exc:
        error(str(exc))
        return 2
    for model in [args.init, *(args.teacher or [])]:
        if model is not None:
            check_model_file(model)  # ModelError: one line, exit status 2
    check_writable(out)  # OutputError, before hours of training rather than after
    result = train_model(
        args.dataset, args.arch, epochs=args.epochs, seed=args.seed, out=out, limit=args.limit,
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
