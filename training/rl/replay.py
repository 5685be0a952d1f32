"""Replaying a recorded meta-RL episode in Brian2 (``lsnn validate`` of a ``metarl_navigation`` run).

The trained agent's episode (``episode.npz``, written by :func:`lsnn.training.rl.metarl.record_episode`)
holds everything that determined it: the input spikes, the noise current nu xi (volts), the action draws,
the actions and the spikes. Brian2 simulates the exported network on those inputs and that current; its
spikes must be identical, and the actions computed from its readouts with the recorded draws must equal
the logged ones to float64 rounding. NumPy only (no PyTorch): it runs in the GeNN / CUDA environments too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..runs import NETWORK, VALIDATION, write_json

EPISODE = "episode.npz"


def actions_from_readouts(outputs: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """The actions ``tanh(y_1,2) + sqrt(sigmoid(y_3,4)) eps`` that readouts (T, 5) give with the draws eps (T, 2)
    (:mod:`lsnn.training.rl.coding`)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    return np.tanh(outputs[:, 0:2]) + np.sqrt(1.0 / (1.0 + np.exp(-outputs[:, 2:4]))) * np.asarray(eps, dtype=np.float64)


def validate_episode(run_dir: str | Path, device: str = "cpp_standalone", progress: bool = False, write: bool = True) -> dict[str, Any]:
    """Replay the recorded episode of a meta-RL run in Brian2 (module docstring); the report is written to
    the run's ``validation.json`` unless ``write`` is False."""
    from lsnn.models import NetworkSpec, simulate

    run_dir = Path(run_dir)
    if not (run_dir / EPISODE).is_file():
        raise FileNotFoundError(f"{run_dir / EPISODE} does not exist; a finished metarl_navigation run records it (lsnn train ... --resume).")
    spec = NetworkSpec.load(run_dir / NETWORK)
    with np.load(run_dir / EPISODE) as data:
        ep = {k: data[k] for k in data.files}
    res = simulate(spec, ep["x"].astype(np.float64), i_ext=ep["i_ext"], device=device, record_v=False, progress=progress)
    actions = actions_from_readouts(res.outputs, ep["eps"])
    mismatch = np.argwhere(res.spikes != ep["spikes"])
    report = {"run_dir": str(run_dir), "device": device, "dtype": "float64", "kind": "metarl episode replay", "n_steps": int(len(ep["x"])),
              "n_spikes": int(ep["spikes"].sum()), "identical_spikes": bool(mismatch.size == 0),
              "first_difference": mismatch[0].tolist() if mismatch.size else None,
              "max_abs_action_difference": float(np.abs(actions - ep["actions"]).max()), "goals_in_episode": int(ep["reached"].sum())}
    report["ok"] = report["identical_spikes"] and report["max_abs_action_difference"] <= 1e-9
    if write:
        report["report"] = str(write_json(run_dir / VALIDATION, report))
    return report
