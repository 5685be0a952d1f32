"""Decoding memory content from population activity (eLife Methods, "Decoding memory from the network
activity"): a support-vector classifier with a cross-validated grid search over kernels (linear,
polynomial, RBF) and C in {0.1, 1, 10, 100, 1000}, on per-neuron spike counts of one task phase.

``decode`` reports the k-fold cross-validated accuracy of predicting a label (e.g. the stored value)
from the counts of one phase; ``cross_phase_accuracy`` trains on one phase (e.g. STORE) and tests on
another (RECALL): near 0 for binary labels means the code is inverted between phases (negative
imprinting), near chance means it is unrelated.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: The eLife grid (kernel and C); gamma and degree at scikit-learn's defaults.
PARAM_GRID = {"svc__kernel": ["linear", "poly", "rbf"], "svc__C": [0.1, 1, 10, 100, 1000]}


class DecodingResult(NamedTuple):
    accuracy: float  # mean over the outer folds
    accuracy_std: float
    fold_accuracies: np.ndarray
    chance: float  # frequency of the most common label


def _check(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise ValueError(f"X must be (n_samples, n_neurons) with one label per sample; got X {X.shape}, y {y.shape}.")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values.")
    if len(np.unique(y)) < 2:
        raise ValueError("labels take a single value: nothing to decode.")
    return X, y


def svm_search(n_splits: int = 5, seed: int = 0):
    """The eLife decoder: standardised counts -> SVC, grid-searched with stratified k-fold CV
    (a scikit-learn ``GridSearchCV``; scikit-learn is imported here, when a decoder is first used)."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    inner = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return GridSearchCV(make_pipeline(StandardScaler(), SVC()), PARAM_GRID, cv=inner)


def decode(X, y, n_splits: int = 5, seed: int = 0) -> DecodingResult:
    """Nested cross-validated accuracy of decoding ``y`` from counts ``X`` (grid search inside each fold)."""
    X, y = _check(X, y)
    smallest = np.min(np.unique(y, return_counts=True)[1])
    if smallest < n_splits:
        raise ValueError(f"the rarest label has {smallest} samples; need at least n_splits = {n_splits}.")
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    outer = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed + 1)
    scores = cross_val_score(svm_search(n_splits, seed), X, y, cv=outer)
    chance = float(np.max(np.unique(y, return_counts=True)[1]) / len(y))
    return DecodingResult(float(scores.mean()), float(scores.std()), scores, chance)


def cross_phase_accuracy(X_train, y_train, X_test, y_test, n_splits: int = 5, seed: int = 0) -> float:
    """Accuracy on ``(X_test, y_test)`` of the grid-searched SVM fitted on ``(X_train, y_train)``."""
    X_train, y_train = _check(X_train, y_train)
    X_test, y_test = np.asarray(X_test, dtype=float), np.asarray(y_test)
    if X_test.ndim != 2 or X_test.shape[1] != X_train.shape[1] or X_test.shape[0] != y_test.shape[0]:
        raise ValueError(f"test data must be (n_samples, {X_train.shape[1]}) with one label each; got {X_test.shape}, {y_test.shape}.")
    model = svm_search(n_splits, seed).fit(X_train, y_train)
    return float(model.score(X_test, y_test))
