"""Atomic writes: a file, or a whole folder, built under a temporary name in the same folder,
fsynced, then renamed into place."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from model.errors import OutputError, printable


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    If the body raises, the temporary file is removed and ``target`` is left as it was.
    The temporary name ends in the target's own suffix (Keras insists on ``.keras``).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix is None:
        suffix = ".tmp" + target.suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make every write private
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


PARTIAL_TAG = "sketchscope-"  # a folder being built: ".<name>.sketchscope-<pid>-<random>.partial"
_PARTIAL_NAME = re.compile(r"\..*\." + PARTIAL_TAG + r"(\d+)-[^./]*\.partial")
STALE_AFTER_S = 86_400  # a partial folder of a process that still runs (a reused pid) this old


def build_folder(parent: str | os.PathLike, name: str, write: Callable[[Path], None]) -> Path:
    """A new folder ``parent/name`` (or ``name-2``, ``name-3``...: nothing is replaced) holding
    what ``write`` put into the empty folder it is given; returns its path.

    It is built under a hidden temporary name and renamed into place once every file in it is
    fsynced: it appears whole or not at all. What ``write`` raises is raised, and nothing is
    left. Folders that builds killed midway left in ``parent`` are removed first.
    """
    parent = Path(parent)
    remove_stale_partials(parent)
    building = Path(tempfile.mkdtemp(prefix=f".{name}.{PARTIAL_TAG}{os.getpid()}-",
                                     suffix=".partial", dir=parent))
    try:
        write(building)
        for path in building.iterdir():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        return _move_into_place(building, parent, name)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def remove_stale_partials(parent: Path) -> None:
    """Remove the half-built folders in ``parent`` that :func:`build_folder` calls killed midway
    left: those whose process is gone, or that are a day old. Nothing else is touched."""
    try:
        candidates = [p for p in parent.iterdir() if p.name.endswith(".partial")]
    except OSError:
        return
    for path in candidates:
        found = _PARTIAL_NAME.fullmatch(path.name)
        if found is None or path.is_symlink() or not path.is_dir():
            continue
        try:
            stale = (not _running(int(found.group(1)))
                     or time.time() - path.stat().st_mtime > STALE_AFTER_S)
        except OSError:
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: it exists
    return True


def _move_into_place(building: Path, parent: Path, name: str) -> Path:
    """Rename ``building`` to ``parent/name`` (or ``name-2``, ``name-3``...), never replacing
    anything: each candidate is first claimed with an exclusive ``mkdir``."""
    for n in range(1, 10_000):
        target = parent / (name if n == 1 else f"{name}-{n}")
        try:
            target.mkdir()
        except FileExistsError:
            continue
        try:
            os.replace(building, target)  # replaces only the empty folder just made
        except OSError:
            target.rmdir()
            raise
        with contextlib.suppress(OSError):  # the rename itself made durable, where it can be
            fd = os.open(parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return target
    raise FileExistsError(f"too many folders named {name} in {parent}")


def check_writable(target: str | os.PathLike) -> Path:
    """``target`` if :func:`atomic_path` can write it, else OutputError (one line): checked before
    the work whose result it will hold, so that hours of training never end in a traceback.

    The folder is made if it is missing, and a file is created in it and removed again: the one
    test that holds for read-only mounts, permissions and a file where a folder should be.
    """
    target = Path(target)
    if target.is_dir():
        raise OutputError(f"{printable(str(target))}: is a folder, not a file name")
    above = next((p for p in target.absolute().parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise OutputError(f"{printable(str(target))}: cannot write there "
                          f"({printable(str(above))} is not a folder)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=target.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{printable(str(target))}: cannot write there "
                          f"({exc.strerror or type(exc).__name__})") from None
    return target
