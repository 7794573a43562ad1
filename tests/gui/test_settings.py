"""A settings file is the user's to edit: no value in it may stop the app, and a bad one is said."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QSettings

from gui.settings import (
    bad_settings,
    read_bool,
    read_choice,
    read_float,
    read_int,
    read_state,
    read_text,
)
from model.drawing import DEFAULT_WIDTH

ROOT = Path(__file__).resolve().parents[2]

READERS = {  # how each kind of setting is read, with its default
    "int": lambda s: read_int(s, "k", 18, 2, 60),
    "float": lambda s: read_float(s, "k", 1.0, 0.25, 8.0),
    "bool": lambda s: read_bool(s, "k", False),
    "choice": lambda s: read_choice(s, "k", "map", ("map", "layer")),
    "text": lambda s: read_text(s, "k", "/home"),
    "state": lambda s: read_state(s, "k"),
}
DEFAULTS = {"int": 18, "float": 1.0, "bool": False, "choice": "map", "text": "/home", "state": None}


def ini(tmp_path, body: str) -> QSettings:
    path = tmp_path / "s.ini"
    path.write_text("[General]\n" + body + "\n")
    return QSettings(str(path), QSettings.Format.IniFormat)


@pytest.mark.parametrize("kind, stored", [
    ("int", "3000000000"), ("int", "-3000000000"), ("int", "-5"), ("int", "61"), ("int", "wide"),
    ("int", "18.5"), ("int", "@ByteArray(18)"), ("int", "a, b"),
    ("float", "nan"), ("float", "inf"), ("float", "-1"), ("float", "100"), ("float", "fast"),
    ("float", "@ByteArray(1)"),
    ("bool", "maybe"), ("bool", "2"), ("bool", "a, b"),
    ("choice", "rainbow"), ("choice", "@ByteArray(map)"), ("choice", "map, layer"),
    ("text", "@ByteArray(x)"), ("text", "x" * 5000), ("text", "a, b"),
    ("state", "not bytes"), ("state", "@ByteArray(" + "x" * 70000 + ")"),
    ("int", r"@Variant(\0\0\0\x7f\0\0\0\x10garbage)"),
])
def test_a_bad_value_gives_the_default_is_removed_and_is_reported(tmp_path, kind, stored):
    settings = ini(tmp_path, f"k={stored}")
    assert READERS[kind](settings) == DEFAULTS[kind]
    assert bad_settings(settings) == ["k"]
    assert not settings.contains("k")
    assert READERS[kind](settings) == DEFAULTS[kind] and bad_settings(settings) == ["k"]  # once


@pytest.mark.parametrize("kind, stored, value", [
    ("int", "2", 2), ("int", "60", 60), ("int", " 33 ", 33),
    ("float", "0.25", 0.25), ("float", "8", 8.0),
    ("bool", "true", True), ("bool", "false", False),
    ("choice", "layer", "layer"), ("text", "/tmp/drawings", "/tmp/drawings"),
    ("state", "@ByteArray(abc)", QByteArray(b"abc")),
])
def test_a_good_value_is_read_as_stored_and_a_missing_one_is_the_default(tmp_path, kind, stored,
                                                                         value):
    settings = ini(tmp_path, f"k={stored}")
    assert READERS[kind](settings) == value
    assert bad_settings(settings) == [] and settings.contains("k")
    empty = ini(tmp_path, "")
    assert READERS[kind](empty) == DEFAULTS[kind] and bad_settings(empty) == []


BAD_FILE = """brush_width=3000000000
replay/speed=nan
dataset=cifar
compare_dense=maybe
explore/colormap=rainbow
explore/scaling=@ByteArray(map)
geometry=not a geometry
window_state=42
"""


def test_the_window_starts_with_defaults_and_says_which_settings_it_reset(make_window, settings,
                                                                         private_settings):
    path = Path(settings.fileName())
    path.write_text("[General]\n" + BAD_FILE)
    settings.sync()
    window = make_window(dataset=None)
    assert window.dataset == "mnist" and window.width_slider.value() == round(DEFAULT_WIDTH)
    assert not window.compare_action.isChecked()
    assert window.demos.replay_panel.speed_label.text() == "1×"
    assert window.explore.controls.colormap() == "viridis"
    message = window.statusBar().currentMessage()
    assert message.startswith("Settings reset to their defaults")
    for key in ("brush_width", "replay/speed", "dataset", "compare_dense", "explore/colormap",
                "explore/scaling", "geometry", "window_state"):
        assert key in message
    assert "\n" not in message
    window.close()
    again = QSettings(settings.fileName(), QSettings.Format.IniFormat)
    window = make_window(dataset=None, window_settings=again)  # the next start is clean
    assert bad_settings(again) == [] and "Settings" not in window.statusBar().currentMessage()


def test_the_app_starts_with_a_settings_file_that_once_aborted_it(tmp_path):
    config = tmp_path / "config"
    (config / "Sketchscope").mkdir(parents=True)
    (config / "Sketchscope" / "Sketchscope.ini").write_text("[General]\n" + BAD_FILE)
    env = dict(os.environ, XDG_CONFIG_HOME=str(config), SKETCHSCOPE_DATA_DIR=str(tmp_path / "data"),
               SKETCHSCOPE_EXIT_WHEN="shown", QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-800:]
    assert proc.stdout.startswith("sketchscope-shown ")
