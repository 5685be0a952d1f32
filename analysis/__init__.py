"""lsnn.analysis: spike-code measures on Neo objects and trial-binned counts (DESIGN.md "Layout").

It imports no other ``lsnn`` folder, so it works on recorded data with no model at all.
"""

from .aligned import event_aligned_average
from .connectivity import connection_probabilities
from .timescales import TimescaleResult, intrinsic_timescales, lag_autocorrelation
from .decoding import DecodingResult, cross_phase_accuracy, decode
from .io import covariate_conditions, load_nwb, load_trials, read_nwb_units, read_recording, read_spikes, recording_from_segments, save_nwb
from .recording import (Recording, TrialSet, recording_from_times, trial_segments, trials_from_events, trials_from_table as
                        trials_from_recording_table)
from .imprinting import ImprintingResult, imprinting, phase_selectivity
from .rates import adaptation_index, binned_counts, fano_factor, isi_cv, mean_rates, segments_from_counts
from .sequences import condition_invariant, cross_validated_sequence, normalized_traces, peak_bins, time_cell_test
from .trials import (apply_trial_table, event_aligned_trials, parse_time, read_trial_table, trial_conditions,
                     trials_from_epoch, trials_from_table, window_counts)
from .regression import RidgeBaseline, exponential_traces, online_ridge_errors, ridge_baseline, step_means
from .selectivity import (anova_selectivity, balanced_indices, categories_per_neuron, condition_means, population_test,
                          preferred_condition, rate_selection, selectivity_counts)

__all__ = [
    "TimescaleResult",
    "intrinsic_timescales",
    "lag_autocorrelation",
    "connection_probabilities",
    "Recording",
    "TrialSet",
    "condition_means",
    "population_test",
    "read_recording",
    "recording_from_segments",
    "recording_from_times",
    "trial_segments",
    "trials_from_events",
    "trials_from_recording_table",
    "DecodingResult",
    "ImprintingResult",
    "RidgeBaseline",
    "anova_selectivity",
    "apply_trial_table",
    "balanced_indices",
    "binned_counts",
    "categories_per_neuron",
    "condition_invariant",
    "covariate_conditions",
    "cross_phase_accuracy",
    "cross_validated_sequence",
    "decode",
    "event_aligned_average",
    "event_aligned_trials",
    "exponential_traces",
    "fano_factor",
    "imprinting",
    "isi_cv",
    "adaptation_index",
    "load_nwb",
    "load_trials",
    "mean_rates",
    "normalized_traces",
    "online_ridge_errors",
    "parse_time",
    "peak_bins",
    "phase_selectivity",
    "preferred_condition",
    "rate_selection",
    "read_nwb_units",
    "read_spikes",
    "read_trial_table",
    "ridge_baseline",
    "save_nwb",
    "segments_from_counts",
    "selectivity_counts",
    "step_means",
    "time_cell_test",
    "trial_conditions",
    "trials_from_epoch",
    "trials_from_table",
    "window_counts",
]
