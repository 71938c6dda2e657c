"""Fast kernels of the activations: each class's ``reference`` formula, rewritten for speed.

A kernel takes x (a floating array with at least one dimension) and returns ``(y, dydx)``, the
same two arrays the class's ``reference`` returns, computed with **the same floating-point
operations element for element**, so the two agree bit for bit (``tests/test_activations.py``
checks it on every dtype and on the awkward inputs: ±0, subnormals, ±1e4, −1e30, ±inf). Only the
bookkeeping differs: where the result is written, and how a branch is picked.

Speed: piecewise functions pick their branch by arithmetic with the 0/1 mask ``x > 0``
(``slope·[x ≤ 0] + 1·[x > 0]``, exact because every product is by 0 or 1), never by ``np.where``
or ``np.copyto(..., where=mask)``. Those test the sign of every element with a branch; on real
data the signs are random, the processor mispredicts half of the branches, and a masked write
costs 10–100 times an arithmetic pass (``python -m minnet.bench`` measures it). Results are in
place (``out=``, ``*=``) to avoid temporaries, and each activation caches only its derivative
for ``backward``.

Memory: a fresh multi-megabyte array is not free. The operating system maps its pages on first
write, one page fault per 4 KB, and the C allocator gives large freed blocks back, so code that
allocates its temporaries anew pays those faults on every call (on the machines this was
measured on, more than the arithmetic). So a layer's ``forward`` lets the kernel write the
derivative into the previous forward's derivative array when shape and dtype fit (that cache is
dead once a new forward starts), and temporaries that never leave the kernel live in a small
per-layer :class:`Workspace`. The outputs y and dx are always new arrays.

Measured with ``python -m minnet.bench`` (its ELU/SELU section: forward + backward on 10⁶ float32
values, in units of one ``np.copyto`` of the same array, on a 2-core machine; the ratios move with
the machine's load): the ELU kernel takes about 6 to 7.3 copies, the SELU kernel about 10 to 11.6, and the
classes' ``reference`` (``np.where``) versions of the same formulas about 26 to 45.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def as_float(x: Any) -> np.ndarray:
    """x as an array; floating dtypes are kept, anything else (int, bool) becomes float64."""
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def fits(a: Any, shape: tuple[int, ...], dtype: np.dtype) -> bool:
    """True if ``a`` is an array that can be overwritten with a result of this shape and dtype
    (an unpickled model's arrays may be read-only memory maps)."""
    return isinstance(a, np.ndarray) and a.shape == shape and a.dtype == dtype and a.flags.writeable


class Workspace:
    """The memory an activation keeps between calls (see "Memory" in the module docstring).

    ``recyclable`` is the array the next derivative may be written into (the layer sets it to
    its previous forward's derivative while a forward runs, else it is None); ``scratch`` holds
    work arrays that never leave a kernel. Neither is worth saving: pickling gives an empty one.
    """

    def __init__(self) -> None:
        self.recyclable: np.ndarray | None = None
        self.scratch: dict[str, np.ndarray] = {}

    def derivative_array(self, x: np.ndarray, dtype: np.dtype | type | None = None) -> np.ndarray:
        """The array to write f'(x) into: ``recyclable`` when shape and dtype fit (used once), else a new one."""
        dtype = x.dtype if dtype is None else np.dtype(dtype)
        old, self.recyclable = self.recyclable, None
        return old if old is not None and fits(old, x.shape, dtype) else np.empty(x.shape, dtype)

    def scratch_like(self, name: str, x: np.ndarray, dtype: np.dtype | type | None = None) -> np.ndarray:
        """A work array shaped like x, kept between calls (new only when the shape or dtype changes)."""
        dtype = x.dtype if dtype is None else np.dtype(dtype)
        a = self.scratch.get(name)
        if a is None or not fits(a, x.shape, dtype):
            a = self.scratch[name] = np.empty(x.shape, dtype)
        return a

    def __getstate__(self) -> dict[str, Any]:
        return {"recyclable": None, "scratch": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]


# --- two building blocks ----------------------------------------------------------------------
def exp_branch(x: np.ndarray, alpha: float, slope_out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The negative branch of ELU/SELU, never overflowing: ``(α·expm1(m), α·exp(m))`` with m = min(x, 0).

    The value is a new array (0 where x > 0); the derivative is written into ``slope_out`` if given.
    """
    value = np.minimum(x, 0)                      # m
    slope = np.exp(value, out=slope_out)
    np.expm1(value, out=value)
    if alpha != 1:                                # (a multiplication by 1 is a wasted pass)
        slope *= alpha
        value *= alpha
    return value, slope


def select_positive(x: np.ndarray, negative: np.ndarray, positive: float | np.ndarray,
                    mask: np.ndarray | None = None, work: np.ndarray | None = None) -> np.ndarray:
    """``negative`` where x ≤ 0 and ``positive`` where x > 0, written into ``negative``.

    Computed as negative·[x ≤ 0] + positive·[x > 0] with a boolean mask: exact (each product is
    by 0 or 1; ``negative`` must be finite where x > 0) and branch-free, so random signs cost
    nothing. ``mask`` (bool) and ``work`` (like ``negative``) are optional scratch arrays.
    """
    mask = np.less_equal(x, 0, out=mask)
    negative *= mask                              # 0 where x > 0
    positive_mask = np.logical_not(mask, out=mask)
    if np.isscalar(positive) and positive == 1:
        negative += positive_mask
    else:
        negative += np.multiply(positive_mask, positive, out=work, dtype=negative.dtype)
    return negative


# --- the kernels, in the order of minnet.nn.activations ---------------------------------------
def relu(x: np.ndarray, work: Workspace | None = None) -> tuple[np.ndarray, np.ndarray]:
    """max(0, x) and the derivative as the boolean mask x > 0 (1 byte per unit instead of 4)."""
    work = work or Workspace()
    return np.maximum(x, 0), np.greater(x, 0, out=work.derivative_array(x, bool))


def prelu(x: np.ndarray, slope: float | np.ndarray, work: Workspace | None = None) -> tuple[np.ndarray, np.ndarray]:
    """x if x > 0 else a·x, for LeakyReLU (one number a) and PReLU (slopes broadcasting against x)."""
    work = work or Workspace()
    dydx = work.derivative_array(x)
    np.copyto(dydx, slope)                        # a, broadcast over x, in x's dtype
    dydx = select_positive(x, dydx, 1.0, work.scratch_like("mask", x, bool))
    return x * dydx, dydx                         # x·1 = x and a·x exactly, as the formula says


def elu(x: np.ndarray, alpha: float, work: Workspace | None = None) -> tuple[np.ndarray, np.ndarray]:
    """x if x > 0 else α·expm1(x), derivative 1 or α·exp(x), the exponentials of min(x, 0) only."""
    work = work or Workspace()
    y, dydx = exp_branch(x, alpha, work.derivative_array(x))
    y += np.maximum(x, 0, out=work.scratch_like("positive", x))
    if alpha == 1:                                # e^min(x, 0) is already 1 for x > 0
        return y, dydx
    return y, select_positive(x, dydx, 1.0, work.scratch_like("mask", x, bool))


def selu(x: np.ndarray, scale: float, scale_alpha: float,
         work: Workspace | None = None) -> tuple[np.ndarray, np.ndarray]:
    """λ·x if x > 0 else λα·expm1(x), derivative λ or λα·exp(x) (λα given as one correctly rounded number).

    The derivative is λα·e^min(x, 0) − (λα − λ)·[x > 0]: λα·e⁰ = λα where x > 0, and λα − (λα − λ) = λ
    exactly, because λα − λ is exact in any binary floating format (Sterbenz: λ ≤ λα ≤ 2λ, which
    ``minnet.nn.activations`` checks once for its constants), and so is the result; where x ≤ 0 the
    subtraction takes away 0. Three passes instead of a five-pass selection.
    """
    work = work or Workspace()
    y, dydx = exp_branch(x, scale_alpha, work.derivative_array(x))
    positive_part = np.maximum(x, 0, out=work.scratch_like("positive", x))
    positive_part *= scale
    y += positive_part
    lam_alpha, lam = x.dtype.type(scale_alpha), x.dtype.type(scale)
    is_positive = np.greater(x, 0, out=work.scratch_like("mask", x, bool))
    dydx -= np.multiply(is_positive, lam_alpha - lam, out=positive_part)     # (λα − λ)·[x > 0]
    return y, dydx


def celu(x: np.ndarray, alpha: float, work: Workspace | None = None) -> tuple[np.ndarray, np.ndarray]:
    """x if x > 0 else α·expm1(x/α), derivative e^{min(x, 0)/α} (already 1 for x ≥ 0)."""
    work = work or Workspace()
    m = np.minimum(x, 0)                          # becomes y
    with np.errstate(over="ignore"):              # x/α → −inf for |α| < 1 and x near −max: e^−inf = 0, harmless
        m /= alpha
    dydx = np.exp(m, out=work.derivative_array(x))
    y = np.expm1(m, out=m)
    y *= alpha
    y += np.maximum(x, 0, out=work.scratch_like("positive", x))
    return y, dydx


def sigmoid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(σ(x), σ(x)·σ(−x)), both from e = e^{−|x|} ∈ (0, 1], so nothing overflows.

    With d = 1/(1 + e): σ(x) = d for x ≥ 0 and e·d for x < 0; σ(x)·σ(−x) = e·d·d.
    """
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)                              # e = e^{−|x|}
    d = e + 1
    np.reciprocal(d, out=d)                       # d = 1/(1 + e)
    e *= d                                        # e·d = σ(x) for x < 0
    dydx = e * d                                  # e·d·d = σ(x)·σ(−x)
    y = select_positive(-x, d, e)                 # d where −x ≤ 0 (x ≥ 0), e·d where x < 0
    return y, dydx


def tanh(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tanh(x) and sech²(x) = 4t/(1 + t)² with t = e^{−2|x|} (underflows harmlessly to 0)."""
    t = np.exp(-np.abs(x))
    t *= t
    return np.tanh(x), 4 * t / (1 + t) ** 2


def silu(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x·σ(x) and σ(x) + x·σ(x)·σ(−x)."""
    s, ds = sigmoid(x)
    ds *= x
    ds += s
    return x * s, ds


def identity(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A copy of x (a new array, like every other layer's output) and the derivative 1 as one 0-d array."""
    return x.copy(), np.ones((), dtype=x.dtype)
