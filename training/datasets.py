"""Datasets read from disk: MNIST from its four canonical IDX files.

The loader takes any folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (gzipped with ``.gz``, as distributed, or
not), checks each file's MD5 against the canonical originals -- or, for a subset in the same format
(the 512-digit slice in ``notebooks/data/mnist_slice``), against the folder's own ``MD5SUMS`` file --,
parses the IDX headers, and never downloads anything. A file that inflates beyond the size of the
canonical training images is refused before it fills the memory. The folder is the task parameter ``data_dir``, or ``$LSNN_MNIST_DIR``, or the team's
``../shared/data/mnist`` beside the repository (:func:`default_mnist_dir`).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

#: MD5 of the uncompressed canonical files (LeCun, Cortes, Burges; CC BY-SA 3.0).
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


#: Largest uncompressed IDX file read (the canonical training images are 47,040,016 bytes).
MAX_IDX_BYTES = 64 * 2**20


class DatasetError(ValueError):
    """A dataset folder is missing, incomplete or holds files that are not the expected ones."""


@dataclass(frozen=True)
class MNIST:
    """Images (n, 28, 28) uint8 and labels (n,) uint8 of the training and test sets."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def default_mnist_dir() -> Path:
    """``$LSNN_MNIST_DIR`` if set, else ``../shared/data/mnist`` beside the repository."""
    if os.environ.get("LSNN_MNIST_DIR"):
        return Path(os.environ["LSNN_MNIST_DIR"])
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def checksums(folder: Path) -> dict[str, str]:
    """MD5 of the uncompressed files expected in ``folder``: its ``MD5SUMS`` (lines ``<md5>  <name>``,
    as ``md5sum`` writes them) when it has one, else the canonical ones."""
    listing = folder / "MD5SUMS"
    if not listing.is_file():
        return MNIST_MD5
    sums = {}
    for line in listing.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") in MNIST_MD5:
            sums[parts[1].lstrip("*")] = parts[0].lower()
    missing = sorted(set(MNIST_MD5) - set(sums))
    if missing:
        raise DatasetError(f"{listing} lists no MD5 for {', '.join(missing)}; write it with md5sum on the uncompressed files.")
    return sums


def _inflate(raw: bytes, path: Path) -> bytes:
    """gunzip ``raw`` (one or more gzip members) without ever holding more than :data:`MAX_IDX_BYTES`."""
    out, data = [], raw
    total = 0
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        chunk = inflater.decompress(data, MAX_IDX_BYTES + 1 - total)
        total += len(chunk)
        out.append(chunk)
        if total > MAX_IDX_BYTES or inflater.unconsumed_tail:
            raise DatasetError(f"{path} inflates to more than {MAX_IDX_BYTES} bytes; it is not an MNIST file.")
        if not inflater.eof:
            raise DatasetError(f"{path} is a truncated gzip file; copy it again.")
        data = inflater.unused_data
    return b"".join(out)


def _read(folder: Path, name: str, check: bool, expected: dict[str, str]) -> bytes:
    candidates = [folder / f"{name}.gz", folder / name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise DatasetError(f"MNIST file {name}(.gz) not found in {folder}; the folder needs the four IDX files "
                           f"{', '.join(f'{n}.gz' for n in MNIST_MD5)} (set task_params.data_dir or $LSNN_MNIST_DIR).")
    try:
        if path.stat().st_size > MAX_IDX_BYTES:
            raise DatasetError(f"{path} is larger than {MAX_IDX_BYTES} bytes; it is not an MNIST file.")
        data = _inflate(path.read_bytes(), path) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, zlib.error) as exc:
        raise DatasetError(f"{path} is not a readable gzip file: {exc}") from None
    if check and hashlib.md5(data).hexdigest() != expected[name]:
        raise DatasetError(f"{path} is not the expected MNIST file (MD5 {hashlib.md5(data).hexdigest()} instead of {expected[name]}); "
                           "copy the files again.")
    return data


def _idx(data: bytes, name: str, ndim: int) -> np.ndarray:
    if len(data) < 4 + 4 * ndim or data[:2] != b"\x00\x00" or data[2] != 0x08 or data[3] != ndim:
        raise DatasetError(f"{name} is not an IDX file of unsigned bytes with {ndim} dimensions.")
    shape = tuple(int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DatasetError(f"{name}: the header declares {shape} but the file holds {body.size} bytes.")
    return body.reshape(shape)


@lru_cache(maxsize=4)
def load_mnist(folder: str | os.PathLike | None = None, check: bool = True) -> MNIST:
    """The MNIST training and test sets from ``folder`` (module docstring); cached per folder.

    ``check=False`` skips the MD5 check (made-up test fixtures in the same format)."""
    folder = Path(folder) if folder is not None else default_mnist_dir()
    if not folder.is_dir():
        raise DatasetError(f"no MNIST folder at {folder}; give the folder with the four IDX files (task_params.data_dir or $LSNN_MNIST_DIR).")
    expected = checksums(folder) if check else MNIST_MD5
    arrays = {name: _idx(_read(folder, name, check, expected), name, 3 if "images" in name else 1) for name in MNIST_MD5}
    mnist = MNIST(arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"], arrays["t10k-images-idx3-ubyte"],
                  arrays["t10k-labels-idx1-ubyte"])
    for split in ("train", "test"):
        images, labels = getattr(mnist, f"{split}_images"), getattr(mnist, f"{split}_labels")
        if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
            raise DatasetError(f"{folder}: {split} images {images.shape} do not match labels {labels.shape} or 28x28 pixels.")
        if labels.size and labels.max() > 9:
            raise DatasetError(f"{folder}: {split} labels must be digits 0-9.")
    return mnist


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write a uint8 array as a gzipped IDX file (for test fixtures and subsets in the canonical format)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path = Path(path)
    path.write_bytes(gzip.compress(header + array.tobytes(), mtime=0))
    return path
