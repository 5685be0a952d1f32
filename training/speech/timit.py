"""TIMIT as distributed (LDC93S1): ``TRAIN`` / ``TEST`` / ``DR1..DR8`` / speaker / ``<sentence>.WAV`` (NIST SPHERE)
with ``.PHN`` (``start end phone`` in samples), ``.WRD`` and ``.TXT`` beside each file.

The usual split (Halberstadt 1998; the lists of Kaldi's TIMIT recipe): the SA1/SA2 dialect sentences are left
out everywhere; **train** = every other sentence of ``TRAIN`` (462 speakers, 3696 sentences), **dev** = the 50
speakers of :data:`DEV_SPEAKERS` from ``TEST`` (400 sentences), **test** = the core test set, the 24 speakers of
:data:`CORE_TEST_SPEAKERS` (192 sentences). Training uses the 61 phones of the ``.PHN`` files
(:data:`PHONES_61`); scoring folds them to 39 (:data:`FOLD_39`, Lee & Hon 1989), ``q`` (glottal stop) frames
are not scored. Directory and file names are matched without regard to case (the CD has upper case, many
copies lower case). A synthetic corpus made by ``lsnn data synth-speech`` has the same layout and a
``SYNTHETIC.json`` at its root (:func:`is_synthetic`), and its results say so.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Halberstadt's development speakers (TEST part of TIMIT).
DEV_SPEAKERS = frozenset(
    "FAKS0 FDAC1 FJEM0 MGWT0 MJAR0 MMDB1 MMDM2 MPDF0 FCMH0 FKMS0 MBDG0 MBWM0 MCSH0 FADG0 FDMS0 FEDW0 MGJF0 MGLB0 MRTK0 MTAA0 "
    "MTDT0 MTHC0 MWJG0 FNMR0 FREW0 FSEM0 MBNS0 MMJR0 MDLS0 MDLF0 MDVC0 MERS0 FMAH0 FDRW0 MRCS0 MRJM4 FCAL1 MMWH0 FJSJ0 MAJC0 "
    "MJSW0 MREB0 FGJD0 FJMG0 MROA0 MTEB0 MJFC0 MRJR0 FMML0 MRWS1".split())
#: The core test set: two men and one woman of each dialect region.
CORE_TEST_SPEAKERS = frozenset(
    "MDAB0 MWBT0 FELC0 MTAS1 MWEW0 FPAS0 MJMP0 MLNT0 FPKT0 MLLL0 MTLS0 FJLM0 MBPM0 MKLT0 FNLP0 MCMJ0 MJDH0 FMGD0 MGRT0 MNJM0 "
    "FDHC0 MJLN0 MPAM0 FMLD0".split())
#: The 61 phone labels of TIMIT's .PHN files (the classes of training).
PHONES_61 = tuple(
    "aa ae ah ao aw ax ax-h axr ay b bcl ch d dcl dh dx eh el em en eng epi er ey f g gcl h# hh hv ih ix iy jh k kcl l m n ng "
    "nx ow oy p pau pcl q r s sh t tcl th uh uw ux v w y z zh".split())
#: The 39-phone folding for scoring (Lee & Hon 1989, as in Kaldi's phones.60-48-39.map); q is not scored.
FOLD_39 = {**{p: p for p in PHONES_61 if p != "q"},
           "ao": "aa", "ax": "ah", "ax-h": "ah", "axr": "er", "hv": "hh", "ix": "ih", "el": "l", "em": "m", "en": "n", "nx": "n",
           "eng": "ng", "zh": "sh", "ux": "uw", "bcl": "sil", "dcl": "sil", "gcl": "sil", "pcl": "sil", "tcl": "sil", "kcl": "sil",
           "h#": "sil", "pau": "sil", "epi": "sil"}
PHONES_39 = tuple(sorted(set(FOLD_39.values())))
SPLITS = ("train", "dev", "test")
SYNTHETIC_MARKER = "SYNTHETIC.json"


class CorpusError(ValueError):
    """A corpus folder that does not have the expected layout (the message names the folder and what is missing)."""


@dataclass(frozen=True)
class Utterance:
    """One TIMIT sentence: its audio (``.WAV``) and phone segmentation (``.PHN``)."""

    wav: Path
    phn: Path
    speaker: str  # e.g. "FCJF0"
    dialect: str  # "DR1" .. "DR8"
    sentence: str  # e.g. "SI1027"

    @property
    def key(self) -> str:
        return f"{self.dialect}/{self.speaker}/{self.sentence}"


def _child(folder: Path, name: str) -> Path | None:
    """The entry of ``folder`` named ``name`` in any case, or None."""
    if not folder.is_dir():
        return None
    for entry in folder.iterdir():
        if entry.name.upper() == name.upper():
            return entry
    return None


def is_synthetic(root: str | os.PathLike) -> bool:
    """Whether ``root`` is a corpus made by ``lsnn data synth-speech`` (it carries :data:`SYNTHETIC_MARKER`)."""
    return (Path(root) / SYNTHETIC_MARKER).is_file()


def corpus_label(root: str | os.PathLike, name: str) -> str:
    """``"TIMIT"`` or ``"synthetic TIMIT-layout corpus (espeak-ng/flite)"``: how results on ``root`` are labelled."""
    if not is_synthetic(root):
        return name
    info = json.loads((Path(root) / SYNTHETIC_MARKER).read_text())
    return f"SYNTHETIC {name}-layout corpus ({info.get('made_by', 'lsnn data synth-speech')})"


def require_folder(root: Path, corpus: str, variable: str) -> None:
    """:class:`CorpusError` naming the folder, the environment variable to set and the synthetic alternative, if ``root`` is absent."""
    if not root.is_dir():
        raise CorpusError(f"{corpus} folder {root} does not exist; set {variable} (or --set task_params.data_dir=...) to the corpus root, "
                          "or build the synthetic corpus: lsnn data synth-speech --out data/synthetic-speech.")


def check_layout(root: str | os.PathLike) -> None:
    """:class:`CorpusError` unless ``root`` holds TIMIT's ``TRAIN`` and ``TEST`` folders (cheap; nothing is read)."""
    root = Path(root)
    require_folder(root, "TIMIT", "LSNN_TIMIT_DIR")
    for part in ("TRAIN", "TEST"):
        if _child(root, part) is None:
            raise CorpusError(f"{root} has no {part} folder; it is not a TIMIT corpus root.")


def timit_utterances(root: str | os.PathLike, split: str) -> list[Utterance]:
    """The sentences of ``split`` (``train``, ``dev``, ``test``: module docstring), sorted by key; :class:`CorpusError`
    naming the folder when the layout is not TIMIT's."""
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not a TIMIT split; choose one of {', '.join(SPLITS)}.")
    root = Path(root)
    if not root.is_dir():
        check_layout(root)
    part = _child(root, "TRAIN" if split == "train" else "TEST")
    if part is None:
        raise CorpusError(f"{root} has no {'TRAIN' if split == 'train' else 'TEST'} folder; it is not a TIMIT corpus root.")
    chosen = None if split == "train" else (DEV_SPEAKERS if split == "dev" else CORE_TEST_SPEAKERS)
    found: list[Utterance] = []
    for region in sorted(part.iterdir()):
        if not (region.is_dir() and region.name.upper().startswith("DR")):
            continue
        for speaker in sorted(region.iterdir()):
            if not speaker.is_dir() or (chosen is not None and speaker.name.upper() not in chosen):
                continue
            for wav in sorted(speaker.iterdir()):
                stem, suffix = wav.stem.upper(), wav.suffix.upper()
                if suffix != ".WAV" or stem.startswith("SA") or wav.name.upper().endswith(".WAV.WAV"):
                    continue
                phn = next((p for p in speaker.iterdir() if p.stem.upper() == stem and p.suffix.upper() == ".PHN"), None)
                if phn is None:
                    raise CorpusError(f"{wav} has no .PHN file beside it; TIMIT needs its phone segmentation.")
                found.append(Utterance(wav, phn, speaker.name.upper(), region.name.upper(), stem))
    if not found:
        raise CorpusError(f"{part} holds no {split} sentences (DR*/speaker/*.WAV with .PHN)" +
                          ("" if chosen is None else f" of the {len(chosen)} {split} speakers") + ".")
    return sorted(found, key=lambda u: u.key)


def read_phones(path: str | os.PathLike) -> list[tuple[int, int, str]]:
    """The ``(start, end, phone)`` segments of a ``.PHN`` file (samples); :class:`CorpusError` for unknown phones or bad lines."""
    segments = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            start, end, phone = int(parts[0]), int(parts[1]), parts[2].lower()
        except (IndexError, ValueError):
            raise CorpusError(f"{path}:{number}: expected 'start end phone', got {line!r}.") from None
        if phone not in PHONES_61 or end < start:
            raise CorpusError(f"{path}:{number}: {'unknown phone ' + repr(phone) if phone not in PHONES_61 else 'end before start'}.")
        segments.append((start, end, phone))
    return segments


def frame_labels(segments: list[tuple[int, int, str]], n_frames: int, hop: int, window: int) -> np.ndarray:
    """The 61-phone class (index in :data:`PHONES_61`) at the centre of each of ``n_frames`` frames of ``window``
    samples every ``hop`` samples; frames whose centre lies in no segment take the nearest segment's phone."""
    centres = np.arange(n_frames) * hop + window // 2
    starts = np.array([s for s, _, _ in segments])
    ends = np.array([e for _, e, _ in segments])
    index = np.clip(np.searchsorted(ends, centres, side="right"), 0, len(segments) - 1)
    before = centres < starts[index]  # in a gap: the previous segment if it is nearer
    index = np.where(before & (index > 0) & (starts[index] - centres > centres - ends[np.maximum(index - 1, 0)]), index - 1, index)
    return np.array([PHONES_61.index(segments[k][2]) for k in index], dtype=np.int64)


def fold_39(labels_61: np.ndarray) -> np.ndarray:
    """61-phone class indices -> 39-phone class indices (:data:`PHONES_39`); -1 for ``q`` (not scored)."""
    table = np.array([PHONES_39.index(FOLD_39[p]) if p in FOLD_39 else -1 for p in PHONES_61], dtype=np.int64)
    return table[np.asarray(labels_61)]
