import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.views.canvas import DEFAULT_WIDTH, ERASER_FACTOR, PAGE_SIZE, Canvas

from ..conftest import draw, line, page_to_widget, shown


@pytest.fixture
def canvas(qtbot):
    return shown(qtbot, Canvas(), 400, 400)


def ink_at(image: np.ndarray, x: float, y: float) -> int:
    """How dark the page is at page pixel (x, y): 0 white .. 255 black."""
    return 255 - int(image[round(y), round(x)])


def test_a_new_page_is_white_and_empty(canvas):
    image = canvas.image()
    assert image.shape == (PAGE_SIZE, PAGE_SIZE) and image.dtype == np.uint8
    assert image.min() == 255
    assert canvas.is_empty() and not canvas.can_undo()


def test_a_mouse_stroke_leaves_smooth_dark_ink_and_is_kept_as_points_with_widths(canvas, qtbot):
    images = []
    canvas.sig_image_changed.connect(lambda: images.append(canvas.image()))
    draw(canvas, line(40, 140, 240, 140, steps=4))
    image = images[-1]
    assert np.array_equal(image, canvas.image())
    assert ink_at(image, 140, 140) > 200  # the middle of the stroke, between two events
    assert ink_at(image, 140, 140 + DEFAULT_WIDTH) == 0  # beyond the brush
    edge = image[140 - round(DEFAULT_WIDTH / 2) - 2 : 140 + round(DEFAULT_WIDTH / 2) + 3, 140]
    assert len(set(edge.tolist()) - {0, 255}) > 0, "no anti-aliased grey at the stroke edge"
    (stroke,) = canvas.strokes()
    assert not stroke.erase and len(stroke.points) == 5
    assert all(width == pytest.approx(DEFAULT_WIDTH) for _, _, width in stroke.points)
    assert stroke.points[0][:2] == pytest.approx((40, 140), abs=1.0)


def test_the_image_signal_fires_while_the_pen_moves_not_only_on_release(canvas, qtbot):
    images = []
    canvas.sig_image_changed.connect(lambda: images.append(canvas.image()))
    draw(canvas, line(50, 50, 200, 200, steps=6), release=False)
    assert len(images) >= 5
    assert (images[-1] < 128).sum() > (images[1] < 128).sum() > 0  # the ink grows


def test_a_fast_stroke_is_curved_between_events_not_a_polyline(canvas):
    # Three events at the corners of a V: midpoint smoothing rounds the corner off, the
    # curve's lowest point is halfway between the corner and the middle of the V's arms.
    canvas.add_stroke([(40, 40), (140, 240), (240, 40)], erase=False)
    image = canvas.image()
    assert ink_at(image, 140, 234) == 0  # a polyline would be inked at its corner ...
    assert ink_at(image, 140, 190) > 200  # ... the curve passes above it


def test_undo_and_redo_restore_the_page(canvas):
    blank = canvas.image()
    draw(canvas, line(40, 40, 240, 40))
    one = canvas.image()
    draw(canvas, line(40, 200, 240, 200))
    two = canvas.image()
    canvas.undo()
    assert np.array_equal(canvas.image(), one) and len(canvas.strokes()) == 1
    canvas.undo()
    assert np.array_equal(canvas.image(), blank) and canvas.is_empty()
    assert not canvas.can_undo() and canvas.can_redo()
    canvas.redo()
    canvas.redo()
    assert np.array_equal(canvas.image(), two) and not canvas.can_redo()


def test_clear_is_undoable_and_a_new_stroke_drops_the_redo(canvas):
    draw(canvas, line(40, 40, 240, 40))
    drawn = canvas.image()
    canvas.clear()
    assert canvas.is_empty() and canvas.image().min() == 255
    canvas.undo()
    assert np.array_equal(canvas.image(), drawn)
    canvas.undo()
    draw(canvas, line(40, 100, 240, 100))
    assert not canvas.can_redo()


def test_the_eraser_removes_ink(canvas):
    draw(canvas, line(40, 140, 240, 140))
    canvas.set_eraser(True)
    draw(canvas, line(140, 100, 140, 180))
    image = canvas.image()
    assert ink_at(image, 140, 140) == 0 and ink_at(image, 60, 140) > 200
    assert canvas.strokes()[-1].erase
    canvas.undo()
    assert ink_at(canvas.image(), 140, 140) > 200


def test_the_right_button_erases_too(canvas):
    draw(canvas, line(40, 140, 240, 140))
    draw(canvas, line(140, 100, 140, 180), button=Qt.MouseButton.RightButton)
    assert ink_at(canvas.image(), 140, 140) == 0


def test_a_click_makes_a_round_dot(canvas):
    draw(canvas, [(140, 140)])
    image = canvas.image()
    radius = DEFAULT_WIDTH / 2
    assert ink_at(image, 140, 140) > 200 and ink_at(image, 140 + radius + 3, 140) == 0


def test_brush_width_is_clamped_and_used(canvas):
    canvas.set_brush_width(1000)
    assert canvas.brush_width() <= 60
    canvas.set_brush_width(40)
    draw(canvas, line(40, 140, 240, 140))
    assert ink_at(canvas.image(), 140, 140 + 17) > 200


def _tablet(canvas, kind, x, y, pressure, pointer):
    device = QPointingDevice("test pen", 1234, QInputDevice.DeviceType.Stylus, pointer,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
                             1, 2)
    position = QPointF(page_to_widget(canvas, x, y))
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletRelease else \
        Qt.MouseButton.LeftButton
    event = QTabletEvent(kind, device, position, canvas.mapToGlobal(position), pressure, 0, 0, 0,
                         0, 0, Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton, buttons)
    QApplication.sendEvent(canvas, event)
    return device


def _pen_stroke(canvas, points, pressure, pointer=QPointingDevice.PointerType.Pen):
    kinds = [QEvent.Type.TabletPress] + [QEvent.Type.TabletMove] * (len(points) - 2) + \
        [QEvent.Type.TabletRelease]
    for kind, (x, y) in zip(kinds, points, strict=True):
        _tablet(canvas, kind, x, y, pressure, pointer)


def test_pen_pressure_sets_the_width(canvas):
    _pen_stroke(canvas, line(40, 80, 240, 80), pressure=1.0)
    _pen_stroke(canvas, line(40, 200, 240, 200), pressure=0.1)
    heavy, light = canvas.strokes()
    assert heavy.points[1][2] == pytest.approx(DEFAULT_WIDTH)
    assert light.points[1][2] < 0.5 * DEFAULT_WIDTH
    image = canvas.image()
    assert ink_at(image, 140, 80 + DEFAULT_WIDTH / 2 - 2) > 100
    assert ink_at(image, 140, 200 + DEFAULT_WIDTH / 2 - 2) == 0


def test_the_pen_eraser_end_erases(canvas):
    draw(canvas, line(40, 140, 240, 140))
    _pen_stroke(canvas, line(140, 100, 140, 180), 1.0, QPointingDevice.PointerType.Eraser)
    assert canvas.strokes()[-1].erase
    assert ink_at(canvas.image(), 140 + DEFAULT_WIDTH * ERASER_FACTOR / 2 - 3, 140) == 0


def test_a_background_picture_is_fitted_and_centred_and_undoable(canvas):
    picture = np.full((100, 200), 255, np.uint8)
    picture[40:60, 90:110] = 0  # a black square in the middle
    draw(canvas, line(40, 40, 240, 40))
    canvas.set_background(picture)
    image = canvas.image()
    assert ink_at(image, 140, 140) > 200  # the square, scaled to the page's width
    assert ink_at(image, 140, 40) == 0  # the stroke went with the old page
    assert ink_at(image, 10, 140) == 0
    canvas.undo()
    assert ink_at(canvas.image(), 140, 40) > 200


def test_render_image_redraws_the_strokes_at_another_size(canvas):
    draw(canvas, line(40, 140, 240, 140))
    big = canvas.render_image(560)
    assert big.shape == (560, 560)
    assert 255 - big[280, 280] > 200 and big[100, 280] == 255


def test_the_page_stays_white_with_a_dark_palette(canvas, qtbot):
    palette = canvas.palette()
    palette.setColor(palette.ColorRole.Window, Qt.GlobalColor.black)
    canvas.setPalette(palette)
    draw(canvas, line(40, 140, 240, 140))
    shot = canvas.grab().toImage()
    inside = page_to_widget(canvas, 140, 40)
    assert shot.pixelColor(inside).lightness() > 250
    ink = page_to_widget(canvas, 140, 140)
    assert shot.pixelColor(ink).lightness() < 40


def test_a_finger_draws_too(canvas):
    finger = QTest.createTouchDevice()
    QTest.touchEvent(canvas, finger).press(0, page_to_widget(canvas, 40, 140)).commit()
    for x, y in line(40, 140, 240, 140)[1:]:
        QTest.touchEvent(canvas, finger).move(0, page_to_widget(canvas, x, y)).commit()
    QTest.touchEvent(canvas, finger).release(0, page_to_widget(canvas, 240, 140)).commit()
    assert len(canvas.strokes()) == 1
    assert ink_at(canvas.image(), 140, 140) > 200


@pytest.mark.parametrize("shape", [(28, 28), (14, 28), (90, 125), (280, 93)])
def test_the_network_pictures_placement_is_where_the_canvas_paints_the_picture(canvas, shape):
    canvas.set_background(np.zeros(shape, np.uint8))  # black, on the white page
    picture = canvas.network_picture()
    assert picture.pixels.shape == shape  # the picture itself, not the page
    height, width = shape
    left, top = picture.to_page(0, 0)
    right, bottom = picture.to_page(width, height)
    page = canvas.image()
    rows = np.flatnonzero((page < 128).any(axis=1))
    cols = np.flatnonzero((page < 128).any(axis=0))
    assert (page[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] < 128).all()  # one dark rectangle
    # The picture's corners, mapped onto the page, are that rectangle's corners (to a pixel).
    assert (cols[0], rows[0]) == pytest.approx((left, top), abs=1)
    assert (cols[-1] + 1, rows[-1] + 1) == pytest.approx((right, bottom), abs=1)
    canvas.add_stroke([(140, 140), (150, 150)])
    ink = canvas.network_picture()
    assert np.array_equal(ink.pixels, canvas.image()) and ink.to_page(10, 20) == (10, 20)  # the page


@pytest.mark.parametrize("size", [PAGE_SIZE, 2 * PAGE_SIZE, 397])
def test_a_background_from_an_earlier_version_looks_as_it_did(qtbot, size):
    """Earlier versions stored backgrounds fitted to the page and drew them 1:1, centred."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QImage, QPainter, QTransform

    from gui.qimage import array_to_qimage, qimage_to_gray
    from gui.views.canvas import render_drawing
    from model.drawing import Drawing

    stored = np.tile(np.arange(0, 250, 2, dtype=np.uint8), (201, 1))[:, np.arange(280) * 125 // 280].copy()
    image = QImage(size, size, QImage.Format.Format_Grayscale8)
    with QPainter(image) as painter:  # what they did, written out
        painter.setTransform(QTransform.fromScale(size / PAGE_SIZE, size / PAGE_SIZE))
        painter.fillRect(QRectF(0, 0, PAGE_SIZE, PAGE_SIZE), QColor(255, 255, 255))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QPointF(0, (PAGE_SIZE - 201) / 2), array_to_qimage(stored))
    then = qimage_to_gray(image)
    assert then.min() < 10 and (then[:39] == 255).all()  # a picture, and paper above it
    assert np.array_equal(render_drawing(Drawing(background=stored), size), then)
    if size == PAGE_SIZE:
        canvas = Canvas()
        qtbot.addWidget(canvas)
        canvas.restore_drawing(Drawing(background=stored))
        assert np.array_equal(canvas.image(), then)


def display_pixels(canvas) -> np.ndarray:
    """The page as the canvas shows it on screen (its display pixmap), gray."""
    from gui.qimage import qimage_to_gray

    canvas.grab()  # paints, and so makes the display
    return qimage_to_gray(canvas._display.toImage())


def test_a_large_drawing_shows_at_once_then_sharp_and_the_same_as_painted_at_once(qtbot, monkeypatch):
    """A page over SLICED_ABOVE_POINTS is shown scaled up, then painted sharp in slices (ink
    drawn meanwhile included): pixel for pixel what painting it at once gives."""
    from PySide6.QtGui import QPainter, QPixmap

    from gui.qimage import qimage_to_gray
    from gui.views import canvas as canvas_module
    from model.drawing import Drawing, StrokeData

    rng = np.random.default_rng(4)
    strokes = tuple(StrokeData(bool(k % 3 == 0), tuple((float(x), float(y), float(w)) for x, y, w in
                    np.column_stack([rng.uniform(0, 280, (30, 2)), rng.uniform(2, 60, 30)])))
                    for k in range(60))  # 1,800 points
    canvas = shown(qtbot, Canvas(), 500, 500)
    canvas.restore_drawing(Drawing(strokes))
    monkeypatch.setattr(canvas_module.SlicedPaint, "TURN_S", 0.001)  # many slices
    standin = display_pixels(canvas)
    assert canvas.display_pending()
    draw(canvas, line(20, 260, 260, 20))  # drawn while the slices are painted
    qtbot.waitUntil(lambda: not canvas.display_pending(), timeout=30_000)
    sharp = display_pixels(canvas)
    whole = QPixmap(canvas._display.size())
    whole.setDevicePixelRatio(canvas._display.devicePixelRatio())
    with QPainter(whole) as painter:
        canvas_module.paint_page(painter, canvas.drawing(),
                                 whole.width() / whole.devicePixelRatio() / PAGE_SIZE)
    assert np.array_equal(sharp, qimage_to_gray(whole.toImage()))
    assert not np.array_equal(sharp, standin)  # the stand-in was the scaled page, softer
    small = Drawing(strokes[:30])  # 900 points: painted at once
    canvas.restore_drawing(small)
    display_pixels(canvas)
    assert not canvas.display_pending()


def test_the_page_read_on_every_stroke_is_qts_own_grey_of_it(qtbot):
    """Canvas.image() reads one channel of the RGB32 page; Qt's conversion of the same page
    must agree to the last pixel (ink, eraser, antialiased edges, a picture under them)."""
    from gui.qimage import qimage_to_gray

    canvas = Canvas()
    qtbot.addWidget(canvas)
    picture = np.tile(np.linspace(0, 255, 90, dtype=np.uint8), (60, 1))
    canvas.set_background(picture)
    canvas.add_stroke([(30.3, 40.7, 17.3), (200.1, 230.9, 9.0), (250.0, 20.0, 25.0)])
    canvas.add_stroke([(60.0, 60.0, 12.0), (180.0, 90.0, 12.0)], erase=True)
    np.testing.assert_array_equal(canvas.image(), qimage_to_gray(canvas._page))
    assert len(np.unique(canvas.image())) > 20  # greys of every shade were compared
