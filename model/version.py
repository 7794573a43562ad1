"""Sketchscope's version: the one in pyproject.toml, as the installed package metadata has it."""

from __future__ import annotations

import re
from pathlib import Path


def version() -> str:
    from importlib import metadata  # 50 ms of imports: not at start-up

    try:
        return metadata.version("sketchscope")
    except metadata.PackageNotFoundError:  # run from a clone that was never installed
        text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
        found = re.search(r'^version\s*=\s*"([^"]+)"', text, flags=re.MULTILINE)
        return found.group(1) if found else "unknown"
