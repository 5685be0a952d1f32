"""``lsnn data synth-speech --out DIR``: an offline speech corpus in both layouts, spoken by Debian's synthesizers.

Neither TIMIT nor Speech Commands can be downloaded everywhere; this corpus lets both speech tasks run anywhere.
Everything made here is marked synthetic (``SYNTHETIC.json`` at each corpus root) and every result on it says so.

- ``DIR/speech_commands``: the Speech Commands v0.02 layout (:mod:`.commands`). The ten command words and twenty
  other words of the corpus (for ``_unknown_``), each spoken once by every "speaker" of **espeak-ng**: an English
  voice (US, British, Scottish, Caribbean, RP, West Midlands, Lancaster) with one of its variants (male and
  female timbres), a speaking rate (130-190 words/min) and a pitch (25-75). Validation and test speakers use
  voices that no training speaker uses (held-out voices). Each word is placed at a random time in its 1 s clip
  and mixed with background noise at 10-30 dB SNR; ``_background_noise_`` holds white, pink and brown noise and
  a mains hum (60 s each).
- ``DIR/timit``: the TIMIT layout (:mod:`.timit`): sentences drawn from a small grammar, spoken by **flite**, which
  also gives the phone segmentation with times (its phone set is TIMIT's ARPAbet; pauses at the ends become
  ``h#``). Training speakers are flite's voices kal, kal16, awb and rms (all male) with varied duration stretch and
  pitch and a vocal-tract warp (every frequency of the waveform scaled by a factor in 0.9-1.3, the phone times by its
  inverse: the resampling form of vocal tract length perturbation, Jaitly & Hinton 2013), in ``TRAIN/DR1..``;
  development and core-test speakers (named after TIMIT's lists, so the usual split applies) all speak with the
  held-out voice slt (female), unwarped. Four voices alone are too few to generalise phones to a new voice; the warps
  give the training speakers formants across the range of the held-out one. Audio is 16 kHz 16-bit NIST SPHERE, as in TIMIT, with ``.PHN`` and
  ``.TXT`` files; noise at 20-35 dB SNR.

Building takes a few minutes on 2 cores (the synthesizers run once per clip). The seeds make it reproducible.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .commands import NOISE_FOLDER, RATE, WORDS
from .sphere import read_audio, write_sphere
from .timit import CORE_TEST_SPEAKERS, DEV_SPEAKERS, SYNTHETIC_MARKER

#: Other words of Speech Commands v0.02 (the _unknown_ class).
OTHER_WORDS = ("bed", "bird", "cat", "dog", "eight", "five", "four", "happy", "house", "marvin", "nine", "one", "seven", "sheila",
               "six", "three", "tree", "two", "wow", "zero")
ESPEAK_TRAIN_VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbcwmd")
ESPEAK_HELD_OUT_VOICES = ("en-029", "en-gb-x-gbclan")
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3")
FLITE_TRAIN_VOICES = ("kal", "kal16", "awb", "rms")
FLITE_HELD_OUT_VOICE = "slt"
#: Range of the vocal-tract warps of the TIMIT-layout training speakers (frequencies x warp; module docstring).
TIMIT_TRAIN_WARP = (0.9, 1.3)
#: A small grammar for the sentences: determiner adjective noun verb (preposition determiner noun).
_GRAMMAR = {
    "det": ("the", "a", "her", "his", "our", "that", "this", "every"),
    "adj": ("dark", "quiet", "bright", "old", "young", "small", "greasy", "warm", "cold", "heavy", "simple", "rapid"),
    "noun": ("suit", "water", "child", "farmer", "wagon", "lamp", "river", "carpet", "student", "garden", "doctor", "kitten", "window", "engine"),
    "verb": ("carried", "washed", "painted", "found", "pushed", "watched", "covered", "followed", "opened", "measured"),
    "prep": ("near", "under", "behind", "beside", "across", "through", "over"),
}


class SynthError(RuntimeError):
    """A synthesizer is missing or failed (the message says what to install)."""


def _require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise SynthError(f"{program} is not installed; install Debian's espeak-ng and flite (apt-get install espeak-ng flite, "
                         "or bash scripts/run.sh setup-speech).")
    return path


def _to_16k(samples: np.ndarray, rate: float) -> np.ndarray:
    if rate == RATE:
        return samples.astype(np.float32)
    import librosa

    return librosa.resample(samples.astype(np.float32), orig_sr=rate, target_sr=RATE).astype(np.float32)


def warp_vocal_tract(samples: np.ndarray, segments: list[tuple[float, str]], warp: float) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """Every frequency of ``samples`` (16 kHz) times ``warp`` -- formants and pitch alike, the waveform resampled as if
    recorded at ``warp`` x 16 kHz -- and the phone segments' end times divided by ``warp`` (the speech is that much
    shorter)."""
    if warp == 1.0:
        return samples, segments
    return _to_16k(samples, RATE * warp), [(end / warp, phone) for end, phone in segments]


def _mix(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    power = float(np.mean(signal**2)) or 1e-12
    scale = np.sqrt(power / (float(np.mean(noise**2)) or 1e-12) / 10 ** (snr_db / 10))
    mixed = signal + scale * noise
    peak = float(np.abs(mixed).max())
    return (mixed / peak * 0.9 if peak > 0.99 else mixed).astype(np.float32)


def noise_recordings(rng: np.random.Generator, seconds: float = 60.0) -> dict[str, np.ndarray]:
    """White, pink and brown noise and a 50 Hz hum with harmonics, ``seconds`` long at 16 kHz, peak 0.5."""
    n = int(seconds * RATE)
    white = rng.standard_normal(n)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    f[0] = f[1]
    pink = np.fft.irfft(spectrum / np.sqrt(f), n)
    brown = np.cumsum(white)
    brown -= np.convolve(brown, np.ones(801) / 801, mode="same")  # no drift
    t = np.arange(n) / RATE
    hum = sum(np.sin(2 * np.pi * 50 * k * t + rng.uniform(0, 2 * np.pi)) / k for k in (1, 2, 3, 5)) + 0.05 * white
    return {name: (0.5 * x / np.abs(x).max()).astype(np.float32) for name, x in
            (("white_noise", white), ("pink_noise", pink), ("brown_noise", brown), ("mains_hum", hum))}


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: its id (``<8 hex>`` for Speech Commands, a TIMIT id for TIMIT), voice and prosody."""

    name: str
    voice: str
    variant: str = ""
    rate: int = 160  # espeak-ng words per minute
    pitch: int = 50  # espeak-ng 0-99
    stretch: float = 1.0  # flite duration_stretch
    f0: float = 110.0  # flite int_f0_target_mean (Hz)
    warp: float = 1.0  # vocal-tract warp: frequencies x warp (:func:`warp_vocal_tract`)


def espeak_speakers(rng: np.random.Generator, n: int, voices: tuple[str, ...]) -> list[Speaker]:
    return [Speaker(f"{int(rng.integers(1 << 32)):08x}", voices[k % len(voices)], str(rng.choice(ESPEAK_VARIANTS)),
                    int(rng.integers(130, 191)), int(rng.integers(25, 76))) for k in range(n)]


def speak_espeak(word: str, speaker: Speaker, workdir: Path) -> np.ndarray:
    out = workdir / "espeak.wav"
    voice = f"{speaker.voice}+{speaker.variant}" if speaker.variant else speaker.voice
    done = subprocess.run([_require("espeak-ng"), "-v", voice, "-s", str(speaker.rate), "-p", str(speaker.pitch), "-w", str(out), word],
                          capture_output=True, text=True)
    if done.returncode or not out.is_file():
        raise SynthError(f"espeak-ng failed for {word!r} with voice {voice}: {' '.join(done.stderr.split())[:200]}")
    samples, rate = read_audio(out)
    return _to_16k(samples, rate)


def speak_flite(text: str, speaker: Speaker, workdir: Path) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """Samples at 16 kHz and the phone segments ``(end time s, phone)`` of ``text``."""
    out = workdir / "flite.wav"
    done = subprocess.run([_require("flite"), "-voice", speaker.voice, "--setf", f"duration_stretch={speaker.stretch:.3f}",
                           "--setf", f"int_f0_target_mean={speaker.f0:.1f}", "-psdur", "-t", text, "-o", str(out)],
                          capture_output=True, text=True)
    if done.returncode or not out.is_file():
        raise SynthError(f"flite failed for {text!r} with voice {speaker.voice}: {' '.join(done.stderr.split())[:200]}")
    segments = []
    for token in done.stdout.split():
        phone, _, end = token.rpartition(":")
        segments.append((float(end), phone))
    samples, rate = read_audio(out)
    return _to_16k(samples, rate), segments


def build_commands(out: Path, rng: np.random.Generator, n_train: int, n_held_out: int, noises: dict[str, np.ndarray],
                   progress: bool) -> dict[str, object]:
    """The Speech Commands layout in ``out`` (module docstring); returns clips per split and each speaker's split and voice."""
    from tqdm.auto import tqdm

    train = espeak_speakers(rng, n_train, ESPEAK_TRAIN_VOICES)
    held = espeak_speakers(rng, 2 * n_held_out, ESPEAK_HELD_OUT_VOICES)
    split_of = {s.name: "train" for s in train} | {s.name: "validation" for s in held[:n_held_out]} | {s.name: "test" for s in held[n_held_out:]}
    (out / NOISE_FOLDER).mkdir(parents=True, exist_ok=True)
    import soundfile

    for name, samples in noises.items():
        soundfile.write(str(out / NOISE_FOLDER / f"{name}.wav"), samples, RATE, subtype="PCM_16")
    noise_list = list(noises.values())
    lists: dict[str, list[str]] = {"validation": [], "test": []}
    counts = {"train": 0, "validation": 0, "test": 0}
    jobs = [(word, speaker) for word in (*WORDS, *OTHER_WORDS) for speaker in train + held]
    with tempfile.TemporaryDirectory() as tmp:
        for word, speaker in tqdm(jobs, desc="espeak-ng clips", disable=not progress):
            voice = speak_espeak(word, speaker, Path(tmp))[:RATE]
            clip = np.zeros(RATE, dtype=np.float32)
            start = int(rng.integers(0, RATE - len(voice) + 1))
            clip[start : start + len(voice)] = voice
            noise = noise_list[int(rng.integers(len(noise_list)))]
            offset = int(rng.integers(0, len(noise) - RATE))
            clip = _mix(clip, noise[offset : offset + RATE], float(rng.uniform(10, 30)))
            folder = out / word
            folder.mkdir(exist_ok=True)
            soundfile.write(str(folder / f"{speaker.name}_nohash_0.wav"), clip, RATE, subtype="PCM_16")
            where = split_of[speaker.name]
            counts[where] += 1
            if where != "train":
                lists[where].append(f"{word}/{speaker.name}_nohash_0.wav")
    (out / "validation_list.txt").write_text("".join(f"{p}\n" for p in sorted(lists["validation"])))
    (out / "testing_list.txt").write_text("".join(f"{p}\n" for p in sorted(lists["test"])))
    return {"counts": counts, "speakers": {s.name: {"split": split_of[s.name], "voice": s.voice, "variant": s.variant, "rate": s.rate,
                                                    "pitch": s.pitch} for s in train + held}}


def sentence(rng: np.random.Generator) -> str:
    g = {k: list(v) for k, v in _GRAMMAR.items()}
    pick = lambda k: str(rng.choice(g[k]))  # noqa: E731
    words = [pick("det"), pick("adj"), pick("noun"), pick("verb"), pick("det"), pick("noun")]
    if rng.random() < 0.5:
        words += [pick("prep"), pick("det"), pick("adj"), pick("noun")]
    return " ".join(words)


def build_timit(out: Path, rng: np.random.Generator, n_train: int, n_dev: int, n_test: int, sentences: int,
                noises: dict[str, np.ndarray], progress: bool) -> dict[str, object]:
    """The TIMIT layout in ``out`` (module docstring); returns sentences per split and each speaker's split and voice."""
    from tqdm.auto import tqdm

    def prosody(name: str, voice: str, warp: float = 1.0) -> Speaker:
        return Speaker(name, voice, stretch=float(rng.uniform(0.85, 1.25)), f0=float(rng.uniform(90, 180)), warp=warp)

    warps = np.linspace(*TIMIT_TRAIN_WARP, n_train) if n_train > 1 else np.ones(1)
    rng.shuffle(warps)  # evenly spread over the range, in no order of the voices
    train = [prosody(f"{'MF'[k % 2]}SYN{k}", FLITE_TRAIN_VOICES[k % len(FLITE_TRAIN_VOICES)], float(warps[k])) for k in range(n_train)]
    dev = [prosody(name, FLITE_HELD_OUT_VOICE) for name in sorted(DEV_SPEAKERS)[:n_dev]]
    test = [prosody(name, FLITE_HELD_OUT_VOICE) for name in sorted(CORE_TEST_SPEAKERS)[:n_test]]
    noise_list = list(noises.values())
    counts = {"train": 0, "dev": 0, "test": 0}
    jobs = [(s, "TRAIN", "train") for s in train] + [(s, "TEST", "dev") for s in dev] + [(s, "TEST", "test") for s in test]
    with tempfile.TemporaryDirectory() as tmp:
        for k, (speaker, part, split) in enumerate(tqdm(jobs, desc="flite speakers", disable=not progress)):
            folder = out / part / f"DR{k % 8 + 1}" / speaker.name
            folder.mkdir(parents=True, exist_ok=True)
            for j in range(sentences):
                text = sentence(rng)
                samples, segments = warp_vocal_tract(*speak_flite(text, speaker, Path(tmp)), speaker.warp)
                noise = noise_list[int(rng.integers(len(noise_list)))]
                if len(samples) > len(noise):
                    raise SynthError(f"a synthesized sentence of {len(samples) / RATE:.1f} s is longer than the noise recordings.")
                offset = int(rng.integers(0, len(noise) - len(samples) + 1))
                samples = _mix(samples, noise[offset : offset + len(samples)], float(rng.uniform(20, 35)))
                stem = f"SX{100 * k + j}"
                write_sphere(folder / f"{stem}.WAV", samples, RATE, {"database_id": "SYNTHETIC-TIMIT-LAYOUT", "speaker_id": speaker.name})
                lines, start = [], 0
                for n_seg, (end, phone) in enumerate(segments):
                    stop = min(int(round(end * RATE)), len(samples))
                    if stop <= start:
                        continue
                    label = ("h#" if n_seg in (0, len(segments) - 1) else "pau") if phone == "pau" else phone
                    lines.append(f"{start} {stop} {label}")
                    start = stop
                (folder / f"{stem}.PHN").write_text("\n".join(lines) + "\n")
                (folder / f"{stem}.TXT").write_text(f"0 {len(samples)} {text}.\n")
                counts[split] += 1
    return {"counts": counts, "speakers": {s.name: {"split": split, "voice": s.voice, "duration_stretch": round(s.stretch, 3),
                                                    "f0": round(s.f0, 1), "vocal_tract_warp": round(s.warp, 3)} for s, _, split in jobs}}


def synth_speech(out: str | os.PathLike, *, seed: int = 0, commands_speakers: int = 30, commands_held_out: int = 4,
                 timit_speakers: int = 24, timit_dev: int = 4, timit_test: int = 6, sentences: int = 8,
                 progress: bool = True) -> dict[str, object]:
    """Build ``out/speech_commands`` and ``out/timit`` (module docstring) and return what was made."""
    _require("espeak-ng")
    _require("flite")
    out = Path(out)
    rng = np.random.default_rng(seed)
    noises = noise_recordings(rng)
    made: dict[str, object] = {"seed": seed, "made_by": "lsnn data synth-speech (espeak-ng, flite)"}
    for name, build in (("speech_commands", lambda d: build_commands(d, rng, commands_speakers, commands_held_out, noises, progress)),
                        ("timit", lambda d: build_timit(d, rng, timit_speakers, timit_dev, timit_test, sentences, noises, progress))):
        folder = out / name
        if folder.exists():
            raise FileExistsError(f"{folder} exists; choose another --out or delete it (nothing was changed).")
        partial = out / f".{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        built = build(partial)
        info = {**{k: v for k, v in made.items() if k in ("seed", "made_by")}, "layout": name, **built}
        (partial / SYNTHETIC_MARKER).write_text(json.dumps(info, indent=1) + "\n")
        partial.rename(folder)  # complete or absent: an interrupted build leaves only the hidden partial folder
        made[name] = built["counts"]
    return made
