"""The drawing canvas: dark ink on a white page, kept as strokes, emitted as a NumPy image.

The canvas knows nothing of the model. It keeps what was drawn as strokes (points with widths)
on top of an optional background picture (an opened or pasted image), renders them into a
fixed-size page image, and emits that page as an array whenever it changes, also while the pen
is still moving.

Mouse, pen and touch all draw: a pen's pressure sets the width and its eraser end erases; a
finger arrives as the mouse events Qt makes from unhandled touches.

Strokes are smoothed with the midpoint method: between mouse events the ink follows a quadratic
curve from the middle of one segment to the middle of the next, with the event itself as the
control point, so fast strokes come out as curves rather than polylines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
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
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.qimage import array_to_qimage, qimage_to_gray

PAGE_SIZE = 280  # the page the image signal carries: 10 pixels for each network pixel
PAGE_COLOUR = QColor(255, 255, 255)  # always white, whatever the theme: the models expect it
INK_COLOUR = QColor(20, 20, 20)
DEFAULT_WIDTH = 18.0  # page pixels: about what MNIST's pen is on its 28 x 28 grid
MIN_WIDTH, MAX_WIDTH = 2.0, 60.0
ERASER_FACTOR = 2.0  # the eraser is this much wider than the brush
MIN_PRESSURE_SHARE = 0.25  # a feather-light pen still draws a quarter of the width
HISTORY_LIMIT = 200  # undo steps kept
MARGIN = 6  # pixels between the page and the widget's edge
OUTLINE_COLOUR = QColor(255, 214, 0)  # a receptive-field outline (over a dark halo)
HALO_COLOUR = QColor(0, 0, 0, 170)


def paint_outline(painter: QPainter, rect: QRectF) -> None:
    """A yellow two-pixel rectangle over a dark halo: it reads on white paper and on black ink."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for colour, width in ((HALO_COLOUR, 4.0), (OUTLINE_COLOUR, 2.0)):
        pen = QPen(colour, width)
        pen.setCosmetic(True)  # screen pixels, whatever the painter's scale
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        painter.drawRect(rect)


@dataclass
class Stroke:
    """One pen-down to pen-up: points (x, y, width) in page pixels; erasing or inking."""

    erase: bool
    points: list[tuple[float, float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class PageState:
    """What is on the page: a background picture (or none) and the strokes over it."""

    background: QImage | None = None
    strokes: tuple[Stroke, ...] = ()

    @property
    def empty(self) -> bool:
        return self.background is None and not self.strokes


def _pieces(points: list[tuple[float, float, float]], first: int, last: int, done: bool):
    """The curve pieces for points[first:last + 1]: (path, width) pairs, smoothed by midpoints.

    Piece k ends in the middle between points k and k + 1 (the last piece, when the stroke is
    ``done``, at the last point itself), so piece k can be drawn as soon as point k + 1 exists.
    """

    def mid(i: int) -> QPointF:
        (x0, y0, _), (x1, y1, _) = points[i], points[i + 1]
        return QPointF((x0 + x1) / 2.0, (y0 + y1) / 2.0)

    n = len(points)
    for k in range(first, last + 1):
        x, y, width = points[k]
        if k == 0:
            if n == 1:
                continue  # nothing to join yet; a finished single point becomes a dot below
            path = QPainterPath(QPointF(x, y))
            path.lineTo(mid(0))
        elif k < n - 1:
            path = QPainterPath(mid(k - 1))
            path.quadTo(QPointF(x, y), mid(k))
        else:
            path = QPainterPath(mid(k - 1))
            path.lineTo(QPointF(x, y))
        yield path, width
    if done and n == 1:  # a single click is a dot
        yield None, points[0][2]


def paint_page(painter: QPainter, state: PageState, scale: float, live: Stroke | None = None):
    """Paint ``state`` (and ``live``, a stroke still being drawn) at ``scale`` page pixels.

    The one renderer of a page: the canvas, saving and replay all paint through it, so a
    drawing re-rendered from its strokes is pixel for pixel the page the user saw.
    """
    painter.setTransform(QTransform.fromScale(scale, scale))
    painter.fillRect(QRectF(0, 0, PAGE_SIZE, PAGE_SIZE), PAGE_COLOUR)
    background = state.background
    if background is not None:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        x = (PAGE_SIZE - background.width()) / 2.0
        y = (PAGE_SIZE - background.height()) / 2.0
        painter.drawImage(QPointF(x, y), background)
    strokes = state.strokes if live is None else (*state.strokes, live)
    for stroke in strokes:
        done = stroke is not live
        last = len(stroke.points) - (1 if done else 2)
        if last >= 0:
            Canvas._paint_pieces(painter, stroke, 0, last, done)


def render_state(state: PageState, size: int = PAGE_SIZE) -> np.ndarray:
    """``state`` drawn afresh at ``size`` x ``size`` pixels, as a uint8 array (255 paper)."""
    image = QImage(size, size, QImage.Format.Format_Grayscale8)
    with QPainter(image) as painter:
        paint_page(painter, state, size / PAGE_SIZE)
    return qimage_to_gray(image)


class Canvas(QWidget):
    """A square white page to draw on with mouse, touch or pen; undo, redo, eraser, clear."""

    sig_image_changed = Signal(object)
    """The page changed: a (PAGE_SIZE, PAGE_SIZE) uint8 array, dark ink on white."""

    sig_history_changed = Signal()
    """Undo, redo or "is empty" may have changed."""

    sig_preview_ended = Signal()
    """A preview (see ``set_preview``) gave way to the drawing: the user drew or edited."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent covers it all
        self.setToolTip("Draw here: left button or pen draws, the pen's eraser end erases")
        self._width = DEFAULT_WIDTH
        self._eraser = False
        self._state = PageState()
        self._undo: list[PageState] = []
        self._redo: list[PageState] = []
        self._stroke: Stroke | None = None  # the stroke being drawn, not yet in the history
        self._preview: PageState | None = None  # shown instead of _state (a replay)
        self._page = QImage(PAGE_SIZE, PAGE_SIZE, QImage.Format.Format_Grayscale8)
        self._display: QPixmap | None = None  # the page at screen resolution, redrawn lazily
        self._outline: QRectF | None = None  # page pixels; painted over the page, not into it
        self._overlay: tuple[QRectF, np.ndarray, QImage] | None = None  # rect, RGBA, its image
        self._render_page()

    # ------------------------------------------------------------------ public API

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

    def state(self) -> PageState:
        return self._state

    def shown_state(self) -> PageState:
        """What the page shows: the preview while there is one, else the drawing."""
        return self._state if self._preview is None else self._preview

    def preview(self) -> PageState | None:
        return self._preview

    def set_preview(self, state: PageState | None) -> None:
        """Show ``state`` instead of the drawing, without touching the drawing or its history
        (a replay shows the drawing as it grew); None shows the drawing again. The page's
        image signal follows what is shown. Drawing or editing ends a preview."""
        self._finish_stroke()
        if state is self._preview:
            return
        self._preview = state
        self._render_page()
        self._emit_image()

    def _leave_preview(self) -> None:
        if self._preview is not None:
            self._preview = None
            self._render_page()
            self.sig_preview_ended.emit()

    def strokes(self) -> tuple[Stroke, ...]:
        return self._state.strokes

    def is_empty(self) -> bool:
        return self._state.empty and self._stroke is None

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def image(self) -> np.ndarray:
        """The page as a new (PAGE_SIZE, PAGE_SIZE) uint8 array: 255 paper, dark ink."""
        return qimage_to_gray(self._page)

    def render_image(self, size: int) -> np.ndarray:
        """The page drawn afresh at ``size`` x ``size`` pixels (for saving), as a uint8 array."""
        return render_state(self.shown_state(), size)

    def clear(self) -> None:
        """Wipe the page (undoable)."""
        self._leave_preview()
        self._finish_stroke()
        if not self._state.empty:
            self._push(PageState())

    def undo(self) -> None:
        self._step_history(self._undo, self._redo)

    def redo(self) -> None:
        self._step_history(self._redo, self._undo)

    def _step_history(self, back_to: list[PageState], keep_in: list[PageState]) -> None:
        """Go to the newest state of ``back_to``, keeping the current one in ``keep_in``."""
        self._leave_preview()
        self._finish_stroke()
        if back_to:
            keep_in.append(self._state)
            self._set_state(back_to.pop())

    def set_background(self, gray: np.ndarray) -> None:
        """Replace the page by a picture ((H, W) uint8, dark on light), fitted and centred.

        The strokes go with it; undo brings them back.
        """
        self._leave_preview()
        self._finish_stroke()
        gray = np.ascontiguousarray(gray, np.uint8)
        h, w = gray.shape
        source = QImage(gray.data, w, h, gray.strides[0], QImage.Format.Format_Grayscale8).copy()
        fitted = source.scaled(
            PAGE_SIZE,
            PAGE_SIZE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self._push(PageState(background=fitted, strokes=()))

    def load_state(self, state: PageState) -> None:
        """Replace the page by ``state`` (an opened drawing); undo brings the old page back."""
        self._leave_preview()
        self._finish_stroke()
        self._push(state)

    def restore_state(self, state: PageState) -> None:
        """Start afresh from ``state`` (a recovered drawing): no undo history before it."""
        self._preview = None
        self._stroke = None
        self._undo.clear()
        self._redo.clear()
        self._set_state(state)

    def add_stroke(self, points, erase: bool = False) -> None:
        """Draw a whole stroke at once: points (x, y[, width]) in page pixels (for scripts)."""
        self._finish_stroke()
        for i, point in enumerate(points):
            x, y = point[0], point[1]
            width = point[2] if len(point) > 2 else self._width
            if i == 0:
                self._begin(x, y, width, erase)
            else:
                self._extend(x, y, width)
        self._finish_stroke()

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
            self._begin(x, y, self._width, erase)
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._stroke is not None and event.buttons() != Qt.MouseButton.NoButton:
            x, y = self.to_page(event.position())
            self._extend(x, y, self._width)
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._stroke is not None:
            x, y = self.to_page(event.position())
            self._extend(x, y, self._width)
            self._finish_stroke()
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
            self._begin(x, y, width, erase)
        elif kind == QEvent.Type.TabletMove and self._stroke is not None:
            if event.pressure() > 0:
                self._extend(x, y, width)
        elif kind == QEvent.Type.TabletRelease and self._stroke is not None:
            self._finish_stroke()
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

    # ------------------------------------------------------------------ drawing

    def _begin(self, x: float, y: float, width: float, erase: bool) -> None:
        self._leave_preview()
        self._finish_stroke()
        self._stroke = Stroke(erase=erase, points=[(x, y, width)])
        self.sig_history_changed.emit()

    def _extend(self, x: float, y: float, width: float) -> None:
        stroke = self._stroke
        last = stroke.points[-1]
        if abs(last[0] - x) < 0.25 and abs(last[1] - y) < 0.25:
            return  # the pen has not moved a visible distance
        stroke.points.append((x, y, width))
        k = len(stroke.points) - 2  # the piece that can now be drawn
        self._draw_pieces(stroke, k, k, done=False)
        self._emit_image()

    def _finish_stroke(self) -> None:
        stroke = self._stroke
        if stroke is None:
            return
        self._stroke = None
        last = len(stroke.points) - 1
        self._draw_pieces(stroke, last, last, done=True)
        self._push(
            PageState(self._state.background, (*self._state.strokes, stroke)), render=False
        )

    def _draw_pieces(self, stroke: Stroke, first: int, last: int, done: bool) -> None:
        with QPainter(self._page) as painter:
            self._paint_pieces(painter, stroke, first, last, done)
        if self._display is not None:
            with QPainter(self._display) as painter:
                painter.setTransform(self._display_scale())
                self._paint_pieces(painter, stroke, first, last, done)
        self.update()

    @staticmethod
    def _paint_pieces(painter: QPainter, stroke: Stroke, first: int, last: int, done: bool):
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = PAGE_COLOUR if stroke.erase else INK_COLOUR
        factor = ERASER_FACTOR if stroke.erase else 1.0
        for path, width in _pieces(stroke.points, first, last, done):
            if path is None:
                radius = width * factor / 2.0
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                x, y, _ = stroke.points[0]
                painter.drawEllipse(QPointF(x, y), radius, radius)
            else:
                painter.setPen(
                    QPen(
                        colour,
                        width * factor,
                        Qt.PenStyle.SolidLine,
                        Qt.PenCapStyle.RoundCap,
                        Qt.PenJoinStyle.RoundJoin,
                    )
                )
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(path)

    def _paint_state(self, painter: QPainter, scale: float) -> None:
        """Paint the whole page (background, finished strokes, the live one) at ``scale``."""
        paint_page(painter, self.shown_state(), scale, self._stroke)

    def _display_size(self) -> QSize:
        side = round(self.page_rect().width() * self.devicePixelRatioF())
        return QSize(max(side, 1), max(side, 1))

    def _display_scale(self) -> QTransform:
        """Page pixels -> the display pixmap's logical pixels (Qt adds the device ratio)."""
        scale = self._display.width() / self._display.devicePixelRatio() / PAGE_SIZE
        return QTransform.fromScale(scale, scale)

    def _render_display(self) -> QPixmap:
        pixmap = QPixmap(self._display_size())
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())
        with QPainter(pixmap) as painter:
            self._paint_state(painter, pixmap.width() / pixmap.devicePixelRatio() / PAGE_SIZE)
        return pixmap

    def _render_page(self) -> None:
        with QPainter(self._page) as painter:
            self._paint_state(painter, 1.0)
        self._display = None
        self.update()

    # ------------------------------------------------------------------ history

    def _push(self, state: PageState, render: bool = True) -> None:
        self._undo.append(self._state)
        del self._undo[:-HISTORY_LIMIT]
        self._redo.clear()
        self._state = state
        if render:
            self._render_page()
        self._emit_image()
        self.sig_history_changed.emit()

    def _set_state(self, state: PageState) -> None:
        self._state = state
        self._render_page()
        self._emit_image()
        self.sig_history_changed.emit()

    def _emit_image(self) -> None:
        self.sig_image_changed.emit(self.image())
