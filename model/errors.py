"""Errors the user reads: one line each, whatever the library underneath raised."""

from __future__ import annotations


class ModelError(Exception):
    """A model file is missing, corrupt, unsafe or not the network Sketchscope expects."""


def one_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of ``exc``'s message (its type's name when it has none), cut to ``limit``.

    Libraries raise multi-line messages (Keras appends whole tracebacks); a user gets one line.
    """
    text = str(exc).strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."
