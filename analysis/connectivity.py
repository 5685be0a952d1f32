"""Connection probabilities between populations of a network (NeurIPS Fig. 1C).

The connectivity of a sparse network -- e.g. after DEEP R rewiring -- summarised per pair of
populations: the fraction of the possible synapses from population P onto population Q that exist.
Self-connections are not possible synapses (LSNNs have none), so within a population of n neurons
there are n (n - 1) of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def connection_probabilities(connected: np.ndarray, post_groups: Sequence[str], pre_groups: Sequence[str],
                             same_neurons: bool = False) -> pd.DataFrame:
    """Fraction of existing synapses per (presynaptic, postsynaptic) population.

    Parameters
    ----------
    connected : (n_post, n_pre) array of bool
        Which synapses exist (``connected[j, i]``: from presynaptic i onto postsynaptic j).
    post_groups, pre_groups : sequence of str
        The population of each postsynaptic / presynaptic neuron.
    same_neurons : bool
        Pre- and postsynaptic neurons are the same (a recurrent matrix): the diagonal is not a possible synapse.

    Returns
    -------
    DataFrame with one row per pair present: ``pre``, ``post``, ``n_connections``, ``n_possible``, ``probability``.
    """
    connected = np.asarray(connected)
    post, pre = np.asarray(post_groups, dtype=object), np.asarray(pre_groups, dtype=object)
    if connected.ndim != 2 or connected.shape != (len(post), len(pre)):
        raise ValueError(f"connected must be (n_post, n_pre) = ({len(post)}, {len(pre)}); got {connected.shape}.")
    if same_neurons and connected.shape[0] != connected.shape[1]:
        raise ValueError("same_neurons needs a square matrix.")
    connected = connected.astype(bool)
    possible = np.ones(connected.shape, dtype=bool)
    if same_neurons:
        np.fill_diagonal(possible, False)
    rows = []
    for p in dict.fromkeys(pre):
        for q in dict.fromkeys(post):
            block = np.ix_(post == q, pre == p)
            n_possible = int(possible[block].sum())
            if n_possible:
                n = int((connected & possible)[block].sum())
                rows.append({"pre": p, "post": q, "n_connections": n, "n_possible": n_possible, "probability": n / n_possible})
    return pd.DataFrame(rows, columns=["pre", "post", "n_connections", "n_possible", "probability"])
