"""The command line's runtime side: running a command with one-line errors, and ``predict``.

``main.py`` holds the one parser; the training-only commands (data, train, evaluate, bench
accuracy) are :mod:`model.training.cli`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable


def error(message: str) -> None:
    """``error: message`` on stderr, as one line whatever the message holds (a file's name may
    hold a newline: it must not forge a second ``error:`` line)."""
    from model.errors import printable

    print(f"error: {printable(message)}", file=sys.stderr)


def run(command: Callable[..., int], args) -> int:
    """``command(args)``; a data, model or output problem is one line on stderr and exit status 2."""
    from model.datasets import DataError
    from model.errors import ModelError, OutputError

    try:
        return command(args)
    except (DataError, ModelError, OutputError) as exc:
        error(str(exc))
        return 2
    except KeyboardInterrupt:
        error("interrupted")
        return 130


def predict(args) -> int:
    """``predict``: one JSON line per image file; a file that cannot be used is one error line."""
    from model import paths
    from model.datasets import class_names
    from model.imageio import ImageLoadError, load_image
    from model.inference import Engine
    from model.preprocess import BadImage, EmptyDrawing, preprocess

    model_path = args.model or paths.model_path(args.dataset, "cnn")
    predictor = None
    names = class_names(args.dataset)
    failed = 0
    for path in args.images:
        try:
            image = preprocess(load_image(path), args.dataset)
        except (ImageLoadError, EmptyDrawing, BadImage) as exc:
            error(f"{path}: {exc}")
            failed += 1
            continue
        if predictor is None:
            predictor = Engine.load(model_path, args.dataset)
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
