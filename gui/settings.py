"""Reading what the user set (``QSettings``): every value checked, a bad one replaced by its default.

The settings file is plain text the user may edit, and another version (or a damaged disk) may
have written it: ``brush_width=3000000000`` once overflowed a slider at every start. So no part
of the app reads ``QSettings.value`` itself; it asks one of the readers here for a value of a
type within bounds. A value that is missing gives the default silently; a value that is there
but unusable gives the default too, is removed from the file (the next start is clean) and is
remembered on the settings object, so that the window can say in one status-bar line which
settings it reset (:func:`bad_settings`).

The list of bad keys is a dynamic Qt property of the ``QSettings`` object itself: every part
that reads settings shares that object, and nothing global is kept.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QByteArray, QSettings

BAD_KEYS = "sketchscope_bad_settings"  # the dynamic property listing the keys found unusable
MAX_TEXT = 4096  # characters of a text setting (a folder's path, a screen's name)
MAX_STATE = 65536  # bytes of a saved window or splitter state; Qt's are a few hundred

_MISSING = object()


def _raw(settings: QSettings, key: str) -> object:
    """The stored value, or _MISSING; a value Qt cannot even load counts as unusable (None)."""
    if not settings.contains(key):
        return _MISSING
    try:
        return settings.value(key)
    except Exception:  # PySide raises for some stored types it cannot convert
        return None


def _reject(settings: QSettings, key: str, default):
    """Remember ``key`` as unusable, remove it, and give ``default``."""
    bad = list(settings.property(BAD_KEYS) or [])
    if key not in bad:
        settings.setProperty(BAD_KEYS, [*bad, key])
    settings.remove(key)
    return default


def bad_settings(settings: QSettings) -> list[str]:
    """The keys whose stored values the readers found unusable (and reset), in order."""
    return list(settings.property(BAD_KEYS) or [])


def read_int(settings: QSettings, key: str, default: int, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``."""
    value = _raw(settings, key)
    if value is _MISSING:
        return default
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return _reject(settings, key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return _reject(settings, key, default)
    return value


def read_float(settings: QSettings, key: str, default: float, low: float, high: float) -> float:
    """A finite number from ``low`` to ``high``."""
    value = _raw(settings, key)
    if value is _MISSING:
        return default
    number = math.nan
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except ValueError:
            pass  # stays NaN: refused below
    if not (math.isfinite(number) and low <= number <= high):  # NaN fails this too
        return _reject(settings, key, default)
    return number


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    """True or False, as Qt writes them ("true", "false") or as a native format stores them."""
    value = _raw(settings, key)
    if value is _MISSING:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else ""
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    return _reject(settings, key, default)


def read_choice(settings: QSettings, key: str, default: str, choices) -> str:
    """One of ``choices`` (strings)."""
    value = _raw(settings, key)
    if value is _MISSING:
        return default
    if not isinstance(value, str) or value not in tuple(choices):
        return _reject(settings, key, default)
    return value


def read_text(settings: QSettings, key: str, default: str) -> str:
    """A line of text (a path, a name): at most MAX_TEXT characters, without NUL."""
    value = _raw(settings, key)
    if value is _MISSING:
        return default
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\0" in value:
        return _reject(settings, key, default)
    return value


def read_state(settings: QSettings, key: str) -> QByteArray | None:
    """A saved geometry or state (``saveGeometry``, ``saveState``), or None. Whether Qt accepts
    its contents is for ``restoreGeometry`` / ``restoreState`` to say; here its type and size."""
    value = _raw(settings, key)
    if value is _MISSING:
        return None
    if not isinstance(value, QByteArray) or value.size() > MAX_STATE:
        return _reject(settings, key, None)
    return value
