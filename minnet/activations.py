"""Activation functions, one class each, with f(x) and f'(x) in the docstring.

Every activation caches its local derivative f'(x) during ``forward`` so that
``backward(dy)`` is one multiplication, ``dx = dy · f'(x)``.

Conventions at exactly x = 0 follow PyTorch's documented behaviour:
ReLU'(0) = 0, LeakyReLU'(0) = s, PReLU'(0) = a, ELU'(0) = α, SELU'(0) = λα, CELU'(0) = 1.

The exponential branch is always evaluated on ``min(x, 0)`` only
(``expm1(min(x, 0))``): exp of a large positive x would overflow to inf and raise
a warning in a branch that is then thrown away.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minnet.layer import Layer
from minnet.parameter import Parameter

#: SELU constants (Klambauer et al. 2017, Eq. 14), full double precision.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Activation(Layer):
    """Base class: an elementwise f with a cached derivative.

    Subclasses implement ``_forward(x) -> (y, slope)`` where slope = f'(x), and
    ``derivative_is_zero(z)``: where f'(z) = 0 in exact arithmetic (used to count
    dead units; see :mod:`minnet.diagnostics`).
    """

    def __init__(self) -> None:
        super().__init__()
        self._slope: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        y, self._slope = self._forward(np.asarray(x))
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._slope is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        return dy * self._slope

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def function(self, x: np.ndarray) -> np.ndarray:
        """f(x), without caching anything."""
        return self._forward(np.asarray(x))[0]

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """f'(x) elementwise, without caching anything."""
        return self._forward(np.asarray(x))[1]

    def derivative_is_zero(self, z: np.ndarray) -> np.ndarray:
        """Boolean mask: True where f'(z) is exactly 0 in exact arithmetic."""
        return np.zeros(np.shape(z), dtype=bool)


def _exp_branch(x: np.ndarray, alpha: float) -> np.ndarray:
    """α·(exp(min(x, 0)) − 1): the negative branch of ELU/SELU, 0 for x > 0, never overflowing."""
    neg = np.minimum(x, 0)
    np.expm1(neg, out=neg)
    neg *= alpha
    return neg


class ReLU(Activation):
    """Rectified linear unit (Nair & Hinton, 2010).

    f(x)  = max(0, x)
    f'(x) = 1 if x > 0 else 0;  f'(0) = 0 (PyTorch's convention).
    A ReLU unit whose input is ≤ 0 for every sample passes no gradient: it is *dead*.
    Shapes: any; y and dx have the shape of x.
    """

    def _forward(self, x):
        positive = x > 0
        return np.maximum(x, 0), positive.astype(x.dtype if x.dtype.kind == "f" else np.float64)

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
        s = self.negative_slope
        positive = x > 0
        y = np.where(positive, x, x * s)
        slope = np.where(positive, 1.0, s).astype(y.dtype, copy=False)
        return y, slope

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
        if not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
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
            return a.reshape((1,) * max(x.ndim, 1))
        if x.ndim < 2 or x.shape[1] != self.num_parameters:
            raise ValueError(
                f"{self!r}: expected {self.num_parameters} features/channels on axis 1, got input of shape {x.shape}"
            )
        return a.reshape((1, -1) + (1,) * (x.ndim - 2))

    def _forward(self, x):
        a = self._slopes_for(x)
        positive = x > 0
        y = np.where(positive, x, a * x)
        slope = np.where(positive, np.ones((), dtype=y.dtype), a).astype(y.dtype, copy=False)
        return y, slope

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = np.asarray(x)
        self._x = x
        return super().forward(x, training)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = super().backward(dy)
        x = self._x
        contribution = dy * np.minimum(x, 0)             # x·dy where x ≤ 0, else 0
        if self.num_parameters == 1:
            self.weight.grad += contribution.sum()
        else:
            axes = (0,) + tuple(range(2, x.ndim))
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
        neg = _exp_branch(x, self.alpha)          # α(e^min(x,0) − 1)
        y = np.maximum(x, 0)
        y += neg
        slope = neg                               # reuse the buffer: f' = neg + α where x ≤ 0
        slope += self.alpha
        np.copyto(slope, 1, where=x > 0)
        return y, slope

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
        neg = _exp_branch(x, SELU_ALPHA)          # α(e^min(x,0) − 1)
        y = np.maximum(x, 0)
        y += neg
        y *= SELU_SCALE
        slope = neg
        slope += SELU_ALPHA
        slope *= SELU_SCALE                        # λα·eˣ where x ≤ 0
        np.copyto(slope, SELU_SCALE, where=x > 0)
        return y, slope


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
        neg = np.minimum(x, 0) / self.alpha
        np.exp(neg, out=neg)                      # e^{min(x,0)/α} ∈ (0, 1]
        y = np.maximum(x, 0)
        y += self.alpha * (neg - 1)
        slope = neg
        np.copyto(slope, 1, where=x > 0)
        return y, slope

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1 + e^{−x}), computed from e^{−|x|} so nothing overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Activation):
    """Logistic sigmoid. f(x) = 1/(1 + e^{−x}); f'(x) = f(x)·(1 − f(x)); f'(0) = 1/4."""

    def _forward(self, x):
        y = _sigmoid(x)
        return y, y * (1 - y)


class Tanh(Activation):
    """Hyperbolic tangent. f(x) = tanh(x); f'(x) = 1 − tanh²(x); f'(0) = 1."""

    def _forward(self, x):
        y = np.tanh(x)
        return y, 1 - y * y


class SiLU(Activation):
    """SiLU / swish (Elfwing et al., 2017; Ramachandran et al., 2017).

    f(x) = x·σ(x);  f'(x) = σ(x)·(1 + x·(1 − σ(x)));  f'(0) = 1/2.
    """

    def _forward(self, x):
        s = _sigmoid(x)
        return x * s, s * (1 + x * (1 - s))


class Identity(Activation):
    """f(x) = x; f'(x) = 1. The "no activation" baseline (a purely linear network)."""

    def _forward(self, x):
        return x, np.ones((), dtype=x.dtype if x.dtype.kind == "f" else np.float64)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._slope is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        return dy.copy()

    def derivative(self, x):
        x = np.asarray(x)
        return np.ones_like(x, dtype=x.dtype if x.dtype.kind == "f" else np.float64)


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
