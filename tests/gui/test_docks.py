"""The panels around the live view (gui/docks.py): Explore and Replay share the bottom as tabs,
each opening at its own height."""

from PySide6.QtCore import Qt


def test_each_bottom_panel_opens_at_its_share_then_as_the_user_left_it(make_window, qtbot):
    window = make_window()
    window.resize(1200, 900)
    qtbot.waitUntil(lambda: window.height() == 900)

    def toggle(action, dock, visible):
        action.trigger()
        qtbot.waitUntil(lambda: dock.isVisible() == visible)
        qtbot.wait(50)  # the layout settles

    toggle(window.explore_action, window.explore_dock, True)
    assert abs(window.explore_dock.height() - 450) <= 20  # half the window
    window.resizeDocks([window.explore_dock], [320], Qt.Orientation.Vertical)
    qtbot.wait(50)
    left_at = window.explore_dock.height()
    assert abs(left_at - 320) <= 20
    toggle(window.explore_action, window.explore_dock, False)
    toggle(window.replay_view_action, window.replay_dock, True)
    assert abs(window.replay_dock.height() - 270) <= 20  # 30% of the window
    toggle(window.replay_view_action, window.replay_dock, False)
    toggle(window.explore_action, window.explore_dock, True)
    assert window.explore_dock.height() == left_at


def test_explore_and_replay_are_tabs_of_one_bottom_area(make_window, qtbot):
    window = make_window()
    window.explore_action.trigger()
    window.start_replay()  # F5 opens the Replay tab over Explore
    qtbot.waitUntil(window.replay_dock.isVisible)
    assert window.tabifiedDockWidgets(window.explore_dock) == [window.replay_dock]
    qtbot.waitUntil(lambda: not window.explore_link.visible())  # behind: not fed, no cost
    assert window.explore_action.isChecked()  # still open, a click on its tab away
