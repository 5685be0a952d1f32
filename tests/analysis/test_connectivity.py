"""Connection probabilities between populations (NeurIPS Fig. 1C), counted by hand."""

import numpy as np
import pytest

from lsnn.analysis import connection_probabilities


def test_probabilities_count_possible_synapses_without_the_diagonal():
    connected = np.array([[0, 1, 1, 0],
                          [1, 0, 0, 0],
                          [1, 1, 0, 1],
                          [0, 0, 1, 0]], dtype=bool)
    groups = ["E", "E", "I", "I"]
    table = connection_probabilities(connected, groups, groups, same_neurons=True).set_index(["pre", "post"])
    # E -> E: 2 possible (0->1, 1->0), both present; E -> I: 4 possible, (2,0), (2,1) present
    assert table.loc[("E", "E"), "n_possible"] == 2 and table.loc[("E", "E"), "probability"] == 1.0
    assert table.loc[("E", "I"), "n_connections"] == 2 and table.loc[("E", "I"), "probability"] == 0.5
    assert table.loc[("I", "E"), "probability"] == pytest.approx(1 / 4)
    assert table.loc[("I", "I"), "probability"] == 1.0  # 2->3 and 3->2
    assert table["n_connections"].sum() == connected.sum()


def test_feedforward_blocks_and_shape_errors():
    connected = np.ones((2, 3), dtype=bool)
    table = connection_probabilities(connected, ["Y", "Y"], ["A", "A", "E"])
    assert table.n_possible.tolist() == [4, 2] and table.probability.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match=r"\(n_post, n_pre\)"):
        connection_probabilities(connected, ["Y"], ["A", "A", "E"])
