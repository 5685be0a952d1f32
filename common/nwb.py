"""The NWB annotation convention: Neo blocks with trial conditions through NWB files.

Simulations (``lsnn.models.neo_io``) and analyses (``lsnn.analysis``) exchange rasters as Neo blocks
with one Segment per trial, whose annotations carry the trial's conditions. Neo's ``NWBIO`` writes spike
times, signals and names but not annotations, so :func:`save_nwb` stores the segment and spike-train
annotations as JSON in the file's ``notes`` field under the key ``lsnn_annotations`` (keyed by segment
and train names, in trial order), and :func:`load_nwb` restores them and the trial order. Any NWB
reader sees a valid file; lsnn reads back exactly what it wrote.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import neo

from .files import atomic_path
from .jsonsafe import json_safe

#: Key, inside the NWB ``notes`` JSON, of the annotations Neo's NWBIO does not write itself.
NOTES_KEY = "lsnn_annotations"


def save_nwb(block: neo.Block, path: str | os.PathLike, session_description: str = "LSNN Brian2 simulation") -> Path:
    """Write ``block`` to an NWB file through ``neo.io.NWBIO``, atomically (replaces ``path``).

    Segment and spike-train annotations are kept as JSON in the file's ``notes`` (module docstring)."""
    path = Path(path)
    carried = {
        seg.name: {"annotations": json_safe(seg.annotations), "spiketrains": {st.name: json_safe(st.annotations) for st in seg.spiketrains}}
        for seg in block.segments
    }
    block.annotations.setdefault("session_start_time", datetime.now(timezone.utc))
    block.annotations.setdefault("session_description", session_description)
    block.annotations.setdefault("identifier", f"lsnn-{path.stem}")
    block.annotations["notes"] = json.dumps({NOTES_KEY: carried}, allow_nan=False)
    with atomic_path(path) as tmp:
        tmp.unlink()  # NWBIO creates the file itself
        neo.io.NWBIO(str(tmp), mode="w").write_all_blocks([block])
    return path


def load_nwb(path: str | os.PathLike) -> neo.Block:
    """Read the first block of an NWB file, restoring the annotations written by :func:`save_nwb`.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for one Neo cannot read."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No NWB file at {path}.")
    try:
        blocks = neo.io.NWBIO(str(path), mode="r").read_all_blocks()
    except Exception as exc:  # noqa: BLE001 - h5py/pynwb raise many types for corrupt files
        raise ValueError(f"{path} could not be read as NWB: {type(exc).__name__}: {exc}") from None
    if not blocks:
        raise ValueError(f"{path} contains no Neo block.")
    block = blocks[0]
    try:
        carried = json.loads(block.annotations.get("notes") or "{}").get(NOTES_KEY, {})
    except (json.JSONDecodeError, AttributeError):
        carried = {}
    if not isinstance(carried, dict):
        carried = {}
    for seg in block.segments:
        saved = carried.get(seg.name)
        if not isinstance(saved, dict):
            continue
        seg.annotate(**saved.get("annotations", {}))
        for st in seg.spiketrains:
            st.annotate(**saved.get("spiketrains", {}).get(st.name, {}))
    # NWB stores segments by name ("trial 10" before "trial 2"); restore the trial order written
    order = list(carried)
    if set(order) == {seg.name for seg in block.segments}:
        block.segments.sort(key=lambda seg: order.index(seg.name))
    return block
