"""Dropout layers: inverted dropout and SELU's alpha dropout.

Both draw a Bernoulli keep-mask d ~ Bernoulli(q), q = 1 − p, from the layer's own
``numpy.random.Generator`` (``self.rng``) in training mode, remember it, and use the
*same* mask in the ``backward`` that follows. In evaluation mode both are the identity.

The mask is drawn as ``rng.random(x.shape, dtype=x.dtype) < q``: one uniform draw
per unit, in float32 for float32 input (half the work of float64 draws).

Reference and fast path. Each class has, right under its docstring,
``reference(x, training=False) -> (y, backward)``: the formula in plain NumPy, where
``backward(dy) -> dx`` applies the same mask. It draws its mask exactly as the fast path does
(same call, same generator), so from the same generator state both see the same mask and give
bit-identical y and dx: the fast path only reorders exact products by 0 and 1 (the docstrings say
how). In textbook mode (:mod:`minnet.textbook`) ``forward`` runs ``reference`` and ``backward``
calls the function it returned.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from minnet.nn.activations import SELU_ALPHA, SELU_SCALE, _as_float
from minnet.nn.layer import Layer
from minnet.rng import make_rng
from minnet.textbook import is_textbook
from minnet.validation import check_real

#: The value AlphaDropout gives a dropped unit before its affine map: SELU's limit for
#: x → −∞, α' = −λα ≈ −1.7580993408473766 (Klambauer et al., 2017, §"Alpha-dropout").
ALPHA_PRIME = -SELU_SCALE * SELU_ALPHA


def _keep_mask(rng: np.random.Generator, shape: tuple[int, ...], q: float, dtype: np.dtype) -> np.ndarray:
    """Boolean mask d ~ Bernoulli(q): ``rng.random(shape) < q``, drawn in float32 for float32 input."""
    draw_dtype = dtype if dtype in (np.float32, np.float64) else np.float64   # rng.random has no float16
    return rng.random(shape, dtype=draw_dtype) < q


Backward = Callable[[np.ndarray], np.ndarray]


def _identity_backward(dy: np.ndarray) -> np.ndarray:
    """dx = dy (evaluation mode), as a new array."""
    return np.array(dy, copy=True)


class _RandomMaskLayer(Layer):
    """What Dropout and AlphaDropout share: a drop probability p, the layer's own generator,
    identity in evaluation mode (and for p = 0), and a backward that multiplies dy by the
    slope ∂y/∂x that the preceding training forward drew (None after an identity forward).

    Subclasses implement ``reference(x, training)`` and, for the fast path in training mode,
    ``_masked(x) -> (y, slope)``.
    """

    def __init__(self, p: float, rng: int | np.random.Generator | None) -> None:
        super().__init__()
        self.p = check_real(p, "p (the drop probability)", type(self).__name__, low=0, high=1, high_open=True)
        self.rng = make_rng(rng)
        self._slope: np.ndarray | None = None
        self._reference_backward: Backward | None = None
        self._ready = False                       # has forward run?

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        raise NotImplementedError

    def _masked(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _draw_keep_mask(self, x: np.ndarray) -> np.ndarray:
        """d ~ Bernoulli(q), q = 1 − p, one entry per element of x (boolean), from ``self.rng``."""
        return _keep_mask(self.rng, x.shape, 1.0 - self.p, x.dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._ready = True
        self._slope = self._reference_backward = None
        if is_textbook():
            y, self._reference_backward = self.reference(_as_float(x), training)
            return y
        if not training or self.p == 0.0:
            return np.asarray(x)
        y, self._slope = self._masked(_as_float(x))
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if not self._ready:
            raise RuntimeError(f"{self!r}: backward called before forward")
        if self._reference_backward is not None:
            return self._reference_backward(dy)
        if self._slope is None:
            return np.array(dy, copy=True)
        return dy * self._slope

    def get_config(self) -> dict[str, Any]:
        return {"p": self.p}


class Dropout(_RandomMaskLayer):
    """Inverted dropout (Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, 2014, JMLR 15).

    Training:    y = x · d / q           d ~ Bernoulli(q) elementwise, q = 1 − p
    Backward:    dx = dy · d / q         with the mask of the preceding forward
    Evaluation:  y = x, dx = dy          (the 1/q scaling in training keeps E[y] = x,
                                          so nothing needs rescaling at test time)

    Shapes: x, y, dy, dx all have the same (any) shape; one mask entry per element.

    Parameters
    ----------
    p : float, default 0.5
        Drop probability, 0 ≤ p < 1 (PyTorch's default 0.5). p = 0 is the exact identity.
    rng : int, Generator or None
        Seed or generator for the masks, kept in ``self.rng``: the same seed gives the
        same masks; passing one Generator to several layers makes them share a stream.

    Non-float input is converted to float64 in training mode; float32 stays float32.
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        """The formulas above: (y, backward) where ``backward(dy) -> dx``; draws d from ``self.rng``."""
        if not training or self.p == 0.0:
            return x, _identity_backward
        q = 1 - self.p
        d = self._draw_keep_mask(x)                    # d ~ Bernoulli(q)
        y = x * d * (1 / q)                            # x·d/q   (1/q rounded once, as the fast path does)
        return y, lambda dy: dy * d * (1 / q)          # dx = dy·d/q

    def __init__(self, p: float = 0.5, rng: int | np.random.Generator | None = None) -> None:
        super().__init__(p, rng)

    def _masked(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fast path: the mask as floats d/q, used once for y and kept as ∂y/∂x (x·d·(1/q) = x·(d/q)
        exactly, because d is 0 or 1)."""
        q = 1.0 - self.p
        mask = self._draw_keep_mask(x).astype(x.dtype)
        mask *= x.dtype.type(1.0 / q)             # d / q: also ∂y/∂x
        return x * mask, mask


class AlphaDropout(_RandomMaskLayer):
    """Alpha dropout for SELU networks (Klambauer, Unterthiner, Mayr & Hochreiter, 2017,
    "Self-Normalizing Neural Networks", arXiv:1706.02515).

    Dropped units are set to α' = −λα (SELU's negative saturation value) instead of 0,
    then an affine map restores mean 0 and variance 1 for input of mean 0, variance 1:

    Training:    y = a · (x · d + α' · (1 − d)) + b        d ~ Bernoulli(q), q = 1 − p
                   = a·x + b  where kept,   a·α' + b  where dropped
                 a = (q + α'² · q · (1 − q))^(−1/2),   b = −a · (1 − q) · α'
    Backward:    dx = dy · a · d          with the mask of the preceding forward
    Evaluation:  y = x, dx = dy

    p = 0.05 gives a ≈ 0.954844476005, b ≈ 0.0839355721938; p = 0.1 gives
    a ≈ 0.92128451615, b ≈ 0.161970970058. The paper recommends p in 0.05–0.1.
    Ordinary (inverted) dropout after SELU changes the variance and breaks the
    self-normalising fixed point; alpha dropout keeps it.

    Shapes: x, y, dy, dx all have the same (any) shape; one mask entry per element.

    Parameters
    ----------
    p : float, default 0.05
        Drop probability, 0 ≤ p < 1. p = 0 is the exact identity (a = 1, b = 0).
    rng : int, Generator or None
        Seed or generator for the masks, kept in ``self.rng``.

    Attributes
    ----------
    a, b : float
        The affine constants above, in float64.
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        """The formulas above: (y, backward) where ``backward(dy) -> dx``; draws d from ``self.rng``."""
        if not training or self.p == 0.0:
            return x, _identity_backward
        a, b = x.dtype.type(self.a), x.dtype.type(self.b)     # the constants in x's precision
        d = self._draw_keep_mask(x)                           # d ~ Bernoulli(q)
        y = np.where(d, a * x + b, a * x.dtype.type(ALPHA_PRIME) + b)   # a·x + b kept, a·α' + b dropped
        return y, lambda dy: dy * a * d                       # dx = dy·a·d

    def __init__(self, p: float = 0.05, rng: int | np.random.Generator | None = None) -> None:
        super().__init__(p, rng)
        q = 1.0 - self.p
        self.a = 1.0 / math.sqrt(q + ALPHA_PRIME**2 * q * (1.0 - q))
        self.b = -self.a * (1.0 - q) * ALPHA_PRIME

    def _masked(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keep = self._draw_keep_mask(x)
        a, b = x.dtype.type(self.a), x.dtype.type(self.b)
        slope = keep.astype(x.dtype)
        slope *= a                                # a·d
        # y = a·x·d + b + a·α'·(1 − d): a·x + b where kept, a·α' + b where dropped, rounded
        # exactly as those two formulas (the other terms are exact zeros). Arithmetic on the
        # 0/1 mask instead of a masked write: random masks make masked writes 10–100× slower
        # (branch mispredictions). Like Dropout, a dropped ±inf/NaN input gives NaN.
        y = x * slope
        y += b
        y += np.multiply(~keep, a * x.dtype.type(ALPHA_PRIME), dtype=x.dtype)
        return y, slope                           # ∂y/∂x = a·d
