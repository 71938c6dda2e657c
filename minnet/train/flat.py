"""The layout of a fused optimizer step: each dtype's parameters, gradients and optimizer state in flat buffers.

An optimizer's fast path (``Optimizer.step``) updates every parameter of a dtype with a handful of NumPy
calls over one contiguous array instead of a dozen calls per parameter. :class:`FlatGroup` holds that
layout: a :class:`~minnet.nn.parameter.FlatParameters` (``data`` and ``grad`` buffers, each
``Parameter.data``/``grad`` a view into them), one buffer per optimizer state name (each
``optimizer.state[p][name]`` a view), two scratch buffers, and the number of leading elements that
weight decay applies to (parameters with ``weight_decay=True`` come first).

The layout only describes the arrays; the optimizer checks it is still in force (``intact``) before each
fused step, because users may re-bind ``p.data``, ``p.grad`` or a state array, freeze a parameter, load
a state dict, or copy the model and optimizer together (a copy keeps each view's identity but gives it
memory of its own, so ``intact`` also checks each view's ``.base``). When it is not, the optimizer builds
it again from the current arrays, or, when it cannot (a frozen parameter, a dtype changed after
construction), takes the per-parameter path.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from minnet.nn.parameter import FlatParameters, Parameter, pack


class FlatGroup:
    """One dtype's parameters (decayed ones first), their state and scratch, as flat buffers (module docstring)."""

    def __init__(self, params: Sequence[Parameter], state: dict[Parameter, dict[str, np.ndarray]],
                 state_names: Sequence[str]) -> None:
        ordered = [p for p in params if p.weight_decay] + [p for p in params if not p.weight_decay]
        self.flat = FlatParameters(ordered)
        self.params = self.flat.params
        self.decayed = [p.weight_decay for p in self.params]
        self.n_decayed = sum(p.data.size for p in self.params if p.weight_decay)
        self.state: dict[str, np.ndarray] = {}
        self.state_views: list[tuple[np.ndarray, ...]] = [() for _ in self.params]
        for name in state_names:
            self.state[name], views = pack([state[p][name] for p in self.params], self.flat.dtype)
            for i, (p, view) in enumerate(zip(self.params, views, strict=True)):
                state[p][name] = view
                self.state_views[i] += (view,)
        self.state_names = tuple(state_names)
        self.scratch = np.empty(self.flat.data.size, dtype=self.flat.dtype)
        self.gradient = np.empty_like(self.scratch)

    def intact(self, state: dict[Parameter, dict[str, np.ndarray]]) -> bool:
        """True while the arrays are still these buffers' views, every parameter trainable, decay flags unchanged."""
        if not self.flat.bound():                          # re-bound (assigned) or copied (see FlatParameters)
            return False
        for p, decayed, views in zip(self.params, self.decayed, self.state_views, strict=True):
            if not p.trainable or p.weight_decay != decayed:
                return False
            s = state[p]
            for name, view in zip(self.state_names, views, strict=True):
                if s[name] is not view or view.base is not self.state[name]:    # re-bound, or copied
                    return False
        return True

    def decayed_gradient(self, weight_decay: float) -> np.ndarray:
        """g + λθ on the decayed parameters and g on the others, as one array (the gradient buffer itself when
        no decay applies; it is never modified)."""
        n, data, grad = self.n_decayed, self.flat.data, self.flat.grad
        if not weight_decay or n == 0:
            return grad
        g = self.gradient
        np.multiply(data[:n], weight_decay, out=g[:n])
        g[:n] += grad[:n]
        g[n:] = grad[n:]
        return g


def can_flatten(params: Sequence[Parameter], state: dict[Parameter, dict[str, np.ndarray]]) -> bool:
    """True when every parameter is trainable and its grad and state arrays match its data's shape and dtype."""
    for p in params:
        if not p.trainable or p.grad.shape != p.data.shape or p.grad.dtype != p.data.dtype:
            return False
        if any(a.shape != p.data.shape or a.dtype != p.data.dtype for a in state[p].values()):
            return False
    return True


def build_groups(params: Sequence[Parameter], state: dict[Parameter, dict[str, np.ndarray]],
                 state_names: Sequence[str]) -> list[FlatGroup] | None:
    """One FlatGroup per dtype (re-binding the parameters' and the state's arrays to views), or None when
    :func:`can_flatten` says the fused path does not apply."""
    if not can_flatten(params, state):
        return None
    by_dtype: dict[np.dtype, list[Parameter]] = {}
    for p in params:
        by_dtype.setdefault(p.data.dtype, []).append(p)
    return [FlatGroup(group, state, state_names) for group in by_dtype.values()]
