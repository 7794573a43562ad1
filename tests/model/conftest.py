"""Fixtures shared by the model tests."""

import shutil

import pytest

from model import datasets


@pytest.fixture
def cache_copy(tmp_path, monkeypatch):
    """``copy(name)``: the fetched cache of dataset ``name`` and its checksum, copied into a
    fresh cache folder that $SKETCHSCOPE_CACHE points to; returns the copy's path."""

    def copy(name: str):
        src = datasets.cache_path(name)
        monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
        shutil.copy(src, datasets.cache_path(name))
        shutil.copy(src.with_name(src.name + ".sha256"), tmp_path / (src.name + ".sha256"))
        return datasets.cache_path(name)

    return copy
