"""Seeded, varied drawings for comparing :mod:`model.preprocess` with its frozen reference.

:func:`random_page` covers what preprocessing meets: strokes from thin mouse lines to fat
markers (so both the thickening and the thinning branch run), filled silhouettes and
outlines, tiny and page-filling drawings, off-centre ones cut by the page edge, empty and
nearly empty pages, faint ink and paper noise, both polarities, and gray / gray+alpha / RGB /
RGBA / float / 16-bit layouts. :func:`typical_page` is what the live canvas sends: a few
strokes, dark on white, uint8.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

LAYOUTS = ("gray", "gray", "gray", "gray3", "rgb", "rgba", "rgba_clear", "la", "float", "float255", "uint16")


def _polyline(rng: np.random.Generator, h: int, w: int, spread: float) -> list[tuple[float, float]]:
    """A wobbly stroke of a few points around a random centre (x, y), as PIL wants them."""
    n = int(rng.integers(2, 9))
    centre = rng.uniform([0.1 * w, 0.1 * h], [0.9 * w, 0.9 * h])
    step = rng.normal(0.0, spread * min(h, w) / 3, size=(n, 2))
    points = centre + np.cumsum(step, axis=0) - step[0]
    return [tuple(p) for p in points]


def _polygon(rng: np.random.Generator, h: int, w: int, size: float) -> list[tuple[float, float]]:
    """A star-shaped blob (a garment-like silhouette) of relative ``size``."""
    n = int(rng.integers(3, 12))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radius = size * min(h, w) / 2 * rng.uniform(0.5, 1.0, n)
    cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
    return [(cx + r * np.cos(a), cy + r * np.sin(a)) for a, r in zip(angles, radius, strict=True)]


def _ink_map(rng: np.random.Generator, h: int, w: int, kind: str, ss: int | None = None) -> np.ndarray:
    """Float ink coverage in [0, 1] for one drawing of ``kind``, drawn ``ss`` x finer and
    box-filtered (anti-aliased; 1: aliased), by default at random."""
    if ss is None:
        ss = int(rng.choice([1, 2, 4 if max(h, w) <= 300 else 2]))
    img = Image.new("L", (w * ss, h * ss), 0)
    draw = ImageDraw.Draw(img)
    side = min(h, w)

    def stroke(points, width):
        pts = [(x * ss, y * ss) for x, y in points]
        wpx = max(1, int(round(width * ss)))
        draw.line(pts, fill=255, width=wpx, joint="curve")
        r = wpx / 2
        for x, y in (pts[0], pts[-1]):  # round caps
            draw.ellipse([x - r, y - r, x + r, y + r], fill=255)

    if kind == "strokes":
        for _ in range(int(rng.integers(1, 6))):
            width = float(np.exp(rng.uniform(0.0, np.log(max(side / 6, 1.5)))))
            stroke(_polyline(rng, h, w, rng.uniform(0.1, 0.6)), width)
    elif kind == "thin":  # long enough not to be blown up into a blob (that is "tiny")
        for _ in range(int(rng.integers(1, 4))):
            stroke(_polyline(rng, h, w, rng.uniform(0.3, 0.6)), rng.uniform(0.5, 3.0))
    elif kind == "fat":
        for _ in range(int(rng.integers(1, 3))):
            stroke(_polyline(rng, h, w, rng.uniform(0.2, 0.6)), rng.uniform(1.0, 3.0) * max(side / 12, 1.0))
    elif kind == "silhouette":
        pts = [(x * ss, y * ss) for x, y in _polygon(rng, h, w, rng.uniform(0.3, 1.2))]
        draw.polygon(pts, fill=255)
    elif kind == "outline":
        pts = _polygon(rng, h, w, rng.uniform(0.3, 1.2))
        stroke([*pts, pts[0]], rng.uniform(1.0, max(side / 25, 1.5)))
    elif kind == "tiny":
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.3, 6.0)
        draw.ellipse([(cx - r) * ss, (cy - r) * ss, (cx + r) * ss, (cy + r) * ss], fill=255)
    elif kind == "edge":  # strokes that run off the page
        for _ in range(int(rng.integers(1, 4))):
            pts = [tuple(p) for p in rng.uniform(-0.3, 1.3, size=(3, 2)) * (w, h)]
            stroke(pts, rng.uniform(1.0, max(side / 8, 1.5)))
    elif kind == "empty":
        pass
    else:
        raise ValueError(kind)
    if ss > 1:
        img = img.resize((w, h), Image.Resampling.BOX)
    return np.asarray(img, np.float64) / 255.0


def _layout(rng: np.random.Generator, ink: np.ndarray, light_ink: bool) -> np.ndarray:
    """Put the ink on paper in a random array layout (dtype, channels)."""
    h, w = ink.shape
    layout = rng.choice(LAYOUTS)
    ink_level = rng.uniform(0.6, 1.0) if rng.random() < 0.8 else rng.uniform(0.05, 0.35)
    paper = rng.uniform(0.0, 0.15) if light_ink else rng.uniform(0.85, 1.0)
    target = 1.0 if light_ink else 0.0
    gray = paper + (target - paper) * ink_level * ink
    if rng.random() < 0.2:  # scanner / JPEG noise
        gray = gray + rng.normal(0.0, rng.uniform(0.005, 0.05), size=gray.shape)
    gray = np.clip(gray, 0.0, 1.0)
    if layout == "rgba_clear":  # opaque ink on a transparent page, in some colour
        colour = rng.uniform(0, 1, 3)
        rgba = np.empty((h, w, 4))
        rgba[..., :3] = colour
        rgba[..., 3] = ink * ink_level
        return np.rint(rgba * 255).astype(np.uint8)
    if layout in ("rgb", "rgba"):
        tint = rng.uniform(0.8, 1.2, 3)
        rgb = np.clip(gray[..., None] * tint, 0.0, 1.0)
        if layout == "rgba":
            rgb = np.concatenate([rgb, np.ones((h, w, 1))], axis=2)
        return np.rint(rgb * 255).astype(np.uint8)
    if layout == "la":
        return np.rint(np.stack([gray, np.ones_like(gray)], axis=2) * 255).astype(np.uint8)
    if layout == "gray3":
        return np.rint(gray * 255).astype(np.uint8)[:, :, None]
    if layout == "float":
        return gray.astype(np.float32)
    if layout == "float255":
        return gray * 255.0
    if layout == "uint16":
        return np.rint(gray * 65535).astype(np.uint16)
    return np.rint(gray * 255).astype(np.uint8)


# How often each kind of drawing comes up. Tiny drawings are few: the reference thins a dot
# blown up to the working size with a disk of radius ~35, ~0.1 s each.
KINDS = {"strokes": 8, "thin": 4, "fat": 2, "silhouette": 2, "outline": 4, "edge": 2, "tiny": 0.5, "empty": 1}


def random_page(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """One varied page and the polarity argument to pass with it."""
    r = rng.random()
    if r < 0.35:
        h = w = 280
    elif r < 0.6:
        h = w = 400
    else:
        h, w = (int(v) for v in rng.integers(8, 450, size=2))
    weights = np.array(list(KINDS.values()), float)
    kind = str(rng.choice(list(KINDS), p=weights / weights.sum()))
    light_ink = bool(rng.random() < 0.3)
    page = _layout(rng, _ink_map(rng, h, w, kind), light_ink)
    # Mostly "auto"; sometimes the page's polarity given explicitly, rarely the wrong one (the
    # paper becomes one big blob of ink: the reference takes ~0.4 s to thin it).
    r = rng.random()
    polarity = "auto" if r < 0.8 else ("light" if light_ink == (r < 0.97) else "dark")
    return page, polarity


def typical_page(rng: np.random.Generator, size: int, dataset: str) -> np.ndarray:
    """What the live canvas sends: anti-aliased dark ink on a white ``size`` x ``size`` uint8 page.

    Digits: a few strokes, thin mouse lines to fat marker strokes. Clothing: a filled
    silhouette, an outline, or strokes.
    """
    if dataset == "mnist":
        kind = str(rng.choice(["strokes", "strokes", "thin", "fat"]))
    else:
        kind = str(rng.choice(["silhouette", "outline", "strokes"]))
    ink = _ink_map(rng, size, size, kind, ss=4)  # the canvas paints anti-aliased
    return np.rint(255 * (1.0 - ink)).astype(np.uint8)
