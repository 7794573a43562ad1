"""The replay timeline: which classes get a line, where the leader changes, and what is painted."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolTip

from gui.demos.timeline import HINT, TimelinePlot
from gui.qimage import qimage_to_rgba
from model.datasets import class_names

from ..conftest import shown

DIGITS = class_names("mnist")
CLOTHES = class_names("fashion")
LEFT = Qt.MouseButton.LeftButton
NO_KEYS = Qt.KeyboardModifier.NoModifier


def timeline(*steps: dict[int, float], classes: int = 10) -> np.ndarray:
    """One row per step: the given classes' probabilities, the rest shared evenly."""
    rows = np.zeros((len(steps), classes))
    for row, given in zip(rows, steps, strict=True):
        rest = [c for c in range(classes) if c not in given]
        row[rest] = (1.0 - sum(given.values())) / len(rest)
        for c, p in given.items():
            row[c] = p
    return rows


@pytest.fixture
def plot(qtbot):
    return shown(qtbot, TimelinePlot(), 420, 160)


def pixels(widget) -> np.ndarray:
    """The widget as painted: (H, W, 4) RGBA in device pixels."""
    return qimage_to_rgba(widget.grab().toImage())


def rows_with(image: np.ndarray, x: float, colour: QColor, tolerance: int = 12) -> np.ndarray:
    """The rows of column ``x`` whose pixel is ``colour``."""
    column = image[:, round(x), :3].astype(int)
    target = np.array([colour.red(), colour.green(), colour.blue()])
    return np.flatnonzero(np.abs(column - target).max(axis=1) <= tolerance)


def test_a_class_gets_a_line_when_it_is_ever_in_the_top_three(plot):
    probabilities = timeline({0: 0.50, 1: 0.20, 2: 0.15, 3: 0.10},
                             {0: 0.45, 1: 0.25, 2: 0.20, 3: 0.08},
                             {0: 0.40, 4: 0.30, 1: 0.20, 2: 0.03, 3: 0.04},  # 4 briefly in the top 3
                             {0: 0.60, 1: 0.20, 2: 0.12, 3: 0.06})
    plot.set_timeline(probabilities, DIGITS)
    assert plot.plotted_classes() == [0, 4, 1, 2]  # 3 is never better than 4th; by best probability
    assert plot.legend_entries() == ["0 60%", "4 0%", "1 20%", "2 12%"]  # the final probabilities


def test_at_most_six_lines_those_with_the_highest_maximum(plot):
    peaks = 0.30 + 0.05 * np.arange(10)  # class c peaks at its own step; ten classes reach the top 3
    probabilities = timeline(*({c: float(peaks[c])} for c in range(10)))
    plot.set_timeline(probabilities, DIGITS)
    assert plot.plotted_classes() == [9, 8, 7, 6, 5, 4]
    assert len(plot.legend_entries()) == 6
    colours = {plot.line_colour(c).name() for c in plot.plotted_classes()}
    assert len(colours) == 6


def test_changes_are_the_steps_where_the_leader_differs_from_the_step_before(plot):
    leaders = [3, 3, 5, 5, 3, 7, 7]
    plot.set_timeline(timeline(*({c: 0.6} for c in leaders)), DIGITS)
    assert plot.changes() == [2, 4, 5]
    plot.set_timeline(timeline({3: 0.6}, {3: 0.9}), DIGITS)
    assert plot.changes() == []


def test_no_steps_shows_the_hint_and_one_step_shows_dots(plot):
    plot.set_timeline(np.zeros((0, 10)), DIGITS)
    assert plot.plotted_classes() == [] and plot.changes() == [] and plot.legend_entries() == []
    assert "changes its mind" in HINT
    middle = pixels(plot)[60:100, 100:320, :3]
    assert middle.min() < 100 < middle.max()  # the hint's dark letters on the light background

    plot.set_timeline(timeline({6: 0.7, 2: 0.2}), DIGITS)
    assert plot.plotted_classes()[:2] == [6, 2] and plot.changes() == []
    image = pixels(plot)
    found = rows_with(image, plot.step_x(0), plot.line_colour(6))
    assert len(found) and abs(found.mean() - plot.value_y(0.7)) < 3  # the dot at 70%

    plot.clear()
    assert plot.n_steps() == 0 and plot.legend_entries() == []
    pixels(plot)


def test_the_timeline_must_match_the_class_names(plot):
    with pytest.raises(ValueError, match="probabilities"):
        plot.set_timeline(np.zeros((3, 9)), DIGITS)


def test_a_line_is_drawn_at_its_probability(plot):
    plot.set_timeline(timeline(*({2: 0.75, 5: 0.15},) * 6), DIGITS)
    image = pixels(plot)
    between = (plot.step_x(2) + plot.step_x(3)) / 2  # on the line, away from the dots
    for c, p in ((2, 0.75), (5, 0.15)):
        found = rows_with(image, between, plot.line_colour(c))
        assert len(found), f"no pixel of class {c}'s colour"
        assert abs(found.mean() - plot.value_y(p)) < 2.5
        assert plot.plot_rect().top() < found.min() and found.max() < plot.plot_rect().bottom()
    assert plot.value_y(0.75) < plot.value_y(0.15)  # higher probability, higher up


def test_the_cursor_reveals_the_timeline_up_to_its_step(plot):
    plot.set_timeline(timeline(*({2: 0.75},) * 6), DIGITS)
    plot.set_cursor(2)
    image = pixels(plot)
    colour = plot.line_colour(2)
    before = (plot.step_x(0) + plot.step_x(1)) / 2
    after = (plot.step_x(3) + plot.step_x(4)) / 2
    assert len(rows_with(image, before, colour))
    assert not len(rows_with(image, after, colour, tolerance=30))  # faint there
    assert len(rows_with(image, plot.step_x(2) + 1.5, colour))  # the cursor's own dot is whole
    base = plot.palette().color(QPalette.ColorRole.Base)
    faint = image[round(plot.value_y(0.75)), round(after), :3].astype(int)
    assert np.abs(faint - [base.red(), base.green(), base.blue()]).max() > 20  # but drawn
    plot.set_cursor(None)
    assert len(rows_with(pixels(plot), after, colour))


def test_a_change_of_leader_is_marked_on_the_new_leaders_line(plot):
    plot.set_timeline(timeline({3: 0.6}, {3: 0.6}, {5: 0.6}, {5: 0.6}), DIGITS)
    assert plot.changes() == [2]
    y = plot.value_y(0.6)
    ring, name = plot.line_colour(5), plot.line_colour(5).darker(130)

    def ring_above(image, step):  # the ring's top, above the dot
        return any(y - 8 < row < y - 3 for row in rows_with(image, plot.step_x(step), ring))

    def name_above(image):
        x = round(plot.step_x(2))
        patch = image[round(y) - 30:round(y) - 6, x - 8:x + 9, :3].astype(int)
        return (np.abs(patch - [name.red(), name.green(), name.blue()]).max(axis=2) <= 12).sum() > 3

    image = pixels(plot)
    assert ring_above(image, 2) and not ring_above(image, 3)
    assert name_above(image)
    plot.set_cursor(1)  # not yet revealed: a faint ring, no name
    image = pixels(plot)
    assert not ring_above(image, 2) and not name_above(image)
    plot.set_cursor(2)
    image = pixels(plot)
    assert ring_above(image, 2) and name_above(image)


def test_clicking_emits_the_nearest_step(plot, qtbot):
    plot.set_timeline(timeline(*({c % 10: 0.5} for c in range(12))), DIGITS)
    y = round(plot.plot_rect().center().y())
    spacing = plot.step_x(1) - plot.step_x(0)
    for step, nudge in ((0, 0.0), (5, 0.0), (5, 0.3), (6, -0.3), (11, 0.0)):
        with qtbot.waitSignal(plot.sig_step_clicked, timeout=1000) as blocker:
            QTest.mouseClick(plot, LEFT, NO_KEYS, QPoint(round(plot.step_x(step) + nudge * spacing), y))
        assert blocker.args == [step]
    with qtbot.assertNotEmitted(plot.sig_step_clicked):  # the legend is not the plot
        QTest.mouseClick(plot, LEFT, NO_KEYS, QPoint(plot.width() - 5, y))


def test_hovering_shows_the_steps_top_three(plot, qtbot):
    plot.set_timeline(timeline({7: 0.5, 1: 0.3, 9: 0.1}, {7: 0.8, 1: 0.12, 9: 0.04}), DIGITS)
    assert plot.tooltip_text(1) == "after stroke 2: 7 80%, 1 12%, 9 4%"
    QTest.mouseMove(plot, QPoint(round(plot.step_x(1)), round(plot.plot_rect().center().y())))
    qtbot.waitUntil(lambda: QToolTip.text() == "after stroke 2: 7 80%, 1 12%, 9 4%", timeout=2000)


def test_the_dark_look_is_black_with_bright_lines(plot):
    plot.set_timeline(timeline(*({3: 0.6},) * 4), DIGITS)
    inside = (round(plot.value_y(0.25)), round(plot.step_x(1)))  # in the plot, off every line
    light = pixels(plot)
    plot.set_dark(True)
    dark = pixels(plot)
    assert plot.palette().color(QPalette.ColorRole.Window).lightness() > 100  # the test's premise
    for y, x in ((plot.height() - 3, 3), inside):  # a corner, the plot
        assert light[y, x, :3].min() > 100
        assert dark[y, x, :3].max() < 10
    assert plot.line_colour(3).lightness() > 100


@pytest.mark.parametrize("size, scale", [((300, 100), 1.0), ((1600, 500), 1.0), ((1600, 500), 2.5)])
def test_every_line_shows_small_and_large(plot, size, scale):
    peaks = 0.30 + 0.05 * np.arange(10)
    plot.set_timeline(timeline(*({c: float(peaks[c])} for c in range(10))), CLOTHES)
    plot.set_font_scale(scale)
    plot.set_dark(scale > 1)
    plot.resize(*size)
    image = pixels(plot)
    rect = plot.plot_rect()
    assert rect.left() > 0 and rect.right() < size[0] and rect.height() > 0.5 * size[1]
    for c in plot.plotted_classes():
        colour = plot.line_colour(c)
        target = np.array([colour.red(), colour.green(), colour.blue()])
        assert (np.abs(image[..., :3].astype(int) - target).max(axis=2) <= 12).sum() > 10, CLOTHES[c]
