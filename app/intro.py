"""``lsnn intro``: the poster's introduction panel (eLife Fig. 1B): one ALIF neuron under a current step,
simulated in Brian2; writes the figure, the network and its spikes (NWB)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lsnn.figures.poster_intro import figure_poster_intro
from lsnn.models import simulate
from lsnn.models.examples import single_neuron_spec, step_current
from lsnn.models.neo_io import save_rasters_nwb

from .outputs import save_figure


def run_poster_intro(out: Path, device: str = "cython") -> dict[str, Path]:
    """Simulate one ALIF neuron under a 4 s current step and write figure, network and NWB spikes."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spec = single_neuron_spec()
    n_steps = 5000
    i_ext = step_current(n_steps, 500, 4500, 0.05)
    print(f"[lsnn intro] simulating one ALIF neuron for {n_steps} steps on Brian2 '{device}' ...", flush=True)
    res = simulate(spec, np.zeros((n_steps, 1)), i_ext=i_ext, device=device, record_threshold=True)
    paths = {"figure": out / "poster_intro_sfa_step.png", "network": out / "single_alif_neuron.npz",
             "nwb": out / "single_alif_neuron_spikes.nwb"}
    save_figure(figure_poster_intro(res, i_ext), paths["figure"])
    spec.save(paths["network"])
    save_rasters_nwb(res, spec, paths["nwb"], [{"stimulus": "step", "amplitude_V": 0.05, "onset_s": 0.5, "offset_s": 4.5}])
    steps = np.nonzero(res.spikes[:, 0])[0]
    isi = np.diff(steps) * spec.dt
    print(f"[lsnn intro] {int(res.spikes.sum())} spikes; first ISI {isi[0]*1e3:.0f} ms, last ISI {isi[-1]*1e3:.0f} ms (adaptation)")
    for what, path in paths.items():
        print(f"[lsnn intro] wrote {what}: {path}")
    return paths
