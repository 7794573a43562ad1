"""``make install-desktop`` writes a valid launcher and an icon; ``make uninstall-desktop`` removes
exactly those files."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def make(target: str, data_home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "-C", str(ROOT), target, f"DATA_HOME={data_home}"],
                          capture_output=True, text=True, timeout=600)


def test_install_and_uninstall_desktop(tmp_path):
    home = tmp_path / "share"
    (home / "applications").mkdir(parents=True)
    other = home / "applications" / "someone-else.desktop"
    other.write_text("[Desktop Entry]\n")
    done = make("install-desktop", home)
    assert done.returncode == 0, done.stderr
    entry = home / "applications" / "sketchscope.desktop"
    text = entry.read_text()
    assert f'Exec="{ROOT}/.venv/bin/python" "{ROOT}/main.py"' in text and "@ROOT@" not in text
    icons = [home / "icons/hicolor/256x256/apps/sketchscope.png",
             home / "icons/hicolor/scalable/apps/sketchscope.svg"]
    assert all(icon.is_file() for icon in icons)
    assert make("uninstall-desktop", home).returncode == 0
    assert not entry.exists() and not any(icon.exists() for icon in icons)
    assert other.exists()  # nothing else touched


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate (Debian: desktop-file-utils) is not installed")
def test_the_launcher_passes_desktop_file_validate(tmp_path):
    assert make("install-desktop", tmp_path).returncode == 0
    entry = tmp_path / "applications" / "sketchscope.desktop"
    checked = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout + checked.stderr
