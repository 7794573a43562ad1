"""Drawn-style versions of data-set images: what people's drawings look like.

Used twice, on different splits: as augmentation on the training split (so the shipped models
read real drawings) and by ``python main.py bench accuracy`` on the test split (to measure it).

- :func:`redraw_digit`: a digit re-drawn as brush strokes: its skeleton traced with a uniform
  round brush of random width, at a random size and off-centre position on a large canvas.
- :func:`outline`: a clothing item as its outline only, drawn with a uniform pen.
- :func:`silhouette`: a clothing item as a filled silhouette.

Every function returns a uint8 page, dark ink on white, like a canvas or a scanned drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

UPSCALE = 4  # the 28x28 source is traced at 112x112


@dataclass(frozen=True)
class Jitter:
    """Random changes of shape on top of size, position and width (training only)."""

    rotate_deg: float = 0.0
    shear: float = 0.0
    aspect: float = 0.0  # +-relative change of width against height


NO_JITTER = Jitter()
TRAIN_JITTER = Jitter(rotate_deg=12.0, shear=0.3, aspect=0.15)


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a binary mask to a one-pixel skeleton."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p2, p3, p4 = img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:]
            p5, p6, p7 = img[2:, 2:], img[2:, 1:-1], img[2:, :-2]
            p8, p9 = img[1:-1, :-2], img[:-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
            count = sum(p.astype(np.int8) for p in ring[:8])
            transitions = sum(((ring[k] == 0) & (ring[k + 1] == 1)).astype(np.int8) for k in range(8))
            if step == 0:
                keep_a, keep_b = p2 * p4 * p6, p4 * p6 * p8
            else:
                keep_a, keep_b = p2 * p4 * p8, p2 * p6 * p8
            remove = (
                (img[1:-1, 1:-1] == 1)
                & (count >= 2)
                & (count <= 6)
                & (transitions == 1)
                & (keep_a == 0)
                & (keep_b == 0)
            )
            if remove.any():
                img[1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def _segments(skeleton: np.ndarray) -> np.ndarray:
    """(K, 2, 2) line segments joining 8-connected skeleton pixels (y, x)."""
    ys, xs = np.nonzero(skeleton)
    h, w = skeleton.shape
    segs = [np.stack([np.stack([ys, xs], 1), np.stack([ys, xs], 1)], 1).astype(float)]
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        ny, nx = ys + dy, xs + dx
        ok = (ny < h) & (nx >= 0) & (nx < w)
        ok[ok] = skeleton[ny[ok], nx[ok]]
        a = np.stack([ys[ok], xs[ok]], 1)
        b = np.stack([ny[ok], nx[ok]], 1)
        segs.append(np.stack([a, b], 1).astype(float))
    return np.concatenate(segs)


def _transform(points: np.ndarray, rng: np.random.Generator, jitter: Jitter) -> np.ndarray:
    """Random rotation, shear and aspect about the points' centre (shape (..., 2), y/x)."""
    centre = points.reshape(-1, 2).mean(0)
    angle = np.deg2rad(rng.uniform(-jitter.rotate_deg, jitter.rotate_deg))
    shear = rng.uniform(-jitter.shear, jitter.shear)
    aspect = 1.0 + rng.uniform(-jitter.aspect, jitter.aspect)
    c, s = np.cos(angle), np.sin(angle)
    m = np.array([[c, -s], [s, c]]) @ np.array([[1.0, 0.0], [shear, aspect]])
    return (points - centre) @ m.T + centre


def _layout(points: np.ndarray, rng, canvas: int, size_range: tuple[float, float]):
    """Scale the points to a random size and put them at a random off-centre position."""
    flat = points.reshape(-1, 2)
    lo, hi = flat.min(0), flat.max(0)
    extent = max(float((hi - lo).max()), 1.0)
    size = rng.uniform(*size_range) * canvas
    scale = size / extent
    span = (hi - lo) * scale
    margin = 0.04 * canvas
    offset = np.array(
        [rng.uniform(margin, max(margin, canvas - margin - span[k])) for k in range(2)]
    )
    return (points - lo) * scale + offset, scale


def _stroke_page(segments: np.ndarray, width: float, canvas: int) -> np.ndarray:
    """Render segments with a round, anti-aliased brush of ``width`` pixels -> ink in [0, 1]."""
    a, b = segments[:, 0], segments[:, 1]
    length = np.linalg.norm(b - a, axis=1)
    steps = np.maximum(1, np.ceil(length * 2)).astype(int)
    idx = np.repeat(np.arange(len(segments)), steps + 1)
    first = np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)
    t = (np.arange(len(idx)) - first) / steps[idx]  # 0 .. 1 along each segment
    pts = a[idx] + (b[idx] - a[idx]) * t[:, None]
    centre = np.ones((canvas, canvas), bool)
    yx = np.clip(np.rint(pts).astype(int), 0, canvas - 1)
    centre[yx[:, 0], yx[:, 1]] = False
    dist = ndimage.distance_transform_edt(centre)
    return np.clip(width / 2.0 - dist + 0.5, 0.0, 1.0)


def _page(ink: np.ndarray) -> np.ndarray:
    return np.rint(255.0 * (1.0 - ink)).astype(np.uint8)


def _upscaled(img: np.ndarray) -> np.ndarray:
    return ndimage.zoom(img.astype(np.float64) / 255.0, UPSCALE, order=1)


def redraw_digit(
    img: np.ndarray, rng: np.random.Generator, canvas: int = 400, jitter: Jitter = NO_JITTER
) -> np.ndarray:
    """A 28x28 uint8 digit re-drawn as uniform brush strokes on a white ``canvas`` page."""
    skeleton = thin(_upscaled(img) > 0.4)
    if not skeleton.any():
        raise ValueError("the image has no ink to trace")
    segments = _transform(_segments(skeleton), rng, jitter)
    segments, _ = _layout(segments, rng, canvas, (0.25, 0.85))
    digit = np.ptp(segments.reshape(-1, 2), axis=0).max()
    width = max(1.5, rng.uniform(0.04, 0.18) * digit)
    return _page(_stroke_page(segments, width, canvas))


def item_mask(img: np.ndarray) -> np.ndarray:
    """The filled shape of a clothing item (holes filled), at the traced resolution."""
    mask = ndimage.binary_fill_holes(_upscaled(img) > 0.06)
    mask = ndimage.binary_opening(mask, iterations=1)
    if not mask.any():
        raise ValueError("the image has no ink to trace")
    return mask


def outline(
    img: np.ndarray, rng: np.random.Generator, canvas: int = 400, jitter: Jitter = NO_JITTER
) -> np.ndarray:
    """A 28x28 uint8 clothing item as its outline, drawn with a uniform pen on a white page."""
    mask = item_mask(img)
    boundary = mask & ~ndimage.binary_erosion(mask)
    segments = _transform(_segments(boundary), rng, jitter)
    segments, _ = _layout(segments, rng, canvas, (0.35, 0.9))
    item = np.ptp(segments.reshape(-1, 2), axis=0).max()
    width = max(1.5, rng.uniform(0.01, 0.04) * item)
    return _page(_stroke_page(segments, width, canvas))


def silhouette(
    img: np.ndarray, rng: np.random.Generator, canvas: int = 400, jitter: Jitter = NO_JITTER
) -> np.ndarray:
    """A 28x28 uint8 clothing item as a filled silhouette on a white page."""
    mask = item_mask(img).astype(np.float64)
    ys, xs = np.nonzero(mask)
    # The same random shape change as the strokes get, as one affine map page -> mask.
    src = np.array([[ys.min(), xs.min()], [ys.max() + 1, xs.min()], [ys.min(), xs.max() + 1]], float)
    dst = _transform(src, rng, jitter)
    placed, _ = _layout(dst, rng, canvas, (0.35, 0.9))
    # Solve placed = A @ src + t for A, t; then sample the mask at A^-1 (page - t).
    a = np.linalg.solve(np.hstack([src, np.ones((3, 1))]), placed).T  # (2, 3): [A | t]
    inverse = np.linalg.inv(a[:, :2])
    offset = -inverse @ a[:, 2]
    ink = ndimage.affine_transform(mask, inverse, offset, output_shape=(canvas, canvas), order=1)
    return _page(np.clip(ink, 0.0, 1.0))


GENERATORS = {"strokes": redraw_digit, "outline": outline, "silhouette": silhouette}
