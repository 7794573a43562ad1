"""Atomic file writes: a temporary file in the same folder, fsync, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
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
