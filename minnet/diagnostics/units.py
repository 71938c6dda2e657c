"""Dead, numerically dead and never-active units of every activation layer (:func:`dead_units`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minnet.diagnostics.walk import (
    Position,
    Record,
    _any_per_unit,
    _batches,
    _check_inputs,
    _forward,
    _layer_name,
    _untouched,
    _warn_unrecognised,
)
from minnet.nn.activations import Activation
from minnet.nn.layer import Layer


# --- dead units -----------------------------------------------------------------------------
def dead_units(model: Any, X: np.ndarray, batch_size: int = 1024) -> list[Record]:
    """Count the dead and the never-active units of every activation layer on the data X.

    Definitions (docs/conventions.md, "Dead and never-active units"), with z the pre-activation
    (the activation layer's input)
    of a unit over all N samples (and all positions, for channels):

    - **dead**: f'(z) = 0 for every sample, *in exact arithmetic* — decided by
      ``layer.derivative_is_zero(z)``, never by floating-point zeros of the computed slope.
      ReLU: z ≤ 0 everywhere (ReLU'(0) = 0, PyTorch's convention); LeakyReLU/PReLU only
      when the slope is 0; ELU and SELU never (f' > 0 even where α·eᶻ underflows to 0).
      No gradient reaches a dead unit's incoming weights, so it cannot recover.
    - **numerically dead**: the derivative computed in the model's floating-point type,
      ``layer.derivative(z)`` (z has the model's dtype), is exactly 0 for every sample. Every
      dead unit is numerically dead; an ELU or SELU unit is numerically dead when α·eᶻ underflows
      to 0 for every sample (z below about −104 in float32, −745 in float64): it is not dead, but
      in this arithmetic no gradient reaches it either.
    - **never active**: z ≤ 0 for every sample. For ReLU this is the same as dead; a
      LeakyReLU, PReLU, ELU or SELU unit can be never active and still learn.

    Parameters
    ----------
    model : Sequential (or a single layer)
        Activation layers are the instances of :class:`minnet.nn.activations.Activation`,
        home-made ones included: they are measured through ``derivative_is_zero`` and
        ``derivative`` like minnet's own (see ``Activation.derivative_is_zero`` for a subclass
        that does not override it). A layer that is neither an Activation nor one of minnet's
        layers (a plain ``mn.Layer`` subclass) is not measured, with an
        :class:`UnmeasuredLayerWarning` naming it and its position.
    X : array (N, ...)
        The data, e.g. (N, D) features or (N, C, H, W) images.
    batch_size : int, default 1024
        Rows per forward pass; only per-unit boolean accumulators are kept between
        batches, so memory is one batch. The result does not depend on it.

    Returns
    -------
    list of dict, one per activation layer, in forward order, with keys
    ``layer`` (position), ``name`` (class name), ``units`` (features or channels),
    ``dead``, ``numerically_dead``, ``never_active`` (counts), ``dead_fraction``,
    ``numerically_dead_fraction``, ``never_active_fraction`` (count / units), and the per-unit
    boolean arrays ``dead_mask``, ``numerically_dead_mask`` and ``never_active_mask`` of shape
    (units,) (not shown by :func:`report`).
    An empty list when the model has no activation layer.
    """
    leaves, X, batch_size = _check_inputs(model, X, batch_size, "dead_units")
    _warn_unrecognised(leaves, "dead_units", "its dead units are not counted (it gets no record)")
    alive: dict[Position, _UnitFlags] = {}

    def visit(pos: Position, layer: Layer, z: np.ndarray, y: np.ndarray) -> None:
        if not isinstance(layer, Activation):
            return
        if pos in alive:
            alive[pos].update(layer, np.asarray(z))
        else:
            alive[pos] = _UnitFlags(layer, np.asarray(z))

    with _untouched(model, leaves):
        for (xb,) in _batches(X, batch_size):
            _forward(leaves, xb, visit)

    return [_dead_record(pos, layer, alive[pos]) for pos, layer in leaves if pos in alive]


class _UnitFlags:
    """Per-unit "some sample says otherwise" flags of one activation layer, OR-ed over the batches.

    ``slope`` — f'(z) ≠ 0 in exact arithmetic (``not layer.derivative_is_zero(z)``);
    ``computed_slope`` — the derivative computed in z's dtype, ``layer.derivative(z)``, is not 0;
    ``positive`` — z > 0.
    """

    def __init__(self, layer: Activation, z: np.ndarray) -> None:
        self.slope, self.computed_slope, self.positive = self._measure(layer, z)

    @staticmethod
    def _measure(layer: Activation, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        slope = _any_per_unit(~np.asarray(layer.derivative_is_zero(z), dtype=bool))
        computed_slope = _any_per_unit(np.asarray(layer.derivative(z)) != 0)
        return slope, computed_slope, _any_per_unit(~(z <= 0))

    def update(self, layer: Activation, z: np.ndarray) -> None:
        slope, computed_slope, positive = self._measure(layer, z)
        self.slope |= slope
        self.computed_slope |= computed_slope
        self.positive |= positive


def _dead_record(pos: Position, layer: Layer, flags: _UnitFlags) -> Record:
    """One record of :func:`dead_units` from the flags collected over the whole data set."""
    dead_mask, never_mask = ~flags.slope, ~flags.positive
    numerically_dead_mask = ~flags.computed_slope | dead_mask     # every dead unit is numerically dead
    units = dead_mask.size
    dead, numerically_dead, never = int(dead_mask.sum()), int(numerically_dead_mask.sum()), int(never_mask.sum())
    return {
        "layer": pos, "name": _layer_name(layer), "units": units,
        "dead": dead, "numerically_dead": numerically_dead, "never_active": never,
        "dead_fraction": dead / units, "numerically_dead_fraction": numerically_dead / units,
        "never_active_fraction": never / units,
        "dead_mask": dead_mask, "numerically_dead_mask": numerically_dead_mask, "never_active_mask": never_mask,
    }
