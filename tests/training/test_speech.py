"""Speech corpora from their own layouts (tiny corpora built here in TIMIT's and Speech Commands' exact layouts,
with real SPHERE headers), features, the offline synthetic corpus, and both speech tasks trained and validated
in Brian2 spike for spike."""

import json
import shutil

import numpy as np
import pytest
import soundfile

from lsnn.training.speech import commands as gsc
from lsnn.training.speech import timit
from lsnn.training.speech.features import COMMANDS_MFCC, TIMIT_MFCC, cached_features, mfcc
from lsnn.training.speech.sphere import AudioError, read_audio, read_sphere, read_sphere_header, write_sphere

#: The header of TIMIT's TRAIN/DR1/FCJF0/SA1.WAV as distributed (LDC93S1), field for field.
TIMIT_HEADER = ("NIST_1A\n   1024\ndatabase_id -s5 TIMIT\ndatabase_version -s3 1.0\nutterance_id -s8 cjf0_sa1\nchannel_count -i 1\n"
                "sample_count -i {n}\nsample_rate -i 16000\nsample_min -i -2191\nsample_max -i 2790\nsample_n_bytes -i 2\n"
                "sample_byte_format -s2 {order}\nsample_sig_bits -i 16\nend_head\n")


def _sphere(path, samples_int16, order="01"):
    head = TIMIT_HEADER.format(n=len(samples_int16), order=order).encode().ljust(1024, b" ")
    path.write_bytes(head + np.asarray(samples_int16).astype("<i2" if order == "01" else ">i2").tobytes())


def test_sphere_files_as_timit_ships_them(tmp_path):
    pcm = (np.sin(np.arange(4000) / 7.0) * 12000).astype(np.int16)
    for order in ("01", "10"):
        _sphere(tmp_path / f"x{order}.wav", pcm, order)
        samples, rate = read_sphere(tmp_path / f"x{order}.wav")
        assert rate == 16000 and np.array_equal(np.round(samples * 32768).astype(np.int16), pcm)
    fields, size = read_sphere_header(tmp_path / "x01.wav")
    assert size == 1024 and fields["database_id"] == "TIMIT" and fields["sample_count"] == 4000
    write_sphere(tmp_path / "w.wav", pcm / 32767.0, 16000)
    assert np.array_equal(np.round(read_audio(tmp_path / "w.wav")[0] * 32768).astype(np.int16), pcm)
    shorten = tmp_path / "shorten.wav"
    shorten.write_bytes(TIMIT_HEADER.format(n=10, order="01").replace("end_head", "sample_coding -s26 pcm,embedded-shorten-v2.00\nend_head")
                        .encode().ljust(1024, b" ") + b"\0" * 8)
    with pytest.raises(AudioError, match="sph2pipe"):
        read_sphere(shorten)
    (tmp_path / "short.wav").write_bytes((tmp_path / "x01.wav").read_bytes()[:3000])
    with pytest.raises(AudioError, match="truncated"):
        read_sphere(tmp_path / "short.wav")
    (tmp_path / "junk.wav").write_bytes(b"not audio at all")
    with pytest.raises(AudioError, match="neither"):
        read_audio(tmp_path / "junk.wav")


def _timit_corpus(root, lower=False):
    """TRAIN/DR1/FCJF0 (train), TEST/DR1/FAKS0 (dev), TEST/DR1/MDAB0 (core test), TEST/DR2/MRAB0 (neither): SA1, SI, SX each."""
    rng = np.random.default_rng(0)
    for part, region, speaker in (("TRAIN", "DR1", "FCJF0"), ("TEST", "DR1", "FAKS0"), ("TEST", "DR1", "MDAB0"), ("TEST", "DR2", "MRAB0")):
        folder = root / part / region / speaker
        if lower:
            folder = root / part.lower() / region.lower() / speaker.lower()
        folder.mkdir(parents=True)
        for sentence in ("SA1", "SI1027", "SX127"):
            name = sentence.lower() if lower else sentence
            _sphere(folder / f"{name}.{'wav' if lower else 'WAV'}", (rng.standard_normal(8000) * 3000).astype(np.int16))
            (folder / f"{name}.{'phn' if lower else 'PHN'}").write_text("0 2000 h#\n2000 3000 sh\n3000 5000 iy\n5000 5400 q\n5400 8000 h#\n")


@pytest.mark.parametrize("lower", [False, True], ids=["CD-case", "lower-case"])
def test_timit_layout_and_split(tmp_path, lower):
    _timit_corpus(tmp_path, lower)
    train, dev, test = (timit.timit_utterances(tmp_path, s) for s in ("train", "dev", "test"))
    assert [u.key for u in train] == ["DR1/FCJF0/SI1027", "DR1/FCJF0/SX127"]  # SA sentences left out
    assert {u.speaker for u in dev} == {"FAKS0"} and {u.speaker for u in test} == {"MDAB0"} and len(dev) == len(test) == 2
    assert timit.read_phones(train[0].phn)[1] == (2000, 3000, "sh")
    with pytest.raises(timit.CorpusError, match="no TRAIN folder"):
        timit.timit_utterances(tmp_path / ("test" if lower else "TEST"), "train")
    assert len(timit.DEV_SPEAKERS) == 50 and len(timit.CORE_TEST_SPEAKERS) == 24 and len(timit.PHONES_61) == 61 and len(timit.PHONES_39) == 39


def test_frame_labels_and_the_39_phone_folding(tmp_path):
    segments = [(0, 2000, "h#"), (2000, 3000, "sh"), (3000, 5000, "iy"), (5000, 5400, "q"), (5400, 8000, "h#")]
    labels = timit.frame_labels(segments, TIMIT_MFCC.n_frames(8000), TIMIT_MFCC.hop_samples, TIMIT_MFCC.window_samples)
    centres = np.arange(len(labels)) * 160 + 200
    expected = ["h#" if c < 2000 or c >= 5400 else "sh" if c < 3000 else "iy" if c < 5000 else "q" for c in centres]
    assert [timit.PHONES_61[k] for k in labels] == expected and len(labels) == 48
    folded = timit.fold_39(labels)
    assert folded[0] == timit.PHONES_39.index("sil") and (folded[[e == "q" for e in expected]] == -1).all()
    assert timit.FOLD_39["ao"] == "aa" and timit.FOLD_39["zh"] == "sh" and timit.FOLD_39["pcl"] == "sil" and "q" not in timit.FOLD_39
    (tmp_path / "bad.PHN").write_text("0 10 xx\n")
    with pytest.raises(timit.CorpusError, match="unknown phone 'xx'"):
        timit.read_phones(tmp_path / "bad.PHN")


def _commands_corpus(root):
    rng = np.random.default_rng(1)
    clip = lambda: (rng.standard_normal(16000) * 0.1).astype(np.float32)  # noqa: E731
    for word in ("yes", "no", "bed", "cat"):
        (root / word).mkdir(parents=True)
        for speaker in ("aaaa0001", "aaaa0002", "bbbb0001", "cccc0001"):
            soundfile.write(str(root / word / f"{speaker}_nohash_0.wav"), clip(), 16000, subtype="PCM_16")
    (root / gsc.NOISE_FOLDER).mkdir()
    soundfile.write(str(root / gsc.NOISE_FOLDER / "white_noise.wav"), (rng.standard_normal(48000) * 0.1).astype(np.float32), 16000)
    (root / "validation_list.txt").write_text("yes/bbbb0001_nohash_0.wav\nno/bbbb0001_nohash_0.wav\nbed/bbbb0001_nohash_0.wav\n"
                                              "cat/bbbb0001_nohash_0.wav\n")
    (root / "testing_list.txt").write_text("".join(f"{w}/cccc0001_nohash_0.wav\n" for w in ("yes", "no", "bed", "cat")))


def test_speech_commands_layout_twelve_classes(tmp_path):
    _commands_corpus(tmp_path)
    train = gsc.command_clips(tmp_path, "train", unknown_fraction=0.5, silence_fraction=0.5)
    known = [c for c in train if gsc.CLASSES[c.label] in gsc.WORDS]
    assert len(known) == 4 and {c.speaker for c in known} == {"aaaa0001", "aaaa0002"}
    assert sum(c.label == gsc.CLASSES.index(gsc.UNKNOWN) for c in train) == 2
    silence = [c for c in train if c.label == gsc.CLASSES.index(gsc.SILENCE)]
    assert len(silence) == 2 and all(0 <= c.offset <= 2.0 for c in silence)
    assert gsc.load_clip(silence[0]).shape == (16000,)
    assert train == gsc.command_clips(tmp_path, "train", unknown_fraction=0.5, silence_fraction=0.5)  # reproducible
    assert {c.speaker for c in gsc.command_clips(tmp_path, "test")} <= {"cccc0001", gsc.SILENCE}
    (tmp_path / "testing_list.txt").write_text("yes/aaaa0001_nohash_0.wav\n")  # a training speaker in the test list
    with pytest.raises(timit.CorpusError, match="appear in two splits"):
        gsc.command_clips(tmp_path, "train")
    (tmp_path / "validation_list.txt").unlink()
    with pytest.raises(timit.CorpusError, match="validation_list.txt"):
        gsc.command_clips(tmp_path, "train")


def test_mfcc_frames_and_the_feature_cache(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(16000) * 0.1).astype(np.float32)
    assert mfcc(x, COMMANDS_MFCC).shape == (971, 40)  # eLife specs: 30 ms window, 1 ms stride -> 971 frames
    f = mfcc(x[:8000], TIMIT_MFCC)
    assert f.shape == (48, 39) and np.isfinite(f).all()
    assert np.allclose(f[:, :13], mfcc(x[:8000], TIMIT_MFCC)[:, :13])
    monkeypatch.setenv("LSNN_CACHE_DIR", str(tmp_path / "cache"))
    wav = tmp_path / "a.wav"
    soundfile.write(str(wav), x, 16000, subtype="PCM_16")
    first = cached_features([(wav, 0.0)], lambda k: read_audio(wav)[0], TIMIT_MFCC)
    monkeypatch.setattr("lsnn.training.speech.features.mfcc", lambda *a: pytest.fail("recomputed instead of read from the cache"))
    assert np.array_equal(cached_features([(wav, 0.0)], lambda k: read_audio(wav)[0], TIMIT_MFCC)[0], first[0])


@pytest.fixture(scope="module")
def synthetic_corpus(tmp_path_factory):
    if not (shutil.which("espeak-ng") and shutil.which("flite")):
        pytest.skip("espeak-ng and flite are not installed (scripts/run.sh test installs them as root)")
    from lsnn.training.speech.synth import synth_speech

    out = tmp_path_factory.mktemp("synth")
    synth_speech(out, commands_speakers=3, commands_held_out=2, timit_speakers=4, timit_dev=2, timit_test=2, sentences=2, progress=False)
    return out


def test_synthetic_corpus_in_both_layouts_with_held_out_voices(synthetic_corpus, cli):
    timit_root, commands_root = synthetic_corpus / "timit", synthetic_corpus / "speech_commands"
    assert timit.is_synthetic(timit_root) and "SYNTHETIC" in timit.corpus_label(timit_root, "TIMIT")
    assert [len(timit.timit_utterances(timit_root, s)) for s in timit.SPLITS] == [8, 4, 4]
    for root in (timit_root, commands_root):
        speakers = json.loads((root / timit.SYNTHETIC_MARKER).read_text())["speakers"]
        train_voices = {v["voice"] for v in speakers.values() if v["split"] == "train"}
        assert train_voices and not train_voices & {v["voice"] for v in speakers.values() if v["split"] != "train"}
    utterance = timit.timit_utterances(timit_root, "test")[0]
    samples, rate = read_audio(utterance.wav)
    segments = timit.read_phones(utterance.phn)
    assert rate == 16000 and segments[0][2] == "h#" and segments[-1][2] == "h#" and segments[-1][1] <= len(samples)
    assert all(a[1] == b[0] for a, b in zip(segments, segments[1:]))  # contiguous, as TIMIT's segmentations
    speakers = json.loads((timit_root / timit.SYNTHETIC_MARKER).read_text())["speakers"]
    warps = sorted(v["vocal_tract_warp"] for v in speakers.values() if v["split"] == "train")
    assert warps[0] == 0.9 and warps[-1] == 1.3 and {v["vocal_tract_warp"] for v in speakers.values() if v["split"] != "train"} == {1.0}
    for utterance in timit.timit_utterances(timit_root, "train"):  # warped speech keeps its segmentation inside the audio
        samples, _ = read_audio(utterance.wav)
        assert 0 <= len(samples) - timit.read_phones(utterance.phn)[-1][1] < 0.05 * len(samples)
    clips = gsc.command_clips(commands_root, "test")
    assert {gsc.CLASSES[c.label] for c in clips} == set(gsc.CLASSES)
    rc, out, _ = cli.run("data", "check", commands_root)
    assert rc == 0 and "SYNTHETIC" in out and "test:" in out
    cli.error("data", "synth-speech", "--out", synthetic_corpus, "--no-progress", match="exists")


@pytest.mark.parametrize("task", ["timit", "gsc"])
def test_speech_tasks_train_and_validate_in_brian2(synthetic_corpus, tmp_path, task, monkeypatch, cli):
    from lsnn.training.config import make_config
    from lsnn.training.trainer import train
    from lsnn.training.validate import validate_run

    monkeypatch.setenv("LSNN_CACHE_DIR", str(tmp_path / "cache"))
    root = synthetic_corpus / ("timit" if task == "timit" else "speech_commands")
    cfg = make_config(task, "sfa", "tiny", {"task_params.data_dir": str(root), "dtype": "float64"})
    result = train(cfg, tmp_path / "run", progress=False)
    assert result["test"]["task_variant"].startswith("SYNTHETIC") and 0 <= result["test"]["accuracy"] <= 1
    report = validate_run(tmp_path / "run", device="numpy", n_trials=2, nwb=False, progress=False)
    assert report["n_identical_rasters"] == report["n_trials"] == 2
    rc, out, err = cli.run("figures", tmp_path / "run", "--out", tmp_path / "fig")
    assert rc == 0 and (tmp_path / "fig" / "speech_trial.png").stat().st_size > 10_000, err


def test_reproduce_neurips_timit_names_the_synthetic_corpus(synthetic_corpus, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("LSNN_TIMIT_DIR", str(synthetic_corpus / "timit"))
    monkeypatch.setenv("LSNN_CACHE_DIR", str(tmp_path / "cache"))
    rc, out, err = cli.run("reproduce", "neurips-timit", "--preset", "tiny", "--device", "numpy", "--out", tmp_path / "r", "--no-progress")
    assert rc == 0, err
    assert "| sfa |" in out and "66.8" in out and "Data: SYNTHETIC TIMIT-layout corpus" in out and "2/2" in out
    monkeypatch.setenv("LSNN_TIMIT_DIR", str(tmp_path / "absent"))
    cli.error("train", "--task", "timit", "--preset", "tiny", "--run-dir", tmp_path / "x", "--no-progress", match="LSNN_TIMIT_DIR")
    assert not (tmp_path / "x").exists()  # refused before the run folder is written


def test_gsc_presets_keep_the_papers_network_and_regulariser_where_they_say_so():
    """eLife specs §5: 2048 neurons, beta 2, tau_a 100 ms, rate regulariser 0.001 towards 10 Hz (paper); the quick preset
    on the synthetic keywords departs in size and in the regulariser (0.1), as README "Speech" says."""
    from lsnn.training.config import make_config

    paper, quick = make_config("gsc", "sfa", "paper"), make_config("gsc", "sfa", "quick")
    assert (paper.n_rec, paper.beta, paper.tau_a, paper.rate_coefficient, paper.rate_target) == (2048, 2.0, 0.1, 0.001, 10.0)
    assert (quick.n_rec, quick.rate_coefficient, quick.rate_target) == (256, 0.1, 10.0)


def test_vocal_tract_warp_scales_every_frequency_and_the_phone_times():
    from lsnn.training.speech.synth import warp_vocal_tract

    t = np.arange(16000) / 16000
    tone = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    warped, segments = warp_vocal_tract(tone, [(0.5, "aa"), (1.0, "h#")], 1.25)
    assert len(warped) == 12800 and segments == [(0.4, "aa"), (0.8, "h#")]
    spectrum = np.abs(np.fft.rfft(warped))
    assert np.argmax(spectrum) * 16000 / len(warped) == pytest.approx(1250, abs=2)
    assert warp_vocal_tract(tone, [(1.0, "h#")], 1.0)[0] is tone
