"""Before Qt starts: no display, or a platform plugin that cannot load, is one line, not an abort."""

import os
import stat

import pytest

from gui import display_check
from model import apt


def _stub(folder, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def no_cursor_lib(tmp_path, monkeypatch):
    """``ldd`` says the xcb plugin lacks libxcb-cursor and libxcb-icccm (a stub on PATH)."""
    _stub(tmp_path, "ldd", 'echo "\tlibxcb-cursor.so.0 => not found"\n'
                           'echo "\tlibxcb-icccm.so.4 => not found"\necho "\tlibc.so.6 => /lib/libc.so.6"\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(display_check, "_loadable", lambda soname: True)
    return tmp_path


def test_the_platform_is_the_one_qt_would_choose():
    assert display_check.platform({"DISPLAY": ":0"}) == "xcb"
    assert display_check.platform({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert display_check.platform({"QT_QPA_PLATFORM": "wayland;xcb"}) == "wayland"
    session = {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}
    assert display_check.platform(session) == "wayland"


def test_offscreen_needs_nothing_and_no_display_says_how_to_run(no_cursor_lib):
    assert display_check.check({"QT_QPA_PLATFORM": "offscreen"}) == ""
    line = display_check.check({})
    assert "no display" in line and "xvfb-run" in line and "QT_QPA_PLATFORM=offscreen" in line
    assert "\n" not in line


def test_missing_libraries_name_the_exact_install_command_when_not_root(no_cursor_lib, monkeypatch):
    assert display_check.missing_libraries("xcb") == ["libxcb-cursor.so.0", "libxcb-icccm.so.4"]
    monkeypatch.setattr(apt, "can_install", lambda: False)
    line = display_check.check({"DISPLAY": ":0"})
    assert line.endswith("run: sudo apt-get install -y libxcb-cursor0 libxcb-icccm4")
    assert "\n" not in line


def test_as_root_the_packages_are_installed(no_cursor_lib, monkeypatch):
    calls = []
    monkeypatch.setattr(apt, "can_install", lambda: True)
    monkeypatch.setattr(apt.subprocess, "run",
                        lambda args, **kw: calls.append(args) or type("Done", (), {"returncode": 0})())
    installed = []

    def after_install(name):
        return [] if calls else ["libxcb-cursor.so.0"]

    monkeypatch.setattr(display_check, "missing_libraries", after_install)
    assert display_check.check({"DISPLAY": ":0"}, log=installed.append) == ""
    assert calls == [["apt-get", "install", "-y", "-q", "libxcb-cursor0"]]
    assert installed and "libxcb-cursor0" in installed[0]


def test_a_failing_apt_get_is_one_line(no_cursor_lib, monkeypatch):
    _stub(no_cursor_lib, "apt-get", 'echo "E: Unable to locate package" >&2\nexit 100\n')
    monkeypatch.setattr(apt, "can_install", lambda: True)
    line = display_check.check({"DISPLAY": ":0"}, log=lambda *_: None)
    assert "libxcb-cursor.so.0" in line and "Unable to locate package" in line and "\n" not in line
