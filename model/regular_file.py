"""Reading a small file whole, safely: only a regular file, and only up to a size.

The app reads its own files at every start (the autosave, the gallery's index and strokes), and
the user's drawings and model cards when asked. Any of them may be something else by mistake or
by malice: a FIFO blocks ``open`` and ``read`` for ever, ``/dev/zero`` never ends, a huge file
fills the memory. The file is opened without blocking, checked on the open descriptor (so a
name swapped in between cannot slip through) and read to at most ``max_bytes``.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class NotRegularFileError(OSError):
    """A FIFO, a device, a socket or a folder where a file was expected."""

    def __init__(self, path: str | os.PathLike):
        super().__init__(errno.EINVAL, "not a regular file", str(path))


class FileTooLargeError(OSError):
    """A file over the size its reader accepts."""

    def __init__(self, path: str | os.PathLike, max_bytes: int):
        super().__init__(errno.EFBIG, f"larger than {max_bytes:,} bytes", str(path))


def read_regular_file(path: str | os.PathLike, max_bytes: int, follow_symlinks: bool = True) -> bytes:
    """The contents of the regular file ``path``; a symbolic link is followed unless
    ``follow_symlinks`` is False (then it is not a regular file). Raises OSError:
    FileNotFoundError, PermissionError, NotRegularFileError, FileTooLargeError, ..."""
    path = Path(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: opening a FIFO with no writer returns at once
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise NotRegularFileError(path) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFileError(path)
        if info.st_size > max_bytes:
            raise FileTooLargeError(path, max_bytes)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew since fstat
        raise FileTooLargeError(path, max_bytes)
    return data
