"""The speech tasks: TIMIT frame-wise phone classification (NeurIPS 2018 §4 and supplement) and Speech Commands
keyword spotting (eLife Appendix 1 §3, specs §5). Both feed MFCCs (:mod:`lsnn.training.speech.features`) as analog
input currents, standardised with the mean and s.d. of each channel over the training split (``normalisation``
"corpus"), or per utterance ("utterance": cepstral mean and variance normalisation; the quick TIMIT preset on the
synthetic corpus, whose test voice no training speaker has).

- :class:`TimitFrames` (``--task timit``): 39 channels (13 MFCC + deltas + delta-deltas) every 10 ms, each frame
  held for ``steps_per_frame`` = 10 steps of 1 ms; one readout window per frame (the readout averaged over its 10
  steps, softmax over the 61 phones, cross-entropy per frame). Sentences are cut or zero-padded to ``n_frames``;
  padded frames have no target. Metrics: ``accuracy`` (61 phones) and ``accuracy_39`` (folded to 39, ``q`` frames
  not scored; the paper's frame error rate is ``1 - accuracy_39``). Held-out set: the core test set, in order.
- :class:`SpeechCommands` (``--task gsc``): 40 MFCCs every 1 ms (30 ms window): 971 steps per 1 s clip, one step per
  frame; the 12 classes read from the readout averaged over the whole clip. Held-out set: the test list, in order.

``data_dir`` names the corpus root (real or made by ``lsnn data synth-speech``); results on a synthetic corpus are
labelled so (:attr:`Task.variant`). The features of a split are computed once and cached on disk.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from torch import Tensor

from ..speech import commands as gsc
from ..speech import timit
from ..speech.features import COMMANDS_MFCC, TIMIT_MFCC, cached_features
from ..speech.sphere import read_audio
from .base import Task, TaskBatch, window_means


@dataclass(frozen=True)
class SpeechSplit:
    """One split of a corpus as arrays: standardised features per example, labels, and their names."""

    features: tuple[np.ndarray, ...]  # per example (frames, channels)
    labels: tuple[np.ndarray, ...]  # TIMIT: per-frame 61-phone classes; GSC: one class per example (shape (1,))
    keys: tuple[str, ...]


def _standardise(features: list[np.ndarray], mean: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(((f - mean) / std).astype(np.float32) for f in features)


@functools.lru_cache(maxsize=8)
def _timit_raw(data_dir: str, split: str) -> tuple[list[np.ndarray], tuple[np.ndarray, ...], tuple[str, ...]]:
    utterances = timit.timit_utterances(data_dir, split)

    def load(k: int) -> np.ndarray:
        samples, rate = read_audio(utterances[k].wav)
        if rate != TIMIT_MFCC.rate:
            raise timit.CorpusError(f"{utterances[k].wav}: sampled at {rate} Hz; TIMIT is {TIMIT_MFCC.rate} Hz.")
        return samples

    feats = cached_features([(u.wav, 0.0) for u in utterances], load, TIMIT_MFCC, {"corpus": "timit"})
    labels = tuple(timit.frame_labels(timit.read_phones(u.phn), len(f), TIMIT_MFCC.hop_samples, TIMIT_MFCC.window_samples)
                   for u, f in zip(utterances, feats))
    return feats, labels, tuple(u.key for u in utterances)


@functools.lru_cache(maxsize=8)
def _commands_raw(data_dir: str, split: str) -> tuple[list[np.ndarray], tuple[np.ndarray, ...], tuple[str, ...]]:
    clips = gsc.command_clips(data_dir, split)
    feats = cached_features([(c.path, c.offset) for c in clips], lambda k: gsc.load_clip(clips[k]), COMMANDS_MFCC,
                            {"corpus": "speech_commands"})
    return feats, tuple(np.array([c.label]) for c in clips), tuple(c.key for c in clips)


#: How channels are standardised: with the training split's mean and s.d. (``corpus``), or each example with its own
#: (``utterance``: cepstral mean and variance normalisation, which removes much of a speaker's and a channel's imprint).
NORMALISATIONS = ("corpus", "utterance")


def _standardised(raw, data_dir: str, split: str, normalisation: str = "corpus") -> SpeechSplit:
    feats, labels, keys = raw(data_dir, split)
    if normalisation == "utterance":
        return SpeechSplit(tuple(((f - f.mean(axis=0)) / (f.std(axis=0) + 1e-6)).astype(np.float32) for f in feats), labels, keys)
    flat = np.concatenate(raw(data_dir, "train")[0])
    return SpeechSplit(_standardise(list(feats), flat.mean(axis=0), flat.std(axis=0) + 1e-6), labels, keys)


@functools.lru_cache(maxsize=8)
def load_timit(data_dir: str, split: str, normalisation: str = "corpus") -> SpeechSplit:
    """The standardised MFCCs (:data:`NORMALISATIONS`) and 61-phone frame labels of ``split`` of the corpus at ``data_dir``."""
    return _standardised(_timit_raw, data_dir, split, normalisation)


@functools.lru_cache(maxsize=8)
def load_commands(data_dir: str, split: str, normalisation: str = "corpus") -> SpeechSplit:
    """The standardised MFCCs (:data:`NORMALISATIONS`) and classes of ``split`` of the Speech Commands corpus at ``data_dir``."""
    return _standardised(_commands_raw, data_dir, split, normalisation)


#: Environment variables naming the corpora when ``data_dir`` is not given, and the synthetic corpus used otherwise.
DATA_ENV = {"timit": "LSNN_TIMIT_DIR", "gsc": "LSNN_SPEECH_COMMANDS_DIR"}
SYNTHETIC_DEFAULT = {"timit": "data/synthetic-speech/timit", "gsc": "data/synthetic-speech/speech_commands"}


def _default_dir(kind: str) -> str:
    return os.environ.get(DATA_ENV[kind]) or SYNTHETIC_DEFAULT[kind]


class _SpeechTask(Task):
    """What both speech tasks share: the corpus folder (``data_dir``, else the environment variable, else the synthetic
    corpus), its label, the layout check, and the held-out set in order."""

    kind = ""  # "timit" or "gsc"
    corpus_name = ""

    @property
    def root(self) -> str:
        return self.data_dir or _default_dir(self.kind)  # type: ignore[attr-defined]

    @property
    def variant(self) -> str:
        return timit.corpus_label(self.root, self.corpus_name) if timit.is_synthetic(self.root) else ""

    def check_data(self) -> None:
        """The corpus folder has the layout's parts (nothing is read)."""
        (timit.check_layout if self.kind == "timit" else gsc.check_layout)(self.root)

    def split(self, name: str) -> SpeechSplit:
        return (load_timit if self.kind == "timit" else load_commands)(self.root, name, self.normalisation)  # type: ignore[attr-defined]

    def _check_normalisation(self) -> None:
        if self.normalisation not in NORMALISATIONS:  # type: ignore[attr-defined]
            raise ValueError(f"normalisation must be one of {', '.join(NORMALISATIONS)}; got {self.normalisation!r}.")  # type: ignore[attr-defined]

    def sample(self, rng: np.random.Generator, batch: int) -> TaskBatch:
        """``batch`` training examples drawn uniformly."""
        split = self.split("train")
        return self._batch(split, rng.integers(0, len(split.features), batch))

    def held_out_batches(self, n_test: int, batch_size: int, seed: int) -> Iterator[TaskBatch]:
        """The test examples (TIMIT: the core test set) in order, cycling past the end, in batches."""
        split = self.split("test")
        start = 0
        while True:
            size = min(batch_size, n_test - start) if start < n_test else batch_size
            yield self._batch(split, np.arange(start, start + size) % len(split.features))
            start += size

    def _batch(self, split: SpeechSplit, index: np.ndarray) -> TaskBatch:
        raise NotImplementedError


@dataclass(frozen=True)
class TimitFrames(_SpeechTask):
    """TIMIT frame-wise phone classification (module docstring)."""

    data_dir: str = ""  # "": $LSNN_TIMIT_DIR, else data/synthetic-speech/timit (lsnn data synth-speech --out data/synthetic-speech)
    n_frames: int = 780  # frames per sequence (longer sentences are cut; TIMIT's longest is ~7.8 s)
    steps_per_frame: int = 10
    normalisation: str = "corpus"  # NORMALISATIONS
    name: str = field(default="timit", init=False)
    input_kind: str = field(default="analog", init=False)
    kind = "timit"
    corpus_name = "TIMIT"

    def __post_init__(self) -> None:
        self._check_normalisation()
        if self.n_frames < 1 or self.steps_per_frame < 1:
            raise ValueError(f"n_frames and steps_per_frame must be at least 1; got {self.n_frames}, {self.steps_per_frame}.")

    @property
    def n_in(self) -> int:
        return TIMIT_MFCC.n_channels

    @property
    def n_out(self) -> int:
        return len(timit.PHONES_61)

    @property
    def n_steps(self) -> int:
        return self.n_frames * self.steps_per_frame

    def _batch(self, split: SpeechSplit, index: np.ndarray) -> TaskBatch:
        F, L = self.n_frames, self.steps_per_frame
        x = np.zeros((len(index), F * L, self.n_in), dtype=np.float32)
        labels = np.full((len(index), F), -1, dtype=np.int64)
        for b, k in enumerate(index):
            f = split.features[k][:F]
            x[b, : len(f) * L] = np.repeat(f, L, axis=0)
            labels[b, : len(f)] = split.labels[k][:F]
        windows = np.stack([np.arange(F) * L, (np.arange(F) + 1) * L], axis=1)
        return TaskBatch(x, labels, windows, {"utterance": index.astype(np.int64)}, tuple(["frame"] * F))

    def metrics(self, outputs: Tensor, batch: TaskBatch) -> dict[str, float]:
        """``accuracy`` over the frames with a phone (61 classes) and ``accuracy_39`` after folding (q frames not scored)."""
        predicted = window_means(outputs.detach(), batch.windows).argmax(-1).cpu().numpy()
        has = batch.labels >= 0
        truth39, pred39 = timit.fold_39(np.where(has, batch.labels, 0)), timit.fold_39(predicted)
        scored = has & (truth39 >= 0)
        return {"accuracy": float((predicted == batch.labels)[has].mean()),
                "accuracy_39": float((pred39 == truth39)[scored].mean()) if scored.any() else float("nan")}


@dataclass(frozen=True)
class SpeechCommands(_SpeechTask):
    """Speech Commands keyword spotting, 12 classes (module docstring)."""

    data_dir: str = ""  # "": $LSNN_SPEECH_COMMANDS_DIR, else data/synthetic-speech/speech_commands
    normalisation: str = "corpus"  # NORMALISATIONS
    name: str = field(default="gsc", init=False)
    input_kind: str = field(default="analog", init=False)
    kind = "gsc"
    corpus_name = "Speech Commands"

    def __post_init__(self) -> None:
        self._check_normalisation()

    @property
    def n_in(self) -> int:
        return COMMANDS_MFCC.n_channels

    @property
    def n_out(self) -> int:
        return len(gsc.CLASSES)

    @property
    def n_steps(self) -> int:
        return COMMANDS_MFCC.n_frames(gsc.RATE)

    def _batch(self, split: SpeechSplit, index: np.ndarray) -> TaskBatch:
        x = np.stack([split.features[k] for k in index]).astype(np.float32)
        labels = np.array([split.labels[k][0] for k in index], dtype=np.int64)[:, None]
        return TaskBatch(x, labels, np.array([[0, self.n_steps]]), {"label": labels[:, 0], "clip": index.astype(np.int64)}, ("answer",))

