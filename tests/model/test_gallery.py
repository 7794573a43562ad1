"""The gallery of kept drawings: it survives a restart, exports whole or not at all, and a
damaged index never stops it from opening."""

import contextlib
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.gallery import CSV_HEADER, CSV_NAME, INDEX_NAME, Gallery, GalleryError

STROKES = '{"version": 1, "strokes": [{"erase": false, "points": [[17.125, 18.0625, 5.5]]}]}'


def page(seed: int, size=(280, 280)) -> np.ndarray:
    """A white page with a dark bar whose place depends on ``seed``, plus grey noise."""
    rng = np.random.default_rng(seed)
    image = np.full(size, 255, np.uint8)
    image[20 + seed * 7: 60 + seed * 7, 30:200] = 0
    image[rng.integers(0, size[0], 50), rng.integers(0, size[1], 50)] = rng.integers(0, 256, 50)
    return image


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "gallery"


@pytest.fixture
def filled(folder):
    """Three kept drawings: a right digit, a wrong digit (with strokes), a wrong garment."""
    gallery = Gallery(folder)
    gallery.add(page(0), "mnist", 7, 7, 0.97)
    gallery.add(page(1), "mnist", 4, 9, 0.61234, drawing_json=STROKES)
    gallery.add(page(2, (200, 240)), "fashion", 0, 6, np.float32(0.5))
    return gallery


def rows(folder):
    with open(folder / CSV_NAME, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


# ---------------------------------------------------------------------- keeping and reloading


def test_a_new_gallery_on_the_same_folder_sees_the_same_items_and_pictures(filled, folder):
    again = Gallery(folder)
    assert again.warning is None
    assert again.items == filled.items
    assert [(i.dataset, i.true_label, i.predicted) for i in again.items] == [
        ("mnist", 7, 7), ("mnist", 4, 9), ("fashion", 0, 6)]
    assert again.items[1].confidence == pytest.approx(0.61234)
    assert [i.drawing_json for i in again.items] == [None, STROKES, None]
    for item, seed, size in zip(again.items, range(3), [(280, 280)] * 2 + [(200, 240)], strict=True):
        back = again.image(item.id)
        assert back.dtype == np.uint8 and back.shape == size
        assert np.array_equal(back, page(seed, size))


def test_items_have_unique_file_safe_ids_and_a_creation_time(filled, folder):
    ids = [i.id for i in filled.items]
    assert len(set(ids)) == 3
    for item in filled.items:
        assert item.id.replace("-", "").replace("_", "").isalnum()
        assert (folder / f"{item.id}.png").is_file()
        assert len(item.created) >= 19 and item.created[10] == "T"
    assert (folder / f"{ids[1]}.json").read_text(encoding="utf-8") == STROKES
    assert not (folder / f"{ids[0]}.json").exists()


def test_add_returns_the_item_it_kept_with_plain_python_numbers(folder):
    item = Gallery(folder).add(page(0), "fashion", np.int64(3), np.int32(5), np.float64(0.25))
    assert (item.true_label, item.predicted, item.confidence) == (3, 5, 0.25)
    assert type(item.true_label) is int and type(item.confidence) is float
    assert not item.correct
    json.loads((folder / INDEX_NAME).read_text())  # the index is plain JSON


def test_set_label_persists_and_validates(filled, folder):
    wrong = filled.items[1]
    updated = filled.set_label(wrong.id, 9)
    assert updated.true_label == 9 and updated.correct and updated.id == wrong.id
    assert Gallery(folder).items[1].true_label == 9
    with pytest.raises(GalleryError, match="0..9"):
        filled.set_label(wrong.id, 10)
    with pytest.raises(GalleryError, match="no kept drawing"):
        filled.set_label("nope", 1)
    assert filled.items[1].true_label == 9


def test_remove_forgets_the_item_and_deletes_its_files(filled, folder):
    ids = [i.id for i in filled.items]
    gone = filled.items[1]
    filled.remove(gone.id)
    assert [i.id for i in filled.items] == [ids[0], ids[2]]
    assert gone.id not in [i.id for i in Gallery(folder).items]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [INDEX_NAME] + [f"{i.id}.png" for i in filled.items])
    with pytest.raises(GalleryError):
        filled.image(gone.id)
    with pytest.raises(GalleryError, match="no kept drawing"):
        filled.remove(gone.id)


# ---------------------------------------------------------------------- export


def test_export_writes_pictures_strokes_and_a_csv(filled, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    folder = filled.export(out)
    assert folder.parent == out and folder.name.startswith("sketchscope-gallery-")
    table = rows(folder)
    assert tuple(table[0]) == CSV_HEADER
    assert table[0][:7] == ["file", "dataset", "true_label", "true_class", "predicted",
                            "predicted_class", "confidence"]
    assert len(table) == 1 + 3
    assert table[1][1:] == ["mnist", "7", "7", "7", "7", "0.9700", ""]
    assert table[2][1:7] == ["mnist", "4", "4", "9", "9", "0.6123"]
    assert table[3][1:] == ["fashion", "0", "T-shirt/top", "6", "Shirt", "0.5000", ""]
    assert table[3][0] == "0003-fashion-t-shirt-top.png"
    assert table[2][7] and (folder / table[2][7]).read_text(encoding="utf-8") == STROKES
    for row, seed, size in zip(table[1:], range(3), [(280, 280)] * 2 + [(200, 240)], strict=True):
        with Image.open(folder / row[0]) as picture:
            assert np.array_equal(np.array(picture.convert("L")), page(seed, size))
    expected = {row[0] for row in table[1:]} | {CSV_NAME, table[2][7]}
    assert {p.name for p in folder.iterdir()} == expected
    assert [p.name for p in out.iterdir()] == [folder.name]  # no temporary left beside it


def test_exports_never_overwrite_each_other(filled, tmp_path):
    first = filled.export(tmp_path, name="kept")
    filled.remove(filled.items[0].id)
    second = filled.export(tmp_path, name="kept")
    third = filled.export(tmp_path, name="kept")
    assert [first.name, second.name, third.name] == ["kept", "kept-2", "kept-3"]
    assert len(rows(first)) == 4 and len(rows(second)) == 3
    default_a, default_b = filled.export(tmp_path), filled.export(tmp_path)
    assert default_a != default_b and default_a.is_dir() and default_b.is_dir()


def test_an_export_that_fails_midway_leaves_nothing(filled, tmp_path, monkeypatch):
    copies = []
    real_copy = shutil.copyfile

    def failing_copy(src, dst, *args, **kwargs):
        copies.append(dst)
        if len(copies) == 2:
            raise OSError(28, "No space left on device")
        return real_copy(src, dst, *args, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", failing_copy)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(GalleryError, match="No space left on device"):
        filled.export(out, name="kept")
    assert len(copies) == 2  # it did fail part-way, after writing a picture
    assert list(out.iterdir()) == []


def test_exporting_an_empty_gallery_or_into_no_folder_is_refused(folder, filled, tmp_path):
    with pytest.raises(GalleryError, match="^the gallery is empty: keep a drawing first$"):
        Gallery(tmp_path / "empty").export(tmp_path)
    with pytest.raises(GalleryError, match="not a folder"):
        filled.export(tmp_path / "missing")
    with pytest.raises(GalleryError, match="not a folder name"):
        filled.export(tmp_path, name="../escape")


# ---------------------------------------------------------------------- damage


@pytest.mark.parametrize("text", [
    "{not json",
    '{"version": 99, "items": []}',
    '{"version": 1, "items": [{"id": "a"}]}',
    '{"version": 1, "items": [{"id": "../../etc/x", "dataset": "mnist", "true_label": 1, '
    '"predicted": 1, "confidence": 0.5, "created": "", "strokes": false}]}',
])
def test_a_corrupt_index_is_moved_aside_and_the_gallery_starts_empty(filled, folder, text):
    (folder / INDEX_NAME).write_text(text)
    again = Gallery(folder)
    assert again.items == []
    assert again.warning and "\n" not in again.warning and "index.json.corrupt" in again.warning
    assert (folder / "index.json.corrupt").read_text() == text
    assert not (folder / INDEX_NAME).exists()
    again.add(page(5), "mnist", 1, 1, 1.0)  # and it works again
    assert [i.true_label for i in Gallery(folder).items] == [1]


def test_an_item_whose_picture_is_gone_is_left_out_with_a_warning(filled, folder):
    (folder / f"{filled.items[0].id}.png").unlink()
    again = Gallery(folder)
    assert [i.id for i in again.items] == [i.id for i in filled.items[1:]]
    assert again.warning == "1 kept drawing had lost its picture and was left out"


def test_a_missing_folder_is_an_empty_gallery_without_warning(tmp_path):
    gallery = Gallery(tmp_path / "not" / "yet")
    assert gallery.items == [] and gallery.warning is None
    gallery.add(page(0), "mnist", 0, 0, 0.0)
    assert (tmp_path / "not" / "yet" / INDEX_NAME).is_file()


def test_a_failed_index_write_keeps_nothing_half_added(filled, folder, monkeypatch):
    before = sorted(p.name for p in folder.iterdir())

    def no_space(items):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(filled, "_write_index", no_space)
    with pytest.raises(GalleryError, match="could not keep the drawing: No space left"):
        filled.add(page(4), "mnist", 2, 2, 0.9, drawing_json=STROKES)
    assert len(filled.items) == 3
    assert sorted(p.name for p in folder.iterdir()) == before


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs, message", [
    ({"dataset": "cifar"}, "unknown dataset"),
    ({"true_label": 10}, "true label must be 0..9"),
    ({"true_label": -1}, "true label must be 0..9"),
    ({"true_label": 2.0}, "whole number"),
    ({"true_label": True}, "whole number"),
    ({"predicted": 12}, "predicted class must be 0..9"),
    ({"confidence": 1.5}, "confidence must be 0..1"),
    ({"confidence": -0.1}, "confidence must be 0..1"),
    ({"confidence": float("nan")}, "confidence must be 0..1"),
    ({"confidence": float("inf")}, "confidence must be 0..1"),
    ({"confidence": "0.5"}, "confidence must be a number"),
    ({"image": np.zeros((28, 28), np.float32)}, "2-D uint8"),
    ({"image": np.zeros((28, 28, 3), np.uint8)}, "2-D uint8"),
    ({"image": [[0, 255]]}, "2-D uint8"),
    ({"image": np.zeros((0, 5), np.uint8)}, "empty image"),
    ({"drawing_json": {"strokes": []}}, "JSON text"),
])
def test_add_refuses_bad_arguments_and_keeps_nothing(folder, kwargs, message):
    gallery = Gallery(folder)
    args = {"image": page(0), "dataset": "mnist", "true_label": 3, "predicted": 3,
            "confidence": 0.9} | kwargs
    with pytest.raises(GalleryError, match=message) as caught:
        gallery.add(**args)
    assert "\n" not in str(caught.value)
    assert gallery.items == [] and not folder.exists()


# ---------------------------------------------------------------------- hostile files


@contextlib.contextmanager
def no_longer_than(seconds: int):
    """Fail, rather than hang the run, if the body blocks (a FIFO opened for reading does)."""
    def blocked(*_):
        raise TimeoutError(f"blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_bad_items_are_left_out_the_rest_kept_and_the_original_index_set_aside(filled, folder):
    """An id of 300 letters matches the id pattern but names no file that can be opened."""
    index = json.loads((folder / INDEX_NAME).read_text())
    good = index["items"]
    hostile = [{**good[0], "id": "a" * 300}, {"id": "b"}, dict(good[1]),
               {**good[2], "id": "../../etc/x"}, {**good[0], "id": "c", "true_label": 12}]
    index["items"] = [good[0], *hostile[:2], good[1], *hostile[2:], good[2]]
    text = json.dumps(index)
    (folder / INDEX_NAME).write_text(text)
    again = Gallery(folder)
    assert again.items == filled.items
    assert again.warning.startswith("5 kept drawings could not be read and were left out (bad id")
    assert "index.json.corrupt" in again.warning and "\n" not in again.warning
    assert (folder / "index.json.corrupt").read_text() == text  # nothing is lost
    third = Gallery(folder)  # the new index lists what could be read
    assert third.items == filled.items and third.warning is None


@pytest.mark.parametrize("make", ["fifo", "dev-zero", "huge"])
def test_an_index_that_is_no_regular_file_or_too_large_is_set_aside_without_blocking(
        filled, folder, monkeypatch, make):
    from model import gallery as gallery_module

    index = folder / INDEX_NAME
    index.unlink()
    if make == "fifo":
        os.mkfifo(index)
    elif make == "dev-zero":
        index.symlink_to("/dev/zero")
    else:
        index.write_text(json.dumps({"version": 1, "items": []}) + " " * 2_000)
        monkeypatch.setattr(gallery_module, "MAX_INDEX_BYTES", 1_000)
    with no_longer_than(20):
        again = Gallery(folder)
    assert again.items == []
    reason = "larger than 1,000 bytes" if make == "huge" else "not a regular file"
    assert again.warning == f"Could not read the gallery ({reason}); moved aside to index.json.corrupt, " \
                            "starting empty"


def test_strokes_that_are_a_fifo_or_a_link_are_not_read_and_the_drawing_is_kept(filled, folder,
                                                                               tmp_path):
    with_strokes = filled.items[1]
    strokes = folder / f"{with_strokes.id}.json"
    strokes.unlink()
    os.mkfifo(strokes)
    with no_longer_than(20):
        again = Gallery(folder)
    assert [i.id for i in again.items] == [i.id for i in filled.items]
    assert again.items[1].drawing_json is None and again.warning is None
    secret = tmp_path / "secret.txt"
    secret.write_text('{"version": 1, "strokes": []}  the contents of a private file')
    strokes.unlink()
    strokes.symlink_to(secret)
    again = Gallery(folder)
    assert again.items[1].drawing_json is None
    out = tmp_path / "out"
    out.mkdir()
    exported = again.export(out)
    assert all("private" not in p.read_text(errors="replace") for p in exported.iterdir())


def test_a_picture_that_is_a_link_is_not_exported(filled, folder, tmp_path):
    picture = folder / f"{filled.items[1].id}.png"
    picture.unlink()
    picture.symlink_to("/etc/passwd")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(GalleryError, match=r"^the picture of kept drawing 2 \(.*\.png\) is not a "
                                           r"regular file; remove the drawing and export again$"):
        filled.export(out)
    assert list(out.iterdir()) == []


KILLED_EXPORT = """
import shutil, sys, time
from model.gallery import Gallery
copies = []
real = shutil.copyfile
def slow(src, dst, *args, **kwargs):
    real(src, dst, *args, **kwargs)
    copies.append(dst)
    if len(copies) == 2:
        print("midway", flush=True)
        time.sleep(60)
shutil.copyfile = slow
Gallery(sys.argv[1]).export(sys.argv[2])
"""


def test_an_export_killed_midway_leaves_nothing_after_the_next_export(filled, folder, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".my-notes.partial").mkdir()  # the user's own: left alone
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", KILLED_EXPORT, str(folder), str(out)], cwd=root,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "midway\n"
        partial = [p.name for p in out.iterdir() if p.name.endswith(".partial")]
        assert len(partial) == 2  # the user's, and the export's, two pictures in
    finally:
        proc.kill()  # SIGKILL: no clean-up runs
        proc.wait()
        proc.stdout.close()
    exported = filled.export(out)
    assert sorted(p.name for p in out.iterdir()) == sorted([".my-notes.partial", exported.name])
    assert len(rows(exported)) == 4
