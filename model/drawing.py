"""The drawing: plain data, its geometry, the editable page with its undo history, and its files.

A :class:`Drawing` is what is on the page (strokes of (x, y, width) points in page pixels over an
optional background picture, kept at its own resolution and fitted to the page when painted)
plus, when the user gave them, the dataset and the true label. It is immutable; :class:`Sketch`
is the page being edited (the current drawing, the stroke being drawn, undo and redo, a
replay's preview) and tells its views what changed through plain callbacks. ``gui.views.canvas``
is such a view: it paints what this module says and keeps no copy of it. Nothing here imports Qt.

Strokes are smoothed with the midpoint method (:func:`stroke_pieces`): between two points the
ink follows a quadratic curve from the middle of one segment to the middle of the next, with the
point itself as the control point, so fast strokes come out as curves rather than polylines.
The canvas and the SVG writer draw the same pieces.

JSON::

    {"format": "sketchscope-drawing", "version": 1, "page": 280, "dataset": "mnist", "label": 7,
     "strokes": [{"erase": false, "points": [[x, y, width], ...]}, ...],
     "background": null | {"width": W, "height": H, "gray": base64 of the H x W uint8 pixels}}

The autosave files of earlier versions (the same without "format", "page", "dataset" and
"label") read too. Floats are written as Python's ``repr``, so they read back exactly.

SVG: a picture that looks like the canvas in any browser (white page, the background as a PNG
placed as the canvas paints it, each stroke's pieces inked with round caps), which also carries the
exact data in ``data-*`` attributes; only those are read back, never the drawn paths or the PNG.

Everything read is checked; anything wrong raises :class:`DrawingFileError` with one line.
"""

from __future__ import annotations

import base64
import io
import json
import numbers
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.atomic import atomic_path
from model.datasets import DATASET_NAMES
from model.regular_file import FileTooLargeError, NotRegularFileError, read_regular_file

if TYPE_CHECKING:  # the XML modules load when an SVG is read or written, not at start-up
    import xml.etree.ElementTree as ET

PAGE_SIZE = 280  # page pixels: 10 for each pixel of the network's 28 x 28 input
INK = "#141414"
PAPER = "#ffffff"  # the page, and what the eraser paints; white whatever the theme: the models expect it
ERASER_FACTOR = 2.0  # the eraser is this much wider than its width
DEFAULT_WIDTH = 18.0  # page pixels: about what MNIST's pen is on its 28 x 28 grid
MIN_WIDTH, MAX_WIDTH = 2.0, 60.0  # the brush's range, in page pixels
FORMAT = "sketchscope-drawing"
FORMAT_VERSION = 1
DRAWING_SUFFIXES = (".json", ".svg")
NUM_CLASSES = 10

# What a drawing may hold. Every operation on a page (restoring it at start-up, opening it, undo,
# saving it as PNG) paints all its strokes again, so the limit is what paints in under a second
# at its worst: 5,000 points, every piece a 120-pixel eraser stroke across the page, put the
# window on screen 0.5-0.9 s after it starts to build on the project's 2-core machine (its sharp
# page follows in slices); 200,000 points took 31-42 s at every start. At the 60 or so moves a
# second a mouse reports, 5,000 points are over a minute of drawing. The page accepts no more
# (Sketch), so every drawing the app holds can be saved and read back.
MAX_STROKES = 5_000
MAX_POINTS = 5_000  # in all strokes together
MAX_FILE_BYTES = 50_000_000
COORD_LIMIT = 100_000.0  # |x|, |y| in page pixels: far off the page, but still a number Qt can draw
WIDTH_LIMIT = 10.0 * PAGE_SIZE

SVG_SCALE = 2  # the SVG's width and height are the page at twice its pixels
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_SMALL_INT = re.compile(r"[0-9]{1,6}")
_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_MAX_GRAY_CHARS = 4 * ((PAGE_SIZE * PAGE_SIZE + 2) // 3)  # base64 of the largest background

Point = tuple[float, float, float]


class DrawingFileError(ValueError):
    """A drawing cannot be read or written; str() is one line for the user (whitespace collapsed)."""

    def __init__(self, message: object):
        text = " ".join(str(message).split())
        super().__init__(text if len(text) <= 300 else text[:297] + "...")


@dataclass(frozen=True)
class StrokeData:
    """One pen-down to pen-up: erasing or inking, through (x, y, width) points in page pixels."""

    erase: bool
    points: tuple[Point, ...]


@dataclass(frozen=True, eq=False)
class Drawing:
    """Strokes over an optional background; equal when strokes, pixels, dataset and label are."""

    strokes: tuple[StrokeData, ...] = ()
    background: np.ndarray | None = None  # (H, W) uint8, dark on white, H, W <= PAGE_SIZE; see fit_picture
    dataset: str | None = None  # "mnist" | "fashion" | None
    label: int | None = None  # the true class (0..9), when the user gave one

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Drawing):
            return NotImplemented
        if (self.background is None) != (other.background is None):
            return False
        if self.background is not None and not np.array_equal(self.background, other.background):
            return False
        return (self.strokes, self.dataset, self.label) == (other.strokes, other.dataset, other.label)

    __hash__ = None  # type: ignore[assignment]  # holds an array

    @property
    def empty(self) -> bool:
        """Nothing on the page: no background and no strokes."""
        return self.background is None and not self.strokes


# ---------------------------------------------------------------------------- geometry

XY = tuple[float, float]
Rect = tuple[float, float, float, float]  # x, y, width, height


@dataclass(frozen=True)
class Line:
    """A straight piece of a stroke, ``width`` page pixels wide (the eraser's factor not applied)."""

    start: XY
    end: XY
    width: float


@dataclass(frozen=True)
class Quad:
    """A quadratic curve from ``start`` to ``end``, pulled towards ``control``."""

    start: XY
    control: XY
    end: XY
    width: float


@dataclass(frozen=True)
class Dot:
    """A click: a round dot ``width`` across."""

    centre: XY
    width: float


Piece = Line | Quad | Dot


def _mid(points: Sequence[Point], i: int) -> XY:
    (x0, y0, _), (x1, y1, _) = points[i], points[i + 1]
    return ((x0 + x1) / 2.0, (y0 + y1) / 2.0)


def stroke_piece(points: Sequence[Point], k: int) -> Piece:
    """Piece ``k`` of the stroke through ``points``, smoothed by midpoints, as wide as point k.

    Piece 0 is a line from the first point to the middle of the first segment; piece k a
    quadratic curve from middle to middle through point k; the last a line to the last point.
    So every piece but the last ends where the next one starts, and piece k can be drawn as
    soon as point k + 1 exists. A stroke of one point is one dot.
    """
    n = len(points)
    x, y, width = points[k]
    if n == 1:
        return Dot((x, y), width)
    if k == 0:
        return Line((x, y), _mid(points, 0), width)
    if k < n - 1:
        return Quad(_mid(points, k - 1), (x, y), _mid(points, k), width)
    return Line(_mid(points, k - 1), (x, y), width)


def stroke_pieces(points: Sequence[Point], first: int = 0, last: int | None = None) -> list[Piece]:
    """Pieces ``first`` .. ``last`` (by default all) of the stroke through ``points``."""
    last = len(points) - 1 if last is None else last
    return [stroke_piece(points, k) for k in range(first, last + 1)]


def step_drawings(d: Drawing) -> list[Drawing]:
    """The page after each stroke, for a replay: step k holds the background and strokes 0..k."""
    return [Drawing(d.strokes[: k + 1], d.background) for k in range(len(d.strokes))]


# ---------------------------------------------------------------------------- background pictures


def fit_picture(gray: np.ndarray) -> np.ndarray:
    """A picture as a background: a read-only (H, W) uint8 copy at its own resolution, or, when
    its longer side is over PAGE_SIZE, fitted down to PAGE_SIZE once (by area averaging).

    A small picture (a 28 x 28 test image) keeps its pixels: the page is painted from them and
    the network can read them as they are (:func:`network_picture`).
    """
    gray = np.array(gray, np.uint8, order="C")
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError(f"a background is an (H, W) picture of at least one pixel, not {gray.shape}")
    height, width = gray.shape
    longer = max(height, width)
    if longer > PAGE_SIZE:
        from PIL import Image

        size = (max(1, round(width * PAGE_SIZE / longer)), max(1, round(height * PAGE_SIZE / longer)))
        gray = np.array(Image.fromarray(gray).resize(size, Image.Resampling.BOX))
    gray.flags.writeable = False  # a drawing in the undo history must not change behind its back
    return gray


def picture_placement(height: int, width: int) -> tuple[float, XY]:
    """Where a background of ``height`` x ``width`` pixels is painted: fitted to the page (its
    longer side is the page's side) and centred. Returns (scale, (x, y)): picture pixel (i, j)'s
    top-left corner lies at page pixel (x + j * scale, y + i * scale).

    A background of earlier versions, already fitted to the page, is placed at scale 1 where
    those versions put it.
    """
    scale = PAGE_SIZE / max(height, width)
    return scale, ((PAGE_SIZE - width * scale) / 2.0, (PAGE_SIZE - height * scale) / 2.0)


@dataclass(frozen=True, eq=False)
class NetworkPicture:
    """The picture the network should read, and where it lies on the page.

    ``pixels``: (H, W) uint8, dark on white. ``scale`` page pixels per picture pixel and
    ``offset`` (x, y), the page position of the picture's top-left corner, so that anything
    found in the picture (a receptive field, say) can be outlined on the page.
    """

    pixels: np.ndarray
    scale: float = 1.0
    offset: XY = (0.0, 0.0)

    def to_page(self, x: float, y: float) -> XY:
        """Picture position (x, y) (pixel edges, so (W, H) is the far corner) -> page position."""
        return (self.offset[0] + x * self.scale, self.offset[1] + y * self.scale)

    def rect_to_page(self, x: float, y: float, width: float, height: float) -> Rect:
        """A rectangle of picture pixels -> the same rectangle on the page, as (x, y, width, height)."""
        left, top = self.to_page(x, y)
        return (left, top, width * self.scale, height * self.scale)


def network_picture(d: Drawing, page: Callable[[], np.ndarray]) -> NetworkPicture:
    """What the network should read of ``d``: a page that is only a background picture is that
    picture itself, at its own resolution (a 28 x 28 test image is read exactly as the evaluation
    reads it, not scaled up and back down); anything else is the page, which ``page()`` renders.
    """
    if d.background is not None and not d.strokes:
        scale, offset = picture_placement(*d.background.shape)
        return NetworkPicture(d.background, scale, offset)
    return NetworkPicture(page())


# ---------------------------------------------------------------------------- editing

HISTORY_LIMIT = 200  # undo steps kept
MIN_STEP = 0.25  # page pixels: a pen that moved less along both axes has not moved a visible distance


class Change(Enum):
    """What changed in a :class:`Sketch`, and so what its views must redraw."""

    STROKE_BEGUN = "stroke begun"  # nothing to draw yet; "is empty" changed
    STROKE_EXTENDED = "stroke extended"  # one more piece of the stroke being drawn can be drawn
    STROKE_FINISHED = "stroke finished"  # its last piece; the stroke is now the drawing's last
    DRAWING = "drawing"  # the drawing was replaced (clear, undo, redo, background, load, restore)
    FULL = "full"  # a point or stroke was refused: the drawing holds MAX_POINTS or MAX_STROKES
    PREVIEW = "preview"  # set_preview showed another drawing, or the drawing again
    PREVIEW_ENDED = "preview ended"  # the user drew or edited, so the preview gave way to the drawing


@dataclass(frozen=True)
class SketchChange:
    """One change, told to every callback; ``pieces`` (with ``erase``) is the ink that a
    STROKE_EXTENDED or STROKE_FINISHED added, so a view can paint it without repainting the page."""

    kind: Change
    erase: bool = False
    pieces: tuple[Piece, ...] = ()


def _page_of(d: Drawing) -> Drawing:
    """``d`` as a page: its strokes over its background, brought in by :func:`fit_picture`."""
    return Drawing(d.strokes, None if d.background is None else fit_picture(d.background))


class Sketch:
    """The page being edited: the current :class:`Drawing`, the stroke being drawn, undo and redo,
    and a preview (a replay shows the drawing as it grew without touching it or its history).

    Every edit finishes the stroke being drawn first and ends a preview; undo steps are whole
    drawings, at most ``history_limit`` of them. Views subscribe a callback and redraw from the
    :class:`SketchChange` they are given; they keep no copy of the drawing.
    """

    def __init__(self, history_limit: int = HISTORY_LIMIT):
        self.history_limit = history_limit
        self._drawing = Drawing()
        self._undo: list[Drawing] = []
        self._redo: list[Drawing] = []
        self._live: list[Point] | None = None  # the stroke being drawn, not yet in the drawing
        self._room = MAX_POINTS  # points the stroke being drawn may have: the drawing's limit
        self._live_erase = False
        self._preview: Drawing | None = None
        self._callbacks: list[Callable[[SketchChange], None]] = []

    # ------------------------------------------------------------------ callbacks

    def subscribe(self, callback: Callable[[SketchChange], None]) -> None:
        """Call ``callback(change)`` after every change, in the order of subscribing."""
        self._callbacks.append(callback)

    def unsubscribe(self, callback: Callable[[SketchChange], None]) -> None:
        self._callbacks.remove(callback)

    def _tell(self, kind: Change, erase: bool = False, pieces: tuple[Piece, ...] = ()) -> None:
        change = SketchChange(kind, erase, pieces)
        for callback in list(self._callbacks):
            callback(change)

    # ------------------------------------------------------------------ reading

    @property
    def drawing(self) -> Drawing:
        """The finished drawing (without the stroke being drawn); a new object after every edit."""
        return self._drawing

    @property
    def preview(self) -> Drawing | None:
        return self._preview

    @property
    def shown(self) -> Drawing:
        """What the page shows: the preview while there is one, else the drawing."""
        return self._drawing if self._preview is None else self._preview

    @property
    def in_stroke(self) -> bool:
        """A stroke is being drawn."""
        return self._live is not None

    @property
    def live_stroke(self) -> StrokeData | None:
        """The stroke being drawn, as it is so far; None when there is none."""
        return None if self._live is None else StrokeData(self._live_erase, tuple(self._live))

    def is_empty(self) -> bool:
        return self._drawing.empty and self._live is None

    def network_picture(self, page: Callable[[], np.ndarray]) -> NetworkPicture:
        """What the network should read of the page shown (see :func:`network_picture`);
        ``page()`` renders the page, stroke being drawn and all, when that is what it reads."""
        if self._live is not None:
            return NetworkPicture(page())
        return network_picture(self.shown, page)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    # ------------------------------------------------------------------ strokes

    def begin_stroke(self, x: float, y: float, width: float, erase: bool = False) -> None:
        """Start a stroke at (x, y); none when the drawing is full (FULL is told instead)."""
        self._leave_preview()
        self.finish_stroke()
        strokes = self._drawing.strokes
        self._room = MAX_POINTS - sum(len(stroke.points) for stroke in strokes)
        if len(strokes) >= MAX_STROKES or self._room < 1:
            self._tell(Change.FULL)
            return
        self._live, self._live_erase = [(x, y, width)], bool(erase)
        self._tell(Change.STROKE_BEGUN)

    def extend_stroke(self, x: float, y: float, width: float) -> bool:
        """Add a point to the stroke being drawn; False (nothing added) when there is no stroke
        or the pen has not moved a visible distance."""
        live = self._live
        if live is None:
            return False
        last = live[-1]
        if abs(last[0] - x) < MIN_STEP and abs(last[1] - y) < MIN_STEP:
            return False
        if len(live) >= self._room:  # the stroke keeps what it has; the pen draws no further
            if len(live) == self._room:
                self._room = 0  # told once per stroke
                self._tell(Change.FULL)
            return False
        live.append((x, y, width))
        self._tell(Change.STROKE_EXTENDED, self._live_erase, (stroke_piece(live, len(live) - 2),))
        return True

    def finish_stroke(self) -> None:
        """Put the stroke being drawn into the drawing (an undo step); nothing when there is none."""
        if self._live is None:
            return
        stroke = StrokeData(self._live_erase, tuple(self._live))
        self._live = None
        self._push(Drawing((*self._drawing.strokes, stroke), self._drawing.background))
        last = stroke_piece(stroke.points, len(stroke.points) - 1)
        self._tell(Change.STROKE_FINISHED, stroke.erase, (last,))

    def add_stroke(self, points: Iterable[Point], erase: bool = False) -> None:
        """A whole stroke at once, through (x, y, width) points (for scripts)."""
        self.finish_stroke()
        for i, (x, y, width) in enumerate(points):
            if i == 0:
                self.begin_stroke(x, y, width, erase)
            else:
                self.extend_stroke(x, y, width)
        self.finish_stroke()

    # ------------------------------------------------------------------ whole drawings

    def clear(self) -> None:
        """Wipe the page (undoable)."""
        self._leave_preview()
        self.finish_stroke()
        if not self._drawing.empty:
            self._replace(Drawing())

    def undo(self) -> None:
        self._step_history(self._undo, self._redo)

    def redo(self) -> None:
        self._step_history(self._redo, self._undo)

    def set_background(self, gray: np.ndarray) -> None:
        """Replace the page by a picture ((H, W) uint8, dark on light), kept at its own resolution
        (see :func:`fit_picture`); the strokes go with it and undo brings them back."""
        background = fit_picture(gray)
        self._leave_preview()
        self.finish_stroke()
        self._replace(Drawing(background=background))

    def load(self, d: Drawing) -> None:
        """Replace the page by ``d`` (an opened drawing), undoably. Its dataset and label are the
        file's, not the page's, so they are not kept."""
        self._leave_preview()
        self.finish_stroke()
        self._replace(_page_of(d))

    def restore(self, d: Drawing) -> None:
        """Start afresh from ``d`` (a recovered drawing): no stroke, preview or history before it."""
        self._live, self._preview = None, None
        self._undo.clear()
        self._redo.clear()
        self._drawing = _page_of(d)
        self._tell(Change.DRAWING)

    def set_preview(self, d: Drawing | None) -> None:
        """Show ``d`` instead of the drawing, leaving the drawing and its history alone; None shows
        the drawing again. Drawing or editing ends a preview (PREVIEW_ENDED)."""
        self.finish_stroke()
        if d is self._preview:
            return
        self._preview = d
        self._tell(Change.PREVIEW)

    # ------------------------------------------------------------------ history

    def _leave_preview(self) -> None:
        if self._preview is not None:
            self._preview = None
            self._tell(Change.PREVIEW_ENDED)

    def _push(self, d: Drawing) -> None:
        self._undo.append(self._drawing)
        del self._undo[: -self.history_limit]
        self._redo.clear()
        self._drawing = d

    def _replace(self, d: Drawing) -> None:
        self._push(d)
        self._tell(Change.DRAWING)

    def _step_history(self, back_to: list[Drawing], keep_in: list[Drawing]) -> None:
        """Go to the newest drawing of ``back_to``, keeping the current one in ``keep_in``."""
        self._leave_preview()
        self.finish_stroke()
        if back_to:
            keep_in.append(self._drawing)
            self._drawing = back_to.pop()
            self._tell(Change.DRAWING)


# ---------------------------------------------------------------------------- checking


def _real(value: object) -> bool:
    kind = type(value)
    if kind is float or kind is int:
        return True
    return kind is not bool and isinstance(value, numbers.Real)


def _points(raw: object, where: str) -> tuple[Point, ...]:
    """``raw`` as a tuple of (x, y, width) floats, or DrawingFileError saying what is wrong."""
    if not isinstance(raw, (list, tuple)) or not raw:
        raise DrawingFileError(f"{where} has no points")
    points = []
    for i, point in enumerate(raw, 1):
        if not isinstance(point, (list, tuple)) or len(point) != 3 or not all(map(_real, point)):
            raise DrawingFileError(f"{where}, point {i} is not three numbers [x, y, width]")
        x, y, width = point
        # Comparisons before float(): NaN fails them, and a huge int never overflows.
        if not (-COORD_LIMIT <= x <= COORD_LIMIT and -COORD_LIMIT <= y <= COORD_LIMIT):
            raise DrawingFileError(f"{where}, point {i} is not a finite position on or near the page")
        if not 0 < width <= WIDTH_LIMIT:
            raise DrawingFileError(
                f"{where}, point {i} has a width that is not above 0 and at most {WIDTH_LIMIT:g}"
            )
        points.append((float(x), float(y), float(width)))
    return tuple(points)


def _strokes(raw: Sequence[tuple[object, object]]) -> tuple[StrokeData, ...]:
    """(erase, points) pairs as checked StrokeData, within the stroke and point limits."""
    if len(raw) > MAX_STROKES:
        raise DrawingFileError(f"too many strokes (more than {MAX_STROKES:,})")
    strokes, total = [], 0
    for i, (erase, points) in enumerate(raw, 1):
        if not isinstance(erase, bool):
            raise DrawingFileError(f"stroke {i} does not say whether it erases (true or false)")
        total += len(points) if isinstance(points, (list, tuple)) else 0
        if total > MAX_POINTS:
            raise DrawingFileError(f"too many points (more than {MAX_POINTS:,} in all)")
        strokes.append(StrokeData(erase, _points(points, f"stroke {i}")))
    return tuple(strokes)


def _background(gray: object) -> np.ndarray | None:
    if gray is None:
        return None
    if not isinstance(gray, np.ndarray) or gray.ndim != 2 or gray.dtype != np.uint8:
        raise DrawingFileError("the background is not an (H, W) uint8 array")
    height, width = gray.shape
    _check_size(width, height)
    return np.ascontiguousarray(gray)


def _check_size(width: int, height: int) -> None:
    if not (0 < width <= PAGE_SIZE and 0 < height <= PAGE_SIZE):
        raise DrawingFileError(
            f"a background of {width} x {height} pixels does not fit the {PAGE_SIZE} x {PAGE_SIZE} page"
        )


def _decode_gray(width: object, height: object, gray: object) -> np.ndarray:
    if type(width) is not int or type(height) is not int:
        raise DrawingFileError("the background's width and height are not whole numbers")
    _check_size(width, height)
    if not isinstance(gray, str) or len(gray) > _MAX_GRAY_CHARS:
        raise DrawingFileError("the background's pixels are not base64 text of the right size")
    try:
        pixels = np.frombuffer(base64.b64decode(gray, validate=True), np.uint8)
    except ValueError:
        raise DrawingFileError("the background's pixels are not valid base64") from None
    if pixels.size != width * height:
        raise DrawingFileError(
            f"the background has {pixels.size:,} pixels, not {width} x {height} = {width * height:,}"
        )
    return pixels.reshape(height, width).copy()


def _shown(value: object) -> str:
    """A value as the file spells it (JSON), cut short."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _dataset(value: object) -> str | None:
    if value is not None and value not in DATASET_NAMES:
        names = ", ".join(DATASET_NAMES)
        raise DrawingFileError(f"unknown dataset {_shown(value)} (expected one of {names})")
    return value  # type: ignore[return-value]


def _label(value: object) -> int | None:
    if value is not None and (type(value) is not int or not 0 <= value < NUM_CLASSES):
        raise DrawingFileError(f"the label {_shown(value)} is not a class number 0..{NUM_CLASSES - 1}")
    return value  # type: ignore[return-value]


def _checked(d: Drawing) -> Drawing:
    """``d`` with every point as floats, or DrawingFileError: a writer never writes what a reader refuses."""
    if not isinstance(d.strokes, (list, tuple)) or not all(isinstance(s, StrokeData) for s in d.strokes):
        raise DrawingFileError("the strokes are not a sequence of StrokeData")
    return Drawing(
        strokes=_strokes([(s.erase, s.points) for s in d.strokes]),
        background=_background(d.background),
        dataset=_dataset(d.dataset),
        label=_label(d.label),
    )


def _too_large(text: str) -> None:
    if len(text) > MAX_FILE_BYTES:
        raise DrawingFileError(f"too large for a drawing (the limit is {MAX_FILE_BYTES // 1_000_000} MB)")


# ---------------------------------------------------------------------------- JSON


def drawing_to_json(d: Drawing) -> str:
    """``d`` as JSON text (floats read back exactly). Raises DrawingFileError if ``d`` is invalid."""
    d = _checked(d)
    background = None
    if d.background is not None:
        height, width = d.background.shape
        background = {"width": width, "height": height,
                      "gray": base64.b64encode(d.background.tobytes()).decode("ascii")}
    return json.dumps({
        "format": FORMAT, "version": FORMAT_VERSION, "page": PAGE_SIZE,
        "dataset": d.dataset, "label": d.label,
        "strokes": [{"erase": s.erase, "points": [list(p) for p in s.points]} for s in d.strokes],
        "background": background,
    }, allow_nan=False)


def drawing_from_json(text: str) -> Drawing:
    """Parse :func:`drawing_to_json`'s output, or an older autosave file. Raises DrawingFileError."""
    _too_large(text)
    try:
        data = json.loads(text)
    except RecursionError:
        raise DrawingFileError("not valid JSON (nested too deeply)") from None
    except json.JSONDecodeError as exc:
        raise DrawingFileError(f"not valid JSON ({exc})") from None
    except ValueError:  # int() refuses a number of thousands of digits
        raise DrawingFileError("not valid JSON (a number thousands of digits long)") from None
    if not isinstance(data, dict):
        raise DrawingFileError("not a Sketchscope drawing (the JSON is not an object)")
    kind = data.get("format")
    if kind is None and "version" not in data:
        raise DrawingFileError("not a Sketchscope drawing (no format or version)")
    if kind is not None and kind != FORMAT:
        raise DrawingFileError(f"not a Sketchscope drawing (format {_shown(kind)})")
    version = data.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise DrawingFileError(f"unsupported drawing format version {_shown(version)} (this Sketchscope "
                               f"reads version {FORMAT_VERSION})")
    if kind is not None and data.get("page") != PAGE_SIZE:
        raise DrawingFileError(f"drawn on a page of {_shown(data.get('page'))} pixels, not {PAGE_SIZE}")
    raw = data.get("strokes")
    if not isinstance(raw, list):
        raise DrawingFileError("the drawing has no list of strokes")
    if not all(isinstance(item, dict) for item in raw):
        raise DrawingFileError("a stroke is not a JSON object")
    strokes = _strokes([(item.get("erase"), item.get("points")) for item in raw])
    background = data.get("background")
    if background is not None:
        if not isinstance(background, dict):
            raise DrawingFileError("the background is not a JSON object")
        background = _decode_gray(background.get("width"), background.get("height"),
                                  background.get("gray"))
    return Drawing(strokes, background, _dataset(data.get("dataset")), _label(data.get("label")))


# ---------------------------------------------------------------------------- SVG


def _num(value: float) -> str:
    """A coordinate for the drawn path: three decimals are far finer than any screen shows."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attrs(values: dict[str, object]) -> str:
    """``name="value" ...``, escaped for XML."""
    from xml.sax.saxutils import escape

    return " ".join(f'{name}="{escape(str(value), _ESCAPES)}"' for name, value in values.items())


def _xy(point: XY) -> str:
    return f"{_num(point[0])},{_num(point[1])}"


def _svg_path(piece: Line | Quad) -> str:
    if isinstance(piece, Quad):
        return f"M{_xy(piece.start)} Q{_xy(piece.control)} {_xy(piece.end)}"
    return f"M{_xy(piece.start)} L{_xy(piece.end)}"


def _svg_stroke(stroke: StrokeData) -> list[str]:
    colour = PAPER if stroke.erase else INK
    factor = ERASER_FACTOR if stroke.erase else 1.0
    data = json.dumps([list(p) for p in stroke.points], separators=(",", ":"), allow_nan=False)
    group = _attrs({"class": "stroke", "data-erase": str(stroke.erase).lower(), "data-points": data,
                    "fill": "none", "stroke": colour, "stroke-linecap": "round", "stroke-linejoin": "round"})
    lines = [f"  <g {group}>"]
    pieces = stroke_pieces(stroke.points)
    if isinstance(pieces[0], Dot):  # a click
        dot = pieces[0]
        circle = {"cx": _num(dot.centre[0]), "cy": _num(dot.centre[1]), "r": repr(dot.width * factor / 2.0),
                  "fill": colour, "stroke": "none"}
        lines.append(f"    <circle {_attrs(circle)}/>")
        return [*lines, "  </g>"]
    paths = [(_svg_path(piece), piece.width) for piece in pieces if not isinstance(piece, Dot)]
    if len({width for _, width in paths}) == 1:  # one width: one path (a piece's end is the next's start)
        d = " ".join(path if k == 0 else path.split(" ", 1)[1] for k, (path, _) in enumerate(paths))
        lines.append(f"    <path {_attrs({'d': d, 'stroke-width': repr(paths[0][1] * factor)})}/>")
    else:  # pen pressure: each piece at its own width, as the canvas draws it
        for d, width in paths:
            lines.append(f"    <path {_attrs({'d': d, 'stroke-width': repr(width * factor)})}/>")
    lines.append("  </g>")
    return lines


def _png_base64(gray: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def drawing_to_svg(d: Drawing) -> str:
    """``d`` as an SVG picture of the page that also holds its exact data. Raises DrawingFileError."""
    d = _checked(d)
    root: dict[str, object] = {"xmlns": _SVG_NS, "xmlns:xlink": _XLINK_NS, "version": "1.1",
            "width": PAGE_SIZE * SVG_SCALE, "height": PAGE_SIZE * SVG_SCALE,
            "viewBox": f"0 0 {PAGE_SIZE} {PAGE_SIZE}", "data-sketchscope-version": FORMAT_VERSION}
    if d.dataset is not None:
        root["data-dataset"] = d.dataset
    if d.label is not None:
        root["data-label"] = d.label
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f"<svg {_attrs(root)}>",
             f'  <rect width="{PAGE_SIZE}" height="{PAGE_SIZE}" fill="{PAPER}"/>']
    if d.background is not None:
        height, width = d.background.shape
        scale, (x, y) = picture_placement(height, width)
        image = {"x": _num(x), "y": _num(y), "width": _num(width * scale), "height": _num(height * scale),
                 "xlink:href": "data:image/png;base64," + _png_base64(d.background),
                 "data-width": width, "data-height": height,
                 "data-gray": base64.b64encode(d.background.tobytes()).decode("ascii")}
        lines.append(f"  <image {_attrs(image)}/>")
    for stroke in d.strokes:
        lines.extend(_svg_stroke(stroke))
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _int_attr(element: ET.Element, name: str) -> object:
    """An attribute that should be a small whole number: the int, or the text for the error."""
    text = element.get(name)
    return int(text) if text is not None and _SMALL_INT.fullmatch(text) else text


def drawing_from_svg(text: str) -> Drawing:
    """Read the data :func:`drawing_to_svg` stores; the drawn paths are ignored. Raises DrawingFileError."""
    _too_large(text)
    if _DECLARATION.search(text):
        raise DrawingFileError("the SVG declares a DOCTYPE or entities, which Sketchscope does not read")
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError) as exc:
        raise DrawingFileError(f"not valid SVG ({exc})") from None
    if _local(root.tag) != "svg":
        raise DrawingFileError("not an SVG picture")
    version = root.get("data-sketchscope-version")
    if version is None:
        raise DrawingFileError("not a Sketchscope drawing (no stroke data)")
    if version != str(FORMAT_VERSION):
        raise DrawingFileError(f"unsupported drawing format version {_shown(version)} (this Sketchscope "
                               f"reads version {FORMAT_VERSION})")
    raw = []
    for i, group in enumerate((g for g in root.iter() if _local(g.tag) == "g"
                               and "stroke" in g.get("class", "").split()), 1):
        erase = {"true": True, "false": False}.get(group.get("data-erase", ""))
        try:
            points = json.loads(group.get("data-points", ""))
        except (ValueError, RecursionError):
            raise DrawingFileError(f"stroke {i} has no readable data-points") from None
        raw.append((erase, points))
        if len(raw) > MAX_STROKES:
            break  # _strokes says so
    strokes = _strokes(raw)
    images = [e for e in root.iter() if _local(e.tag) == "image" and e.get("data-gray") is not None]
    if len(images) > 1:
        raise DrawingFileError("the SVG has more than one background picture")
    background = None
    if images:
        image = images[0]
        background = _decode_gray(_int_attr(image, "data-width"), _int_attr(image, "data-height"),
                                  image.get("data-gray"))
    return Drawing(strokes, background, _dataset(root.get("data-dataset")),
                   _label(_int_attr(root, "data-label")))


# ---------------------------------------------------------------------------- files


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in DRAWING_SUFFIXES:
        raise DrawingFileError(f"{path.name}: a drawing is a .json or .svg file, not "
                               f"{suffix or 'a file without a suffix'}")
    return suffix


def write_drawing(path: str | os.PathLike, d: Drawing) -> None:
    """Save ``d`` as JSON or SVG by ``path``'s suffix, atomically. Raises DrawingFileError."""
    path = Path(path)
    suffix = _suffix(path)
    try:
        text = drawing_to_json(d) if suffix == ".json" else drawing_to_svg(d)
        with atomic_path(path) as tmp:
            tmp.write_bytes(text.encode("utf-8"))
    except DrawingFileError as exc:
        raise DrawingFileError(f"{path.name}: {exc}") from None
    except OSError as exc:
        raise DrawingFileError(f"{path.name}: cannot write ({exc.strerror or exc})") from None


def read_drawing(path: str | os.PathLike) -> Drawing:
    """Open a ``.json`` or ``.svg`` drawing. Raises DrawingFileError("<name>: reason")."""
    path = Path(path)
    suffix = _suffix(path)
    try:
        if path.is_dir():
            raise DrawingFileError("is a folder, not a drawing")
        if not path.exists():
            raise DrawingFileError("no such file")
        try:
            data = read_regular_file(path, MAX_FILE_BYTES)
        except FileTooLargeError:
            raise DrawingFileError(f"too large for a drawing (the limit is "
                                   f"{MAX_FILE_BYTES // 1_000_000} MB)") from None
        except NotRegularFileError:
            raise DrawingFileError("not a regular file") from None
        if not data.strip():
            raise DrawingFileError("the file is empty")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DrawingFileError("not UTF-8 text, so not a Sketchscope drawing") from None
        return drawing_from_json(text) if suffix == ".json" else drawing_from_svg(text)
    except DrawingFileError as exc:
        raise DrawingFileError(f"{path.name}: {exc}") from None
    except FileNotFoundError:
        raise DrawingFileError(f"{path.name}: no such file") from None
    except PermissionError:
        raise DrawingFileError(f"{path.name}: permission denied") from None
    except OSError as exc:
        raise DrawingFileError(f"{path.name}: cannot read ({exc.strerror or type(exc).__name__})") from None
