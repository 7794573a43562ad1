"""A ``.keras`` file read without TensorFlow: a zip archive of ``config.json`` (the layers),
``metadata.json`` and ``model.weights.h5``.

Its members are checked before anything is inflated or handed to Keras: a small archive whose
``config.json`` inflates to gigabytes would otherwise take minutes and all the memory.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from model.errors import ModelError, one_line

MAX_CONFIG_BYTES = 1_000_000  # a model's config.json is a few kB
MAX_TOTAL_BYTES = 200_000_000  # the shipped CNN inflates to 3 MB; the course network can't reach this
MAX_MEMBERS = 16
MAX_RATIO = 200  # inflated / compressed: weights barely compress; bombs compress a thousandfold


def check_archive(path: str | Path) -> None:
    """ModelError (one line) unless ``path`` is a zip of plausible size for a Sketchscope model."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise ModelError(f"{path}: cannot load the model (not a .keras archive: {one_line(exc)})") from None
    total = sum(m.file_size for m in members)
    config = next((m for m in members if m.filename == "config.json"), None)
    if config is None:
        raise ModelError(f"{path}: cannot load the model (no config.json in the archive)")
    packed = max(sum(m.compress_size for m in members), 1)
    if (len(members) > MAX_MEMBERS or total > MAX_TOTAL_BYTES or config.file_size > MAX_CONFIG_BYTES
            or total / packed > MAX_RATIO):
        raise ModelError(f"{path}: refused: its {len(members)} members inflate to {total:,} bytes "
                         f"from {packed:,} (not a Sketchscope model)")


def read_config(path: str | Path) -> dict:
    """The model's configuration (``config.json``), checked as :func:`check_archive` does."""
    path = Path(path)
    check_archive(path)
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{path.name}: cannot read its configuration ({one_line(exc)})") from None
    if not isinstance(config, dict):
        raise ModelError(f"{path.name}: its configuration is not a JSON object")
    return config
