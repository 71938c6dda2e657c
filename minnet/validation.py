"""Argument and input checks shared by every module: one checker per kind of value, one message style.

Each raises ValueError or TypeError naming where (``where``: the class or function), what (``name``),
what was expected and what was given — ``"ELU: alpha must be a finite number, got nan"`` — before anything
is changed.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

#: arrays up to this many elements are checked element-wise by ``all_finite`` (a 16 KB boolean temporary at most)
_SMALL = 1 << 14


def all_finite(a: np.ndarray) -> bool:
    """True when every value of ``a`` is finite.

    The sum of an array is finite whenever all its values are (unless large values overflow
    the sum), so one pass with no temporary array settles the common case; only a
    non-finite sum needs the element-wise check, which allocates a boolean array. A small
    array (a batch of logits) is checked element-wise at once: its boolean array costs
    less than entering ``np.errstate``.
    """
    if a.size <= _SMALL:
        return bool(np.isfinite(a).all())
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(a)):
            return True
    return bool(np.all(np.isfinite(a)))


def normalize_name(value: Any) -> str:
    """A name as minnet looks it up: stripped, lower case, ``-`` and spaces as ``_`` ("SeLU " → "selu")."""
    return "_".join(str(value).strip().lower().replace("-", " ").split())


def check_choice(value: Any, name: str, where: str, choices: Any) -> str:
    """``value`` normalised (:func:`normalize_name`) and one of ``choices``, or a ValueError listing them."""
    if not isinstance(value, str):
        raise TypeError(f"{where}: {name} must be a string, one of {sorted(choices)}; got {value!r}")
    key = normalize_name(value)
    if key not in choices:
        raise ValueError(f"{where}: unknown {name} {value!r}; expected one of {sorted(choices)}")
    return key


def check_real(value: Any, name: str, where: str, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float within [low, high] (an end is excluded when ``low_open``/``high_open``).

    Booleans, strings and NaN or infinite values are refused: a hyperparameter is a real number.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a real number, got {value!r}")
    x = float(value)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"{where}: {name} must be a finite number, got {value!r}")
    too_low = low is not None and (x <= low if low_open else x < low)
    too_high = high is not None and (x >= high if high_open else x > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        interval = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{where}: {name} must be in {interval}, got {value!r}")
    return x


def check_positive_int(value: Any, name: str, where: str) -> int:
    """``value`` as an int ≥ 1, or a ValueError naming ``name`` and ``where`` (the common case of :func:`check_int`,
    with the phrase "a positive integer")."""
    try:
        return check_int(value, name, where, low=1)
    except ValueError:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}") from None


def check_features_array(X: Any, where: str) -> np.ndarray:
    """X as a finite floating-point array with at least one sample."""
    X = np.asarray(X)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise TypeError(f"{where}: X must be a numeric array, got dtype {X.dtype}")
    if X.ndim < 2:
        raise ValueError(f"{where}: X must have shape (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{where}: X is empty (shape {X.shape}); expected at least one sample")
    if np.issubdtype(X.dtype, np.floating) and not all_finite(X):
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


def check_class_labels(y: Any, n_classes: int, where: str) -> np.ndarray:
    """y as int64 class labels of shape (N,) with values in [0, n_classes).

    Floating-point labels holding whole numbers (1.0, 2.0) are converted; anything else
    that is not an integer label raises, naming the first bad value.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        hint = ("; if these are one-hot rows, pass y.argmax(axis=1)"
                if y.ndim == 2 and y.shape[1] == n_classes else "")
        raise ValueError(f"{where}: expected class labels of shape (n_samples,), got shape {y.shape}{hint}")
    if y.dtype == bool or not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating):
        raise TypeError(
            f"{where}: expected integer class labels 0 … {n_classes - 1}, got dtype {y.dtype} "
            "(encode other labels first, e.g. classes, y = np.unique(labels, return_inverse=True))"
        )
    if not np.issubdtype(y.dtype, np.integer):
        fractional = y != np.round(y)
        if np.any(fractional):
            raise ValueError(
                f"{where}: expected integer class labels, got non-integer value {y[fractional][0].item()!r} "
                f"({int(np.count_nonzero(fractional))} of {len(y)} labels are not whole numbers)"
            )
    outside = (y < 0) | (y >= n_classes)        # checked before converting: 1e20 does not fit in int64
    if np.any(outside):
        raise ValueError(
            f"{where}: expected labels in [0, {n_classes}) for a model with {n_classes} outputs, got values in "
            f"[{y.min().item()!r}, {y.max().item()!r}] ({int(np.count_nonzero(outside))} label(s) out of range, "
            f"e.g. {y[outside][0].item()!r})"
        )
    return y.astype(np.int64, copy=False)


def check_targets(y: np.ndarray, output_shape: tuple[int, ...], task: str | None, where: str) -> np.ndarray:
    """Check y against the model's output shape (N, ...) and the loss's task; returns y (labels as int64).

    - "multiclass": :func:`check_class_labels` with C = output_shape[1];
    - "binary": numbers in [0, 1], shape (N,) for one output or the output's shape;
    - "regression": numbers, shape (N,) for one output or the output's shape;
    - anything else (a custom loss): y is returned unchecked.
    """
    if task == "multiclass" and len(output_shape) == 2:
        return check_class_labels(y, output_shape[1], where)
    if task not in ("binary", "regression"):
        return y
    y = np.asarray(y)
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool) or np.issubdtype(y.dtype, np.complexfloating):
        raise TypeError(f"{where}: expected numeric targets, got dtype {y.dtype}")
    per_sample = tuple(output_shape[1:])
    if y.shape[1:] != per_sample and not (per_sample == (1,) and y.ndim == 1):
        if per_sample == (1,):
            allowed = "(n_samples,) or (n_samples, 1)"
        else:
            allowed = f"(n_samples, {', '.join(map(str, per_sample))})"
        raise ValueError(f"{where}: y has shape {y.shape} but the model outputs {per_sample or 'a scalar'} per "
                         f"sample; expected y of shape {allowed}")
    if task == "binary" and y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"{where}: expected binary targets in [0, 1], got values in [{y.min()}, {y.max()}]")
    return y


def check_real_input(X: Any, where: str) -> np.ndarray:
    """X as an array of real numbers: complex X is refused (its imaginary part would be dropped silently)."""
    X = np.asarray(X)
    if np.iscomplexobj(X):
        raise TypeError(f"{where}: X must be real numbers, got dtype {X.dtype}; pass X.real (or abs(X)) explicitly "
                        "if that is what you mean")
    return X


def as_dtype_checked(X: np.ndarray, dtype: np.dtype, where: str) -> np.ndarray:
    """X converted to ``dtype``; ValueError if values overflow it (1e39 is inf in float32)."""
    if X.dtype == dtype:
        return X
    with np.errstate(over="ignore"):
        converted = X.astype(dtype)
    if np.issubdtype(dtype, np.floating) and not all_finite(converted):
        big = X[~np.isfinite(converted)].flat[0].item()
        raise ValueError(f"{where}: X holds values too large for the model's dtype {dtype} (e.g. {big!r}, "
                         f"largest {dtype} is {np.finfo(dtype).max:.3g}); expected finite {dtype} values")
    return converted


def check_model_input(X: Any, dtype: np.dtype, where: str) -> np.ndarray:
    """The checks every function that feeds X to a model makes (fit, evaluate, infer, predict, predict_proba):
    real numbers (:func:`check_real_input`), the checks of :func:`check_features_array`, then converted to the
    model's ``dtype`` without overflow (:func:`as_dtype_checked`)."""
    return as_dtype_checked(check_features_array(check_real_input(X, where), where), np.dtype(dtype), where)


def check_bool(value: Any, name: str, where: str) -> bool:
    """``value`` as a bool (Python's or numpy's), or a ValueError: a flag is True or False, not 0, "yes" or None."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{where}: {name} must be True or False, got {value!r}")
    return bool(value)


def check_int(value: Any, name: str, where: str, *, low: int = 0) -> int:
    """``value`` as an int ≥ ``low`` (booleans and floats refused), or a ValueError naming ``name`` — the one
    integer checker (:func:`check_positive_int` is its ``low=1`` case), ValueError like every range check here."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{where}: {name} must be an integer ≥ {low}, got {value!r}")
    return int(value)
