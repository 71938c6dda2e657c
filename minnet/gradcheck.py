"""Numerical gradient checks by central differences, in float64.

For a layer (or model) f and a fixed random direction r, the scalar
L(x, θ) = Σ f(x; θ) · r has the analytic gradients that ``backward(r)`` returns
(dL/dx) and accumulates (dL/dθ). Each is compared with the central difference

    dL/du_i ≈ (L(u + h·e_i) − L(u − h·e_i)) / (2h),      h = 1e-5 by default,

whose error is O(h²) from truncation plus O(ε_mach/h) from rounding, about 1e-11
in float64. The error reported for a tensor is the max-norm relative error

    err = max_i |analytic_i − numeric_i| / max(max_i |analytic_i|, max_i |numeric_i|),

so a correct backward gives ≈ 1e-9 or less and a wrong one gives ≈ 1.

Central differences straddle a kink (ReLU at 0, ELU at 0) and return the mean of
the two one-sided slopes there: choose points with |x| > h.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from minnet.nn.layer import Layer


@dataclass
class GradcheckResult:
    """Largest relative error per tensor (``"input"`` and each parameter by name)."""

    errors: dict[str, float] = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        """The largest error; nan (a broken gradient) counts as inf, so it can never pass."""
        return max((math.inf if math.isnan(v) else v for v in self.errors.values()), default=0.0)

    def passed(self, tol: float = 1e-7) -> bool:
        return self.max_error <= tol

    def __getitem__(self, name: str) -> float:
        return self.errors[name]

    def __str__(self) -> str:
        width = max([len("tensor"), *(len(k) for k in self.errors)])
        lines = [f"{'tensor':<{width}}  relative error", f"{'-' * width}  --------------"]
        lines += [f"{k:<{width}}  {v:.3e}" for k, v in self.errors.items()]
        lines.append(f"{'max':<{width}}  {self.max_error:.3e}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"GradcheckResult(max_error={self.max_error:.3e}, errors={self.errors})"


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max|a − n| / max(max|a|, max|n|); 0 when both are identically 0, inf if either holds inf/nan."""
    if not (np.all(np.isfinite(analytic)) and np.all(np.isfinite(numeric))):
        return math.inf
    scale = max(float(np.max(np.abs(analytic), initial=0.0)), float(np.max(np.abs(numeric), initial=0.0)))
    if scale == 0.0:
        return 0.0
    return float(np.max(np.abs(analytic - numeric))) / scale


def numerical_gradient(f: Callable[[], float], u: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to ``u`` (changed in place, then restored).

    ``u`` is indexed element by element (``np.ndindex``), not through ``u.reshape(-1)``:
    for a non-C-contiguous ``u`` (a transposed array) that reshape is a copy, and
    perturbing the copy would leave ``f()`` unchanged.
    """
    grad = np.zeros(u.shape, dtype=np.float64)
    for i in np.ndindex(u.shape):
        old = u[i]
        u[i] = old + h
        plus = f()
        u[i] = old - h
        minus = f()
        u[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def _generators(model: Any) -> list[np.random.Generator]:
    """Every ``numpy.random.Generator`` a layer holds (dropout masks), so draws can be replayed."""
    layers = getattr(model, "layers", None)
    found = [] if layers is None else [g for layer in layers for g in _generators(layer)]
    rng = getattr(model, "rng", None)
    if isinstance(rng, np.random.Generator):
        found.append(rng)
    return found


def gradcheck(layer: Layer, x: np.ndarray, *, training: bool = False, h: float = 1e-5,
              seed: int = 0) -> GradcheckResult:
    """Compare ``layer.backward`` with central differences, for the input and every parameter.

    The layer is copied and converted to float64 (the original is untouched). With
    ``training=True`` random layers (dropout) are checked with their mask held
    fixed: every generator's state is restored before each forward pass.

    Parameters
    ----------
    layer : Layer or Sequential
    x : array (N, ...)  The point to check at; keep it away from kinks (|x| > h).
    training : bool     Forward mode to check.
    h : float           Step of the central difference.
    seed : int          Seed of the random direction r in L = Σ f(x)·r.

    Returns
    -------
    GradcheckResult: ``errors`` maps ``"input"`` and each parameter name to its
    relative error; ``max_error`` is the largest. ``print(result)`` shows a table.
    """
    model = copy.deepcopy(layer)
    model.astype(np.float64)
    x = np.array(x, dtype=np.float64)
    generators = _generators(model)
    states = [g.bit_generator.state for g in generators]

    def output() -> np.ndarray:
        for g, s in zip(generators, states, strict=True):
            g.bit_generator.state = s
        return model.forward(x, training=training)

    y = output()
    r = np.random.default_rng(seed).standard_normal(y.shape)

    def loss() -> float:
        return float(np.sum(output() * r))

    model.zero_grad()
    output()
    dx = model.backward(r.copy())
    analytic = {"input": np.array(dx, dtype=np.float64)}
    analytic.update({name: p.grad.copy() for name, p in model.named_parameters()})

    errors = {"input": relative_error(analytic["input"], numerical_gradient(loss, x, h))}
    for name, p in model.named_parameters():
        errors[name] = relative_error(analytic[name], numerical_gradient(loss, p.data, h))
    return GradcheckResult(errors)


def gradcheck_loss(loss_fn: Any, pred: np.ndarray, target: np.ndarray, *, h: float = 1e-5) -> GradcheckResult:
    """Compare ``loss_fn.backward()`` (dL/dpred) with central differences of ``loss_fn.forward(pred, target)``."""
    pred = np.array(pred, dtype=np.float64)
    loss_fn.forward(pred, target)
    analytic = np.array(loss_fn.backward(), dtype=np.float64)
    numeric = numerical_gradient(lambda: float(loss_fn.forward(pred, target)), pred, h)
    return GradcheckResult({"input": relative_error(analytic, numeric)})
