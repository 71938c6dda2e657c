"""Dense (fully connected) layer: y = x @ W + b.

``reference(x, training=False) -> (y, backward)`` writes the three formulas in plain NumPy;
``backward(dy) -> dx`` adds dW and db into the parameters' ``grad`` like ``Layer.backward``. The fast
path is the same arithmetic (one matrix product each, the bias added in place), so z and dx are
bit-identical, and so are dW and db except for the sign of an exact zero: right after ``zero_grad`` the
fast path writes them into ``grad`` instead of adding them to its zeros (see ``Parameter``, "Adding into
grad"). In textbook mode (:mod:`minnet.textbook`) ``forward`` runs ``reference``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minnet.nn.init import Initializer, get_initializer, initializer_name
from minnet.nn.layer import Layer, check_features
from minnet.nn.parameter import Parameter
from minnet.rng import make_rng
from minnet.textbook import is_textbook


class Dense(Layer):
    """Fully connected layer.

    Forward:   z = x @ W + b                 x: (N, in), W: (in, out), b: (out,), z: (N, out)
    Backward:  dx = dz @ Wᵀ                  (N, in)
               dW += xᵀ @ dz                 (in, out)
               db += Σ_n dz[n]               (out,)

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the input and output. ``weight`` has shape (in_features, out_features),
        so fan_in = ``weight.shape[0]``.
    init : str or callable, default "lecun_normal"
        Weight initialiser, a name from :mod:`minnet.nn.init` or ``f(shape, rng, dtype)``.
        Biases start at 0.
    bias : bool, default True
    rng : int, Generator or None
        Seed or generator for the initial weights.
    dtype : default np.float32
        dtype of the parameters; inputs are converted to it, so the layer's output
        always has this dtype.
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        """The formulas above: (z, backward), for x already of the layer's dtype."""
        W, b = self.weight.data, self.bias
        z = x @ W if b is None else x @ W + b.data                          # z = x·W + b

        def backward(dz: np.ndarray) -> np.ndarray:
            x2, dz2 = x.reshape(-1, self.in_features), dz.reshape(-1, self.out_features)  # leading axes as N
            self.weight.grad += x2.T @ dz2                                  # dW += xᵀ·dz
            if b is not None:
                b.grad += dz2.sum(axis=0)                                   # db += Σ_n dz[n]
            return dz @ W.T                                                 # dx = dz·Wᵀ
        return z, backward

    def __init__(self, in_features: int, out_features: int, init: str | Initializer = "lecun_normal",
                 bias: bool = True, rng: int | np.random.Generator | None = None,
                 dtype: np.dtype | type = np.float32) -> None:
        super().__init__()
        for label, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
                raise ValueError(f"Dense: {label} must be a positive integer, got {n!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.init = init
        self.dtype = np.dtype(dtype)
        init_fn = get_initializer(init)
        w = np.asarray(init_fn((self.in_features, self.out_features), rng=make_rng(rng), dtype=self.dtype))
        if w.shape != (self.in_features, self.out_features):
            raise ValueError(f"Dense: init returned shape {w.shape}, expected {(self.in_features, self.out_features)}")
        self.weight = Parameter(w.astype(self.dtype, copy=False), "weight")
        self.bias = Parameter(np.zeros(self.out_features, dtype=self.dtype), "bias") if bias else None
        self._parameters = [p for p in (self.weight, self.bias) if p is not None]
        self._x: np.ndarray | None = None
        self._reference_backward: Callable[[np.ndarray], np.ndarray] | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = np.asarray(x)
        check_features(self, x, self.in_features)
        x = x.astype(self.dtype, copy=False)
        self._x = x
        if is_textbook():
            z, self._reference_backward = self.reference(x, training)
            return z
        self._reference_backward = None
        z = x @ self.weight.data
        if self.bias is not None:
            z += self.bias.data
        return z

    def backward(self, dz: np.ndarray) -> np.ndarray:
        if self._reference_backward is not None:
            return self._reference_backward(dz)
        self.backward_to_parameters(dz)
        return dz @ self.weight.data.T

    def backward_to_parameters(self, dz: np.ndarray) -> None:
        """dW += xᵀ @ dz and db += Σ_n dz[n], without dx (a first layer's dx is never used in training)."""
        if self._reference_backward is not None:
            self._reference_backward(dz)
            return
        if self._x is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        x, dz = self._x, np.asarray(dz)
        if x.ndim != 2:                                          # leading axes as N
            x, dz = x.reshape(-1, self.in_features), dz.reshape(-1, self.out_features)
        self.weight.add_product_to_grad(x.T, dz)                # dW += xᵀ @ dz (written in after zero_grad)
        if self.bias is not None:
            self.bias.add_sum_to_grad(dz, axis=0)                 # db += Σ_n dz[n]

    def get_config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "init": initializer_name(self.init), "bias": self.bias is not None,
                "dtype": self.dtype.name}
