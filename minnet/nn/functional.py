"""Numerically stable sigmoid, softmax and log-softmax: the one copy that losses and prediction share.

Each keeps its input's floating dtype (a float32 array gives float32) and never overflows, whatever
the size of its argument:

    σ(z)            = 1/(1 + e^−z)        = 1/(1 + e)   for z ≥ 0,   e/(1 + e)   for z < 0,   e = exp(−|z|)
    softmax(z)_c    = exp(z_c − m) / Σ_k exp(z_k − m)                      m = max_k z_k
    log softmax(z)  = (z − m) − log Σ_k exp(z_k − m)                       = z − logsumexp(z)

Subtracting the maximum makes every exponent ≤ 0 (nothing overflows) and the largest term exactly
exp(0) = 1 (the sum is ≥ 1, so its log never sees an underflowed 0). ``exp(−|z|)`` is in (0, 1], so the
sigmoid never computes exp of a large positive number either.
"""

from __future__ import annotations

import numpy as np


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z) = (z − max z) − log Σ exp(z − max z) along ``axis``. Same dtype as z."""
    z = np.asarray(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z)_c = exp(z_c − max z) / Σ_k exp(z_k − max z) along ``axis``; sums to 1. Same dtype as z."""
    z = np.asarray(z)
    e = z - z.max(axis=axis, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^−z) without overflow: 1/(1 + e) for z ≥ 0 and e/(1 + e) for z < 0, e = exp(−|z|)."""
    z = np.asarray(z)
    return sigmoid_from(z, np.exp(-np.abs(z)))


def sigmoid_from(z: np.ndarray, e: np.ndarray) -> np.ndarray:
    """σ(z) given e = exp(−|z|): (1·[z ≥ 0] + e·[z < 0]) / (1 + e), a new array.

    The choice between 1 and e is arithmetic on the 0/1 mask (exact: each product is by 0 or 1),
    not ``np.where``: a data-dependent branch per element is mispredicted on random signs and costs
    10–100× more than the arithmetic.
    """
    negative = z < 0
    numerator = e * negative
    numerator += ~negative
    numerator /= 1 + e
    return numerator


__all__ = ["log_softmax", "sigmoid", "sigmoid_from", "softmax"]
