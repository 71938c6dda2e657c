"""Activation functions, one class each: the formula in the docstring, then ``reference``, the same formula in NumPy.

Every activation has two implementations of one formula:

- ``reference(x) -> (y, dydx)``: the formula line for line in plain NumPy (``np.where``, the
  exponential taken of ``np.minimum(x, 0)`` only, so that it never overflows) — read this one;
- a fast kernel from :mod:`minnet.nn.kernels` (buffers reused, branch-free mask arithmetic) —
  training runs this one. The two give the same numbers, bit for bit (the tests check it).

Inside ``with mn.textbook():`` forward and backward run ``reference`` instead. Either way
``forward`` caches f'(x) and ``backward(dy)`` is one multiplication, dx = dy · f'(x).

**Textbook and fast agree bit for bit**, not just to a few ulps: each kernel performs the very
floating-point operations of its reference, in the same order, element for element; only where
results are written and how a branch is selected differ (branch selection by multiplying with a
0/1 mask is exact). The one visible difference is the sign of a zero: where α·(eˣ − 1) underflows
for a subnormal negative x (ELU, CELU with α ≠ 1) the reference gives −0 and the kernel +0, which
compare equal and change no later sum or product. So a network whose activations switch between
the two paths trains to bit-identical parameters (tests/test_activations.py checks it in float64).

Conventions at exactly x = 0 follow PyTorch's documented behaviour (the left derivative):
ReLU'(0) = 0, LeakyReLU'(0) = s, PReLU'(0) = a, ELU'(0) = α, SELU'(0) = λα, CELU'(0) = 1
(docs/conventions.md, "Activations"). Inputs of any shape (also 0-d) are accepted; a floating
input keeps its dtype, anything else becomes float64.

**Why one file of about 500 lines** (minnet's modules otherwise stay under 400): the ten activations are
meant to be read side by side — ReLU, LeakyReLU, PReLU, ELU and SELU differ only on the negative side, and
the point of the papers is that difference. Each class is short (docstring, ``reference``, a one-line fast
path); the fast code itself lives in :mod:`minnet.nn.kernels`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minnet.nn import kernels
from minnet.nn.kernels import as_float
from minnet.nn.layer import Layer
from minnet.nn.parameter import Parameter
from minnet.textbook import is_textbook
from minnet.validation import check_real, normalize_name

#: SELU constants (Klambauer et al. 2017, Eq. 14), full double precision.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
#: λα = 1.7580993408473768599…, the SELU limit at −∞ and SELU'(0), correctly rounded
#: (the float64 product SELU_ALPHA * SELU_SCALE = 1.7580993408473766 is one ulp low).
SELU_SCALE_ALPHA = 1.7580993408473768599402175208123
# kernels.selu's derivative relies on λ ≤ λα ≤ 2λ (then λα − λ is exact in every binary format):
assert SELU_SCALE <= SELU_SCALE_ALPHA <= 2 * SELU_SCALE

_as_float = as_float          # the name other modules imported before the kernels had a module of their own

Pair = tuple[np.ndarray, np.ndarray]


def _nowhere(z: Any) -> np.ndarray:
    """All False, shaped like z: for activations whose derivative is never 0 in exact arithmetic."""
    return np.zeros(np.shape(z), dtype=bool)


class Activation(Layer):
    """Base class: an elementwise f whose derivative f'(x) is cached by ``forward`` for ``backward``.

    **Writing your own.** A subclass needs only its formula::

        class SReLU(mn.Activation):
            '''Shifted ReLU, max(−1, x) (the ELU paper's control).'''
            def reference(self, x):
                return np.maximum(x, -1), np.where(x > -1, 1.0, 0.0).astype(x.dtype)

    and is a working layer: ``forward``, ``backward``, ``function``, ``derivative``, ``gradcheck``
    and the dead-unit diagnostics all use ``reference``.

    The methods:

    - ``reference(x) -> (y, dydx)``: f(x) and f'(x), arrays of x's floating dtype (x has at least
      one dimension when the layer calls it). The one method a subclass must write.
    - ``forward(x)`` / ``backward(dy)``: y = f(x), caching f'(x); dx = dy · f'(x).
    - ``function(x)`` / ``derivative(x)``: f(x) and f'(x) as new arrays, caching nothing.
    - ``derivative_is_zero(z)``: boolean array, True where f'(z) = 0 *in exact arithmetic*; the
      dead-unit count of :mod:`minnet.diagnostics` uses it (docs/conventions.md, "Dead and
      never-active units"). The default evaluates the reference derivative in float64 and tests
      it for exactly 0; built-in activations with f' > 0 everywhere answer "nowhere" even where
      floating point underflows α·eᶻ to 0.
    - ``_forward(x) -> (y, dydx)``: the fast path. By default it is ``reference``; the built-in
      classes call a kernel of :mod:`minnet.nn.kernels`. A subclass that overrides ``reference``
      but not ``_forward`` runs its reference (never the kernel of the class it extends), and in
      textbook mode every activation that has a ``reference`` runs it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:          # e.g. SELU(alpha=2): an activation without parameters takes no arguments
            given = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
            raise TypeError(f"{type(self).__name__} takes no arguments, got {given}")
        super().__init__()
        self._slope: np.ndarray | None = None          # f'(x) of the last forward
        self._workspace = kernels.Workspace()

    def reference(self, x: np.ndarray) -> Pair:
        """(f(x), f'(x)) written as the formula. Subclasses define it."""
        raise NotImplementedError(
            f"{type(self).__name__}: an Activation subclass must define reference(x) -> (y, dydx), "
            "f(x) and f'(x) as arrays of x's dtype"
        )

    def _forward(self, x: np.ndarray) -> Pair:
        """The fast path; unless a subclass provides a kernel, the reference itself."""
        return self.reference(x)

    # --- the layer contract ------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if "_workspace" not in vars(self):
            raise TypeError(f"{type(self).__name__}.__init__ must call super().__init__(): Activation keeps the "
                            "derivative that backward needs there")
        previous, self._slope = self._slope, None
        self._workspace.recyclable = previous               # dead from now on: the kernel may reuse it
        try:
            y, self._slope = self._evaluate(x)
        finally:
            self._workspace.recyclable = None
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._slope is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        return dy * self._slope

    # --- f and f' without caching --------------------------------------------------------------
    def function(self, x: np.ndarray) -> np.ndarray:
        """f(x), without caching anything."""
        return self._evaluate(x)[0]

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """f'(x) elementwise, shaped and typed like x, without caching anything."""
        x = as_float(x)
        dydx = np.asarray(self._evaluate(x)[1])
        if dydx.shape != x.shape or dydx.dtype != x.dtype:     # ReLU's boolean mask, Identity's 0-d 1
            dydx = np.broadcast_to(dydx, x.shape).astype(x.dtype)
        return dydx

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        """Boolean mask: True where f'(z) is exactly 0 in exact arithmetic.

        Default: where the reference derivative, evaluated in float64, is exactly 0.
        """
        z64 = np.asarray(z, dtype=np.float64)
        return np.broadcast_to(np.asarray(self._evaluate(z64, reference=True)[1]) == 0, z64.shape).copy()

    # --- which implementation runs -------------------------------------------------------------
    def _evaluate(self, x: np.ndarray, reference: bool = False) -> Pair:
        """(f(x), f'(x)) on x as a float array, by the reference in textbook mode (or when asked),
        else by the fast path. A 0-d x is computed with shape (1,) and reshaped back, so that a
        kernel may work in place (NumPy turns 0-d results into immutable scalars)."""
        x = as_float(x)
        compute = self._reference_or_fast() if reference or is_textbook() else self._fast()
        if x.ndim > 0:
            return compute(x)
        y, dydx = compute(x.reshape(1))
        return np.reshape(y, ()), np.reshape(dydx, ())

    def _reference_or_fast(self) -> Any:
        """``reference``, or ``_forward`` for an old-style subclass that wrote only ``_forward``."""
        return self.reference if _defines(type(self), "reference") else self._forward

    def _fast(self) -> Any:
        """``_forward``, unless ``reference`` was overridden further down the class tree than ``_forward``."""
        for cls in type(self).__mro__:
            if "_forward" in vars(cls):
                return self._forward
            if "reference" in vars(cls):
                return self.reference
        return self._forward                                   # unreachable: Activation defines both


def _defines(cls: type, name: str) -> bool:
    """True if a class below Activation in ``cls``'s tree defines the method ``name``."""
    return getattr(cls, name) is not getattr(Activation, name)


class ReLU(Activation):
    """Rectified linear unit (Nair & Hinton, 2010).

    f(x)  = max(0, x)
    f'(x) = 1 if x > 0 else 0;  f'(0) = 0 (PyTorch's convention).
    A ReLU unit whose input is ≤ 0 for every sample passes no gradient: it is *dead*.
    Shapes: any; y and dx have the shape of x. The fast path caches f' as the boolean mask x > 0.
    """

    def reference(self, x: np.ndarray) -> Pair:
        y = np.maximum(x, 0)
        dydx = np.where(x > 0, 1, 0).astype(x.dtype)
        return y, dydx

    def _forward(self, x: np.ndarray) -> Pair:
        return kernels.relu(x, self._workspace)

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z) <= 0


class LeakyReLU(Activation):
    """Leaky ReLU (Maas, Hannun & Ng, 2013).

    f(x)  = x if x > 0 else s·x
    f'(x) = 1 if x > 0 else s;  f'(0) = s (PyTorch's convention).
    Default s = ``negative_slope`` = 0.01 (PyTorch's default); any finite number.
    """

    def reference(self, x: np.ndarray) -> Pair:
        s = self.negative_slope
        y = np.where(x > 0, x, s * x)
        dydx = np.where(x > 0, 1, s).astype(x.dtype)
        return y, dydx

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_real(negative_slope, "negative_slope", "LeakyReLU")

    def _forward(self, x: np.ndarray) -> Pair:
        return kernels.prelu(x, self.negative_slope, self._workspace)

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z)
        return z <= 0 if self.negative_slope == 0 else _nowhere(z)

    def get_config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}


class PReLU(Activation):
    """Parametric ReLU (He, Zhang, Ren & Sun, 2015, "Delving Deep into Rectifiers", arXiv:1502.01852).

    f(x)          = x if x > 0 else a·x
    f'(x) = ∂f/∂x = 1 if x > 0 else a;   f'(0) = a (PyTorch's convention)
    ∂f/∂a         = 0 if x > 0 else x    = min(x, 0)
    dL/da_c       = Σ over every position sharing a_c of min(x, 0)·dy   (computed in ``backward``)

    ``num_parameters`` = 1 shares one slope; C gives one slope per feature/channel on axis 1, for
    inputs (N, C) or (N, C, H, W). ``initial_slope`` = 0.25 (PyTorch's default, which PyTorch calls
    ``init``) is the number every slope starts at — a value, not an initializer name like Dense's
    ``init``, hence the longer name; ``init=`` still works as an alias (passing both is an error).
    Slopes are exempt from weight decay (the PReLU paper, §2.2). ``reference`` returns (y, f'(x));
    the slope gradient, min(x, 0)·dy summed, is one line of ``backward``, the same in both paths.
    """

    def reference(self, x: np.ndarray) -> Pair:
        a = self._slopes_for(x).astype(x.dtype)          # a, shaped to broadcast along axis 1
        y = np.where(x > 0, x, a * x)
        dydx = np.where(x > 0, 1, a).astype(x.dtype)
        return y, dydx

    def __init__(self, num_parameters: int = 1, initial_slope: float | None = None,
                 dtype: np.dtype | type = np.float32, *, init: float | None = None) -> None:
        super().__init__()
        if not isinstance(num_parameters, (int, np.integer)) or isinstance(num_parameters, bool) \
                or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive integer, got {num_parameters!r}")
        if initial_slope is not None and init is not None:
            raise TypeError("PReLU: give the initial slope once, as initial_slope= (init= is its old name), "
                            f"got initial_slope={initial_slope!r} and init={init!r}")
        slope = initial_slope if initial_slope is not None else init if init is not None else 0.25
        self.num_parameters = int(num_parameters)
        self.initial_slope = check_real(slope, "initial_slope", "PReLU")
        self.dtype = np.dtype(dtype)
        self.weight = Parameter(np.full(self.num_parameters, self.initial_slope, dtype=self.dtype), "weight",
                                weight_decay=False)
        self._parameters = [self.weight]
        self._x: np.ndarray | None = None

    @property
    def init(self) -> float:
        """The initial slope under its old name (``initial_slope``)."""
        return self.initial_slope

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

    def _forward(self, x: np.ndarray) -> Pair:
        return kernels.prelu(x, self._slopes_for(x), self._workspace)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = as_float(x)
        y = super().forward(x, training)
        self._x = x
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = super().backward(dy)
        x = self._x
        assert x is not None                                    # set by forward, which super().backward checked
        contribution = np.minimum(x, 0)
        contribution *= dy                                      # ∂f/∂a · dy = min(x, 0)·dy
        axes = None if self.num_parameters == 1 else (0,) + tuple(range(2, x.ndim))
        # A sum beyond the float range is ±inf: a real overflow of the slope gradient,
        # left for the training loop to report as divergence rather than raised here.
        with np.errstate(over="ignore"):
            self.weight.grad += contribution.sum(axis=axes)
        return dx

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z)
        return (z <= 0) & (self._slopes_for(z) == 0)

    def get_config(self) -> dict[str, Any]:
        return {"num_parameters": self.num_parameters, "initial_slope": self.initial_slope,
                "dtype": self.dtype.name}


class ELU(Activation):
    """Exponential linear unit (Clevert, Unterthiner & Hochreiter, 2015, arXiv:1511.07289).

    f(x)  = x if x > 0 else α·(eˣ − 1)
    f'(x) = 1 if x > 0 else α·eˣ  (= f(x) + α);  f'(0) = α (PyTorch's convention).
    Default α = 1.0 (any finite number). Negative outputs (down to −α) push the mean activation
    toward 0, and f' > 0 everywhere, so an ELU unit is never dead.
    """

    def reference(self, x: np.ndarray) -> Pair:
        m = np.minimum(x, 0)                  # e^x only of x ≤ 0: it overflows for large x
        y = np.where(x > 0, x, self.alpha * np.expm1(m))       # expm1: exact near 0
        dydx = np.where(x > 0, 1, self.alpha * np.exp(m)).astype(x.dtype)
        return y, dydx

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_real(alpha, "alpha", "ELU")

    def _forward(self, x: np.ndarray) -> Pair:
        return kernels.elu(x, self.alpha, self._workspace)

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        return _nowhere(z) if self.alpha != 0 else np.asarray(z) <= 0

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class SELU(Activation):
    """Scaled exponential linear unit (Klambauer et al., 2017, "Self-Normalizing Neural Networks", arXiv:1706.02515).

    f(x)  = λ·(x if x > 0 else α·(eˣ − 1))
    f'(x) = λ if x > 0 else λα·eˣ;  f'(0) = λα (PyTorch's convention).
    α = 1.6732632423543772848…, λ = 1.0507009873554804934… (the paper's Eq. 14); no parameters.
    λα is used as one correctly rounded constant (``SELU_SCALE_ALPHA``), not as the product λ·α.
    With LeCun-normal weights, activations are driven to the fixed point mean 0, variance 1.
    """

    def reference(self, x: np.ndarray) -> Pair:
        p, m = np.maximum(x, 0), np.minimum(x, 0)     # each branch sees its own side only, so that
        y = np.where(x > 0, SELU_SCALE * p, SELU_SCALE_ALPHA * np.expm1(m))   # λ·x, eˣ never overflow
        dydx = np.where(x > 0, SELU_SCALE, SELU_SCALE_ALPHA * np.exp(m)).astype(x.dtype)
        return y, dydx

    alpha = SELU_ALPHA
    scale = SELU_SCALE

    def _forward(self, x: np.ndarray) -> Pair:
        return kernels.selu(x, SELU_SCALE, SELU_SCALE_ALPHA, self._workspace)

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        return _nowhere(z)


class CELU(Activation):
    """Continuously differentiable ELU (Barron, 2017, arXiv:1704.07483).

    f(x)  = max(0, x) + min(0, α·(e^{x/α} − 1))
    f'(x) = 1 if x > 0 else e^{x/α};  f'(0) = 1 (PyTorch's convention). Default α = 1.0 (finite, not 0).
    """

    def reference(self, x: np.ndarray) -> Pair:
        with np.errstate(over="ignore"):      # x/α → −inf for |α| < 1 and x near −max: harmless, e^−inf = 0
            m = np.minimum(x, 0) / self.alpha
        y = np.where(x > 0, x, self.alpha * np.expm1(m))
        dydx = np.where(x > 0, 1, np.exp(m)).astype(x.dtype)
        return y, dydx

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_real(alpha, "alpha", "CELU")
        if self.alpha == 0:
            raise ValueError("CELU: alpha must not be 0 (f divides x by α), got 0.0")

    def _forward(self, x: np.ndarray) -> Pair:
        return kernels.celu(x, self.alpha, self._workspace)

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        return _nowhere(z)

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class Sigmoid(Activation):
    """Logistic sigmoid.

    f(x)  = σ(x) = 1/(1 + e^{−x})
    f'(x) = σ(x)·(1 − σ(x)) = σ(x)·σ(−x);  f'(0) = 1/4.
    Both are computed from e = e^{−|x|} ≤ 1, so nothing overflows for any x.
    """

    def reference(self, x: np.ndarray) -> Pair:
        e = np.exp(-np.abs(x))                # e^{−|x|} ≤ 1: never overflows
        d = 1 / (1 + e)                       # σ(|x|)
        y = np.where(x >= 0, d, e * d)        # σ(x) = 1/(1 + e^{−x}) = e^{x}/(1 + e^{x})
        dydx = e * d * d                      # σ(x)·σ(−x): σ·(1 − σ) cancels to 0 where σ → 1
        return y, dydx

    def _forward(self, x: np.ndarray) -> Pair:
        return kernels.sigmoid(x)

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        return _nowhere(z)


class Tanh(Activation):
    """Hyperbolic tangent.

    f(x)  = tanh(x)
    f'(x) = 1 − tanh²(x) = sech²(x) = 4t/(1 + t)² with t = e^{−2|x|};  f'(0) = 1.
    """

    def reference(self, x: np.ndarray) -> Pair:
        t = np.exp(-np.abs(x)) ** 2           # e^{−2|x|} ≤ 1: never overflows
        dydx = 4 * t / (1 + t) ** 2           # sech²(x): 1 − tanh² cancels to 0 for |x| > 9 in float32
        return np.tanh(x), dydx

    def _forward(self, x: np.ndarray) -> Pair:
        return kernels.tanh(x)

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        return _nowhere(z)


class SiLU(Activation):
    """SiLU / swish (Elfwing et al., 2017; Ramachandran et al., 2017).

    f(x)  = x·σ(x)
    f'(x) = σ(x)·(1 + x·(1 − σ(x))) = σ(x) + x·σ(x)·σ(−x);  f'(0) = 1/2.
    f' is 0 only at one irrational point (x ≈ −1.2785), which no float hits: never dead.
    """

    def reference(self, x: np.ndarray) -> Pair:
        s, ds = Sigmoid().reference(x)        # σ(x) and σ(x)·σ(−x)
        return x * s, s + x * ds

    def _forward(self, x: np.ndarray) -> Pair:
        return kernels.silu(x)

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        return _nowhere(z)


class Identity(Activation):
    """f(x) = x; f'(x) = 1. The "no activation" baseline (a purely linear network)."""

    def reference(self, x: np.ndarray) -> Pair:
        return x.copy(), np.ones_like(x)

    def _forward(self, x: np.ndarray) -> Pair:
        return kernels.identity(x)

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        return _nowhere(z)


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
    """Build an activation from its name (``"relu"``, ``"elu"``, ...; case, spaces and ``-`` don't matter).

    Raises ValueError listing the valid names for an unknown name.
    """
    key = normalize_name(name)
    if key not in ACTIVATIONS:
        raise ValueError(f"get_activation: unknown activation {name!r}; valid names are: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[key](**kwargs)
