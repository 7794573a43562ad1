"""Before Qt starts: is there a display, and can Qt's platform plugin load?

Qt aborts the process (no Python exception, sometimes a core dump) when its platform plugin
cannot load, and since Qt 6.5 the xcb plugin needs libxcb-cursor0, which many stock desktops
lack. So the GUI path asks first: which shared libraries the plugin for the platform in use is
missing (``ldd`` on the plugin, plus the libraries Qt opens at run time), and installs their
Debian packages when running as root, or stops with one line naming the exact command.
Nothing here imports Qt.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from model import apt

# The Debian package of every library Qt's xcb and wayland plugins need that a desktop may lack.
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
# Opened at run time (dlopen), so ldd cannot see them missing.
RUNTIME = {"xcb": ("libxcb-cursor.so.0",)}
PLUGINS = {"xcb": "libqxcb.so", "wayland": "libqwayland.so"}
HEADLESS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "minimalegl", "vkkhrdisplay")
NO_DISPLAY = ("there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set): run Sketchscope in a "
              "desktop session, on a virtual screen with `xvfb-run python main.py`, or without one "
              "with `QT_QPA_PLATFORM=offscreen python main.py`")


def platform(env: Mapping[str, str]) -> str:
    """The platform plugin Qt will use, as Qt chooses it on Linux."""
    asked = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if asked:
        return asked
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb"


def plugin_path(name: str) -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" / "platforms" / name
    return path if path.is_file() else None


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(platform_name: str) -> list[str]:
    """The shared libraries the platform's plugin needs and this machine lacks, in order."""
    plugin = plugin_path(PLUGINS.get(platform_name, ""))
    missing: list[str] = []
    if plugin is not None:
        try:
            out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""  # no ldd: the run-time check below still runs
        missing = re.findall(r"^\s*(\S+)\s+=>\s+not found", out, flags=re.MULTILINE)
    missing += [lib for lib in RUNTIME.get(platform_name, ()) if not _loadable(lib)]
    return list(dict.fromkeys(missing))


def check(env: Mapping[str, str] | None = None, log=print) -> str:
    """"" when Qt can start, else one line saying why and what to do. Installs the missing
    Debian packages first when it can (root on Debian or Ubuntu)."""
    env = os.environ if env is None else env
    name = platform(env)
    if name in HEADLESS:
        return ""
    if name in ("xcb", "wayland") and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return NO_DISPLAY
    missing = missing_libraries(name)
    if not missing:
        return ""
    packages = list(dict.fromkeys(PACKAGES.get(lib, "") for lib in missing))
    unknown = [lib for lib in missing if lib not in PACKAGES]
    if "" in packages:
        packages.remove("")
    if unknown:
        return (f"Qt's {name} platform plugin is missing {', '.join(unknown)}"
                + (f"; also run: {apt.command(packages)}" if packages else ""))
    try:
        apt.install(packages, log=log)
    except apt.AptError as exc:
        return f"Qt's {name} platform plugin is missing {', '.join(missing)}: {exc}"
    still = missing_libraries(name)
    return f"Qt's {name} platform plugin is still missing {', '.join(still)}" if still else ""
