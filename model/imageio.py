"""Reading image files safely: every failure is one line, and huge images are refused unread."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from model.errors import one_line

MAX_PIXELS = 50_000_000  # 50 megapixels: a 7000x7000 scan still opens; a bomb does not


class ImageLoadError(ValueError):
    """The file cannot be used as an image; str() is a one-line reason."""


def load_image(path: str | os.PathLike) -> np.ndarray:
    """An image file (PNG, JPEG, BMP, GIF's first frame, ...) -> uint8/uint16 array.

    Grayscale comes back as (H, W), colour as (H, W, 3), with transparency as (H, W, 4).
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if path.is_dir():
        raise ImageLoadError("is a directory, not an image")
    if not path.exists():
        raise ImageLoadError("no such file")
    if path.stat().st_size == 0:
        raise ImageLoadError("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
                if width * height > MAX_PIXELS:
                    raise ImageLoadError(
                        f"image too large: {width}x{height} pixels "
                        f"(the limit is {MAX_PIXELS // 1_000_000} megapixels)"
                    )
                im.seek(0)  # the first frame of an animation
                im.load()
                return _to_array(im)
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError("not an image file Sketchscope can read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses far-too-large headers itself, before our own check sees the size.
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(pixels.group(1)):,} pixels" if pixels else "a decompression bomb"
        raise ImageLoadError(
            f"image too large: {size} (the limit is {MAX_PIXELS // 1_000_000} megapixels)"
        ) from None
    except PermissionError:
        raise ImageLoadError("permission denied") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageLoadError(f"cannot decode the image ({one_line(exc)})") from None


def _to_array(im) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.array(im, dtype=np.uint16)
    if mode in ("I", "F"):
        a = np.array(im, dtype=np.float64)
        return a  # preprocess rescales any float range
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode in ("1", "L"):
        im = im.convert("L")
    elif mode in ("LA", "PA"):
        im = im.convert("LA")
    elif mode != "RGBA":
        im = im.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX ...
    return np.array(im)
