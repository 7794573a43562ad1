"""The drawing canvas: a view on a ``model.drawing.Sketch``, dark ink on a white page.

The canvas knows nothing of the network. The drawing, its strokes, the stroke being drawn and
the undo history live in the sketch (plain Python); the canvas turns mouse, pen and touch
events into sketch edits, paints what the sketch tells it changed, and emits the page as an
array whenever it changes, also while the pen is still moving.

Mouse, pen and touch all draw: a pen's pressure sets the width and its eraser end erases; a
finger arrives as the mouse events Qt makes from unhandled touches.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QPointingDevice,
    QTabletEvent,
    QTransform,
)
from PySide6.QtWidgets import QSizePolicy, QSlider, QWidget

from gui.qimage import array_to_qimage, grey_page_to_gray, qimage_to_gray
from gui.settings import read_int
from model.drawing import (
    DEFAULT_WIDTH,
    ERASER_FACTOR,
    INK,
    MAX_POINTS,
    MAX_WIDTH,
    MIN_WIDTH,
    PAGE_SIZE,
    PAPER,
    XY,
    Change,
    Dot,
    Drawing,
    NetworkPicture,
    Piece,
    Quad,
    Sketch,
    SketchChange,
    StrokeData,
    picture_placement,
    stroke_pieces,
)

PAGE_COLOUR = QColor(PAPER)
INK_COLOUR = QColor(INK)
MIN_PRESSURE_SHARE = 0.25  # a feather-light pen still draws a quarter of the width
MARGIN = 6  # pixels between the page and the widget's edge
OUTLINE_COLOUR = QColor(255, 214, 0)  # a receptive-field outline (over a dark halo)
HALO_COLOUR = QColor(0, 0, 0, 170)
# Pages are painted in RGB32 and read as gray: Qt paints gray-only Grayscale8 images through a
# generic path four times slower, to the same pixels (a page is gray ink on white either way).
PAGE_FORMAT = QImage.Format.Format_RGB32
# A page with more points than this is painted at screen resolution in slices (SlicedPaint):
# painted at once it could take over 0.2 s.
SLICED_ABOVE_POINTS = 1_000

# The page constants are model.drawing's; the canvas's users may take them from here.
__all__ = ["DEFAULT_WIDTH", "ERASER_FACTOR", "MAX_WIDTH", "MIN_WIDTH", "PAGE_SIZE", "BrushSlider",
           "Canvas", "paint_outline", "paint_page", "paint_picture", "render_drawing"]


def paint_outline(painter: QPainter, rect: QRectF) -> None:
    """A yellow two-pixel rectangle over a dark halo: it reads on white paper and on black ink."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for colour, width in ((HALO_COLOUR, 4.0), (OUTLINE_COLOUR, 2.0)):
        pen = QPen(colour, width)
        pen.setCosmetic(True)  # screen pixels, whatever the painter's scale
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        painter.drawRect(rect)


def _off_page(points: tuple[XY, ...], reach: float) -> bool:
    """Does a piece through ``points``, reaching ``reach`` page pixels out from them, lie wholly
    off the page? A curve stays inside the box of its points, so such a piece paints nothing."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return (max(xs) < -reach or min(xs) > PAGE_SIZE + reach
            or max(ys) < -reach or min(ys) > PAGE_SIZE + reach)


_ANTIALIASING = QPainter.RenderHint.Antialiasing
_NO_PEN, _NO_BRUSH = Qt.PenStyle.NoPen, Qt.BrushStyle.NoBrush


def paint_pieces(painter: QPainter, pieces: Sequence[Piece], erase: bool) -> None:
    """Ink (or erase) ``pieces`` of a stroke, in page pixels.

    A restored drawing can hold thousands of pieces: the pen is made once and only its width
    changes, and pieces wholly off the page are skipped (they would paint nothing).
    """
    painter.setRenderHint(_ANTIALIASING)
    colour = PAGE_COLOUR if erase else INK_COLOUR
    factor = ERASER_FACTOR if erase else 1.0
    pen = QPen(colour, 1.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    for piece in pieces:
        width = piece.width * factor
        if isinstance(piece, Dot):
            if _off_page((piece.centre,), width / 2.0 + 2.0):  # 2: antialiasing's fringe
                continue
            painter.setPen(_NO_PEN)
            painter.setBrush(colour)
            painter.drawEllipse(QPointF(*piece.centre), width / 2.0, width / 2.0)
            continue
        quad = isinstance(piece, Quad)
        if _off_page((piece.start, piece.control, piece.end) if quad else (piece.start, piece.end),
                     width / 2.0 + 2.0):
            continue
        path = QPainterPath(QPointF(*piece.start))
        if quad:
            path.quadTo(QPointF(*piece.control), QPointF(*piece.end))
        else:
            path.lineTo(QPointF(*piece.end))
        pen.setWidthF(width)
        painter.setPen(pen)
        painter.setBrush(_NO_BRUSH)
        painter.drawPath(path)


def paint_picture(painter: QPainter, gray: np.ndarray) -> None:
    """Paint a background picture where ``model.drawing.picture_placement`` puts it: fitted to
    the page and centred, smoothly scaled from its own pixels."""
    scale, (x, y) = picture_placement(*gray.shape)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    # A scaled picture's edges often fall between pixels: blended, as SVG renderers draw them
    # (so a saved .svg looks like the page). A picture at scale 1, as earlier versions stored
    # every background, is drawn without, and by a translation rather than a target
    # rectangle: exactly the pixels those versions drew.
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, scale != 1.0)
    painter.translate(x, y)
    painter.scale(scale, scale)
    painter.drawImage(QPointF(0, 0), array_to_qimage(np.ascontiguousarray(gray)))
    painter.restore()


def paint_page(painter: QPainter, drawing: Drawing, scale: float, live: StrokeData | None = None):
    """Paint ``drawing`` (and ``live``, a stroke still being drawn) at ``scale`` page pixels.

    The one renderer of a page: the canvas, saving and replay all paint through it, so a
    drawing re-rendered from its strokes is pixel for pixel the page the user saw.
    """
    for _ in paint_page_steps(painter, drawing, scale, live):
        pass


def paint_page_steps(painter: QPainter, drawing: Drawing, scale: float,
                     live: StrokeData | None = None) -> Iterator[None]:
    """:func:`paint_page` a stroke at a time: it yields after each, so that a large drawing
    can be painted over several turns of the event loop."""
    painter.setTransform(QTransform.fromScale(scale, scale))
    painter.fillRect(QRectF(0, 0, PAGE_SIZE, PAGE_SIZE), PAGE_COLOUR)
    if drawing.background is not None:
        paint_picture(painter, drawing.background)
    for stroke in drawing.strokes:
        paint_pieces(painter, stroke_pieces(stroke.points), stroke.erase)
        yield
    if live is not None:  # its last piece waits for the next point (or the pen's lifting)
        paint_pieces(painter, stroke_pieces(live.points, 0, len(live.points) - 2), live.erase)


def render_drawing(drawing: Drawing, size: int = PAGE_SIZE) -> np.ndarray:
    """``drawing`` painted afresh at ``size`` x ``size`` pixels, as a uint8 array (255 paper)."""
    image = QImage(size, size, PAGE_FORMAT)
    with QPainter(image) as painter:
        paint_page(painter, drawing, size / PAGE_SIZE)
    return qimage_to_gray(image)


class SlicedPaint(QObject):
    """A page painted into a pixmap a slice at a time: a few strokes per turn of the event loop,
    at most TURN_S each, so that the window stays responsive while a large drawing is painted
    at screen resolution. Ink drawn meanwhile is handed in with :meth:`add` and painted last."""

    TURN_S = 0.015

    sig_ready = Signal(object)
    """The pixmap, painted whole (ink drawn meanwhile included)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)
        self._job: tuple[QPixmap, QPainter, Iterator[None]] | None = None
        self._later: list[tuple[Sequence[Piece], bool]] = []

    def start(self, pixmap: QPixmap, drawing: Drawing, live: StrokeData | None) -> None:
        self.cancel()
        painter = QPainter(pixmap)
        scale = pixmap.width() / pixmap.devicePixelRatio() / PAGE_SIZE
        self._job = (pixmap, painter, paint_page_steps(painter, drawing, scale, live))
        self._timer.start()

    def pending(self) -> bool:
        return self._job is not None

    def add(self, pieces: Sequence[Piece], erase: bool) -> None:
        if self._job is not None:
            self._later.append((pieces, erase))

    def cancel(self) -> None:
        if self._job is not None:
            self._job[1].end()
        self._job, self._later = None, []
        self._timer.stop()

    def _step(self) -> None:
        pixmap, painter, steps = self._job
        deadline = time.perf_counter() + self.TURN_S
        for _ in steps:
            if time.perf_counter() > deadline:
                return  # the next turn goes on from here
        for pieces, erase in self._later:
            paint_pieces(painter, pieces, erase)
        self.cancel()  # ends the painter
        self.sig_ready.emit(pixmap)


class Canvas(QWidget):
    """A square white page to draw on with mouse, touch or pen; a view on its :attr:`sketch`."""

    sig_image_changed = Signal()
    """The page changed (read it with :meth:`network_picture` or :meth:`image`: the signal
    carries no copy, which most listeners would not read)."""

    sig_history_changed = Signal()
    """Undo, redo or "is empty" may have changed."""

    sig_preview_ended = Signal()
    """A preview (see ``set_preview``) gave way to the drawing: the user drew or edited."""

    sig_page_full = Signal(str)
    """A point or a stroke was refused: the drawing holds all a drawing may; a one-line message."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent covers it all
        self.setToolTip("Draw here: left button or pen draws, the pen's eraser end erases")
        self._width = DEFAULT_WIDTH
        self._eraser = False
        self._sketch = Sketch()
        self._page = QImage(PAGE_SIZE, PAGE_SIZE, PAGE_FORMAT)
        self._display: QPixmap | None = None  # the page at screen resolution, redrawn lazily
        self._outline: QRectF | None = None  # page pixels; painted over the page, not into it
        self._overlay: tuple[QRectF, np.ndarray, QImage] | None = None  # rect, RGBA, its image
        self._sliced = SlicedPaint(self)  # the display of a large drawing, painted in slices
        self._sliced.sig_ready.connect(self._on_display_painted)
        self._render_page()
        self._sketch.subscribe(self._on_sketch_changed)

    # ------------------------------------------------------------------ the drawing

    @property
    def sketch(self) -> Sketch:
        """The drawing this canvas shows and edits; change it directly and the canvas follows."""
        return self._sketch

    def drawing(self) -> Drawing:
        """The finished drawing (a new object after every edit)."""
        return self._sketch.drawing

    def preview(self) -> Drawing | None:
        return self._sketch.preview

    def set_preview(self, drawing: Drawing | None) -> None:
        """Show ``drawing`` instead of the drawing, without touching the drawing or its history
        (a replay shows the drawing as it grew); None shows the drawing again. The page's
        image signal follows what is shown. Drawing or editing ends a preview."""
        self._sketch.set_preview(drawing)

    def strokes(self) -> tuple[StrokeData, ...]:
        return self._sketch.drawing.strokes

    def is_empty(self) -> bool:
        return self._sketch.is_empty()

    def can_undo(self) -> bool:
        return self._sketch.can_undo()

    def can_redo(self) -> bool:
        return self._sketch.can_redo()

    def clear(self) -> None:
        """Wipe the page (undoable)."""
        self._sketch.clear()

    def undo(self) -> None:
        self._sketch.undo()

    def redo(self) -> None:
        self._sketch.redo()

    def set_background(self, gray: np.ndarray) -> None:
        """Replace the page by a picture ((H, W) uint8, dark on light), shown fitted and centred.

        The strokes go with it; undo brings them back.
        """
        self._sketch.set_background(gray)

    def load_drawing(self, drawing: Drawing) -> None:
        """Replace the page by ``drawing`` (an opened file); undo brings the old page back."""
        self._sketch.load(drawing)

    def restore_drawing(self, drawing: Drawing) -> None:
        """Start afresh from ``drawing`` (a recovered one): no undo history before it."""
        self._sketch.restore(drawing)

    def add_stroke(self, points, erase: bool = False) -> None:
        """Draw a whole stroke at once: points (x, y[, width]) in page pixels (for scripts)."""
        self._sketch.add_stroke(
            [(p[0], p[1], p[2] if len(p) > 2 else self._width) for p in points], erase)

    # ------------------------------------------------------------------ the page

    def sizeHint(self) -> QSize:
        return QSize(420, 420)

    def brush_width(self) -> float:
        return self._width

    def set_brush_width(self, width: float) -> None:
        self._width = float(min(max(width, MIN_WIDTH), MAX_WIDTH))

    def eraser(self) -> bool:
        return self._eraser

    def set_eraser(self, on: bool) -> None:
        self._eraser = bool(on)

    def image(self) -> np.ndarray:
        """The page as a new (PAGE_SIZE, PAGE_SIZE) uint8 array: 255 paper, dark ink."""
        return grey_page_to_gray(self._page)

    def render_image(self, size: int) -> np.ndarray:
        """The page drawn afresh at ``size`` x ``size`` pixels (for saving), as a uint8 array."""
        return render_drawing(self._sketch.shown, size)

    def network_picture(self) -> NetworkPicture:
        """What the network should read of the page shown, with its place on the page: a page
        that is only a background picture is that picture at its own resolution, anything else
        the page (:meth:`image`)."""
        return self._sketch.network_picture(self.image)

    # ------------------------------------------------------------------ overlays

    def outline(self) -> QRectF | None:
        """The rectangle outlined over the page (page pixels), or None."""
        return self._outline

    def set_outline(self, rect: QRectF | None) -> None:
        """Outline ``rect`` (page pixels) over the page; None removes it. The drawing is untouched."""
        if rect != self._outline:
            self._outline = None if rect is None else QRectF(rect)
            self.update()

    def overlay_rect(self) -> QRectF | None:
        """Where the overlay picture lies on the page (page pixels), or None when there is none."""
        return None if self._overlay is None else self._overlay[0]

    def set_overlay(self, rgba: np.ndarray | None, rect: QRectF | None = None) -> None:
        """Lay an (H, W, 4) uint8 RGBA picture over the page rectangle ``rect`` (page pixels),
        stretched to fit; None removes it. The drawing is untouched."""
        if rgba is None or rect is None:
            if self._overlay is None:
                return  # nothing to take away: every stroke asks, and a repaint costs a frame
            self._overlay = None
        else:
            pixels = np.ascontiguousarray(rgba, np.uint8)
            self._overlay = (QRectF(rect), pixels, array_to_qimage(pixels))
        self.update()

    # ------------------------------------------------------------------ geometry

    def page_rect(self) -> QRectF:
        """Where the page sits in the widget: the largest centred square inside a margin."""
        side = max(min(self.width(), self.height()) - 2 * MARGIN, 1)
        # Whole pixels, so the page's frame and its pixmap line up exactly.
        return QRectF((self.width() - side) // 2, (self.height() - side) // 2, side, side)

    def to_page(self, position: QPointF) -> tuple[float, float]:
        rect = self.page_rect()
        scale = PAGE_SIZE / rect.width()
        return ((position.x() - rect.x()) * scale, (position.y() - rect.y()) * scale)

    def _display_transform(self) -> QTransform:
        rect = self.page_rect()
        scale = rect.width() / PAGE_SIZE
        return QTransform(scale, 0, 0, scale, rect.x(), rect.y())

    # ------------------------------------------------------------------ events

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            erase = self._eraser or event.button() == Qt.MouseButton.RightButton
            x, y = self.to_page(event.position())
            self._sketch.begin_stroke(x, y, self._width, erase)
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._sketch.in_stroke and event.buttons() != Qt.MouseButton.NoButton:
            x, y = self.to_page(event.position())
            self._sketch.extend_stroke(x, y, self._width)
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._sketch.in_stroke:
            x, y = self.to_page(event.position())
            self._sketch.extend_stroke(x, y, self._width)
            self._sketch.finish_stroke()
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        """A pen: pressure sets the width, the eraser end erases. Accepted, so no mouse events."""
        x, y = self.to_page(event.position())
        width = self._width * (MIN_PRESSURE_SHARE + (1 - MIN_PRESSURE_SHARE) * event.pressure())
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            erase = self._eraser or event.pointerType() == QPointingDevice.PointerType.Eraser
            self._sketch.begin_stroke(x, y, width, erase)
        elif kind == QEvent.Type.TabletMove and self._sketch.in_stroke:
            if event.pressure() > 0:
                self._sketch.extend_stroke(x, y, width)
        elif kind == QEvent.Type.TabletRelease and self._sketch.in_stroke:
            self._sketch.finish_stroke()
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._display is None or self._display.size() != self._display_size():
            self._display = self._render_display()
        with QPainter(self) as painter:
            painter.fillRect(self.rect(), self.palette().window())
            page = self.page_rect()
            painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
            painter.drawRect(page.adjusted(-1, -1, 0, 0))
            painter.drawPixmap(page.topLeft(), self._display)
            if self._overlay is not None or self._outline is not None:
                painter.setClipRect(page)
                painter.setTransform(self._display_transform())
                if self._overlay is not None:
                    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                    painter.drawImage(self._overlay[0], self._overlay[2])
                if self._outline is not None:
                    paint_outline(painter, self._outline)

    # ------------------------------------------------------------------ following the sketch

    def _on_sketch_changed(self, change: SketchChange) -> None:
        """Repaint what ``change`` says changed (only the new ink while a stroke is drawn),
        then tell the window."""
        match change.kind:
            case Change.STROKE_BEGUN:
                self.sig_history_changed.emit()
            case Change.STROKE_EXTENDED:
                self._draw_pieces(change.pieces, change.erase)
                self.sig_image_changed.emit()
            case Change.STROKE_FINISHED:
                self._draw_pieces(change.pieces, change.erase)
                self.sig_image_changed.emit()
                self.sig_history_changed.emit()
            case Change.DRAWING:
                self._render_page()
                self.sig_image_changed.emit()
                self.sig_history_changed.emit()
            case Change.PREVIEW:
                self._render_page()
                self.sig_image_changed.emit()
            case Change.PREVIEW_ENDED:
                self._render_page()
                self.sig_preview_ended.emit()
            case Change.FULL:
                self.sig_page_full.emit(f"The page is full ({MAX_POINTS:,} points, the most a "
                                        "drawing holds): clear it, or undo, to draw more")

    def _draw_pieces(self, pieces: Sequence[Piece], erase: bool) -> None:
        with QPainter(self._page) as painter:
            paint_pieces(painter, pieces, erase)
        if self._display is not None:
            with QPainter(self._display) as painter:
                painter.setTransform(self._display_scale())
                paint_pieces(painter, pieces, erase)
        self._sliced.add(pieces, erase)
        self.update()

    def _paint_shown(self, painter: QPainter, scale: float) -> None:
        """Paint the whole page (background, finished strokes, the live one) at ``scale``."""
        paint_page(painter, self._sketch.shown, scale, self._sketch.live_stroke)

    def _display_size(self) -> QSize:
        side = round(self.page_rect().width() * self.devicePixelRatioF())
        return QSize(max(side, 1), max(side, 1))

    def _display_scale(self) -> QTransform:
        """Page pixels -> the display pixmap's logical pixels (Qt adds the device ratio)."""
        scale = self._display.width() / self._display.devicePixelRatio() / PAGE_SIZE
        return QTransform.fromScale(scale, scale)

    def _render_display(self) -> QPixmap:
        """The page at screen resolution. A large drawing would keep the window frozen for a
        second or more (seconds on a high-density screen): it is shown as the page scaled up at
        once, and painted sharp in slices (SlicedPaint), which replace it when done."""
        pixmap = QPixmap(self._display_size())
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())
        side = pixmap.width() / pixmap.devicePixelRatio()
        shown = self._sketch.shown
        if sum(len(stroke.points) for stroke in shown.strokes) <= SLICED_ABOVE_POINTS:
            with QPainter(pixmap) as painter:
                self._paint_shown(painter, side / PAGE_SIZE)
            return pixmap
        with QPainter(pixmap) as painter:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRectF(0, 0, side, side), self._page)
        sharp = QPixmap(pixmap.size())
        sharp.setDevicePixelRatio(pixmap.devicePixelRatio())
        self._sliced.start(sharp, shown, self._sketch.live_stroke)
        return pixmap

    def _on_display_painted(self, pixmap: QPixmap) -> None:
        if pixmap.size() == self._display_size():  # else the widget was resized meanwhile
            self._display = pixmap
            self.update()

    def display_pending(self) -> bool:
        """Is the page on screen still the scaled-up stand-in for a large drawing?"""
        return self._sliced.pending()

    def _render_page(self) -> None:
        with QPainter(self._page) as painter:
            self._paint_shown(painter, 1.0)
        self._sliced.cancel()
        self._display = None
        self.update()

class BrushSlider(QSlider):
    """The width of ``canvas``'s brush, as the user left it in ``settings`` ("brush_width")."""

    def __init__(self, canvas: Canvas, settings: QSettings, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._canvas, self._settings = canvas, settings
        self.setRange(int(MIN_WIDTH), int(MAX_WIDTH))
        self.setToolTip("Brush width ([ and ])")
        self.setMaximumWidth(160)
        self.setValue(read_int(settings, "brush_width", round(canvas.brush_width()),
                               int(MIN_WIDTH), int(MAX_WIDTH)))
        canvas.set_brush_width(self.value())
        self.valueChanged.connect(self._on_value_changed)

    def step(self, by: int) -> None:
        """Thinner ([, a negative step) or thicker (])."""
        self.setValue(self.value() + by)

    def _on_value_changed(self, value: int) -> None:
        self._canvas.set_brush_width(value)
        self._settings.setValue("brush_width", value)
