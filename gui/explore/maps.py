"""What the Explore view says of a layer's maps: statistics, colour ranges, order, the bars of a
layer without maps, the kernels that go with a map. The colours and mosaics themselves come from
``gui.colormap``.

No Qt: the widgets call these on plain arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gui.colormap import VIRIDIS, colorize, mosaic

SCALINGS = ("map", "layer", "fixed")  # one range per map, one per layer, or a range the user sets


@dataclass(frozen=True)
class MapStats:
    """What the enlarged view says of one map."""

    max: float
    mean: float
    zero_fraction: float

    @property
    def dead(self) -> bool:
        """All zero (or below): the map says nothing about this drawing."""
        return self.max <= 0.0


def map_stats(values: np.ndarray) -> MapStats:
    values = np.asarray(values, np.float32)
    return MapStats(float(values.max()), float(values.mean()), float(np.mean(values == 0.0)))


def dead_channels(maps: np.ndarray) -> np.ndarray:
    """(H, W, C) maps -> (C,) bool: the maps that are all zero (or below) on this drawing."""
    return np.asarray(maps).max(axis=(0, 1)) <= 0.0


def activation_order(maps: np.ndarray) -> np.ndarray:
    """Channel numbers by mean activation on this drawing, strongest first (ties: lower first)."""
    means = np.asarray(maps, np.float64).mean(axis=(0, 1))
    return np.argsort(-means, kind="stable")


def value_ranges(maps: np.ndarray, scaling: str, fixed: tuple[float, float] = (0.0, 1.0)
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(low, high), each (C,): the colour range of every map under ``scaling``.

    "map": each map from min(0, its minimum) to its maximum; "layer": every map over the
    layer's range, so maps compare fairly; "fixed": ``fixed`` for all.
    """
    maps = np.asarray(maps, np.float32)
    channels = maps.shape[-1]
    if scaling == "map":
        return np.minimum(maps.min(axis=(0, 1)), 0.0), maps.max(axis=(0, 1))
    if scaling == "layer":
        low, high = min(float(maps.min()), 0.0), float(maps.max())
    elif scaling == "fixed":
        low, high = float(fixed[0]), float(fixed[1])
    else:
        raise ValueError(f"unknown scaling {scaling!r}; choose one of {SCALINGS}")
    return np.full(channels, low, np.float32), np.full(channels, high, np.float32)



def layer_mosaic(maps: np.ndarray, order: np.ndarray, scaling: str, table: np.ndarray = VIRIDIS,
                 fixed: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """A layer's (H, W, C) maps, coloured under ``scaling`` and tiled in ``order``."""
    low, high = value_ranges(maps, scaling, fixed)
    return mosaic(colorize(maps, low, high, table), order)



def layer_bars(shown, before, layer: str, names: tuple[str, ...]):
    """What the bars show for a layer without maps: (values, labels, reference, title).

    ``shown`` is the Prediction on screen, ``before`` the network as trained when channels are
    off (its values are drawn dashed for comparison), else None.
    """
    if layer == "flatten":
        values, reference = shown.feature_maps[-1].ravel(), None
        title = f"flatten: the {values.size:,} values the dense layer reads"
    elif layer == "dense":
        values = shown.dense
        reference = before.dense if before is not None else None
        title = f"dense: {values.size} activations"
    else:
        values = shown.probabilities
        reference = before.probabilities if before is not None else None
        title = "probabilities"
    return values, names if values.size == len(names) else (), reference, title


def ablation_summary(before: np.ndarray, after: np.ndarray, count: int, names: tuple[str, ...]) -> str:
    """One line: how many channels are off and what the top class is with and without them."""
    was, now = names[int(np.argmax(before))], names[int(np.argmax(after))]
    return (f"{count} channel{'s' if count != 1 else ''} off: "
            f"{now} {after.max():.1%} (all on: {was} {before.max():.1%})")


def kernels_for(kernels, layer: str, channel: int) -> tuple[np.ndarray | None, str, int]:
    """Which kernels go with a layer and map: (kernels (64, 3, 3) or None, title, highlight).

    The first two layers show the 64 first-layer kernels (the open map's outlined); a
    second-layer map shows the kernels it applies to each of its 64 inputs.
    """
    first = layer in ("conv1", "pool1")
    if first or layer not in ("conv2", "pool2"):
        return kernels.first_layer(), "the 64 first-layer 3x3 kernels", channel if first else -1
    if channel < 0:
        return None, "open a second-layer map to see its 64 input kernels", -1
    return kernels.inputs_of(channel), f"conv2 map {channel}: its kernel on each of the 64 input maps", -1
