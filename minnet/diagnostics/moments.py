"""Mean and variance of every layer's output, overall and per unit, streamed exactly (:func:`activation_stats`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minnet.diagnostics.walk import (
    Position,
    Record,
    _batches,
    _check_inputs,
    _forward,
    _layer_name,
    _units,
    _untouched,
    _warn_unrecognised,
)
from minnet.nn.activations import Activation
from minnet.nn.layer import Layer


# --- activation statistics ------------------------------------------------------------------
class _RunningMoments:
    """Exact streaming mean and variance in float64 (Chan, Golub & LeVeque, 1979), overall and per unit.

    Each batch contributes its count n_b, mean m_b and M2_b = Σ(x − m_b)² (a two-pass,
    numerically sound computation). Two parts combine as
        δ = m_b − m_a,  n = n_a + n_b,  m = m_a + δ·n_b/n,  M2 = M2_a + M2_b + δ²·n_a·n_b/n,
    and var = M2/n at the end. Unlike Σx² − n·m², nothing cancels catastrophically when
    the mean is large compared with the spread. The same formula runs elementwise on the
    per-unit means and M2s (a unit: a feature of (N, D), a channel of (N, C, H, W)).
    """

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.negative = 0
        self.zero = 0
        self.unit_n = 0
        self.unit_mean: np.ndarray = np.zeros(0)
        self.unit_m2: np.ndarray = np.zeros(0)

    def update(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64)
        nb = x.size
        if nb == 0:
            return
        mb = float(x.mean())
        m2b = float(np.square(x - mb).sum())
        self.negative += int(np.count_nonzero(x < 0))
        self.zero += int(np.count_nonzero(x == 0))
        self.n, self.mean, self.m2 = _combine(self.n, self.mean, self.m2, nb, mb, m2b)
        self._update_units(x)

    def _update_units(self, x: np.ndarray) -> None:
        """Per-unit moments: reduce over every axis but 1 (a 1-D x is a single unit)."""
        if x.ndim < 2:
            x = x.reshape(-1, 1)
        axes = (0,) + tuple(range(2, x.ndim))
        nb = x.size // x.shape[1]
        mb = x.mean(axis=axes)
        m2b = np.square(x - np.expand_dims(mb, axes)).sum(axis=axes)
        if self.unit_n == 0:
            self.unit_n, self.unit_mean, self.unit_m2 = nb, mb, m2b
        else:
            self.unit_n, self.unit_mean, self.unit_m2 = _combine(self.unit_n, self.unit_mean, self.unit_m2,
                                                                 nb, mb, m2b)

    @property
    def var(self) -> float:
        return self.m2 / self.n if self.n else math.nan

    @property
    def unit_var(self) -> np.ndarray:
        return self.unit_m2 / self.unit_n if self.unit_n else np.full(self.unit_m2.shape, math.nan)


def _combine(na: int, ma: Any, m2a: Any, nb: int, mb: Any, m2b: Any) -> tuple[int, Any, Any]:
    """Chan's update of (count, mean, M2) with a second part (scalars or per-unit arrays)."""
    n = na + nb
    delta = mb - ma
    return n, ma + delta * nb / n, m2a + m2b + delta * delta * (na * nb / n)


def activation_stats(model: Any, X: np.ndarray, batch_size: int = 1024) -> list[Record]:
    """Mean, variance and sign statistics of every layer's output on the data X.

    For the output a of a layer, over all N samples and all its units (every element)::

        mean = Σ a / M,   var = Σ (a − mean)² / M      (population variance, as np.var; M = a.size)
        neg_fraction = #{a < 0} / M,   zero_fraction = #{a == 0} / M   (exact zeros, e.g. ReLU's)

    For an activation layer the same mean and variance of its input, the pre-activation z,
    are reported as ``z_mean`` and ``z_var``. Per unit (a feature of an (N, D) output, a channel
    of an (N, C, H, W) one: over the N samples and every position), the arrays ``unit_mean`` and
    ``unit_var`` of shape (units,) give the same mean and population variance. Self-normalising
    networks (SELU with LeCun-normal weights, Klambauer et al. 2017, arXiv:1706.02515) keep
    mean ≈ 0 and var ≈ 1 at every depth.

    The values are exact, not estimated from a subsample: batches are accumulated in float64
    with Chan's parallel formula (see ``_RunningMoments``), so the result equals a direct
    float64 computation over the whole data set to about 1e-12 relative, for any ``batch_size``.

    Parameters
    ----------
    model : Sequential (or a single layer)
    X : array (N, ...)
    batch_size : int, default 1024 — rows per forward pass; memory is one batch.

    Returns
    -------
    list of dict, one per layer in forward order, with keys ``layer`` (position), ``name``,
    ``units`` (size of the output's axis 1), ``mean``, ``var``, ``neg_fraction``,
    ``zero_fraction``, ``z_mean``, ``z_var`` (None for layers that are not activations; a layer
    that is neither an Activation nor one of minnet's layers also gets an
    :class:`UnmeasuredLayerWarning`), and
    the per-unit arrays ``unit_mean`` and ``unit_var`` (not shown by :func:`report`).
    """
    leaves, X, batch_size = _check_inputs(model, X, batch_size, "activation_stats")
    _warn_unrecognised(leaves, "activation_stats",
                       "only its output is measured: its input is not reported as a pre-activation (z_mean and z_var "
                       "are None)")
    outputs = {pos: _RunningMoments() for pos, _ in leaves}
    inputs = {pos: _RunningMoments() for pos, layer in leaves if isinstance(layer, Activation)}
    units: dict[Position, int] = {}

    def visit(pos: Position, layer: Layer, x: np.ndarray, y: np.ndarray) -> None:
        outputs[pos].update(y)
        if pos in inputs:
            inputs[pos].update(x)
        units[pos] = _units(np.asarray(y))

    with _untouched(model, leaves):
        for (xb,) in _batches(X, batch_size):
            _forward(leaves, xb, visit)

    records = []
    for pos, layer in leaves:
        out, z = outputs[pos], inputs.get(pos)
        records.append({
            "layer": pos, "name": _layer_name(layer), "units": units[pos],
            "mean": out.mean, "var": out.var,
            "neg_fraction": out.negative / out.n, "zero_fraction": out.zero / out.n,
            "z_mean": None if z is None else z.mean, "z_var": None if z is None else z.var,
            "unit_mean": out.unit_mean, "unit_var": out.unit_var,
        })
    return records
