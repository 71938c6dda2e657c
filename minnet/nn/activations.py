"""Activation functions, one class each, with f(x) and f'(x) in the docstring.

Every activation caches its local derivative f'(x) during ``forward`` so that
``backward(dy)`` is one multiplication, ``dx = dy · f'(x)``.

Conventions at exactly x = 0 follow PyTorch's documented behaviour:
ReLU'(0) = 0, LeakyReLU'(0) = s, PReLU'(0) = a, ELU'(0) = α, SELU'(0) = λα, CELU'(0) = 1.

The exponential branch is always evaluated on ``min(x, 0)`` only
(``expm1(min(x, 0))``): exp of a large positive x would overflow to inf and raise
a warning in a branch that is then thrown away. The derivative of that branch is
computed from ``exp(min(x, 0))`` directly, not as ``expm1(x) + 1``: the latter
cancels to 0 for x below about −17 (float32) or −37 (float64) and loses relative
precision well before that.

Speed: piecewise functions pick their branch by arithmetic with the 0/1 mask
``x > 0`` (``slope·[x ≤ 0] + 1·[x > 0]``, exact because every product is by 0 or 1),
never by ``np.where`` or ``np.copyto(..., where=mask)``. Those test the sign of every
element with a branch; on real data the signs are random, the processor mispredicts
half of the branches, and a masked write costs 10–100 times an arithmetic pass
(``python -m minnet.bench`` measures it). Results are in place (``out=``, ``*=``) to
avoid temporaries, and each activation caches only its derivative for ``backward``.

Memory: a fresh multi-megabyte array is not free. The operating system maps its pages
on first write, one page fault per 4 KB, and the C allocator gives large freed blocks
back, so code that allocates its temporaries anew pays those faults on every call (on
the machines this was measured on, more than the arithmetic). So ``forward`` writes the
derivative into the previous forward's derivative array when shape and dtype fit (that
cache is dead once a new forward starts), and temporaries that never leave the layer
live in a small per-layer workspace. The outputs y and dx are always new arrays.

Inputs of any shape (also 0-d) are accepted; a non-floating input (int, bool) is
converted to float64, a floating input keeps its dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minnet.nn.layer import Layer
from minnet.nn.parameter import Parameter

#: SELU constants (Klambauer et al. 2017, Eq. 14), full double precision.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
#: λα = 1.7580993408473768599…, the SELU limit at −∞ and SELU'(0), correctly rounded
#: (the float64 product SELU_ALPHA * SELU_SCALE = 1.7580993408473766 is one ulp low).
SELU_SCALE_ALPHA = 1.7580993408473768599402175208123


def _as_float(x: np.ndarray) -> np.ndarray:
    """x as an array; floating dtypes are kept, anything else becomes float64."""
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


class Activation(Layer):
    """Base class: an elementwise f with a cached derivative.

    Subclasses implement ``_forward(x) -> (y, slope)`` where slope = f'(x), and
    ``derivative_is_zero(z)``: where f'(z) = 0 in exact arithmetic (used to count
    dead units; see :mod:`minnet.diagnostics`).
    """

    def __init__(self) -> None:
        super().__init__()
        self._slope: np.ndarray | None = None
        self._workspace: dict[str, np.ndarray] = {}
        self._in_forward = False

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._in_forward = True                       # _slope_out may now recycle the old cache
        try:
            y, self._slope = self._evaluate(x)
        finally:
            self._in_forward = False
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._slope is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        return dy * self._slope

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _evaluate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``_forward`` on x as a float array. A 0-d x is computed with shape (1,) and
        reshaped back, so that ``_forward`` may work in place (NumPy turns 0-d results
        into immutable scalars)."""
        x = _as_float(x)
        if x.ndim > 0:
            return self._forward(x)
        y, slope = self._forward(x.reshape(1))
        return y.reshape(()), np.reshape(slope, ())

    def function(self, x: np.ndarray) -> np.ndarray:
        """f(x), without caching anything."""
        return self._evaluate(x)[0]

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """f'(x) elementwise, without caching anything."""
        x = _as_float(x)
        return np.asarray(self._evaluate(x)[1], dtype=x.dtype)    # ReLU caches a boolean mask

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        """Boolean mask: True where f'(z) is exactly 0 in exact arithmetic."""
        return np.zeros(np.shape(z), dtype=bool)

    # --- memory reuse (see the module docstring) ---------------------------------------------
    def _slope_out(self, x: np.ndarray, dtype: np.dtype | type | None = None) -> np.ndarray:
        """The array ``_forward`` writes f'(x) into: during ``forward``, the previous forward's
        derivative when its shape and dtype fit; otherwise a new array (so ``derivative()``
        returns a new array and ``function()`` leaves the cache alone)."""
        dtype = x.dtype if dtype is None else np.dtype(dtype)
        old = self._slope
        if self._in_forward and _fits(old, x.shape, dtype):
            return old
        return np.empty(x.shape, dtype)

    def _scratch(self, name: str, x: np.ndarray, dtype: np.dtype | type | None = None) -> np.ndarray:
        """A work array shaped like x, kept on the layer between calls (new only when the shape
        or dtype changes). Only for temporaries that never leave ``_forward``."""
        dtype = x.dtype if dtype is None else np.dtype(dtype)
        a = self._workspace.get(name)
        if not _fits(a, x.shape, dtype):
            a = self._workspace[name] = np.empty(x.shape, dtype)
        return a

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_workspace"] = {}                  # scratch memory is not worth saving
        return state


def _fits(a: Any, shape: tuple[int, ...], dtype: np.dtype) -> bool:
    """True if ``a`` is an array that can be overwritten with a result of this shape and dtype
    (an unpickled model's arrays may be read-only memory maps)."""
    return isinstance(a, np.ndarray) and a.shape == shape and a.dtype == dtype and a.flags.writeable


def _exp_branch(x: np.ndarray, alpha: float, slope_out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The negative branch of ELU/SELU, never overflowing.

    Returns ``(α·(e^m − 1), α·e^m)`` with m = min(x, 0): the branch value (0 for x > 0,
    a new array) and its derivative (written into ``slope_out`` if given). ``expm1`` keeps
    the value exact near 0; ``exp`` keeps the derivative exact for very negative x
    (``expm1(m) + 1`` would cancel to 0).
    """
    value = np.minimum(x, 0)                      # m
    slope = np.exp(value, out=slope_out)
    np.expm1(value, out=value)
    if alpha != 1:                                # (a multiplication by 1 is a wasted pass)
        slope *= alpha
        value *= alpha
    return value, slope


def _select_positive(x: np.ndarray, negative: np.ndarray, positive: float | np.ndarray,
                     mask: np.ndarray | None = None, work: np.ndarray | None = None) -> np.ndarray:
    """``negative`` where x ≤ 0 and ``positive`` where x > 0, written into ``negative``.

    Computed as negative·[x ≤ 0] + positive·[x > 0] with a boolean mask: exact (each
    product is by 0 or 1; ``negative`` must be finite where x > 0) and branch-free, so
    random signs cost nothing (see the module docstring). ``mask`` (bool) and ``work``
    (like ``negative``) are optional scratch arrays shaped like x.
    """
    mask = np.less_equal(x, 0, out=mask)
    negative *= mask                              # 0 where x > 0
    positive_mask = np.logical_not(mask, out=mask)
    if np.isscalar(positive) and positive == 1:
        negative += positive_mask
    else:
        negative += np.multiply(positive_mask, positive, out=work, dtype=negative.dtype)
    return negative


class ReLU(Activation):
    """Rectified linear unit (Nair & Hinton, 2010).

    f(x)  = max(0, x)
    f'(x) = 1 if x > 0 else 0;  f'(0) = 0 (PyTorch's convention).
    A ReLU unit whose input is ≤ 0 for every sample passes no gradient: it is *dead*.
    Shapes: any; y and dx have the shape of x.
    The derivative is cached as the boolean mask x > 0 (1 byte per unit instead of 4);
    backward multiplies dy by it.
    """

    def _forward(self, x):
        return np.maximum(x, 0), np.greater(x, 0, out=self._slope_out(x, bool))

    def derivative_is_zero(self, z):
        return np.asarray(z) <= 0


class LeakyReLU(Activation):
    """Leaky ReLU (Maas, Hannun & Ng, 2013).

    f(x)  = x if x > 0 else s·x
    f'(x) = 1 if x > 0 else s;  f'(0) = s (PyTorch's convention).
    Default s = ``negative_slope`` = 0.01 (PyTorch's default).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def _forward(self, x):
        slope = self._slope_out(x)
        slope.fill(self.negative_slope)
        slope = _select_positive(x, slope, 1.0, self._scratch("mask", x, bool))
        return x * slope, slope                   # x·1 = x and x·s exactly, as the formula says

    def derivative_is_zero(self, z):
        z = np.asarray(z)
        return z <= 0 if self.negative_slope == 0 else np.zeros(z.shape, dtype=bool)

    def get_config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}


class PReLU(Activation):
    """Parametric ReLU (He, Zhang, Ren & Sun, 2015, "Delving Deep into Rectifiers").

    f(x)     = x if x > 0 else a·x
    ∂f/∂x    = 1 if x > 0 else a;   f'(0) = a (PyTorch's convention)
    ∂f/∂a    = 0 if x > 0 else x
    dL/da_c  = Σ over every position sharing a_c where x ≤ 0 of x·dy

    ``num_parameters`` = 1 shares one slope; C gives one slope per feature/channel on
    axis 1, for inputs (N, C) or (N, C, H, W). Slopes start at ``init`` = 0.25
    (PyTorch's default) and are exempt from weight decay (the PReLU paper, §2.2).
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: np.dtype | type = np.float32) -> None:
        super().__init__()
        if not isinstance(num_parameters, (int, np.integer)) or isinstance(num_parameters, bool) \
                or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive integer, got {num_parameters!r}")
        self.num_parameters = int(num_parameters)
        self.init = float(init)
        self.dtype = np.dtype(dtype)
        self.weight = Parameter(np.full(self.num_parameters, self.init, dtype=self.dtype), "weight",
                                weight_decay=False)
        self._parameters = [self.weight]
        self._x: np.ndarray | None = None

    def _slopes_for(self, x: np.ndarray) -> np.ndarray:
        """The slopes shaped to broadcast against x along axis 1."""
        a = self.weight.data
        if self.num_parameters == 1:
            return a.reshape((1,) * x.ndim)
        if x.ndim < 2 or x.shape[1] != self.num_parameters:
            raise ValueError(
                f"{self!r}: expected {self.num_parameters} features/channels on axis 1, got input of shape {x.shape}"
            )
        return a.reshape((1, -1) + (1,) * (x.ndim - 2))

    def _forward(self, x):
        slope = self._slope_out(x)
        np.copyto(slope, self._slopes_for(x))     # a, broadcast over x, in x's dtype
        slope = _select_positive(x, slope, 1.0, self._scratch("mask", x, bool))
        return x * slope, slope                   # x·1 = x and a·x exactly, as the formula says

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = _as_float(x)
        self._x = x
        return super().forward(x, training)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = super().backward(dy)
        x = self._x
        contribution = np.minimum(x, 0)
        contribution *= dy                                # x·dy where x ≤ 0, else 0
        axes = None if self.num_parameters == 1 else (0,) + tuple(range(2, x.ndim))
        # A sum beyond the float range is ±inf: a real overflow of the slope gradient,
        # left for the training loop to report as divergence rather than raised here.
        with np.errstate(over="ignore"):
            self.weight.grad += contribution.sum(axis=axes)
        return dx

    def derivative_is_zero(self, z):
        z = np.asarray(z)
        return (z <= 0) & (self._slopes_for(z) == 0)

    def get_config(self) -> dict[str, Any]:
        return {"num_parameters": self.num_parameters, "init": self.init, "dtype": self.dtype.name}


class ELU(Activation):
    """Exponential linear unit (Clevert, Unterthiner & Hochreiter, 2015, arXiv:1511.07289).

    f(x)  = x if x > 0 else α·(eˣ − 1)
    f'(x) = 1 if x > 0 else α·eˣ  (= f(x) + α);  f'(0) = α (PyTorch's convention).
    Default α = 1.0. Negative outputs (down to −α) push the mean activation toward 0,
    and f' > 0 everywhere, so an ELU unit is never dead.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def _forward(self, x):
        y, slope = _exp_branch(x, self.alpha, self._slope_out(x))   # α(e^m − 1) and α·e^m, m = min(x, 0)
        y += np.maximum(x, 0, out=self._scratch("positive", x))
        if self.alpha == 1:               # e^min(x, 0) is already 1 for x > 0 (and α = 1 at x = 0)
            return y, slope
        return y, _select_positive(x, slope, 1.0, self._scratch("mask", x, bool))

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class SELU(Activation):
    """Scaled exponential linear unit (Klambauer et al., 2017, "Self-Normalizing Neural Networks").

    f(x)  = λ·(x if x > 0 else α·(eˣ − 1))
    f'(x) = λ if x > 0 else λα·eˣ;  f'(0) = λα (PyTorch's convention).
    α = 1.6732632423543772848…, λ = 1.0507009873554804934… (the paper's Eq. 14); no parameters.
    With LeCun-normal weights, activations are driven to the fixed point mean 0, variance 1.
    """

    alpha = SELU_ALPHA
    scale = SELU_SCALE

    def _forward(self, x):
        y, slope = _exp_branch(x, SELU_SCALE_ALPHA, self._slope_out(x))  # λα(e^m − 1), λα·e^m; m = min(x, 0)
        positive_part = np.maximum(x, 0, out=self._scratch("positive", x))
        positive_part *= SELU_SCALE
        y += positive_part
        return y, _select_positive(x, slope, x.dtype.type(SELU_SCALE), self._scratch("mask", x, bool), positive_part)


class CELU(Activation):
    """Continuously differentiable ELU (Barron, 2017).

    f(x)  = max(0, x) + min(0, α·(e^{x/α} − 1))
    f'(x) = 1 if x > 0 else e^{x/α};  f'(0) = 1 (PyTorch's convention). Default α = 1.0.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        if alpha == 0:
            raise ValueError("CELU: alpha must not be 0")
        self.alpha = float(alpha)

    def _forward(self, x):
        # m = min(x, 0)/α. For |α| < 1, x/α would overflow for x near −float max, so
        # min(x, 0) is first clipped at −800·|α| (e^−800 is already 0 in float64).
        m = np.minimum(x, 0)                      # becomes y
        if abs(self.alpha) < 1:
            np.maximum(m, -800 * abs(self.alpha), out=m)
        m /= self.alpha
        slope = np.exp(m, out=self._slope_out(x))  # e^{min(x,0)/α} ∈ (0, 1]: already 1 for x ≥ 0
        y = np.expm1(m, out=m)                    # e^m − 1, exact near 0
        y *= self.alpha
        y += np.maximum(x, 0, out=self._scratch("positive", x))
        return y, slope

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


def _sigmoid_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(σ(x), σ(x)·σ(−x)), both from e = e^{−|x|} ∈ (0, 1], so nothing overflows.

    With d = 1/(1 + e): σ(x) = d for x ≥ 0 and e·d for x < 0; σ(x)·σ(−x) = e·d².
    The derivative written as e·d² keeps full relative precision where σ saturates
    (σ·(1 − σ) cancels to 0 for x > 17 in float32).
    """
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)                              # e = e^{−|x|}
    d = e + 1
    np.reciprocal(d, out=d)                       # d = 1/(1 + e)
    e *= d                                        # e·d = σ(x) for x < 0
    slope = e * d                                 # e·d² = σ(x)·σ(−x)
    y = _select_positive(-x, d, e)                # d where −x ≤ 0 (x ≥ 0), e·d where x < 0
    return y, slope


class Sigmoid(Activation):
    """Logistic sigmoid. f(x) = 1/(1 + e^{−x}); f'(x) = f(x)·(1 − f(x)) = f(x)·f(−x); f'(0) = 1/4.

    Both are computed from e^{−|x|}: no overflow for any finite x, and f' keeps full
    relative precision where f saturates.
    """

    def _forward(self, x):
        return _sigmoid_parts(x)


class Tanh(Activation):
    """Hyperbolic tangent. f(x) = tanh(x); f'(x) = 1 − tanh²(x); f'(0) = 1.

    f' is computed as 4t²/(1 + t²)² with t = e^{−|x|} (the same value, since
    1 − tanh² = sech²): ``1 − tanh²`` cancels to 0 for |x| > 9 in float32.
    """

    def _forward(self, x):
        t = np.exp(-np.abs(x))
        t *= t                                    # e^{−2|x|}, underflows harmlessly to 0
        slope = 4 * t / (1 + t) ** 2
        return np.tanh(x), slope


class SiLU(Activation):
    """SiLU / swish (Elfwing et al., 2017; Ramachandran et al., 2017).

    f(x) = x·σ(x);  f'(x) = σ(x)·(1 + x·(1 − σ(x)));  f'(0) = 1/2.
    """

    def _forward(self, x):
        s, ds = _sigmoid_parts(x)                 # σ(x) and σ(x)·(1 − σ(x))
        return x * s, s + x * ds


class Identity(Activation):
    """f(x) = x; f'(x) = 1. The "no activation" baseline (a purely linear network)."""

    def _forward(self, x):
        return x.copy(), np.ones((), dtype=x.dtype)      # a new array, like every other layer's output

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._slope is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        return dy.copy()

    def derivative(self, x):
        return np.ones_like(_as_float(x))


ACTIVATIONS: dict[str, type[Activation]] = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "prelu": PReLU, "elu": ELU, "selu": SELU,
    "celu": CELU, "tanh": Tanh, "sigmoid": Sigmoid, "silu": SiLU, "identity": Identity,
}

#: The customary initialiser for each activation (what the papers and common practice use).
CUSTOMARY_INIT: dict[str, str] = {
    "relu": "he_normal", "leaky_relu": "he_normal", "prelu": "he_normal", "elu": "he_normal",
    "selu": "lecun_normal", "celu": "he_normal", "tanh": "glorot_uniform", "sigmoid": "glorot_uniform",
    "silu": "he_normal", "identity": "glorot_uniform",
}


def get_activation(name: str, **kwargs: Any) -> Activation:
    """Build an activation from its name (``"relu"``, ``"elu"``, ...).

    Raises ValueError listing the valid names for an unknown name.
    """
    key = str(name).lower().replace("-", "_")
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid names are: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[key](**kwargs)
