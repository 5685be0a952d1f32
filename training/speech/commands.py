"""Google Speech Commands v0.02 as distributed: one folder per word of 1 s, 16 kHz WAV clips named
``<speaker>_nohash_<n>.wav``, ``validation_list.txt`` and ``testing_list.txt`` (paths ``word/file.wav``; every other
clip trains), and ``_background_noise_/*.wav``.

The 12-class task of the eLife paper (Appendix 1 §3; the TensorFlow tutorial's convention): the ten words
:data:`WORDS`, ``_unknown_`` (every other word, sampled to ``unknown_fraction`` of the split's known-word clips) and
``_silence_`` (1 s cut at random from the background-noise recordings, ``silence_fraction`` of the known-word
clips), drawn reproducibly per split. The lists keep speakers apart (the corpus hashes speaker names); the
reader checks that no speaker appears in two splits. A corpus made by ``lsnn data synth-speech`` carries
``SYNTHETIC.json`` (:func:`lsnn.training.speech.timit.is_synthetic`).
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .sphere import read_audio
from .timit import CorpusError, require_folder

WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SILENCE, UNKNOWN = "_silence_", "_unknown_"
CLASSES = (SILENCE, UNKNOWN, *WORDS)
SPLITS = ("train", "validation", "test")
NOISE_FOLDER = "_background_noise_"
RATE = 16000


@dataclass(frozen=True)
class Clip:
    """One example: a clip of a word folder, or (``_silence_``) 1 s of a noise recording from ``offset`` s."""

    path: Path
    label: int  # index in CLASSES
    speaker: str
    offset: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}@{self.offset:.3f}"


def _listed(root: Path, name: str) -> set[str]:
    path = root / name
    if not path.is_file():
        raise CorpusError(f"{root} has no {name}; it is not a Speech Commands v0.02 folder (word folders with validation_list.txt "
                          "and testing_list.txt).")
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


def speaker_of(filename: str) -> str:
    """The speaker id of a clip ``<speaker>_nohash_<n>.wav``."""
    return filename.split("_nohash_")[0]


def check_layout(root: str | os.PathLike) -> None:
    """:class:`CorpusError` unless ``root`` holds Speech Commands' two lists (cheap; nothing is read)."""
    root = Path(root)
    require_folder(root, "Speech Commands", "LSNN_SPEECH_COMMANDS_DIR")
    for name in ("validation_list.txt", "testing_list.txt"):
        _listed(root, name)


def command_clips(root: str | os.PathLike, split: str, *, unknown_fraction: float = 0.1, silence_fraction: float = 0.1,
                  seed: int = 0) -> list[Clip]:
    """The clips of ``split`` (``train``, ``validation``, ``test``) for the 12 classes (module docstring), sorted by class
    then key; :class:`CorpusError` naming the folder when the layout is not Speech Commands'."""
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not a Speech Commands split; choose one of {', '.join(SPLITS)}.")
    root = Path(root)
    check_layout(root)
    validation, testing = _listed(root, "validation_list.txt"), _listed(root, "testing_list.txt")
    words = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))
    if not words:
        raise CorpusError(f"{root} has no word folders.")
    speakers: dict[str, set[str]] = {s: set() for s in SPLITS}
    known, unknown = [], []
    for folder in words:
        for wav in sorted(folder.glob("*.wav")):
            relative = f"{folder.name}/{wav.name}"
            where = "validation" if relative in validation else "test" if relative in testing else "train"
            speakers[where].add(speaker_of(wav.name))
            if where != split:
                continue
            if folder.name in WORDS:
                known.append(Clip(wav, CLASSES.index(folder.name), speaker_of(wav.name)))
            else:
                unknown.append(Clip(wav, CLASSES.index(UNKNOWN), speaker_of(wav.name)))
    shared = (speakers["train"] & speakers["validation"]) | (speakers["train"] & speakers["test"]) | (speakers["validation"] & speakers["test"])
    if shared:
        raise CorpusError(f"{root}: speakers {sorted(shared)[:5]} appear in two splits; the lists must keep speakers apart.")
    if not known:
        raise CorpusError(f"{root} has no {split} clips of the words {', '.join(WORDS)}.")
    rng = np.random.default_rng([seed, zlib.crc32(split.encode())])
    n_unknown = min(len(unknown), int(round(unknown_fraction * len(known))))
    picked = [unknown[k] for k in np.sort(rng.choice(len(unknown), n_unknown, replace=False))] if n_unknown else []
    silence = _silence_clips(root, int(round(silence_fraction * len(known))), rng)
    return sorted(known + picked + silence, key=lambda c: (c.label, c.key))


def _silence_clips(root: Path, n: int, rng: np.random.Generator) -> list[Clip]:
    folder = root / NOISE_FOLDER
    noises = sorted(folder.glob("*.wav")) if folder.is_dir() else []
    if n and not noises:
        raise CorpusError(f"{root} has no {NOISE_FOLDER}/*.wav to cut the _silence_ examples from.")
    durations = [len(read_audio(p)[0]) / RATE for p in noises]
    if n and max(durations) < 1.0:
        raise CorpusError(f"{folder}: every background-noise recording is shorter than 1 s.")
    clips = []
    usable = [k for k, d in enumerate(durations) if d >= 1.0]
    for _ in range(n):
        k = usable[int(rng.integers(len(usable)))]
        clips.append(Clip(noises[k], CLASSES.index(SILENCE), SILENCE, float(rng.uniform(0.0, durations[k] - 1.0))))
    return clips


def load_clip(clip: Clip, duration: float = 1.0) -> np.ndarray:
    """The clip's samples at 16 kHz, zero-padded or cut to ``duration`` s (:class:`CorpusError` for another rate)."""
    samples, rate = read_audio(clip.path)
    if rate != RATE:
        raise CorpusError(f"{clip.path}: sampled at {rate} Hz; Speech Commands clips are {RATE} Hz.")
    start = int(round(clip.offset * rate))
    n = int(round(duration * rate))
    out = np.zeros(n, dtype=np.float32)
    piece = samples[start : start + n]
    out[: len(piece)] = piece
    return out
