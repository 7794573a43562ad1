"""The panels around the live view: docks, each with its View menu entry, and the bottom area
that the Explore and Replay panels share as tabs.

A panel at the bottom takes its height from the live view, whose feature maps never give up
their minimum (gui.views.feature_maps); so that each panel takes only what it needs, each
opens at its own height: a share of the window the first time, then the height the user
left it at.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabWidget, QWidget

Area = Qt.DockWidgetArea


def make_dock(window: QMainWindow, title: str, name: str, content: QWidget, area: Area,
              text: str, shortcut) -> tuple[QDockWidget, QAction]:
    """A hidden dock in ``area`` and its View menu entry (which raises it over a tab mate)."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(content)
    window.addDockWidget(area, dock)
    dock.hide()
    action = dock.toggleViewAction()
    action.setText(text)
    action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(lambda checked: checked and dock.raise_())
    return dock, action


class BottomPanels(QObject):
    """``panels`` (dock -> share of the window's height it first opens at) as tabs of the
    window's bottom area, each opening at its own height."""

    def __init__(self, window: QMainWindow, panels: dict[QDockWidget, float]):
        super().__init__(window)
        self._window, self._shares = window, dict(panels)
        self._heights: dict[QDockWidget, int] = {}  # as the user left each one
        self._shown: set[QDockWidget] = set()  # the panels that have been on screen
        window.setTabPosition(Area.BottomDockWidgetArea, QTabWidget.TabPosition.North)
        docks = list(panels)
        for first, second in zip(docks, docks[1:], strict=False):
            window.tabifyDockWidget(first, second)
        for dock in docks:
            dock.visibilityChanged.connect(partial(self._on_visibility_changed, dock))

    def add(self, dock: QDockWidget, share: float) -> None:
        """One more panel, tabbed with the others (a feature that makes its own dock)."""
        self._window.tabifyDockWidget(next(iter(self._shares)), dock)
        self._shares[dock] = share
        dock.visibilityChanged.connect(partial(self._on_visibility_changed, dock))

    def keep_restored(self) -> None:
        """The window's saved state put the panels where the user left them: the ones it shows
        keep that height."""
        for dock in self._shares:
            if not dock.isHidden():
                self._heights[dock] = -1  # nothing to do the next time it shows

    def _on_visibility_changed(self, dock: QDockWidget, visible: bool) -> None:
        if not visible:  # closed, or another tab raised over it
            if dock in self._shown:
                self._heights[dock] = dock.height()
            return
        self._shown.add(dock)
        height = self._heights.get(dock)
        if height is None:
            height = round(self._shares[dock] * self._window.height())
        if height > 0:
            self._window.resizeDocks([dock], [height], Qt.Orientation.Vertical)
