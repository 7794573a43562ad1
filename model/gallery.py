"""The gallery: drawings the user kept, each with the model's answer and the label the user gave.

On disk a gallery is one folder::

    index.json          {"version": 1, "items": [{"id", "dataset", "true_label", "predicted",
                          "confidence", "created", "strokes"}, ...]}, in the order kept
    <id>.png            the page as it was classified: (H, W) gray, dark ink on white
    <id>.json           the strokes (only when the caller gave them; opaque text to the gallery)

Every file is written atomically (``model.atomic``). A new drawing's pictures are written
before the index that names them, and a removed drawing leaves the index before its files go,
so a kill at any moment leaves at worst a stray file, never an index naming a missing one.
An index that cannot be read is moved aside (``index.json.corrupt``): the gallery then starts
empty with a one-line :attr:`Gallery.warning`; opening a gallery never raises.

:meth:`Gallery.export` writes a new folder of readable PNG names plus ``labels.csv``: labelled
real drawings, the raw material for teaching the models how people actually draw.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
import re
import shutil
import stat
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np

from model.atomic import atomic_path, atomic_write_bytes, build_folder
from model.datasets import DATASET_NAMES, class_names
from model.drawing import MAX_FILE_BYTES as MAX_STROKES_BYTES
from model.errors import one_line
from model.regular_file import read_regular_file

INDEX_NAME = "index.json"
CSV_NAME = "labels.csv"
CSV_HEADER = ("file", "dataset", "true_label", "true_class", "predicted", "predicted_class",
              "confidence", "strokes")
EXPORT_PREFIX = "sketchscope-gallery-"
FORMAT_VERSION = 1
NUM_CLASSES = 10
_ID_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*")  # ids become file names: nothing else
MAX_ID_CHARS = 64  # ids are "YYYYmmdd-HHMMSS-NNN"; 300 letters made a name too long to open
MAX_INDEX_BYTES = 50_000_000  # an index entry is ~150 bytes: room for 300,000 kept drawings


class GalleryError(ValueError):
    """A gallery operation cannot be done; the message is one line for the user."""


@dataclass(frozen=True)
class GalleryItem:
    """One kept drawing."""

    id: str  # unique and stable, safe as a file name
    dataset: str  # "mnist" | "fashion"
    true_label: int  # 0..9, given by the user
    predicted: int  # 0..9, the model's top class
    confidence: float  # the model's probability for ``predicted``, 0..1
    created: str  # ISO 8601 local time, to the second
    drawing_json: str | None = None  # the strokes as JSON text, or None

    @property
    def correct(self) -> bool:
        """The model's answer was the true label."""
        return self.predicted == self.true_label


class Gallery:
    """The kept drawings in ``folder``, loaded at construction and saved on every change."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.warning: str | None = None  # one line when the stored gallery could not be read
        self._items: list[GalleryItem] = []
        self._load()

    # ------------------------------------------------------------------ reading

    @property
    def items(self) -> list[GalleryItem]:
        """The kept drawings in the order they were kept (a copy)."""
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def item(self, item_id: str) -> GalleryItem:
        """The item with ``item_id``; GalleryError when there is none."""
        for item in self._items:
            if item.id == item_id:
                return item
        raise GalleryError(f"no kept drawing with id {item_id!r}")

    def image(self, item_id: str) -> np.ndarray:
        """The stored picture of ``item_id`` as (H, W) uint8, exactly as it was added."""
        from PIL import Image, UnidentifiedImageError

        path = self._png_path(self.item(item_id).id)
        try:
            with Image.open(path) as picture:
                gray = picture if picture.mode == "L" else picture.convert("L")
                return np.array(gray, dtype=np.uint8)
        except (OSError, UnidentifiedImageError) as exc:
            raise GalleryError(f"cannot read the picture {path.name}: {_reason(exc)}") from None

    # ------------------------------------------------------------------ changing

    def add(
        self,
        image: np.ndarray,
        dataset: str,
        true_label: int,
        predicted: int,
        confidence: float,
        drawing_json: str | None = None,
    ) -> GalleryItem:
        """Keep a drawing: ``image`` is the (H, W) uint8 page, dark ink on white."""
        from PIL import Image

        _check_image(image)
        item = GalleryItem(
            id=self._new_id(),
            dataset=_check_dataset(dataset),
            true_label=_check_label(true_label, "true label"),
            predicted=_check_label(predicted, "predicted class"),
            confidence=_check_confidence(confidence),
            created=datetime.now().astimezone().isoformat(timespec="seconds"),
            drawing_json=_check_drawing(drawing_json),
        )
        png, strokes = self._png_path(item.id), self._strokes_path(item.id)
        try:
            with atomic_path(png) as tmp:
                Image.fromarray(np.ascontiguousarray(image)).save(tmp, format="PNG")
            if item.drawing_json is not None:
                atomic_write_bytes(strokes, item.drawing_json.encode("utf-8"))
            self._write_index([*self._items, item])
        except OSError as exc:
            for path in (png, strokes):  # nothing names them: do not leave them behind
                path.unlink(missing_ok=True)
            raise GalleryError(f"could not keep the drawing: {_reason(exc)}") from None
        self._items.append(item)
        return item

    def set_label(self, item_id: str, true_label: int) -> GalleryItem:
        """Change the true label of ``item_id``; returns the updated item."""
        old = self.item(item_id)
        new = replace(old, true_label=_check_label(true_label, "true label"))
        items = [new if item is old else item for item in self._items]
        try:
            self._write_index(items)
        except OSError as exc:
            raise GalleryError(f"could not change the label: {_reason(exc)}") from None
        self._items = items
        return new

    def remove(self, item_id: str) -> None:
        """Forget ``item_id`` and delete its files."""
        old = self.item(item_id)
        items = [item for item in self._items if item is not old]
        try:
            self._write_index(items)
        except OSError as exc:
            raise GalleryError(f"could not remove the drawing: {_reason(exc)}") from None
        self._items = items
        for path in (self._png_path(old.id), self._strokes_path(old.id)):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass  # the index no longer names it: a stray file harms nothing

    # ------------------------------------------------------------------ export

    def export(self, parent_folder: str | os.PathLike, name: str | None = None) -> Path:
        """Write every item into a new folder inside ``parent_folder``; return that folder.

        The folder (``name``, by default ``sketchscope-gallery-YYYYmmdd-HHMMSS``, with ``-2``,
        ``-3``... added when taken) holds ``0001-<dataset>-<true class>.png`` per item, the
        strokes beside it as ``.json`` when kept, and ``labels.csv``. It is built under a
        temporary name and renamed into place at the end: it appears whole or not at all; one
        left behind by an export that was killed is removed by the next. Only regular files are
        exported: a picture that is a link (to /etc/passwd, say) is refused with its number.
        """
        if not self._items:
            raise GalleryError("the gallery is empty: keep a drawing first")
        parent = Path(parent_folder)
        if not parent.is_dir():
            raise GalleryError(f"cannot export into {parent}: it is not a folder")
        name = name or EXPORT_PREFIX + datetime.now().strftime("%Y%m%d-%H%M%S")
        if name in (".", "..") or Path(name).name != name or "/" in name or "\\" in name:
            raise GalleryError(f"not a folder name: {name!r}")
        try:
            return build_folder(parent, name, self._write_export)
        except OSError as exc:
            raise GalleryError(f"could not export the gallery: {_reason(exc)}") from None

    def _write_export(self, folder: Path) -> None:
        table = io.StringIO(newline="")
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for number, item in enumerate(self._items, start=1):
            names = class_names(item.dataset)
            stem = f"{number:04d}-{item.dataset}-{_slug(names[item.true_label])}"
            picture = self._png_path(item.id)
            if not stat.S_ISREG(os.lstat(picture).st_mode):  # a link could lead anywhere
                raise GalleryError(f"the picture of kept drawing {number} ({picture.name}) is not "
                                   f"a regular file; remove the drawing and export again")
            shutil.copyfile(picture, folder / f"{stem}.png")
            strokes = ""
            if item.drawing_json is not None:
                strokes = f"{stem}.json"
                (folder / strokes).write_text(item.drawing_json, encoding="utf-8")
            writer.writerow([f"{stem}.png", item.dataset, item.true_label, names[item.true_label],
                             item.predicted, names[item.predicted], f"{item.confidence:.4f}",
                             strokes])
        (folder / CSV_NAME).write_text(table.getvalue(), encoding="utf-8")

    # ------------------------------------------------------------------ storage

    def _png_path(self, item_id: str) -> Path:
        return self.folder / f"{item_id}.png"

    def _strokes_path(self, item_id: str) -> Path:
        return self.folder / f"{item_id}.json"

    def _new_id(self) -> str:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        taken = {item.id for item in self._items}
        counter = 1
        while True:
            candidate = f"{stamp}-{counter:03d}"
            if candidate not in taken and not self._png_path(candidate).exists():
                return candidate
            counter += 1

    def _write_index(self, items: list[GalleryItem]) -> None:
        entries = [
            {"id": i.id, "dataset": i.dataset, "true_label": i.true_label,
             "predicted": i.predicted, "confidence": i.confidence, "created": i.created,
             "strokes": i.drawing_json is not None}
            for i in items
        ]
        text = json.dumps({"version": FORMAT_VERSION, "items": entries}, indent=1)
        atomic_write_bytes(self.folder / INDEX_NAME, text.encode("utf-8"))

    def _load(self) -> None:
        index = self.folder / INDEX_NAME
        try:  # a regular file of bounded size: a FIFO or /dev/zero there would block the start
            text = read_regular_file(index, MAX_INDEX_BYTES).decode("utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            self._set_aside(index, _reason(exc))
            return
        try:
            entries, bad = _parse_index(text)
        except GalleryError as exc:
            self._set_aside(index, str(exc))
            return
        lost = 0
        for entry in entries:
            item = self._item_on_disk(entry)
            if item is None:
                lost += 1
            else:
                self._items.append(item)
        warnings = []
        if bad:  # the original is kept aside; the index lists what could be read
            warnings.append(self._left_out(index, bad))
        if lost:
            warnings.append("1 kept drawing had lost its picture and was left out" if lost == 1
                            else f"{lost} kept drawings had lost their pictures and were left out")
        self.warning = "; ".join(warnings) or None

    def _item_on_disk(self, entry: dict) -> GalleryItem | None:
        """The item ``entry`` describes, or None when its picture is gone or unreadable."""
        try:
            if not self._png_path(entry["id"]).is_file():
                return None
        except OSError:  # a folder it may not look into, say
            return None
        drawing = None
        if entry["strokes"]:
            try:  # not through a link: its text would go out with an export
                data = read_regular_file(self._strokes_path(entry["id"]), MAX_STROKES_BYTES,
                                         follow_symlinks=False)
                drawing = data.decode("utf-8")
            except (OSError, UnicodeDecodeError):
                drawing = None  # the picture and the labels are still worth keeping
        return GalleryItem(**{k: v for k, v in entry.items() if k != "strokes"}, drawing_json=drawing)

    def _left_out(self, index: Path, bad: list[str]) -> str:
        """Move the index with bad items aside, write one of the items kept (if any); the warning."""
        aside = index.with_name(index.name + ".corrupt")
        try:
            os.replace(index, aside)
            if self._items:
                self._write_index(self._items)
            where = f"the index was moved aside to {aside.name}"
        except OSError:
            where = "the index was left as it was"
        count = "1 kept drawing" if len(bad) == 1 else f"{len(bad)} kept drawings"
        return f"{count} could not be read and {'was' if len(bad) == 1 else 'were'} left out " \
               f"({bad[0]}); {where}"

    def _set_aside(self, index: Path, reason: str) -> None:
        aside = index.with_name(index.name + ".corrupt")
        try:
            os.replace(index, aside)
            where = f"moved aside to {aside.name}"
        except OSError:
            where = "left in place"
        self.warning = f"Could not read the gallery ({reason}); {where}, starting empty"


# ---------------------------------------------------------------------- helpers


def _parse_index(text: str) -> tuple[list[dict], list[str]]:
    """The entries of an index file, each checked, and why each bad one was left out;
    GalleryError when the file as a whole is not an index."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise GalleryError(f"not JSON: {one_line(exc)}") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise GalleryError("unknown index format")
    if not isinstance(data.get("items"), list):
        raise GalleryError("the index has no item list")
    entries, bad, seen = [], [], set()
    for raw in data["items"]:
        try:
            entry = _entry(raw)
            if entry["id"] in seen:
                raise GalleryError(f"id {entry['id']!r} appears twice")
        except GalleryError as exc:
            bad.append(str(exc))
            continue
        seen.add(entry["id"])
        entries.append(entry)
    return entries, bad


def _entry(raw) -> dict:
    """One item of the index, checked: its id names files, so it is short and plain."""
    try:
        entry = {
            "id": raw["id"],
            "dataset": _check_dataset(raw["dataset"]),
            "true_label": _check_label(raw["true_label"], "true label"),
            "predicted": _check_label(raw["predicted"], "predicted class"),
            "confidence": _check_confidence(raw["confidence"]),
            "created": raw["created"],
            "strokes": raw["strokes"],
        }
    except (KeyError, TypeError) as exc:
        raise GalleryError(f"an entry is incomplete ({type(exc).__name__}: {one_line(exc, 60)})") from None
    if (not isinstance(entry["id"], str) or len(entry["id"]) > MAX_ID_CHARS
            or not _ID_PATTERN.fullmatch(entry["id"])):
        raise GalleryError(f"bad id {str(entry['id'])[:40]!r}")
    if not isinstance(entry["created"], str) or not isinstance(entry["strokes"], bool):
        raise GalleryError(f"entry {entry['id']!r} is malformed")
    return entry


def _slug(text: str) -> str:
    """A class name as a file-name part: "T-shirt/top" -> "t-shirt-top", "Ankle boot" -> "ankle-boot"."""
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-") or "class"


def _reason(exc: OSError | Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return one_line(exc)


def _check_image(image) -> None:
    if not isinstance(image, np.ndarray) or image.ndim != 2 or image.dtype != np.uint8:
        got = (f"{image.dtype} array of shape {image.shape}" if isinstance(image, np.ndarray)
               else type(image).__name__)
        raise GalleryError(f"the drawing must be a 2-D uint8 gray image, got a {got}")
    if image.size == 0:
        raise GalleryError("the drawing is an empty image")


def _check_dataset(dataset) -> str:
    if dataset not in DATASET_NAMES:
        raise GalleryError(f"unknown dataset {dataset!r}; choose one of: {', '.join(DATASET_NAMES)}")
    return dataset


def _check_label(label, what: str) -> int:
    if isinstance(label, bool) or not isinstance(label, numbers.Integral):
        raise GalleryError(f"the {what} must be a whole number 0..9, got {label!r}")
    if not 0 <= int(label) < NUM_CLASSES:
        raise GalleryError(f"the {what} must be 0..9, got {int(label)}")
    return int(label)


def _check_confidence(confidence) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
        raise GalleryError(f"the confidence must be a number 0..1, got {confidence!r}")
    value = float(confidence)
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise GalleryError(f"the confidence must be 0..1, got {value}")
    return value


def _check_drawing(drawing_json) -> str | None:
    if drawing_json is not None and not isinstance(drawing_json, str):
        raise GalleryError(f"the strokes must be JSON text, got {type(drawing_json).__name__}")
    return drawing_json
