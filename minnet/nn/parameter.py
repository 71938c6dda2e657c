"""Parameter: a learnable array together with the gradient that backward adds into it."""

from __future__ import annotations

import numpy as np


class Parameter:
    """A learnable tensor.

    Attributes
    ----------
    data : np.ndarray
        The current value.
    grad : np.ndarray
        dL/d(data), same shape and dtype as ``data``. Layers *add* into it during
        ``backward``; optimizers read it; ``zero_grad`` resets it to 0.
    name : str
        A readable name such as ``"weight"`` or ``"bias"`` (models prefix it with the
        layer position, e.g. ``"0.weight"``).
    weight_decay : bool
        False for parameters that must never be decayed. The PReLU paper
        (He et al., 2015, §2.2) applies no weight decay to the learned slopes.
    trainable : bool
        False freezes the parameter: optimizers skip it. Freezing is independent
        of evaluation mode (``training=False``).
    """

    def __init__(self, data: np.ndarray, name: str = "", *, weight_decay: bool = True,
                 trainable: bool = True) -> None:
        data = np.asarray(data)
        if not np.issubdtype(data.dtype, np.floating):
            raise TypeError(f"Parameter {name!r}: expected a floating-point array, got dtype {data.dtype}")
        self.data = data
        self.grad = np.zeros_like(data)
        self.name = name
        self.weight_decay = weight_decay
        self.trainable = trainable

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 in place (optimizers may hold a reference to it)."""
        self.grad[...] = 0

    def astype(self, dtype: np.dtype | type) -> Parameter:
        """Convert ``data`` and ``grad`` to ``dtype`` in place of the old arrays; returns self."""
        self.data = self.data.astype(dtype)
        self.grad = self.grad.astype(dtype)
        return self

    def __repr__(self) -> str:
        extra = "" if self.weight_decay else ", weight_decay=False"
        extra += "" if self.trainable else ", trainable=False"
        return f"Parameter({self.name!r}, shape={self.data.shape}, dtype={self.data.dtype}{extra})"
