"""The pre-optimisation ``model/preprocess.py`` (commit 3b35c33), frozen as a test oracle.

Kept only to prove that the fast implementation in :mod:`model.preprocess` gives the same
output and Geometry (``tests/model/test_preprocess.py``) and to time old against new
(``python -m tests.model.bench_preprocess``). Do not edit it and do not import it from the app.

Its original module docstring follows.

From a drawing to the (28, 28, 1) float32 array the network gets.

One function, :func:`preprocess`, feeds training, evaluation, the CLI and the canvas, so that
what the network saw in training and what it sees on a drawing cannot drift apart.

The steps follow how each data set was made:

- digits (LeCun's MNIST page): crop to the ink, fit the longest side into a 20x20 box keeping
  the aspect ratio with area (anti-aliased) resampling, place in 28x28 with the centre of mass
  at the centre;
- clothing (the Fashion-MNIST paper): crop, fit the longest side to 28 keeping the aspect
  ratio, centre the box.

Before fitting, the ink is found whatever its polarity (dark on light, light on dark, opaque
on transparent), and the stroke width is brought into the range the training data has, so a
thin mouse line and a fat marker both look like training data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

SIZE = 28
OVERSAMPLE = 4  # the working resolution is OVERSAMPLE x the output box
INK_FLOOR = 0.08  # ink fainter than this is paper noise (JPEG, scanner)
MIN_INK_PEAK = 0.15  # a drawing whose darkest mark is fainter than this is empty
MIN_INK_FRACTION = 2e-4  # ... or whose ink covers less than this share of the page


class EmptyDrawing(ValueError):
    """The drawing has no ink (or too little to classify)."""


class BadImage(ValueError):
    """The array is not an image (wrong number of dimensions or channels)."""


@dataclass(frozen=True)
class Style:
    """How one data set's images were made, and the stroke widths its training data has."""

    box: int  # the longest side of the ink is fitted to this many pixels
    centre_of_mass: bool  # centre by mass (MNIST) or by the bounding box (Fashion-MNIST)
    width_low: float  # strokes thinner than this (output pixels) are thickened ...
    width_target: float  # ... or thinned to this
    width_high: float | None  # strokes fatter than this are thinned; None: never thin


# Stroke widths measured on the training splits with ``stroke_width`` (output pixels):
# MNIST's median is 1.8 (5th-95th percentile 1.2-3.7); Fashion-MNIST's 1.75 (0.75-11).
# Clothing is never thinned: a filled silhouette is not a fat stroke.
STYLES = {
    "mnist": Style(box=20, centre_of_mass=True, width_low=1.2, width_target=1.8, width_high=3.7),
    "fashion": Style(box=28, centre_of_mass=False, width_low=1.0, width_target=1.75, width_high=None),
}
# The mean centre of mass of the MNIST training digits, in pixel-index coordinates.
MNIST_CENTRE = (14.0, 14.0)


def to_ink(image: np.ndarray, polarity: str = "auto") -> np.ndarray:
    """Any grayscale/RGB(A) array -> float64 ink map in [0, 1] (1 = full ink, 0 = paper).

    ``polarity``: "auto" detects it from the border; "light" means light ink on a dark
    background (how MNIST and Fashion-MNIST are stored); "dark" means dark ink on light paper.
    A transparent background always counts as paper.
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] in (1, 2, 3, 4):
        channels = a.shape[2]
    elif a.ndim == 2:
        channels = 1
        a = a[:, :, None]
    else:
        raise BadImage(f"expected a 2-D image (H, W) or (H, W, 1..4), got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise EmptyDrawing("the drawing is empty (zero size)")
    a = _to_unit_float(a)
    colour = a[:, :, : 3 if channels >= 3 else 1]
    if colour.shape[2] == 3:
        gray = colour @ np.array([0.299, 0.587, 0.114])
    else:
        gray = colour[:, :, 0]
    alpha = a[:, :, -1] if channels in (2, 4) else None

    if alpha is not None and alpha.min() < 0.99:
        return alpha * 1.0  # what is painted is ink, whatever its colour
    if polarity == "auto":
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        background = float(np.median(border))
        light_ink = background < 0.5
    elif polarity in ("light", "dark"):
        light_ink = polarity == "light"
        background = 0.0 if light_ink else 1.0
    else:
        raise ValueError(f"polarity must be auto, light or dark, not {polarity!r}")
    ink = gray if light_ink else 1.0 - gray
    paper = background if light_ink else 1.0 - background
    return np.clip((ink - paper) / max(1.0 - paper, 1e-6), 0.0, 1.0)


def _to_unit_float(a: np.ndarray) -> np.ndarray:
    if a.dtype == bool:
        return a.astype(np.float64)
    if np.issubdtype(a.dtype, np.integer):
        top = np.iinfo(a.dtype).max
        return np.clip(a.astype(np.float64), 0, None) / top
    if not np.issubdtype(a.dtype, np.floating):
        raise BadImage(f"expected numbers, got an array of {a.dtype}")
    f = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(f.min()), float(f.max())
    if lo < 0.0 or hi > 1.0:  # e.g. 0..255 floats, or a signed range
        if hi <= lo:
            return np.zeros_like(f)
        scale = max(abs(lo), abs(hi))  # keeps (f - lo) from overflowing near the float limit
        f, lo, hi = f / scale, lo / scale, hi / scale
        f = np.clip((f - lo) / (hi - lo), 0.0, 1.0)
    return f


def area_resize(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Resample by exact pixel-area averaging (anti-aliased when shrinking)."""
    return _area_matrix(img.shape[0], out_h) @ img @ _area_matrix(img.shape[1], out_w).T


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    step = n_in / n_out
    edges = np.arange(n_out + 1) * step
    j = np.arange(n_in)[None, :]
    overlap = np.minimum(edges[1:, None], j + 1) - np.maximum(edges[:-1, None], j)
    return np.clip(overlap, 0.0, None) / step


def _fit(ink: np.ndarray, box: int) -> np.ndarray:
    h, w = ink.shape
    scale = box / max(h, w)
    return area_resize(ink, max(1, round(h * scale)), max(1, round(w * scale)))


def stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels: twice the median distance-to-paper on the ridges, less 1."""
    # Padded: ink that fills its crop box still has paper around it (unpadded, a straight bar
    # measured ~19 pixels wide instead of ~2).
    mask = np.pad(ink >= 0.5 * ink.max(), 1)
    dist = ndimage.distance_transform_edt(mask)
    ridge = mask & (dist >= ndimage.maximum_filter(dist, size=3))
    return float(2.0 * np.median(dist[ridge]) - 1.0)


def _disk(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    return xx * xx + yy * yy <= radius * radius + 0.5


def normalise_width(work: np.ndarray, style: Style) -> tuple[np.ndarray, int]:
    """Thicken (or thin) the strokes of a working-resolution ink map into the style's range.

    Returns the new map and the margin (pixels) added around it for thickening.
    """
    width = stroke_width(work) / OVERSAMPLE
    if width < style.width_low:
        radius = (style.width_target - width) * OVERSAMPLE / 2.0
        pad = int(np.ceil(radius)) + 1
        return ndimage.grey_dilation(np.pad(work, pad), footprint=_disk(radius)), pad
    if style.width_high is not None and width > style.width_high:
        radius = (width - style.width_target) * OVERSAMPLE / 2.0
        thinner = ndimage.grey_erosion(work, footprint=_disk(radius))
        if thinner.max() >= 0.5:  # never erase a drawing to nothing
            return thinner, 0
    return work, 0


@dataclass(frozen=True)
class Geometry:
    """Where the 28x28 input came from: maps its pixel coordinates back onto the drawing.

    An output coordinate (y, x) (pixel edges: 0..28) lands at ``offset + (y, x) * scale`` in the
    drawing's pixel coordinates (per axis).
    """

    offset: tuple[float, float]
    scale: tuple[float, float]

    def to_drawing(self, y: float, x: float) -> tuple[float, float]:
        return (self.offset[0] + y * self.scale[0], self.offset[1] + x * self.scale[1])

    def rect_to_drawing(self, top: float, left: float, height: float, width: float):
        """An output rectangle -> (top, left, height, width) on the drawing."""
        y0, x0 = self.to_drawing(top, left)
        return (y0, x0, height * self.scale[0], width * self.scale[1])


def preprocess(image: np.ndarray, dataset: str, polarity: str = "auto") -> np.ndarray:
    """A drawing (any size; grayscale, RGB or RGBA; any polarity) -> (28, 28, 1) float32 in [0, 1].

    Raises EmptyDrawing when there is no ink to classify, BadImage when the array is no image.
    """
    return preprocess_with_geometry(image, dataset, polarity)[0]


def preprocess_with_geometry(
    image: np.ndarray, dataset: str, polarity: str = "auto"
) -> tuple[np.ndarray, Geometry]:
    """:func:`preprocess`, and the :class:`Geometry` that maps its output back onto ``image``."""
    style = STYLES[dataset]
    ink = to_ink(image, polarity)
    ink[ink < INK_FLOOR] = 0.0
    if ink.max() < MIN_INK_PEAK or np.count_nonzero(ink >= 0.25) < max(
        2, MIN_INK_FRACTION * ink.size
    ):
        raise EmptyDrawing("the drawing is empty: draw something first")
    (r0, c0), cropped = _crop_at(ink)
    work = _fit(cropped, style.box * OVERSAMPLE)
    s1 = (cropped.shape[0] / work.shape[0], cropped.shape[1] / work.shape[1])  # drawing px per work px
    work /= work.max()
    work, pad = normalise_width(work, style)
    work[work < INK_FLOOR] = 0.0
    (r1, c1), cropped = _crop_at(work)
    small = _fit(cropped, style.box)
    s2 = (cropped.shape[0] / small.shape[0], cropped.shape[1] / small.shape[1])  # work px per out px
    small /= small.max()
    out, (top, left) = _place(small, style)
    scale = (s2[0] * s1[0], s2[1] * s1[1])
    offset = (
        r0 + (r1 - pad - top * s2[0]) * s1[0],
        c0 + (c1 - pad - left * s2[1]) * s1[1],
    )
    return out[:, :, None], Geometry(offset, scale)


def _crop_at(ink: np.ndarray) -> tuple[tuple[int, int], np.ndarray]:
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return (int(rows[0]), int(cols[0])), ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _place(small: np.ndarray, style: Style) -> tuple[np.ndarray, tuple[int, int]]:
    h, w = small.shape
    if style.centre_of_mass:
        cy, cx = ndimage.center_of_mass(small)
        top = int(round(MNIST_CENTRE[0] - cy))
        left = int(round(MNIST_CENTRE[1] - cx))
    else:
        top, left = (SIZE - h) // 2, (SIZE - w) // 2
    top = min(max(top, 0), SIZE - h)
    left = min(max(left, 0), SIZE - w)
    out = np.zeros((SIZE, SIZE), np.float32)
    out[top : top + h, left : left + w] = np.clip(small, 0.0, 1.0)
    return out, (top, left)


def preprocess_dataset(images: np.ndarray, dataset: str) -> np.ndarray:
    """(N, 28, 28) uint8 data-set images (light on dark) -> (N, 28, 28, 1) float32, the same path."""
    out = np.zeros((len(images), SIZE, SIZE, 1), np.float32)
    for i, img in enumerate(images):
        try:
            out[i] = preprocess(img, dataset, polarity="light")
        except EmptyDrawing:
            out[i, :, :, 0] = img / 255.0
    return out
