"""From a drawing to the (28, 28, 1) float32 array the network gets.

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

The code is tuned for speed (it runs on every stroke), but gives what the plain version did,
which the shipped models were trained on: every step computes the same numbers, and the one
that rounds differently (_banded_area_resize) hands any drawing whose thresholds it cannot
settle back to the old sums. tests/model/preprocess_reference.py keeps the plain version to
prove it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

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
    a = _as_hwc(image)
    channels = a.shape[2]
    a = _to_unit_float(a)
    colour = a[:, :, : 3 if channels >= 3 else 1]
    if colour.shape[2] == 3:
        gray = colour @ np.array([0.299, 0.587, 0.114])
    else:
        gray = colour[:, :, 0]
    alpha = a[:, :, -1] if channels in (2, 4) else None

    if alpha is not None and alpha.min() < 0.99:
        return alpha * 1.0  # what is painted is ink, whatever its colour
    light_ink, paper = _polarity(_border(gray), polarity)
    return _ink_from_gray(gray, light_ink, paper)


def _as_hwc(image: np.ndarray) -> np.ndarray:
    """The image as an (H, W, C) array, C in 1..4; BadImage or EmptyDrawing if it is none."""
    a = np.asarray(image)
    if a.ndim == 2:
        a = a[:, :, None]
    elif not (a.ndim == 3 and a.shape[2] in (1, 2, 3, 4)):
        raise BadImage(f"expected a 2-D image (H, W) or (H, W, 1..4), got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise EmptyDrawing("the drawing is empty (zero size)")
    return a


def _border(gray: np.ndarray) -> np.ndarray:
    return np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])


def _polarity(border, polarity: str) -> tuple[bool, float]:
    """(whether the ink is lighter than the paper, the paper's ink level before rescaling).

    ``border``: the gray levels round the page, or a :class:`_ByteBorder`.
    """
    if polarity == "auto":
        background = border.median() if isinstance(border, _ByteBorder) else float(np.median(border))
        light_ink = background < 0.5
    elif polarity in ("light", "dark"):
        light_ink = polarity == "light"
        background = 0.0 if light_ink else 1.0
    else:
        raise ValueError(f"polarity must be auto, light or dark, not {polarity!r}")
    return light_ink, (background if light_ink else 1.0 - background)


@dataclass(frozen=True)
class _ByteBorder:
    """The border of a uint8 page, whose gray levels are its bytes / 255."""

    bytes_: np.ndarray

    def median(self) -> float:
        """``np.median(bytes_ / 255)``, from the middle bytes alone.

        Dividing by 255 keeps the order, so the middle values are the middle bytes / 255;
        np.median takes the mean of the two middle values, (a + b) / 2, for an even count.
        """
        n = self.bytes_.size
        if self.bytes_.min() == self.bytes_.max():  # a plain page
            return float(self.bytes_[0] / 255)
        middle = np.partition(self.bytes_, [(n - 1) // 2, n // 2])
        low, high = middle[(n - 1) // 2] / 255, middle[n // 2] / 255
        return float(high if n % 2 else (low + high) / 2)


def _ink_from_gray(gray: np.ndarray, light_ink: bool, paper: float) -> np.ndarray:
    ink = gray if light_ink else 1.0 - gray
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


def _drawn_ink(image: np.ndarray, polarity: str) -> tuple[tuple[int, int], np.ndarray]:
    """The drawing's ink map (paper noise removed), cropped to the ink, and where the crop starts.

    Raises EmptyDrawing when there is too little ink to classify.
    """
    a = _as_hwc(image)
    if a.dtype == np.uint8 and a.shape[2] == 1:
        return _drawn_ink_of_bytes(a[:, :, 0], polarity)
    ink = to_ink(a, polarity)
    ink[ink < INK_FLOOR] = 0.0
    _check_enough_ink(float(ink.max()), np.count_nonzero(ink >= 0.25), ink.size)
    return _crop_at(ink)


def _check_enough_ink(peak: float, strong_pixels: int, page_pixels: int) -> None:
    if peak < MIN_INK_PEAK or strong_pixels < max(2, MIN_INK_FRACTION * page_pixels):
        raise EmptyDrawing("the drawing is empty: draw something first")


def _drawn_ink_of_bytes(page: np.ndarray, polarity: str) -> tuple[tuple[int, int], np.ndarray]:
    """:func:`_drawn_ink` of a uint8 grayscale page (the canvas, most image files, the data sets).

    The ink of a pixel depends on its byte alone, so :func:`to_ink`'s float formula is applied
    to the 256 possible bytes (a table) instead of to every pixel of the page: the same values,
    and only the crop is turned into floats. The emptiness test and the crop only compare ink
    with thresholds; ink is a monotonic function of the byte, so each "ink >= t" is a byte
    comparison with one byte level, done on the bytes.
    """
    light_ink, paper = _polarity(_ByteBorder(_border(page)), polarity)
    table, levels = _byte_ink(light_ink, paper)
    # The byte of the most ink in each row, then in each column of the rows with ink: the
    # peak and the crop come from these.
    best_of = np.max if light_ink else np.min
    row_best = best_of(page, axis=1)
    peak = float(table[best_of(row_best)])
    if peak < MIN_INK_PEAK:
        _check_enough_ink(peak, 0, page.size)
    rows = np.flatnonzero(_has_ink(row_best, levels.any_ink, light_ink))
    col_best = best_of(page[rows[0] : rows[-1] + 1], axis=0)
    cols = np.flatnonzero(_has_ink(col_best, levels.any_ink, light_ink))
    crop = page[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    # Pixels with ink >= 0.25 have ink, so they are all inside the crop.
    strong = 0 if levels.strong is None else np.count_nonzero(_has_ink(crop, levels.strong, light_ink))
    _check_enough_ink(peak, strong, page.size)
    # table[crop], ~3x quicker: NumPy's gather by a uint8 index takes a slow path.
    return (int(rows[0]), int(cols[0])), table.take(crop.astype(np.intp), mode="clip")


def _has_ink(bytes_: np.ndarray, level: int, light_ink: bool) -> np.ndarray:
    return bytes_ >= level if light_ink else bytes_ <= level


@dataclass(frozen=True)
class _ByteLevels:
    any_ink: int  # the faintest byte whose ink survives INK_FLOOR
    strong: int | None  # the faintest byte with ink >= 0.25 (None: no byte has)


@lru_cache(maxsize=64)
def _byte_ink(light_ink: bool, paper: float) -> tuple[np.ndarray, _ByteLevels]:
    """The ink of each byte 0..255 (:func:`to_ink`'s formula, then INK_FLOOR), and its levels."""
    table = _ink_from_gray(np.arange(256, dtype=np.float64) / 255, light_ink, paper)
    table[table < INK_FLOOR] = 0.0
    table.flags.writeable = False

    def faintest(selected: np.ndarray) -> int | None:
        # Every step of the formula is monotonic and IEEE rounding keeps that, so the bytes
        # with at least some ink form one run at the inky end of 0..255: checked here.
        idx = np.flatnonzero(selected)
        if idx.size == 0:
            return None
        inky_end = 255 if light_ink else 0
        assert idx.size == idx[-1] - idx[0] + 1 and inky_end in (idx[0], idx[-1])
        return int(idx[0] if light_ink else idx[-1])

    any_ink = faintest(table > 0.0)
    # A table with no ink at all never gets this far: the peak test raises first.
    return table, _ByteLevels(any_ink if any_ink is not None else -1, faintest(table >= 0.25))


def area_resize(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Resample by exact pixel-area averaging (anti-aliased when shrinking)."""
    return _area_matrix(img.shape[0], out_h) @ img @ _area_matrix(img.shape[1], out_w).T


def _banded_area_resize(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """:func:`area_resize` from the band of each matrix: every output pixel is the weighted sum
    of the ~step + 1 input pixels it overlaps, not a dot product with a whole row of mostly
    zeros (~4x quicker on a 250-pixel crop).

    The sums are rounded differently from the dense BLAS product, by ~1e-16 relative; see
    :data:`_ROUNDING`.
    """
    columns, weights = _area_band(img.shape[0], out_h)
    rows = np.matmul(weights[:, None, :], img[columns])[:, 0, :]  # (out_h, w)
    columns, weights = _area_band(img.shape[1], out_w)
    across = np.matmul(weights[:, None, :], np.ascontiguousarray(rows.T)[columns])[:, 0, :]
    return np.ascontiguousarray(across.T)


@lru_cache(maxsize=8)  # up to 112 x the page's side each
def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in): row i holds the share of each input pixel in output pixel i."""
    columns, weights = _area_band(n_in, n_out)
    matrix = np.zeros((n_out, n_in))
    matrix[np.arange(n_out)[:, None], columns] = weights
    matrix.flags.writeable = False
    return matrix


@lru_cache(maxsize=1024)  # a few kB each
def _area_band(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """The non-zero band of the area-resampling matrix: (columns, weights), each (n_out, band).

    Output pixel i spans [i * step, (i + 1) * step) of the input, so only the input pixels
    floor(i * step) .. floor(i * step) + ceil(step) can overlap it. The overlap formula is
    evaluated on those alone (on any other pixel it gives 0 after the clip): the same
    weights, bit for bit, as evaluating it on every (i, j) pair.
    """
    step = n_in / n_out
    edges = np.arange(n_out + 1) * step
    band = min(math.ceil(step) + 1, n_in)
    first = np.minimum(edges[:-1].astype(np.int64), n_in - band)  # floor: edges are >= 0
    columns = first[:, None] + np.arange(band)
    overlap = np.minimum(edges[1:, None], columns + 1) - np.maximum(edges[:-1, None], columns)
    np.maximum(overlap, 0.0, out=overlap)  # np.clip(overlap, 0.0, None)
    overlap /= step
    return columns, overlap


def _fit(ink: np.ndarray, box: int, resize=area_resize) -> np.ndarray:
    h, w = ink.shape
    scale = box / max(h, w)
    return resize(ink, max(1, round(h * scale)), max(1, round(w * scale)))


def stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels: twice the median distance-to-paper on the ridges, less 1."""
    low, high = _stroke_width_bounds(ink)
    return low if low == high else _stroke_width_exactly(ink)


def _stroke_width_bounds(ink: np.ndarray, settles=None, checks=()) -> tuple[float, float]:
    """Bounds on :func:`stroke_width` from the distances to the paper up to _REACH: both the
    width itself unless some ink is farther.

    ``settles(low, high)`` says whether bounds are narrow enough for the caller; they are
    tried after the offsets in ``checks`` too, so that the loop can stop early.
    """
    mask = _stroke_mask(ink)
    if _one_pixel_thin(mask):
        # Every ink pixel touches the paper: all are ridges at distance 1 (a thin mouse line).
        return 1.0, 1.0
    g2, d2 = _column_squares(mask, ink.shape[1] + 2)
    done = 0
    for last in (*checks, _REACH):
        done, exact = _add_offsets(g2, d2, done + 1, last)
        squares = _ridge_squares(mask, d2)
        if exact:
            width = float(2.0 * _median_root(squares) - 1.0)
            return width, width
        bounds = _bounds_from_near(squares, d2, done)
        if last == _REACH or (settles is not None and settles(*bounds)):
            return bounds
    raise AssertionError("unreachable")


def _one_pixel_thin(mask: np.ndarray) -> bool:
    """Whether there is ink and no ink pixel has ink on all four sides (laid end to end, as
    _column_squares has them: the paper border keeps rows apart)."""
    flat = mask.ravel()
    row = mask.shape[1]
    inner = flat[row:-row]
    if not inner.any():
        return False
    surrounded = inner & flat[row - 1 : -row - 1] & flat[row + 1 : flat.size - row + 1]
    surrounded &= flat[: -2 * row] & flat[2 * row :]
    return not surrounded.any()


def _bounds_from_near(squares: np.ndarray, d2: np.ndarray, done: int) -> tuple[float, float]:
    """Bounds on the width when the offsets up to ``done`` are in but some pixel is farther.

    Squared distances under (done + 1)^2 are final, and so is whether such a pixel is on a
    ridge (a neighbour that far stops it being one either way). The farther ridge pixels are
    at least one (the farthest pixel of all), at most all the far pixels, and lie beyond the
    near ones: the median is least with one at done + 1, and greatest with all of them at
    infinity (which leaves no upper bound once they are as many as the near ridges).
    """
    reach = (done + 1) ** 2
    near = squares[squares < reach]
    low = _median_root(np.append(near, reach))
    far = int(np.count_nonzero(d2 >= reach))
    # (Fewer far pixels than near ridges: the middle is a near ridge, never one of the _FARs.)
    high = math.inf if far >= near.size else _median_root(np.append(near, np.full(far, _FAR)))
    return float(2.0 * low - 1.0), float(2.0 * high - 1.0)


def _stroke_width_exactly(ink: np.ndarray) -> float:
    """:func:`stroke_width` with SciPy's distance transform: for ink far from the paper."""
    mask = _stroke_mask(ink)
    width = ink.shape[1] + 2
    ft = ndimage.distance_transform_edt(mask[:, :width], return_distances=False, return_indices=True)
    dy = ft[0] - np.arange(mask.shape[0])[:, None]
    dx = ft[1] - np.arange(width)[None, :]
    d2 = np.zeros(mask.shape, np.int64)
    d2[:, :width] = dy * dy + dx * dx
    return float(2.0 * _median_root(_ridge_squares(mask, d2)) - 1.0)


def _stroke_mask(ink: np.ndarray) -> np.ndarray:
    """Where the ink is at least half its peak, padded with paper: one pixel all round (ink that
    fills its crop box still has paper around it; unpadded, a straight bar measured ~19 pixels
    wide instead of ~2), and _REACH more columns on the right (see _column_squares)."""
    h, w = ink.shape
    mask = np.zeros((h + 2, w + 2 + _REACH), bool)
    mask[1:-1, 1 : w + 1] = ink >= 0.5 * ink.max()
    return mask


def _ridge_squares(mask: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """The squared distances of the ridge pixels: ink that no 3x3 neighbour is farther from the
    paper than (compared on the squares: integers, ordered as the distances are). The 3x3
    maxima are taken on the rows laid end to end; the paper border keeps rows from mixing."""
    d2 = d2.ravel()
    row = mask.shape[1]
    across = np.maximum(np.maximum(d2[:-2], d2[1:-1]), d2[2:])  # centred one pixel on
    around = np.maximum(np.maximum(across[: -2 * row], across[row:-row]), across[2 * row :])
    inner = d2[row + 1 : d2.size - row - 1]
    return inner[mask.ravel()[row + 1 : d2.size - row - 1] & (inner >= around)]


def _median_root(squares: np.ndarray) -> float:
    """``np.median(np.sqrt(squares))`` (the distances ndimage.distance_transform_edt returns),
    taking square roots of the middle values alone: sqrt keeps the order, and np.median is the
    middle value, or the mean (a + b) / 2 of the middle two."""
    n = squares.size
    if n == 0:
        return float(np.median(np.sqrt(squares.astype(np.float64))))  # nan, as before
    middle = np.partition(squares, [(n - 1) // 2, n // 2])
    low, high = np.sqrt(float(middle[(n - 1) // 2])), np.sqrt(float(middle[n // 2]))
    return float(high if n % 2 else (low + high) / 2)


# The number of columns of padding to the right of stroke_width's mask, and the farthest from
# the paper that _add_offsets reaches.
_REACH = 12
_FAR = 20000  # int16 squared distances: beyond any the loop keeps (_FAR + _REACH^2 fits)


def _column_squares(mask: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The start of the squared distance to the paper: (g^2, and a copy to be lowered by
    :func:`_add_offsets`), g being the distance to the paper in the same column.

    The picture is ``mask[:, :width]``, whose border must be paper; the columns from ``width``
    on (at least _REACH of them) are outside it: g^2 is _FAR there, and the distance 0. They
    let each offset be one operation on the rows laid end to end: no column more than _REACH
    away is ever looked at, and those outside are infinitely far from the paper, so rows do
    not mix. g is capped at _REACH + 2, so that int16 holds everything: a capped column only
    ever offers (_REACH + 2)^2 or more, beyond what _add_offsets settles.
    """
    g = np.minimum(_column_distance(mask[:, :width]), _REACH + 2).astype(np.int16)
    g2 = np.full(mask.shape, _FAR, np.int16)
    np.multiply(g, g, out=g2[:, :width])
    d2 = g2.copy()
    d2[:, width:] = 0
    return g2, d2


def _add_offsets(g2: np.ndarray, d2: np.ndarray, first: int, last: int) -> tuple[int, bool]:
    """Lowers ``d2`` to the squared distance to the paper through the columns ``first`` to
    ``last`` away; returns the last offset taken and whether every distance is final.

    Exact, as ``ndimage.distance_transform_edt`` (whose feature transform alone takes ~0.4 ms
    on a 114x114 mask), by the usual separation: the squared distance is the minimum over
    columns x' of (x - x')^2 + g(y, x')^2, and the offsets k = |x - x'| are taken in turn. With
    those up to k in, a squared distance under (k + 1)^2 is final, and once (k + 1)^2 reaches
    the largest of them all are (no farther column can bring a pixel closer).
    """
    flat_g2, flat_d2 = g2.ravel(), d2.ravel()
    for k in range(first, last + 1):
        if k * k >= flat_d2.max():
            return k - 1, True
        # Columns x - k and x + k for pixel x; the first and last k pixels are paper (the top
        # and bottom rows), at 0 already.
        offered = np.minimum(flat_g2[: -2 * k], flat_g2[2 * k :])
        offered += np.int16(k * k)
        np.minimum(flat_d2[k:-k], offered, out=flat_d2[k:-k])
    return last, (last + 1) ** 2 >= flat_d2.max()


def _column_distance(mask: np.ndarray) -> np.ndarray:
    """For each pixel, the distance to the nearest paper pixel above or below it (int64)."""
    paper = ~mask
    n = mask.shape[0]
    rows = np.arange(n)[:, None]
    # Running maxima of (row + 1) on paper, 0 on ink: 1 + the last paper row at or above.
    up = (rows + 1) - np.maximum.accumulate(paper * (rows + 1), axis=0)
    # The same from the bottom, on (n - row): n - the first paper row at or below.
    down = (n - rows) - np.maximum.accumulate(paper[::-1] * (rows + 1), axis=0)[::-1]
    return np.minimum(up, down)


def _pad(a: np.ndarray, n: int) -> np.ndarray:
    """``np.pad(a, n)`` (zeros round a 2-D array), without np.pad's overhead."""
    out = np.zeros((a.shape[0] + 2 * n, a.shape[1] + 2 * n), a.dtype)
    out[n : n + a.shape[0], n : n + a.shape[1]] = a
    return out


def _disk(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    return xx * xx + yy * yy <= radius * radius + 0.5


def _disk_rows(radius: float) -> list[int]:
    """The half-width of each row of ``_disk(radius)`` (-1 for an empty row), without building it.

    Row y of the disk {x^2 + y^2 <= c} is one run of pixels centred on the middle column, out
    to the largest x (at most r) with x^2 + y^2 <= c: compared as in _disk, integers against
    the float c, so the runs are exactly _disk's rows.
    """
    r = math.ceil(radius)
    c = radius * radius + 0.5
    half = []
    for y in range(-r, r + 1):
        x = min(r, int(math.sqrt(max(c - y * y, 0.0))))
        while x < r and (x + 1) ** 2 + y * y <= c:
            x += 1
        while x >= 0 and x * x + y * y > c:
            x -= 1
        half.append(x)
    return half


def _disk_filter(padded: np.ndarray, radius: float, reduce) -> np.ndarray:
    """``reduce`` (np.maximum or np.minimum) over the flat disk ``_disk(radius)`` round each pixel.

    ``padded`` is the image with a margin of r = ceil(radius) pixels on every side, which the
    result leaves off. The disk is split into its rows, centred runs of pixels; the run of
    half-width k is reduced from that of k - 1 with two more operations, and the disk from
    its rows: about 4 r whole-array operations, where ndimage.grey_dilation / grey_erosion
    visit the footprint's ~3 r^2 pixels for every pixel. The maximum (or minimum) of exactly
    the same pixels is exact whatever the order, so the result is SciPy's to the bit.
    """
    half = _disk_rows(radius)
    r = len(half) // 2
    h, w = padded.shape[0] - 2 * r, padded.shape[1] - 2 * r
    rows_of_width = {}  # disk row dy - r lies on padded rows y + dy
    for dy, width in enumerate(half):
        rows_of_width.setdefault(width, []).append(dy)
    run = padded[:, r : r + w].copy()  # run[y, x]: reduce over padded[y, x + r - k .. x + r + k]
    out = None
    for k in range(max(half) + 1):
        if k:
            reduce(run, padded[:, r - k : r - k + w], out=run)
            reduce(run, padded[:, r + k : r + k + w], out=run)
        for dy in rows_of_width.get(k, ()):
            rows = run[dy : dy + h]
            out = rows.copy() if out is None else reduce(out, rows, out=out)
    return out


def normalise_width(work: np.ndarray, style: Style) -> tuple[np.ndarray, int]:
    """Thicken (or thin) the strokes of a working-resolution ink map into the style's range.

    Returns the new map and the margin (pixels) added around it for thickening.
    """
    def in_range(low: float, high: float) -> bool:
        return low / OVERSAMPLE >= style.width_low and (
            style.width_high is None or high / OVERSAMPLE <= style.width_high
        )

    # Most drawings need no change, and bounds on the width can tell (_stroke_width_bounds).
    # With no upper limit they often do after a few offsets: a filled shape is far from the
    # paper; with one too, hardly ever before every distance is known.
    checks = (2, 3) if style.width_high is None else ()
    low, high = _stroke_width_bounds(work, in_range, checks)
    if in_range(low, high):
        return work, 0
    width = (low if low == high else _stroke_width_exactly(work)) / OVERSAMPLE
    if width < style.width_low:
        radius = (style.width_target - width) * OVERSAMPLE / 2.0
        pad = int(np.ceil(radius)) + 1
        # ndimage.grey_dilation(np.pad(work, pad), footprint=_disk(radius)). SciPy's "reflect"
        # border mirrors the zero margin, which brings in only more zeros: the disk reaches
        # ceil(radius) < pad pixels out.
        return _disk_filter(_pad(work, pad + int(np.ceil(radius))), radius, np.maximum), pad
    if style.width_high is not None and width > style.width_high:
        radius = (width - style.width_target) * OVERSAMPLE / 2.0
        # ndimage.grey_erosion(work, footprint=_disk(radius)); SciPy's "reflect" border is
        # NumPy's "symmetric" padding. (The radius is under half the map's shorter side, as the
        # width is measured inside it, so the margin is never wider than the map.)
        padded = np.pad(work, int(np.ceil(radius)), mode="symmetric")
        thinner = _disk_filter(padded, radius, np.minimum)
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
    origin, ink = _drawn_ink(image, polarity)
    try:
        return _framed(ink, origin, style, _banded_area_resize)
    except _CloseCall:
        # A value within rounding of a threshold: decided with the dense sums instead, the
        # rounding every earlier result (and the shipped models' training data) had.
        return _framed(ink, origin, style, area_resize)


# How far the banded sums of _banded_area_resize may lie from area_resize's dense ones, with
# a wide margin. Both sum, per axis, at most ceil(step) + 1 non-negative products, so each
# value is within ~(step_h + step_w + 6) * 2^-53 relative of the exact one (~1e-15 on the
# canvas, ~2e-11 for a 100,000-pixel page), and so are the maxima the maps are divided by.
# The thresholds that follow (the stroke mask, the ink floor, the whole-pixel placement) fall
# on the same side for both unless a value lies within this of one; such drawings (aliased
# lines and exact halves, a few per cent) take the dense path.
_ROUNDING = 1e-9


class _CloseCall(Exception):
    """A value lies within :data:`_ROUNDING` of a threshold the banded sums cannot settle."""


def _framed(
    ink: np.ndarray, origin: tuple[int, int], style: Style, resize
) -> tuple[np.ndarray, Geometry]:
    """The cropped ink map -> the (28, 28, 1) input and its Geometry, resampling by ``resize``."""
    exact = resize is area_resize
    r0, c0 = origin
    work = _fit(ink, style.box * OVERSAMPLE, resize)
    s1 = (ink.shape[0] / work.shape[0], ink.shape[1] / work.shape[1])  # drawing px per work px
    work /= work.max()
    if not exact and _near_either(work, 0.5, INK_FLOOR):  # the stroke mask, the ink floor
        raise _CloseCall
    work, pad = normalise_width(work, style)  # its maps are made of work's values
    work[work < INK_FLOOR] = 0.0
    (r1, c1), cropped = _crop_at(work)
    small = _fit(cropped, style.box, resize)
    s2 = (cropped.shape[0] / small.shape[0], cropped.shape[1] / small.shape[1])  # work px per out px
    small /= small.max()
    out, (top, left) = _place(small, style, exact)
    scale = (s2[0] * s1[0], s2[1] * s1[1])
    offset = (
        r0 + (r1 - pad - top * s2[0]) * s1[0],
        c0 + (c1 - pad - left * s2[1]) * s1[1],
    )
    return out[:, :, None], Geometry(offset, scale)


def _near_either(values: np.ndarray, a: float, b: float) -> bool:
    """Whether any value lies within _ROUNDING of a or b: of their midpoint, a value near
    either is (b - a) / 2 away, give or take _ROUNDING (one pass fewer than two tests)."""
    offset = np.abs(values - (a + b) / 2)
    return bool((np.abs(offset - abs(b - a) / 2) < _ROUNDING).any())


def _crop_at(ink: np.ndarray) -> tuple[tuple[int, int], np.ndarray]:
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return (int(rows[0]), int(cols[0])), ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _place(small: np.ndarray, style: Style, exact: bool = True) -> tuple[np.ndarray, tuple[int, int]]:
    h, w = small.shape
    if style.centre_of_mass:
        cy, cx = _centre_of_mass(small)
        top, left = MNIST_CENTRE[0] - cy, MNIST_CENTRE[1] - cx
        # Rounded to whole pixels: a half-way shift is rounded as the dense sums round it.
        if not exact and min(abs(top % 1.0 - 0.5), abs(left % 1.0 - 0.5)) < _ROUNDING:
            raise _CloseCall
        top, left = int(round(top)), int(round(left))
    else:
        top, left = (SIZE - h) // 2, (SIZE - w) // 2
    top = min(max(top, 0), SIZE - h)
    left = min(max(left, 0), SIZE - w)
    out = np.zeros((SIZE, SIZE), np.float32)
    out[top : top + h, left : left + w] = small  # in [0, 1]: non-negative, divided by its maximum
    return out, (top, left)


def _centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """``ndimage.center_of_mass(img)``: the same products and sums, without its overhead."""
    total = img.sum()
    ys, xs = _index_grids(*img.shape)
    return (img * ys).sum() / total, (img * xs).sum() / total


@lru_cache(maxsize=64)
def _index_grids(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """The row and column indices as floats, shaped (h, 1) and (1, w), as SciPy makes them."""
    ys, xs = np.arange(h)[:, None].astype(float), np.arange(w)[None, :].astype(float)
    ys.flags.writeable = xs.flags.writeable = False
    return ys, xs


def preprocess_dataset(images: np.ndarray, dataset: str) -> np.ndarray:
    """(N, 28, 28) uint8 data-set images (light on dark) -> (N, 28, 28, 1) float32, the same path."""
    out = np.zeros((len(images), SIZE, SIZE, 1), np.float32)
    for i, img in enumerate(images):
        try:
            out[i] = preprocess(img, dataset, polarity="light")
        except EmptyDrawing:
            out[i, :, :, 0] = img / 255.0
    return out
