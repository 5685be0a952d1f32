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

#: Comparisons of network variants: the paper's number per model (%, None: bar only) and its claim.
COMPARISONS: dict[str, tuple[dict[str, float | None], str]] = {
    "elife-fig2b": ({"sfa": None, "lif": None, "elif": None, "stp_d": None, "stp_f": None},
                    "SNNs with SFA by far the best; STP-F much worse (mean of 10 runs; bar values not in the text)"),
    "elife-fig2a": ({"sfa": 99.09, "lif": 0.0}, "SFA 99.09 +- 0.17 % (5 runs), LIF 0 % in all 5 runs"),
    "elife-xor": ({"sfa": 95.19, "lif": 61.30}, "SFA 95.19 %, LIF 61.30 % (10 runs)"),
    "elife-12ax": ({"sfa": 97.79, "lif": 0.39}, "SFA 97.79 +- 0.42 % (5 runs, BPTT), no SFA 0.39 %"),
    "elife-dup-rev": ({"sfa": 95.88, "lif": 0.0}, "SFA 95.88 +- 1.39 % (5 runs), LIF-only 0.0 %"),
}
