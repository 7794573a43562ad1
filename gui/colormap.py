"""Numbers for the eye: colour tables, activations to colours, and mosaics of a layer's maps.

NumPy only, no Qt: the inference worker turns the live feature maps into pixels with these off
the GUI thread, and the Explore view its scaled, ordered and coloured grids and kernels.

Viridis and magma are Stéfan van der Walt and Nathaniel Smith's perceptually uniform maps
(CC0), as the 256 entries matplotlib ships (``_cm_listed.py``), rounded to bytes; the diverging
map runs through ColorBrewer's RdBu anchors, blue for negative, white at zero, red for positive.
"""

from __future__ import annotations

import functools

import numpy as np

GRID = 8  # a layer's 64 maps are shown as 8 x 8
GAP = 1  # pixels between two maps in a mosaic


def _table(hexes: str) -> np.ndarray:
    table = np.frombuffer(bytes.fromhex(hexes), np.uint8).reshape(256, 3).copy()
    table.setflags(write=False)
    return table


VIRIDIS = _table(
    "44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769"
    "48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a"
    "472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85"
    "4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b"
    "3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d"
    "33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e"
    "2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e"
    "26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d"
    "21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88"
    "1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81"
    "28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74"
    "3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863"
    "5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d"
    "84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32"
    "addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a"
    "d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725"
)
MAGMA = _table(
    "00000401000501010601010802010902020b02020d03030f03031204041405041606051806051a07061c08071e090720"
    "0a08220b09240c09260d0a290e0b2b100b2d110c2f120d31130d34140e36150e38160f3b180f3d19103f1a10421c1044"
    "1d11471e114920114b21114e22115024125325125527125829115a2a115c2c115f2d11612f1163311165331067341069"
    "36106b38106c390f6e3b0f703d0f713f0f72400f74420f75440f764510774710784910784a10794c117a4e117b4f127b"
    "51127c52137c54137d56147d57157e59157e5a167e5c167f5d177f5f187f601880621980641a80651a80671b80681c81"
    "6a1c816b1d816d1d816e1e81701f81721f817320817521817621817822817922827b23827c23827e2482802582812581"
    "8326818426818627818827818928818b29818c29818e2a81902a81912b81932b80942c80962c80982d80992d809b2e7f"
    "9c2e7f9e2f7fa02f7fa1307ea3307ea5317ea6317da8327daa337dab337cad347cae347bb0357bb2357bb3367ab5367a"
    "b73779b83779ba3878bc3978bd3977bf3a77c03a76c23b75c43c75c53c74c73d73c83e73ca3e72cc3f71cd4071cf4070"
    "d0416fd2426fd3436ed5446dd6456cd8456cd9466bdb476adc4869de4968df4a68e04c67e24d66e34e65e44f64e55064"
    "e75263e85362e95462ea5661eb5760ec5860ed5a5fee5b5eef5d5ef05f5ef1605df2625df2645cf3655cf4675cf4695c"
    "f56b5cf66c5cf66e5cf7705cf7725cf8745cf8765cf9785df9795df97b5dfa7d5efa7f5efa815ffb835ffb8560fb8761"
    "fc8961fc8a62fc8c63fc8e64fc9065fd9266fd9467fd9668fd9869fd9a6afd9b6bfe9d6cfe9f6dfea16efea36ffea571"
    "fea772fea973feaa74feac76feae77feb078feb27afeb47bfeb67cfeb77efeb97ffebb81febd82febf84fec185fec287"
    "fec488fec68afec88cfeca8dfecc8ffecd90fecf92fed194fed395fed597fed799fed89afdda9cfddc9efddea0fde0a1"
    "fde2a3fde3a5fde5a7fde7a9fde9aafdebacfcecaefceeb0fcf0b2fcf2b4fcf4b6fcf6b8fcf7b9fcf9bbfcfbbdfcfdbf"
)
GRAY = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
GRAY.setflags(write=False)


def _diverging() -> np.ndarray:
    hexes = ("2166ac", "4393c3", "92c5de", "d1e5f0", "f7f7f7", "fddbc7", "f4a582", "d6604d", "b2182b")
    anchors = np.frombuffer(bytes.fromhex("".join(hexes)), np.uint8).reshape(-1, 3).astype(np.float64)
    at = np.linspace(0.0, 255.0, len(anchors))
    x = np.arange(256)
    table = np.stack([np.interp(x, at, anchors[:, c]) for c in range(3)], axis=1)
    table = np.rint(table).astype(np.uint8)
    table.setflags(write=False)
    return table


DIVERGING = _diverging()  # blue (most negative) - white (zero, between entries 127 and 128) - red

COLORMAPS: dict[str, np.ndarray] = {"viridis": VIRIDIS, "magma": MAGMA, "gray": GRAY}


def to_indices(values: np.ndarray, low, high) -> np.ndarray:
    """Values -> 0..255 table indices, ``low`` to 0 and ``high`` to 255, rounded and clipped.

    ``low`` and ``high`` may be scalars or arrays that broadcast against ``values`` (one range
    per map). Where ``high <= low`` everything maps to 0.
    """
    values = np.asarray(values, np.float32)
    low = np.asarray(low, np.float32)
    span = np.asarray(high, np.float32) - low
    scale = np.divide(255.0, span, out=np.zeros_like(span), where=span > 0)
    scaled = values * scale
    scaled += 0.5 - low * scale
    np.clip(scaled, 0.0, 255.0, out=scaled)
    return scaled.astype(np.uint8)


def colorize(values: np.ndarray, low, high, table: np.ndarray = VIRIDIS) -> np.ndarray:
    """Values -> (..., 3) uint8 RGB through ``table``."""
    return table[to_indices(values, low, high)]


def diverging(values: np.ndarray, limit: float) -> np.ndarray:
    """Values -> RGB with zero white, -limit full blue and +limit full red."""
    limit = float(limit) if limit > 0 else 1.0
    return colorize(values, -limit, limit, DIVERGING)


def overlay_rgba(saliency: np.ndarray, table: np.ndarray = MAGMA, opacity: float = 0.8) -> np.ndarray:
    """A [0, 1] map -> (H, W, 4) uint8 RGBA: colour from ``table``, alpha rising with the value."""
    saliency = np.clip(np.asarray(saliency, np.float32), 0.0, 1.0)
    rgba = np.empty((*saliency.shape, 4), np.uint8)
    rgba[..., :3] = table[(saliency * 255.0 + 0.5).astype(np.uint8)]
    rgba[..., 3] = (saliency * (255.0 * opacity) + 0.5).astype(np.uint8)
    return rgba


# ---------------------------------------------------------------- mosaics


def tile(maps: np.ndarray, order: np.ndarray | None = None, grid: int = GRID, gap: int = GAP,
         fill=0) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, grid*grid[, ...]) maps -> one (grid*(H+gap)-gap, grid*(W+gap)-gap[, ...]) mosaic
    and its mask (True on map pixels, False in the gaps, which hold ``fill``).

    Cell k (row k // grid, column k % grid) shows map ``order[k]`` (default: map k). Trailing
    dimensions (say, RGB) come along. No Python loop over pixels or maps: a reshape and a
    transpose.
    """
    h, w, n = maps.shape[:3]
    if order is not None:
        maps, n = maps[:, :, np.asarray(order)], len(order)
    if n != grid * grid:
        raise ValueError(f"expected {grid * grid} maps, got {n}")
    rest = maps.shape[3:]
    cells = np.empty((grid, grid, h + gap, w + gap, *rest), maps.dtype)
    cells[...] = fill
    cells[:, :, :h, :w] = np.moveaxis(maps, 2, 0).reshape(grid, grid, h, w, *rest)
    mask = np.zeros((grid, grid, h + gap, w + gap), bool)
    mask[:, :, :h, :w] = True
    rows, cols = grid * (h + gap) - gap, grid * (w + gap) - gap

    def flat(a: np.ndarray) -> np.ndarray:
        a = a.swapaxes(1, 2).reshape(grid * (h + gap), grid * (w + gap), *a.shape[4:])
        return a[:rows, :cols]

    return flat(cells), flat(mask)


def mosaic(rgb: np.ndarray, order: np.ndarray, background: tuple[int, int, int] = (40, 40, 40)
           ) -> np.ndarray:
    """(H, W, 64, 3) coloured maps -> one RGB picture, cell k showing map ``order[k]``, the
    gaps ``background``."""
    return np.ascontiguousarray(tile(rgb, order, fill=background)[0])


def cell_at(x: float, y: float, map_shape: tuple[int, int], grid: int = GRID, gap: int = GAP
            ) -> tuple[int, int, int] | None:
    """Mosaic pixel coordinates -> (cell, row, col) inside that cell's map, or None in a gap."""
    h, w = map_shape
    if x < 0 or y < 0:
        return None
    gx, col = divmod(int(x), w + gap)
    gy, row = divmod(int(y), h + gap)
    if gx >= grid or gy >= grid or row >= h or col >= w:
        return None
    return gy * grid + gx, row, col


@functools.lru_cache(maxsize=8)
def _grid_gather(h: int, w: int, n: int) -> np.ndarray:
    """For an (h, w, n) layer: each mosaic pixel's flat index into the layer's maps, or h*w*n (one
    past the end) in the gaps. The mosaic is then one gather per drawing, not a tiling."""
    flat = np.arange(h * w * n, dtype=np.int32).reshape(h, w, n)
    gather, mask = tile(flat, fill=h * w * n)
    gather[~mask] = h * w * n
    gather = np.ascontiguousarray(gather)
    gather.setflags(write=False)
    return gather


# Viridis with an opaque alpha, and a 257th entry, transparent, for the gaps between maps; as
# one uint32 per entry, so that a look-up moves four bytes at once (eight times faster).
_VIRIDIS_RGBA = np.ascontiguousarray(np.concatenate(
    [np.hstack([VIRIDIS, np.full((256, 1), 255, np.uint8)]), np.zeros((1, 4), np.uint8)]
)).view(np.uint32).ravel()
_VIRIDIS_RGBA.setflags(write=False)


def feature_grid(maps: np.ndarray) -> np.ndarray:
    """One layer's (H, W, 64) activations -> an (h, w, 4) RGBA uint8 mosaic, coloured by viridis.

    All 64 maps share one scale (the layer's largest activation), so a weak map looks weak;
    the gaps are transparent and show the widget's own background. Runs for four layers on
    every stroke: a cached gather instead of a reshape-and-tile, one table look-up for colour
    and alpha together.
    """
    maps = np.asarray(maps, np.float32)
    h, w, n = maps.shape
    indices = np.empty(h * w * n + 1, np.uint16)
    indices[:-1] = to_indices(maps, 0.0, float(maps.max(initial=0.0))).ravel()
    indices[-1] = 256  # the gaps' transparent entry
    gather = _grid_gather(h, w, n)
    return _VIRIDIS_RGBA[indices[gather]].view(np.uint8).reshape(*gather.shape, 4)


def mosaic_for_export(rgba: np.ndarray, min_cell: int = 48) -> np.ndarray:
    """A feature-map mosaic (RGBA, transparent gaps) -> RGB on white, enlarged so that each map
    is at least ``min_cell`` pixels wide."""
    rgb = np.where(rgba[:, :, 3:] > 0, rgba[:, :, :3], np.uint8(255)).astype(np.uint8)
    cell = max(1, (rgba.shape[0] + GAP) // GRID - GAP)
    return enlarge(rgb, max(1, -(-min_cell // cell)))


def enlarge(pixels: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by a whole factor (square pixels stay square)."""
    return np.repeat(np.repeat(pixels, factor, axis=0), factor, axis=1)


def input_pixels(image: np.ndarray) -> np.ndarray:
    """The (28, 28[, 1]) float network input in [0, 1] -> (28, 28) uint8 gray (ink is bright)."""
    gray = np.asarray(image, np.float32).reshape(image.shape[0], image.shape[1])
    return np.ascontiguousarray(np.clip(np.rint(gray * 255.0), 0, 255).astype(np.uint8))
