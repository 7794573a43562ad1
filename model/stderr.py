"""Native libraries' chatter kept off the terminal while they start."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def muted_stderr():
    """File descriptor 2 goes to /dev/null inside the block: TensorFlow's and LiteRT's C++ write
    notices there (oneDNN, "Created TensorFlow Lite XNNPACK delegate") that Python's
    ``sys.stderr`` cannot catch, and a user's one-line error must not come after them."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
