"""NIST SPHERE audio files (the format of TIMIT's ``.WAV`` files) and RIFF WAV, read and written.

A SPHERE file is an ASCII header -- ``NIST_1A``, the header size in bytes (1024 for TIMIT), then one
``name -type value`` line per field (``-i`` integer, ``-r`` real, ``-sN`` string of N characters) up to
``end_head`` -- padded to the header size, followed by the samples. TIMIT's files hold 16-bit PCM
(``sample_n_bytes 2``, ``sample_byte_format 01`` = little-endian, ``10`` = big-endian), one channel, 16 kHz.
Shorten-compressed SPHERE (``sample_coding pcm,embedded-shorten-...``, some LDC releases) cannot be read here:
the error says to convert the corpus with ``sph2pipe``. Copies of TIMIT whose ``.WAV`` files are RIFF (as some
redistributions ship them) are read by :func:`read_audio` too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

MAGIC = b"NIST_1A"


class AudioError(ValueError):
    """An audio file that cannot be read (the message names the file and what is wrong)."""


def read_sphere_header(path: str | os.PathLike) -> tuple[dict[str, object], int]:
    """The header fields of a SPHERE file and its size in bytes; :class:`AudioError` for anything else."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if not head.startswith(MAGIC):
        raise AudioError(f"{path} is not a NIST SPHERE file (no NIST_1A header).")
    try:
        size = int(head[8:16].strip())
    except ValueError:
        raise AudioError(f"{path}: the SPHERE header size is not a number.") from None
    if not 16 <= size <= 1 << 20:
        raise AudioError(f"{path}: SPHERE header size {size} is out of range.")
    with open(path, "rb") as fh:
        text = fh.read(size).decode("ascii", "replace")
    fields: dict[str, object] = {}
    for line in text.splitlines()[2:]:
        if line.strip() == "end_head":
            break
        parts = line.split(None, 2)
        if len(parts) < 3:
            continue
        name, kind, value = parts
        try:
            fields[name] = int(value) if kind == "-i" else float(value) if kind == "-r" else value
        except ValueError:
            raise AudioError(f"{path}: SPHERE field {name} has a bad value {value!r}.") from None
    else:
        raise AudioError(f"{path}: the SPHERE header has no end_head within {size} bytes.")
    return fields, size


def read_sphere(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Samples (float32 in [-1, 1), one channel) and sampling rate of a 16-bit PCM SPHERE file."""
    fields, size = read_sphere_header(path)
    coding = str(fields.get("sample_coding", "pcm"))
    if coding != "pcm":
        raise AudioError(f"{path}: SPHERE sample_coding {coding!r} is compressed; convert the corpus to plain PCM first "
                         "(e.g. sph2pipe -f wav, or sph2pipe -f sph).")
    if fields.get("sample_n_bytes", 2) != 2 or fields.get("channel_count", 1) != 1:
        raise AudioError(f"{path}: only 16-bit, one-channel SPHERE audio is read (sample_n_bytes "
                         f"{fields.get('sample_n_bytes')}, channel_count {fields.get('channel_count')}).")
    order = str(fields.get("sample_byte_format", "01"))
    if order not in ("01", "10"):
        raise AudioError(f"{path}: unknown sample_byte_format {order!r} (01 little-endian, 10 big-endian).")
    rate = int(fields.get("sample_rate", 16000))
    data = Path(path).read_bytes()[size:]
    count = int(fields.get("sample_count", len(data) // 2))
    if count * 2 > len(data):
        raise AudioError(f"{path} is truncated: the header announces {count} samples, the file holds {len(data) // 2}.")
    samples = np.frombuffer(data[: count * 2], dtype="<i2" if order == "01" else ">i2")
    return samples.astype(np.float32) / 32768.0, rate


def write_sphere(path: str | os.PathLike, samples: np.ndarray, rate: int, extra: dict[str, object] | None = None) -> None:
    """Write float samples in [-1, 1] as a 16-bit little-endian PCM SPHERE file with a 1024-byte header (TIMIT's)."""
    pcm = np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32767.0), -32768, 32767).astype("<i2")
    fields: dict[str, object] = {"sample_count": len(pcm), "sample_rate": int(rate), "channel_count": 1, "sample_n_bytes": 2,
                                 "sample_byte_format": "01", "sample_coding": "pcm", "sample_sig_bits": 16, **(extra or {})}
    lines = ["NIST_1A", "   1024"]
    for name, value in fields.items():
        if isinstance(value, int):
            lines.append(f"{name} -i {value}")
        elif isinstance(value, float):
            lines.append(f"{name} -r {value}")
        else:
            lines.append(f"{name} -s{len(str(value))} {value}")
    head = ("\n".join([*lines, "end_head"]) + "\n").encode("ascii")
    if len(head) > 1024:
        raise ValueError("SPHERE header fields exceed 1024 bytes.")
    Path(path).write_bytes(head.ljust(1024, b" ") + pcm.tobytes())


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Samples (float32, mono) and rate of a SPHERE or RIFF WAV file (soundfile reads the latter)."""
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(MAGIC):
        return read_sphere(path)
    if magic[:4] != b"RIFF":
        raise AudioError(f"{path} is neither NIST SPHERE nor RIFF WAV audio.")
    import soundfile

    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise AudioError(f"{path} is not readable WAV audio ({' '.join(str(exc).split())}).") from None
    return samples.mean(axis=1), int(rate)
