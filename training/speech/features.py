"""Speech features with librosa, cached on disk keyed by their parameters and the audio files.

**Library.** librosa (0.11, ISC licence): maintained, used across speech and music research, pure Python on
NumPy/SciPy (no compiled toolkit to build), with the mel filter bank, DCT and delta regression of the usual
MFCC recipe in one call each. torchaudio would tie the features to the PyTorch build (no wheel of it matches
the pinned torch), python_speech_features is unmaintained since 2017.

- TIMIT (NeurIPS 2018 §4, supplement): 13 MFCCs + deltas + delta-deltas = 39 channels, 25 ms Hamming-free
  (Hann) window every 10 ms, 40 mel bands, 512-point FFT; frames of the whole window only (no padding), so
  frame k covers samples [160 k, 160 k + 400).
- Speech Commands (eLife specs §5): 40 MFCCs, 30 ms window, 1 ms stride: 971 frames per 1 s clip.

Features of a whole split are computed once and stored in ``$LSNN_CACHE_DIR/speech-features/<key>.npz``
(default ``~/.cache/lsnn``), the key a hash of the parameters and of every file's path, size and modification
time (a changed corpus or parameter computes anew). Writes are atomic.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lsnn.common.files import atomic_path


@dataclass(frozen=True)
class MFCCParams:
    """MFCC parameters (samples at ``rate``); ``deltas`` 2 appends first and second time derivatives."""

    rate: int = 16000
    n_mfcc: int = 13
    window: float = 0.025  # s
    stride: float = 0.010  # s
    n_mels: int = 40
    n_fft: int = 512
    deltas: int = 2

    @property
    def window_samples(self) -> int:
        return int(round(self.window * self.rate))

    @property
    def hop_samples(self) -> int:
        return int(round(self.stride * self.rate))

    @property
    def n_channels(self) -> int:
        return self.n_mfcc * (1 + self.deltas)

    def n_frames(self, n_samples: int) -> int:
        """Frames of a signal of ``n_samples`` (whole windows only)."""
        return max(0, 1 + (n_samples - self.window_samples) // self.hop_samples)


TIMIT_MFCC = MFCCParams()
COMMANDS_MFCC = MFCCParams(n_mfcc=40, window=0.030, stride=0.001, n_mels=40, n_fft=512, deltas=0)


def mfcc(samples: np.ndarray, params: MFCCParams) -> np.ndarray:
    """(frames, channels) float32 MFCCs (+ deltas) of one signal; frame k starts at sample ``k * hop``."""
    import librosa

    samples = np.asarray(samples, dtype=np.float32)
    n_frames = params.n_frames(len(samples))
    if n_frames < 1:
        raise ValueError(f"a signal of {len(samples)} samples is shorter than one {params.window * 1e3:g} ms window.")
    n_fft = max(params.n_fft, params.window_samples)
    spectrum = np.abs(librosa.stft(samples, n_fft=n_fft, hop_length=params.hop_samples, win_length=params.window_samples,
                                   center=False)) ** 2
    mel = librosa.feature.melspectrogram(S=spectrum[:, :n_frames] if spectrum.shape[1] >= n_frames else spectrum, sr=params.rate,
                                         n_mels=params.n_mels)
    coefficients = librosa.feature.mfcc(S=librosa.power_to_db(mel, ref=1.0, amin=1e-10), n_mfcc=params.n_mfcc)
    parts = [coefficients]
    if params.deltas:
        width = min(9, coefficients.shape[1] if coefficients.shape[1] % 2 else coefficients.shape[1] - 1)
        for order in range(1, params.deltas + 1):
            parts.append(librosa.feature.delta(coefficients, order=order, width=max(width, 3), mode="nearest")
                         if coefficients.shape[1] >= 3 else np.zeros_like(coefficients))
    out = np.concatenate(parts, axis=0).T.astype(np.float32)
    if len(out) < n_frames:  # the STFT without padding can come one frame short for n_fft > window
        out = np.concatenate([out, np.repeat(out[-1:], n_frames - len(out), axis=0)])
    return out[:n_frames]


def cache_folder() -> Path:
    return Path(os.environ.get("LSNN_CACHE_DIR", Path.home() / ".cache" / "lsnn")) / "speech-features"


def cache_key(params: MFCCParams, items: Sequence[tuple[Path, float]], extra: dict | None = None) -> str:
    """Hash of the parameters and of every item's file (path, size, modification time) and offset."""
    h = hashlib.sha256(json.dumps({"params": asdict(params), "extra": extra or {}}, sort_keys=True).encode())
    for path, offset in items:
        st = Path(path).stat()
        h.update(f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime_ns}|{offset:.6f}\n".encode())
    return h.hexdigest()[:32]


def cached_features(items: Sequence[tuple[Path, float]], load: Callable[[int], np.ndarray], params: MFCCParams,
                    extra: dict | None = None, progress: bool = False) -> list[np.ndarray]:
    """The MFCCs of every item (``load(k)`` gives item k's samples), from the cache or computed and stored."""
    from tqdm.auto import tqdm

    path = cache_folder() / f"{cache_key(params, items, extra)}.npz"
    if path.is_file():
        try:
            with np.load(path) as data:
                flat, offsets = data["features"], data["offsets"]
            if len(offsets) == len(items) + 1:
                return [flat[offsets[k] : offsets[k + 1]] for k in range(len(items))]
        except (OSError, ValueError, KeyError):
            pass  # unreadable: computed again below
    features = [mfcc(load(k), params) for k in tqdm(range(len(items)), desc="MFCC", disable=not progress, leave=False)]
    offsets = np.concatenate([[0], np.cumsum([len(f) for f in features])]).astype(np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, features=np.concatenate(features) if features else np.zeros((0, params.n_channels), np.float32), offsets=offsets)
    return features
