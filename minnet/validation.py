"""Input checks shared by the training loop, the losses and the estimators.

Each raises ValueError or TypeError naming what was wrong and what was expected,
before anything is changed.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def check_positive_int(value: Any, name: str, where: str) -> int:
    """``value`` as an int ≥ 1, or a ValueError naming ``name`` and ``where``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
    return int(value)


def check_features_array(X: Any, where: str) -> np.ndarray:
    """X as a finite floating-point array with at least one sample."""
    X = np.asarray(X)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise TypeError(f"{where}: X must be a numeric array, got dtype {X.dtype}")
    if X.ndim < 2:
        raise ValueError(f"{where}: X must have shape (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{where}: X is empty (shape {X.shape}); expected at least one sample")
    if np.issubdtype(X.dtype, np.floating) and not np.all(np.isfinite(X)):
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise ValueError(f"{where}: X contains {bad} NaN or infinite value(s); expected finite numbers")
    return X


def check_same_length(X: np.ndarray, y: Any, where: str) -> np.ndarray:
    """y as an array with as many samples as X."""
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        got = "a scalar" if y.ndim == 0 else f"{len(y)} samples"
        raise ValueError(f"{where}: X has {len(X)} samples but y has {got}; expected the same number")
    if np.issubdtype(y.dtype, np.floating) and not np.all(np.isfinite(y)):
        raise ValueError(f"{where}: y contains NaN or infinite values; expected finite numbers")
    return y
