"""The papers' published numbers that the reproductions are compared with (``lsnn reproduce``).

Salaj et al. 2021, eLife 10:e65459 (``../shared/papers/salaj2021-elife-task-specs.md``): Table 1 and the
comparisons of network variants (Fig. 2A/B, Appendix 1 §4 delayed XOR, Fig. 3 12AX, Fig. 4
duplication/reversal). Values in %; None where the paper shows only a bar.
"""

from __future__ import annotations

#: eLife Table 1: 1-D STORE-RECALL recall accuracy (%), rows x expected delays (s).
TABLE1: dict[str, dict[float, float]] = {
    "lif": {0.2: 96.7, 2.0: 51, 4.0: 50, 8.0: 49, 16.0: 51},
    "sfa-0.2": {0.2: 99.92, 2.0: 73.6, 4.0: 58, 8.0: 51, 16.0: 51},
    "sfa-2": {0.2: 99.0, 2.0: 99.6, 4.0: 98.8, 8.0: 92.2, 16.0: 75.2},
    "sfa-4": {0.2: 99.1, 2.0: 99.7, 4.0: 99.7, 8.0: 97.8, 16.0: 90.5},
    "sfa-8": {0.2: 99.6, 2.0: 99.8, 4.0: 99.7, 8.0: 97.7, 16.0: 97.1},
    "sfa-power-law-8": {0.2: 99.6, 2.0: 99.7, 4.0: 98.4, 8.0: 96.3, 16.0: 83.6},
    "sfa-uniform-8": {0.2: 96.2, 2.0: 99.9, 4.0: 98.6, 8.0: 92.1, 16.0: 92.6},
}

#: eLife Fig. 3 text / specs §7, the 12AX noise test: one network (97.85 % success without noise) tested with
#: Gaussian current noise of s.d. sigma added to every neuron's input current each ms; success (%) per sigma.
ELIFE_12AX_NOISE_TEST: dict[float, float] = {0.0: 97.85, 0.05: 92.65, 0.075: 89.05, 0.1: 80.25, 0.2: 27.25, 0.5: 0.25}

#: Comparisons of network variants: the paper's number per model (%, None: bar only) and its claim.
COMPARISONS: dict[str, tuple[dict[str, float | None], str]] = {
    "elife-fig2b": ({"sfa": None, "lif": None, "elif": None, "stp_d": None, "stp_f": None},
                    "SNNs with SFA by far the best; STP-F much worse (mean of 10 runs; bar values not in the text)"),
    "elife-fig2a": ({"sfa": 99.09, "lif": 0.0}, "SFA 99.09 +- 0.17 % (5 runs), LIF 0 % in all 5 runs"),
    "elife-xor": ({"sfa": 95.19, "lif": 61.30}, "SFA 95.19 %, LIF 61.30 % (10 runs)"),
    "elife-12ax": ({"sfa": 97.79, "lif": 0.39}, "SFA 97.79 +- 0.42 % (5 runs, BPTT), no SFA 0.39 %"),
    "elife-dup-rev": ({"sfa": 95.88, "lif": 0.0}, "SFA 95.88 +- 1.39 % (5 runs), LIF-only 0.0 %"),
    "elife-12ax-sfa-fraction": ({"sfa": 97.79, "sfa-all": 72.01, "sfa-10pct": 95.39, "lif": 0.39},
                                "fraction of SFA neurons (5 inits each): 50 % 97.79 +- 0.42, all 72.01 +- 36.15, "
                                "10 % 95.39 +- 1.55, none 0.39 +- 0.04"),
    "elife-12ax-noise": ({f"sfa-noise{sigma:g}": value for sigma, value in ELIFE_12AX_NOISE_TEST.items() if sigma},
                         "one network (97.85 % without noise) tested with Gaussian current noise sigma 0.05 / 0.075 / 0.1 / "
                         "0.2 / 0.5: 92.65 / 89.05 / 80.25 / 27.25 / 0.25 %; our rows train and test with the noise "
                         "(lsnn evaluate RUN --current-noise 0.05 0.075 0.1 0.2 0.5 tests a network trained without noise, the paper's protocol)"),
    "neurips-timit": ({"sfa": 66.8, "lif": None},
                      "LSNN (300 regular + 100 adaptive neurons, DEEP R 20 %): frame error 33.2 % on the core test set = 66.8 % frame "
                      "accuracy (39 folded phones); LSTMs of Greff et al.: mean error ~40 % over 200 hyper-parameter trials, 29.7 % for "
                      "the best 20"),
    "elife-gsc": ({"sfa": 90.88, "lif": 88.79},
                  "mean of five: SNN with SFA 90.88 +- 0.22 %, without SFA 88.79 +- 0.16 % (best of five 91.21 / 89.04 %; "
                  "2048 neurons, 18,000 iterations)"),
}

#: Legends of the paper's ticks where the paper measured under another protocol than our rows (default "paper").
PAPER_LABELS: dict[str, str] = {"elife-12ax-noise": "paper (noise in testing only)"}

#: Variants of the comparisons that are not a plain model: the model and the configuration it changes.
VARIANTS: dict[str, tuple[str, dict]] = {
    "sfa-all": ("sfa", {"frac_adaptive": 1.0}),
    "sfa-10pct": ("sfa", {"frac_adaptive": 0.1}),
    **{f"sfa-noise{sigma:g}": ("sfa", {"current_noise": sigma}) for sigma in (0.05, 0.075, 0.1, 0.2, 0.5)},
}

#: NeurIPS 2018 supplement, Tables S1 (1 ms per pixel) and S2 (2 ms per pixel): sequential MNIST test
#: accuracy (%) as (number of runs, mean, std, max); None where the paper gives only the best run. Rows as
#: in :mod:`lsnn.app.smnist` (the 100 A + 200 R and 350 A + 350 R DEEP R LSNNs, single runs, are not rebuilt).
NEURIPS_SMNIST: dict[str, dict[str, tuple[int, float | None, float | None, float]]] = {
    "1ms": {"lstm": (12, 79.8, 26.6, 98.5), "rnn": (10, 71.3, 24.5, 89.0), "deep-r-lsnn": (12, 94.2, 0.3, 94.7),
            "lsnn": (10, 92.0, 0.7, 93.3), "lif": (10, 60.9, 2.7, 63.3)},
    "2ms": {"lstm": (12, 48.2, 39.9, 98.0), "rnn": (12, 30.0, 23.6, 67.9), "deep-r-lsnn": (12, 93.8, 5.8, 96.4),
            "lsnn": (10, 90.5, 1.4, 93.7), "lif": (11, 34.6, 8.8, 51.8)},
}

#: NeurIPS 2018 supplement "Analysis and comparison": total test MSE of the LSNN on new functions and of the
#: linear predictor on its spikes (mean, std over one batch of 10 episodes).
NEURIPS_L2L: dict[str, dict[str, tuple[float, float]]] = {
    "target_nets": {"lsnn": (0.0056, 0.0039), "linear": (0.0217, 0.0046)},
    "sines": {"lsnn": (0.3134, 0.2293), "linear": (1.4592, 1.2958)},
}
