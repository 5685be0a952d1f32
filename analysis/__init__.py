"""lsnn.analysis: spike-code measures on Neo objects and trial-binned counts (DESIGN.md "Layout").

It imports no other ``lsnn`` folder, so it works on recorded data with no model at all.
"""

from .aligned import event_aligned_average
from .decoding import DecodingResult, cross_phase_accuracy, decode
from .io import covariate_conditions, event_aligned_trials, read_nwb_units
from .imprinting import ImprintingResult, imprinting, phase_selectivity
from .rates import binned_counts, fano_factor, isi_cv, mean_rates
from .sequences import condition_invariant, cross_validated_sequence, normalized_traces, peak_bins, time_cell_test
from .selectivity import anova_selectivity, balanced_indices, selectivity_counts

__all__ = [
    "DecodingResult",
    "cross_phase_accuracy",
    "decode",
    "covariate_conditions",
    "event_aligned_trials",
    "read_nwb_units",
    "ImprintingResult", "anova_selectivity", "balanced_indices", "binned_counts", "fano_factor", "isi_cv", "event_aligned_average", "selectivity_counts", "condition_invariant", "cross_validated_sequence", "normalized_traces", "peak_bins", "time_cell_test", "imprinting", "mean_rates", "phase_selectivity"]
