"""Reading pictures the user opens, pastes or drops, and writing PNG files, with Pillow.

Reading goes through ``model.imageio`` (the CLI's reader): every failure is an
:class:`ImageFileError` with a one-line message naming the file. Every write goes through
``model.atomic.atomic_path``, so a failed save never leaves half a file behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from model.atomic import atomic_path


class ImageFileError(Exception):
    """An image file cannot be opened; the message is one line for the user."""


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An image file -> uint8/uint16 array (H, W), (H, W, 2..4), via ``model.imageio``.

    Images over ``model.imageio.MAX_PIXELS`` (50 megapixels) are refused from their header,
    before anything is decoded.
    """
    from model.imageio import ImageLoadError, load_image

    try:
        return load_image(path)
    except ImageLoadError as exc:
        raise ImageFileError(f"{Path(path).name}: {exc}") from None


def page_from_picture(picture: np.ndarray) -> np.ndarray:
    """Any picture (gray/RGB/RGBA, either polarity) -> (H, W) uint8, dark ink on white paper.

    The canvas always shows dark ink on a white page, so a light-on-dark picture (say, an MNIST
    sample) is turned around; transparency counts as paper.
    """
    from model.preprocess import to_ink  # SciPy: imported only when a picture comes in

    ink = to_ink(picture)
    return np.ascontiguousarray(np.rint(255.0 * (1.0 - ink)).astype(np.uint8))


def write_png(path: str | os.PathLike, pixels: np.ndarray) -> Path:
    """Write a (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA uint8 array as a PNG, atomically."""
    from PIL import Image

    path = Path(path)
    if path.suffix.lower() != ".png":
        path = path.with_name(path.name + ".png")
    image = Image.fromarray(np.ascontiguousarray(pixels, np.uint8))
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
    return path

