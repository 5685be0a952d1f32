"""The poster's introduction panel: a figure with the adapting response of one ALIF neuron."""

import numpy as np
from matplotlib.figure import Figure

from lsnn.figures.poster_intro import figure_poster_intro
from lsnn.models import simulate
from lsnn.models.examples import single_neuron_spec, step_current


def test_figure_shows_adaptation():
    spec = single_neuron_spec(tau_a=1.0)
    i_ext = step_current(2000, 200, 1800, 0.05)
    res = simulate(spec, np.zeros((2000, 1)), i_ext=i_ext, device="numpy", record_threshold=True, progress=False)
    fig = figure_poster_intro(res, i_ext)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    rate_line = fig.axes[2].lines[0]
    rate = rate_line.get_ydata()
    assert rate[0] > 3 * rate[-1]  # the rate adapts by more than a factor of 3
    v_line, a_line = fig.axes[1].lines[:2]
    np.testing.assert_allclose(a_line.get_ydata(), res.thresholds[:, 0] * 1e3)
    assert a_line.get_ydata().max() > 2 * spec.b0[0] * 1e3


def test_a_selectivity_figure_with_nothing_selective_says_so():
    import pandas as pd

    from lsnn.figures.spike_codes import figure_selectivity

    selective = pd.Series([0], index=["Task"])
    categories = pd.DataFrame({"n_categories": [0, 0, 0]})
    fig = figure_selectivity(selective, categories, 3, population="firing 2-60 Hz")
    ax = fig.axes[0]
    assert len(fig.axes) == 1  # one factor: no category histogram
    assert ax.get_ylim() == (0.0, 1.0) and any(t.get_text() == "no neuron is selective" for t in ax.texts)
    assert ax.get_title().startswith("selectivity for Task") and "% of 3 neurons firing 2-60 Hz" in ax.get_ylabel()
