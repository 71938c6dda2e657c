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
the two one-sided slopes there: choose points with |x| > h. When a check fails,
the one-sided differences (L(u + h·e_i) − L(u))/h and (L(u) − L(u − h·e_i))/h of
each failing entry are compared: where they disagree by more than
``KINK_JUMP`` × the tensor's gradient scale, the function is not smooth within h of
that point, and the verdict says that the failure comes from a kink rather than
from the backward pass.

``print(result)`` shows a table and ends with a verdict line::

    passed: max relative error 2.1e-11 <= tolerance 1e-07
    FAILED: max relative error 5.0e-01 > tolerance 1e-07 (worst: input)
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from minnet.nn.layer import Layer
from minnet.rng import RNGLike, check_rng, make_rng, rng_or_seed

#: Default tolerance on the max-norm relative error (float64 central differences, h = 1e-5).
DEFAULT_TOL = 1e-7
#: A failing entry lies within h of a kink when its one-sided differences disagree by more than this
#: fraction of the tensor's gradient scale (a smooth function gives about h·|f''|, ≈ 1e-5 of it).
KINK_JUMP = 1e-3


@dataclass
class GradcheckResult:
    """Largest relative error per tensor (``"input"`` and each parameter by name), judged at ``tol``.

    ``failing[name]`` is the number of entries of a tensor whose error exceeds ``tol`` and
    ``at_kink[name]`` how many of them lie within the step h of a kink (one-sided differences disagree);
    both are filled for failed checks only.
    """

    errors: dict[str, float] = field(default_factory=dict)
    tol: float = DEFAULT_TOL
    h: float = 1e-5
    failing: dict[str, int] = field(default_factory=dict)
    at_kink: dict[str, int] = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        """The largest error; nan (a broken gradient) counts as inf, so it can never pass."""
        return max((math.inf if math.isnan(v) else v for v in self.errors.values()), default=0.0)

    def passed(self, tol: float | None = None) -> bool:
        """True when every tensor's error is at most ``tol`` (default: the tolerance of the check)."""
        return self.max_error <= (self.tol if tol is None else tol)

    def __getitem__(self, name: str) -> float:
        return self.errors[name]

    @property
    def verdict(self) -> str:
        """One line: passed or FAILED at the tolerance, and, for a failure, whether kinks explain it."""
        if self.passed():
            return f"passed: max relative error {self.max_error:.1e} <= tolerance {self.tol:g}"
        worst = max(self.errors, key=lambda k: math.inf if math.isnan(self.errors[k]) else self.errors[k])
        line = f"FAILED: max relative error {self.max_error:.1e} > tolerance {self.tol:g} (worst: {worst})"
        kinked = {k: n for k, n in self.at_kink.items() if n}
        if kinked:
            parts = ", ".join(f"{k}: {n} of {self.failing[k]} failing entries" for k, n in kinked.items())
            share = "the failure comes" if sum(kinked.values()) == sum(self.failing.values()) else "part of it comes"
            line += (f"\n  {share} from sample points within h = {self.h:g} of a kink ({parts}): there the central "
                     "difference is the mean of the two one-sided slopes, not the derivative; move the points "
                     "away from the kink (e.g. |x| > h for an activation's input)")
        return line

    def __str__(self) -> str:
        width = max([len("tensor"), *(len(k) for k in self.errors)])
        lines = [f"{'tensor':<{width}}  relative error", f"{'-' * width}  --------------"]
        lines += [f"{k:<{width}}  {v:.3e}" for k, v in self.errors.items()]
        lines.append(f"{'max':<{width}}  {self.max_error:.3e}")
        lines.append(self.verdict)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"GradcheckResult(max_error={self.max_error:.3e}, errors={self.errors}, tol={self.tol:g})"


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
    return _differences(f, u, h)[0]


def _differences(f: Callable[[], float], u: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
    """The central difference (L⁺ − L⁻)/2h and the gap between the one-sided ones, (L⁺ − L₀)/h − (L₀ − L⁻)/h."""
    central = np.zeros(u.shape, dtype=np.float64)
    gap = np.zeros(u.shape, dtype=np.float64)
    base = f()
    for i in np.ndindex(u.shape):
        old = u[i]
        u[i] = old + h
        plus = f()
        u[i] = old - h
        minus = f()
        u[i] = old
        central[i] = (plus - minus) / (2 * h)
        gap[i] = (plus - 2 * base + minus) / h
    return central, gap


def _compare(analytic: np.ndarray, f: Callable[[], float], u: np.ndarray, h: float, tol: float
             ) -> tuple[float, int, int]:
    """(relative error, entries failing at ``tol``, failing entries within h of a kink) for one tensor."""
    numeric, gap = _differences(f, u, h)
    error = relative_error(analytic, numeric)
    if error <= tol or not math.isfinite(error):
        return error, 0, 0
    scale = max(float(np.max(np.abs(analytic), initial=0.0)), float(np.max(np.abs(numeric), initial=0.0)))
    failing = np.abs(analytic - numeric) > tol * scale
    kink = np.abs(gap) > KINK_JUMP * scale
    return error, int(np.count_nonzero(failing)), int(np.count_nonzero(failing & kink))


def _generators(model: Any) -> list[np.random.Generator]:
    """Every ``numpy.random.Generator`` a layer holds (dropout masks), so draws can be replayed."""
    layers = getattr(model, "layers", None)
    found = [] if layers is None else [g for layer in layers for g in _generators(layer)]
    rng = getattr(model, "rng", None)
    if isinstance(rng, np.random.Generator):
        found.append(rng)
    return found


def gradcheck(layer: Layer, x: np.ndarray, *, training: bool = False, h: float = 1e-5,
              rng: RNGLike = None, tol: float = DEFAULT_TOL, seed: RNGLike = None) -> GradcheckResult:
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
    rng : int or Generator  Seed (or generator) of the random direction r in L = Σ f(x)·r; None means
                        seed 0, so that a check repeats exactly. ``seed=`` is an alias (see
                        :mod:`minnet.rng`).
    tol : float         The tolerance of the verdict (``result.passed()``, ``print(result)``).

    Returns
    -------
    GradcheckResult: ``errors`` maps ``"input"`` and each parameter name to its
    relative error; ``max_error`` is the largest. ``print(result)`` shows a table and
    a verdict line (passed or failed at ``tol``, and whether a failure comes from
    sample points within h of a kink).
    """
    rng = check_rng(rng_or_seed(rng, seed, "gradcheck"), "gradcheck", "rng" if seed is None else "seed")
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
    r = make_rng(0 if rng is None else rng).standard_normal(y.shape)

    def loss() -> float:
        return float(np.sum(output() * r))

    model.zero_grad()
    output()
    dx = model.backward(r.copy())
    analytic = {"input": np.array(dx, dtype=np.float64)}
    analytic.update({name: p.grad.copy() for name, p in model.named_parameters()})

    result = GradcheckResult(tol=tol, h=h)
    tensors = [("input", x), *((name, p.data) for name, p in model.named_parameters())]
    for name, u in tensors:
        error, failing, at_kink = _compare(analytic[name], loss, u, h, tol)
        result.errors[name] = error
        if failing:
            result.failing[name], result.at_kink[name] = failing, at_kink
    return result


def gradcheck_loss(loss_fn: Any, pred: np.ndarray, target: np.ndarray, *, h: float = 1e-5,
                   tol: float = DEFAULT_TOL) -> GradcheckResult:
    """Compare ``loss_fn.backward()`` (dL/dpred) with central differences of ``loss_fn.forward(pred, target)``."""
    pred = np.array(pred, dtype=np.float64)
    loss_fn.forward(pred, target)
    analytic = np.array(loss_fn.backward(), dtype=np.float64)
    error, failing, at_kink = _compare(analytic, lambda: float(loss_fn.forward(pred, target)), pred, h, tol)
    result = GradcheckResult({"input": error}, tol=tol, h=h)
    if failing:
        result.failing["input"], result.at_kink["input"] = failing, at_kink
    return result
