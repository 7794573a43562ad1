"""Errors the user reads: one line each, whatever the library underneath raised."""

from __future__ import annotations


class ModelError(Exception):
    """A model file is missing, corrupt, unsafe or not the network Sketchscope expects."""


class OutputError(Exception):
    """A file cannot be written where the user asked (a folder, a read-only place)."""


def one_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of ``exc``'s message (its type's name when it has none), cut to ``limit``.

    Libraries raise multi-line messages (Keras appends whole tracebacks); a user gets one line.
    """
    text = str(exc).strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


def printable(text: str) -> str:
    """``text`` with every character that is not printable escaped as Python writes it (a newline
    as ``\\n``, an escape as ``\\x1b``), so that a file name can never start a second line or
    drive the terminal; ordinary names, accented ones included, are left as they are."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
