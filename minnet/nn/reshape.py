"""Flatten: (N, d₁, d₂, …) → (N, d₁·d₂·…), the bridge from convolutional feature maps to Dense layers.

``reference(x, training=False) -> (y, backward)`` writes the two reshapes; the fast path is the same
arithmetic (none: a reshape moves no number), so the two are bit-identical. In textbook mode
(:mod:`minnet.textbook`) ``forward`` runs ``reference``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from minnet.nn.layer import Layer
from minnet.textbook import is_textbook

Backward = Callable[[np.ndarray], np.ndarray]


class Flatten(Layer):
    """Keep axis 0 (the samples), join all others in row-major (C) order — PyTorch's ``nn.Flatten()``.

    Forward:   y = x.reshape(N, −1)          x (N, C, H, W) → y (N, C·H·W)
    Backward:  dx = dy.reshape(x.shape)      a reshape moves no number, so its gradient is the inverse reshape
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        """The formulas above: (y, backward)."""
        y = x.reshape(len(x), -1)                                       # y = x.reshape(N, −1)
        return y, lambda dy: dy.reshape(x.shape).copy()                 # dx = dy.reshape(x.shape), a new array

    def __init__(self) -> None:
        super().__init__()
        self._shape: tuple[int, ...] | None = None
        self._reference_backward: Backward | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim < 1:
            raise ValueError(f"{self!r}: expected a batch of shape (N, ...), got a scalar")
        self._shape = x.shape
        if is_textbook():
            y, self._reference_backward = self.reference(x, training)
            return y
        self._reference_backward = None
        return x.reshape(len(x), -1)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._shape is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        dy = np.asarray(dy)
        if dy.size != int(np.prod(self._shape)) or len(dy) != self._shape[0]:
            raise ValueError(f"{self!r}: expected dy of shape {(self._shape[0], -1)} for an input of shape "
                             f"{self._shape}, got {dy.shape}")
        if self._reference_backward is not None:
            return self._reference_backward(dy)
        return dy.reshape(self._shape).copy()
