"""Feature maps as pictures: the 8 x 8 grid of 64 maps, coloured by viridis, in NumPy only.

Plain arrays in and out (no widgets, no QImage), so the inference worker can turn activations
into pixels off the GUI thread and hand the GUI ready ``uint8`` arrays.
"""

from __future__ import annotations

import numpy as np

# Viridis (van der Walt and Smith's perceptually uniform map, matplotlib's 256 entries): one
# (256, 3) uint8 table for the whole app, kept with the feature-map explorer's colour maps.
from gui.explore.colors import VIRIDIS

GRID = 8  # 64 maps are shown as 8 x 8
GAP = 1  # pixels of transparent gap between two maps


def to_indices(values: np.ndarray, top: float) -> np.ndarray:
    """Activations -> 0..255 indices into the colour table, with ``top`` mapped to 255."""
    scaled = np.asarray(values, np.float32) * (255.0 / top) if top > 0 else np.zeros(values.shape)
    return np.clip(scaled, 0.0, 255.0).astype(np.uint8)


def tile(maps: np.ndarray, grid: int = GRID, gap: int = GAP) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, grid*grid) maps -> one (grid*(H+gap)-gap, grid*(W+gap)-gap) mosaic and its mask.

    Map k sits at row k // grid, column k % grid. The mask is True on map pixels, False in the
    gaps. No Python loop over pixels or maps: a reshape and a transpose.
    """
    h, w, n = maps.shape
    if n != grid * grid:
        raise ValueError(f"expected {grid * grid} maps, got {n}")
    blocks = np.moveaxis(maps, 2, 0).reshape(grid, grid, h, w)
    padded = np.zeros((grid, grid, h + gap, w + gap), maps.dtype)
    padded[:, :, :h, :w] = blocks
    mask = np.zeros((grid, grid, h + gap, w + gap), bool)
    mask[:, :, :h, :w] = True
    rows, cols = grid * (h + gap) - gap, grid * (w + gap) - gap

    def flat(a: np.ndarray) -> np.ndarray:
        return a.transpose(0, 2, 1, 3).reshape(grid * (h + gap), grid * (w + gap))[:rows, :cols]

    return flat(padded), flat(mask)


def feature_grid(maps: np.ndarray) -> np.ndarray:
    """One layer's (H, W, 64) activations -> an (h, w, 4) RGBA uint8 mosaic, coloured by viridis.

    All 64 maps share one scale (the layer's largest activation), so a weak map looks weak;
    the gaps are transparent and show the widget's own background.
    """
    maps = np.asarray(maps, np.float32)
    mosaic, mask = tile(to_indices(maps, float(maps.max(initial=0.0))))
    rgba = np.empty((*mosaic.shape, 4), np.uint8)
    rgba[:, :, :3] = VIRIDIS[mosaic]
    rgba[:, :, 3] = np.where(mask, 255, 0)
    return rgba


def input_pixels(image: np.ndarray) -> np.ndarray:
    """The (28, 28[, 1]) float network input in [0, 1] -> (28, 28) uint8 gray (ink is bright)."""
    gray = np.asarray(image, np.float32).reshape(image.shape[0], image.shape[1])
    return np.ascontiguousarray(np.clip(np.rint(gray * 255.0), 0, 255).astype(np.uint8))
