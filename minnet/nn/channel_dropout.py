"""Dropout2D: inverted dropout of whole channels of (N, C, H, W) feature maps (PyTorch's ``nn.Dropout2d``).

Neighbouring positions of a feature map are strongly correlated, so dropping single positions hardly
regularises a convolutional layer; dropping a whole channel does (Tompson, Goroshin, Jain, LeCun & Bregler,
2015, "Efficient Object Localization Using Convolutional Networks", arXiv:1411.4280, "SpatialDropout").
The drop probability check, the generator and the train/evaluate behaviour are those of
:class:`minnet.nn.dropout.Dropout`; only the mask's shape differs. As there, ``reference(x, training=False) ->
(y, backward)`` draws its mask exactly as the fast path does, so from the same generator state the two give
bit-identical y and dx, and textbook mode (:mod:`minnet.textbook`) runs ``reference``.
"""

from __future__ import annotations

import numpy as np

from minnet.nn.dropout import Backward, _identity_backward, _keep_mask, _RandomMaskLayer


class Dropout2D(_RandomMaskLayer):
    """Channel dropout: one Bernoulli draw per sample and channel, shared by all H·W positions.

    Training:    y[n, c, i, j] = x[n, c, i, j] · d[n, c] / q        d ~ Bernoulli(q), q = 1 − p
    Backward:    dx[n, c, i, j] = dy[n, c, i, j] · d[n, c] / q      with the mask of the preceding forward
    Evaluation:  y = x, dx = dy

    Shapes: x, y, dy, dx (N, C, H, W); mask d (N, C, 1, 1).

    Parameters
    ----------
    p : float, default 0.5
        Drop probability of a channel, 0 ≤ p < 1 (PyTorch's default 0.5). p = 0 is the exact identity.
    rng : int, Generator or None
        Seed or generator for the masks, kept in ``self.rng``.
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        """The formulas above: (y, backward) where ``backward(dy) -> dx``; draws d from ``self.rng``."""
        if not training or self.p == 0.0:
            return x, _identity_backward
        q = 1 - self.p
        d = _keep_mask(self.rng, (*x.shape[:2], 1, 1), q, x.dtype)     # d[n, c] ~ Bernoulli(q), shape (N, C, 1, 1)
        y = x * d * (1 / q)                                            # x·d/q   (1/q rounded once, as the fast path)
        return y, lambda dy: dy * d * (1 / q)                          # dx = dy·d/q

    def __init__(self, p: float = 0.5, rng: int | np.random.Generator | None = None) -> None:
        super().__init__(p, rng)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if np.ndim(x) != 4:
            raise ValueError(f"{self!r}: expected input of shape (N, C, H, W), got an array of shape {np.shape(x)}")
        return super().forward(x, training)

    def _masked(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fast path: the mask as floats d/q, used once for y and kept as ∂y/∂x (exact: d is 0 or 1)."""
        q = 1.0 - self.p
        mask = _keep_mask(self.rng, (*x.shape[:2], 1, 1), q, x.dtype).astype(x.dtype)
        mask *= x.dtype.type(1.0 / q)             # d / q: also ∂y/∂x, broadcast over H and W
        return x * mask, mask
