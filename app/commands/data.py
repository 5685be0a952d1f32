"""``lsnn data synth-speech --out DIR`` (an offline speech corpus in both layouts) and ``lsnn data check DIR`` (what a
speech corpus folder holds, split by split)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description="Speech corpora: make the offline synthetic corpus, or check a corpus folder.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    synth = actions.add_parser("synth-speech", help="build DIR/speech_commands and DIR/timit with espeak-ng and flite (offline, minutes)",
                               description="Build a SYNTHETIC keyword set in the Speech Commands v0.02 layout and a sentence set with "
                                           "phone segmentation in the TIMIT layout (lsnn.training.speech.synth), with held-out voices "
                                           "for the test splits. Needs Debian's espeak-ng and flite.")
    synth.add_argument("--out", type=Path, required=True)
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--commands-speakers", type=int, default=30, help="training speakers of the keyword set (default 30)")
    synth.add_argument("--timit-speakers", type=int, default=24, help="training speakers of the sentence set (default 24)")
    synth.add_argument("--sentences", type=int, default=8, help="sentences per speaker (default 8)")
    synth.add_argument("--no-progress", action="store_true")
    check = actions.add_parser("check", help="count the examples per split of a TIMIT or Speech Commands folder")
    check.add_argument("folder", type=Path)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "synth-speech":
        from lsnn.training.speech.synth import synth_speech

        for name in ("seed", "commands_speakers", "timit_speakers", "sentences"):
            if getattr(args, name) < (0 if name == "seed" else 1):
                raise ValueError(f"--{name.replace('_', '-')} must be {'>= 0' if name == 'seed' else 'at least 1'}.")
        made = synth_speech(args.out, seed=args.seed, commands_speakers=args.commands_speakers, timit_speakers=args.timit_speakers,
                            sentences=args.sentences, progress=not args.no_progress)
        print(f"[lsnn data] SYNTHETIC corpus in {args.out}: speech_commands {made['speech_commands']}, timit {made['timit']}")
        return 0
    return _check(args.folder)


def _check(folder: Path) -> int:
    from lsnn.training.speech.timit import corpus_label

    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist.")
    if (folder / "validation_list.txt").is_file():
        from lsnn.training.speech.commands import CLASSES, SPLITS, command_clips

        print(f"[lsnn data] {folder}: {corpus_label(folder, 'Speech Commands')}")
        for split in SPLITS:
            clips = command_clips(folder, split)
            per_class = {CLASSES[k]: sum(c.label == k for c in clips) for k in range(len(CLASSES))}
            print(f"  {split}: {len(clips)} clips, {len({c.speaker for c in clips}) - 1} speakers; {per_class}")
        return 0
    from lsnn.training.speech.timit import SPLITS, timit_utterances

    print(f"[lsnn data] {folder}: {corpus_label(folder, 'TIMIT')}")
    for split in SPLITS:
        utterances = timit_utterances(folder, split)
        print(f"  {split}: {len(utterances)} sentences, {len({u.speaker for u in utterances})} speakers")
    return 0
