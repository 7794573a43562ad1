"""Time model.preprocess against the frozen pre-optimisation code (not a unit test).

    python -m tests.model.bench_preprocess [--pages N] [--seed S] [--breakdown]

Typical drawings (tests/model/random_pages.typical_page: a few strokes from thin mouse lines
to fat markers; for clothing also filled silhouettes and outlines), dark ink on a white uint8
page as the canvas sends, 280 x 280 and 400 x 400, through both datasets. Old and new run
alternately on each page, twice each, so that both see the same machine load; the medians
(and 90th percentiles) of the wall-clock times are printed, in milliseconds. With the data
sets fetched, the drawn-style pages of ``python main.py bench accuracy`` are timed too.

``--breakdown`` prints the mean time per call spent in each step of either implementation.
"""

from __future__ import annotations

import argparse
import functools
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as main.py does

import numpy as np  # noqa: E402

from model import preprocess as new  # noqa: E402
from tests.model import preprocess_reference as old  # noqa: E402
from tests.model.random_pages import typical_page  # noqa: E402

STEPS = {
    old: ["to_ink", "_crop_at", "_fit", "stroke_width", "normalise_width", "_place"],
    new: ["_drawn_ink", "_fit", "_near_either", "_stroke_width_bounds", "_stroke_width_exactly",
          "_disk_filter", "normalise_width", "_crop_at", "_place"],
}


def run(module, page: np.ndarray, dataset: str) -> float:
    start = time.perf_counter()
    try:
        module.preprocess(page, dataset)
    except module.EmptyDrawing:
        pass
    return time.perf_counter() - start


def time_pages(pages, dataset: str) -> dict:
    """Per-page times of old and new, run alternately (old, new, new, old) on each page."""
    for page in pages[:10]:  # warm-up: imports, caches
        run(old, page, dataset), run(new, page, dataset)
    times = {old: [], new: []}
    for page in pages:
        for module in (old, new, new, old):
            times[module].append(run(module, page, dataset))
    return {module: 1e3 * np.array(t) for module, t in times.items()}


def sketch_pages(dataset: str, size: int, n: int, rng) -> list[np.ndarray] | None:
    """The drawn-style pages of the accuracy benchmark, if the data set is at hand."""
    try:
        from model import datasets
        from model.training import sketch

        images = datasets.load(dataset).x_test[:n]
    except Exception:
        return None
    kinds = ["strokes"] if dataset == "mnist" else ["outline", "silhouette"]
    return [sketch.GENERATORS[kinds[i % len(kinds)]](img, rng, canvas=size) for i, img in enumerate(images)]


def breakdown(pages_by_dataset) -> None:
    """Mean milliseconds per call spent in each step (inclusive; nested steps overlap)."""
    for module, names in STEPS.items():
        spent = {}
        originals = {name: getattr(module, name) for name in names}

        def timed(name, f, spent=spent):
            @functools.wraps(f)
            def wrapper(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return f(*args, **kwargs)
                finally:
                    spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

            return wrapper

        for name, f in originals.items():
            setattr(module, name, timed(name, f))
        try:
            for dataset, pages in pages_by_dataset.items():
                spent.clear()
                total = sum(run(module, page, dataset) for page in pages)
                parts = "  ".join(f"{name} {1e3 * t / len(pages):.3f}" for name, t in spent.items())
                label = "old" if module is old else "new"
                print(f"  {label} {dataset:7s} total {1e3 * total / len(pages):.3f} | {parts}")
        finally:
            for name, f in originals.items():
                setattr(module, name, f)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="pages per dataset and size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--breakdown", action="store_true", help="time each step too")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.pages} pages per row; milliseconds")
    print(f"{'pages':28s} {'old median':>10s} {'new median':>10s} {'speed-up':>8s}"
          f" {'old p90':>8s} {'new p90':>8s}")
    typical = {}
    for source in ("typical", "sketch"):
        for dataset in ("mnist", "fashion"):
            for size in (280, 400):
                if source == "typical":
                    pages = [typical_page(rng, size, dataset) for _ in range(args.pages)]
                    typical.setdefault(dataset, []).extend(pages)
                else:
                    pages = sketch_pages(dataset, size, args.pages, rng)
                    if pages is None:
                        continue
                t = time_pages(pages, dataset)
                o, n = np.median(t[old]), np.median(t[new])
                print(f"{source + ' ' + dataset + ' ' + str(size):28s} {o:10.2f} {n:10.3f} {o / n:7.1f}x"
                      f" {np.percentile(t[old], 90):8.2f} {np.percentile(t[new], 90):8.2f}")
    if args.breakdown:
        print("mean milliseconds per call in each step, typical pages (280 and 400):")
        breakdown(typical)


if __name__ == "__main__":
    main()
