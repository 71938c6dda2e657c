"""Normalisation layers: BatchNorm (statistics over the batch) and LayerNorm (over the features).

Both compute x̂ = (x − μ) / σ with σ = √(var + eps) and output y = γ·x̂ + β with a
learnable scale γ (``weight``, initialised to 1) and shift β (``bias``, initialised to 0).
Their backward is the same compact formula, applied over different axes: with M values
sharing one (μ, σ) and the sums Σ taken over those M values,

    dx = (1/M) · (γ/σ) · (M·dy − Σdy − x̂·Σ(dy·x̂)),     dγ = Σ dy·x̂,   dβ = Σ dy.

Reference and fast path. Each class has, right under its docstring,
``reference(x, training=False) -> (y, backward)``: the formulas line by line in plain NumPy (μ, σ²,
x̂ = (x − μ)/√(σ² + eps), y = γ·x̂ + β), for x already of the layer's dtype; ``backward(dy) -> dx``
adds dγ and dβ into ``weight.grad`` and ``bias.grad`` like ``Layer.backward``. BatchNorm's reference
also updates the running statistics in training mode, exactly as the fast path does. Both multiply by
1/σ (as CS231n's staged batch-norm graph does) and group the backward's constants into one factor, so
the reference is the fast path's arithmetic without its buffers and in-place updates: the two are
bit-identical. In textbook mode (:mod:`minnet.textbook`) ``forward``
runs ``reference`` and ``backward`` calls the function it returned.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minnet.nn.layer import Layer, check_features
from minnet.nn.parameter import Parameter
from minnet.textbook import is_textbook
from minnet.validation import check_positive_int, check_real

Backward = Callable[[np.ndarray], np.ndarray]


def _normalize_backward(dy: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, gamma: np.ndarray | None,
                        axes: tuple[int, ...], m: int) -> np.ndarray:
    """dx = (1/M)·(γ/σ)·(M·dy − Σdy − x̂·Σ(dy·x̂)), sums over ``axes`` (M values each), shapes broadcast."""
    sum_dy = dy.sum(axis=axes, keepdims=True)
    sum_dy_xhat = (dy * x_hat).sum(axis=axes, keepdims=True)
    dx = dy * m
    dx -= sum_dy
    dx -= x_hat * sum_dy_xhat
    scale = inv_std / m if gamma is None else gamma * inv_std / m
    dx *= scale
    return dx


class BatchNorm(Layer):
    """Batch normalisation (Ioffe & Szegedy, 2015, "Batch Normalization: Accelerating Deep
    Network Training by Reducing Internal Covariate Shift", arXiv:1502.03167).

    Input x: (N, C) or (N, C, H, W) (any (N, C, ...)); the feature/channel axis is axis 1
    and statistics are taken over every other axis, M = N·H·W values per channel.
    γ, β, μ, var, running_mean, running_var: (C,). y, dy, dx: shape of x.

    Training:    μ = mean(x),  var = mean((x − μ)²)  (biased)    over all axes but 1
                 x̂ = (x − μ)/√(var + eps),   y = γ·x̂ + β
                 running_mean ← (1 − momentum)·running_mean + momentum·μ
                 running_var  ← (1 − momentum)·running_var  + momentum·var·M/(M − 1)  (unbiased)
    Evaluation:  x̂ = (x − running_mean)/√(running_var + eps),   y = γ·x̂ + β
    Backward (training, μ and var depend on x):
                 dx = (1/M)·(γ/σ)·(M·dy − Σdy − x̂·Σ(dy·x̂)),   σ = √(var + eps)
    Backward (evaluation, constants):  dx = dy·γ/√(running_var + eps)
    Both:        dγ += Σ dy·x̂,   dβ += Σ dy   (sums over all axes but 1)

    These are PyTorch's BatchNorm1d/2d conventions (momentum weights the *new* batch
    statistic, running_var uses the unbiased estimate), so numbers can be compared. As in
    PyTorch, training with a single value per channel (M = 1, e.g. a batch of one sample
    of shape (1, C)) raises ValueError: its variance is undefined.

    Parameters
    ----------
    num_features : int
        C, the size of axis 1.
    momentum : float, default 0.1
        In [0, 1]; 0 freezes the running statistics, 1 keeps only the last batch's.
    eps : float, default 1e-5
        Added to the variance before the square root; must be > 0.
    affine : bool, default True
        Learn ``weight`` γ (init 1) and ``bias`` β (init 0); False means γ = 1, β = 0
        and no parameters.
    dtype : default np.float32
        dtype of parameters and running statistics; inputs are converted to it.

    Running statistics (running_mean init 0, running_var init 1) are not parameters:
    ``buffers()`` returns them (the live arrays; writing into them changes the layer) and
    ``load_buffers(d)`` copies saved values back in.
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        """The formulas above: (y, backward); in training mode it also updates the running statistics."""
        axes = (0,) + tuple(range(2, x.ndim))                 # every axis but the channel axis 1
        shape = (1, -1) + (1,) * (x.ndim - 2)                 # a (C,) vector, broadcast against x
        m = x.size // self.num_features
        gamma, beta = self._gamma_beta(shape)
        if training:
            mu = x.mean(axis=axes, keepdims=True)                          # μ_B
            var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)           # σ²_B (biased)
            self.running_mean[...] = (1 - self.momentum) * self.running_mean + self.momentum * mu.ravel()
            self.running_var[...] = ((1 - self.momentum) * self.running_var
                                     + self.momentum * m / (m - 1) * var.ravel())   # unbiased σ²_B
        else:
            mu, var = self.running_mean.reshape(shape), self.running_var.reshape(shape)
        inv_sigma = 1 / np.sqrt(var + self.eps)                            # 1/σ, σ = √(σ²_B + eps)
        x_hat = (x - mu) * inv_sigma                                       # x̂ = (x − μ_B)/σ
        y = x_hat * gamma + beta if self.affine else x_hat.copy()          # y = γ·x̂ + β (or x̂)

        def backward(dy: np.ndarray) -> np.ndarray:
            self._add_parameter_grads((dy * x_hat).sum(axis=axes), dy.sum(axis=axes))   # dγ, dβ
            if not training:
                return dy * (gamma * inv_sigma)                            # dx = dy·γ/σ
            scale = gamma * inv_sigma / m                                  # γ/(Mσ)
            return (m * dy - dy.sum(axis=axes, keepdims=True)
                    - x_hat * (dy * x_hat).sum(axis=axes, keepdims=True)) * scale   # dx = γ/(Mσ)·(M·dy − Σdy − x̂·Σdy·x̂)
        return y, backward

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5, affine: bool = True,
                 dtype: np.dtype | type = np.float32) -> None:
        super().__init__()
        self.num_features = check_positive_int(num_features, "num_features", "BatchNorm")
        self.momentum = check_real(momentum, "momentum", "BatchNorm", low=0, high=1)
        self.eps = check_real(eps, "eps", "BatchNorm", low=0, low_open=True, high_open=True)
        self.affine = bool(affine)
        self.dtype = np.dtype(dtype)
        c = self.num_features
        self.weight = Parameter(np.ones(c, dtype=self.dtype), "weight") if self.affine else None
        self.bias = Parameter(np.zeros(c, dtype=self.dtype), "bias") if self.affine else None
        self._parameters = [p for p in (self.weight, self.bias) if p is not None]
        self.running_mean = np.zeros(c, dtype=self.dtype)
        self.running_var = np.ones(c, dtype=self.dtype)
        self._cache: tuple | None = None
        self._reference_backward: Backward | None = None

    # --- forward / backward -----------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = np.asarray(x)
        check_features(self, x, self.num_features, axis=1)
        x = x.astype(self.dtype, copy=False)
        m = x.size // self.num_features
        if training and m <= 1:
            raise ValueError(
                f"{self!r}: expected more than 1 value per channel when training, got input of shape "
                f"{x.shape}; use a batch of at least 2 samples, or training=False"
            )
        self._cache = self._reference_backward = None
        if is_textbook():
            y, self._reference_backward = self.reference(x, training)
            return y
        return self._fast_forward(x, training, m)

    def _fast_forward(self, x: np.ndarray, training: bool, m: int) -> np.ndarray:
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)     # broadcasts a (C,) vector against x
        if training:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)                                 # biased: divides by M
            mom = self.momentum
            self.running_mean *= 1 - mom                           # in place: buffers() stay live
            self.running_mean += mom * mean
            self.running_var *= 1 - mom
            self.running_var += (mom * m / (m - 1)) * var          # unbiased estimate
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(self.dtype, copy=False).reshape(shape)
        x_hat = x - mean.reshape(shape)
        x_hat *= inv_std
        self._cache = (x_hat, inv_std, axes, m, training)
        if not self.affine:
            return x_hat.copy()
        gamma, beta = self._gamma_beta(shape)
        return x_hat * gamma + beta

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._reference_backward is not None:
            return self._reference_backward(dy)
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        x_hat, inv_std, axes, m, training = self._cache
        gamma = self._gamma_beta(inv_std.shape)[0] if self.affine else None
        self._add_parameter_grads((dy * x_hat).sum(axis=axes), dy.sum(axis=axes))
        if training:
            return _normalize_backward(dy, x_hat, inv_std, gamma, axes, m)
        return dy * (inv_std if gamma is None else gamma * inv_std)

    def _add_parameter_grads(self, dgamma: np.ndarray, dbeta: np.ndarray) -> None:
        """weight.grad += dγ, bias.grad += dβ (nothing without affine parameters)."""
        if self.weight is not None and self.bias is not None:
            self.weight.grad += dgamma
            self.bias.grad += dbeta

    def _gamma_beta(self, shape: tuple[int, ...]) -> tuple[Any, Any]:
        """(γ, β) reshaped to broadcast against x, or (1, 0) without affine parameters."""
        if self.weight is None or self.bias is None:
            return 1, 0
        return self.weight.data.reshape(shape), self.bias.data.reshape(shape)

    # --- running statistics -------------------------------------------------------------
    def buffers(self) -> dict[str, np.ndarray]:
        """{"running_mean": (C,), "running_var": (C,)}: the live arrays, not copies."""
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def load_buffers(self, buffers: dict[str, np.ndarray]) -> None:
        """Copy saved running statistics into the layer (names as in ``buffers()``, shapes (C,))."""
        own = self.buffers()
        unknown = set(buffers) - set(own)
        if unknown:
            raise ValueError(f"{self!r}: unknown buffer name(s) {sorted(unknown)}; expected {sorted(own)}")
        for name, value in buffers.items():
            value = np.asarray(value)
            if value.shape != own[name].shape:
                raise ValueError(f"{self!r}: buffer {name!r} must have shape {own[name].shape}, got {value.shape}")
            own[name][...] = value

    def astype(self, dtype: np.dtype | type) -> BatchNorm:
        super().astype(dtype)
        self.running_mean = self.running_mean.astype(dtype)
        self.running_var = self.running_var.astype(dtype)
        return self

    def get_config(self) -> dict[str, Any]:
        return {"num_features": self.num_features, "momentum": self.momentum, "eps": self.eps,
                "affine": self.affine, "dtype": self.dtype.name}


class LayerNorm(Layer):
    """Layer normalisation (Ba, Kiros & Hinton, 2016, "Layer Normalization", arXiv:1607.06450).

    Input x: (N, D) or (N, ..., D); each sample is normalised over its last axis (D values),
    so the result does not depend on the batch and training and evaluation are the same.
    γ, β: (D,). μ, σ: (N, ..., 1). y, dy, dx: shape of x.

    Forward:   μ = mean(x),  var = mean((x − μ)²)  (biased)       over the last axis
               x̂ = (x − μ)/√(var + eps),   y = γ·x̂ + β
    Backward:  dx̂ = dy·γ
               dx = (1/D)·(1/σ)·(D·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂))      sums over the last axis
               dγ += Σ dy·x̂,   dβ += Σ dy                       sums over all axes but the last

    This is PyTorch's ``nn.LayerNorm(D)`` with ``elementwise_affine=True``.

    Parameters
    ----------
    num_features : int
        D, the size of the last axis.
    eps : float, default 1e-5
        Added to the variance before the square root; must be > 0.
    dtype : default np.float32
        dtype of ``weight`` (init 1) and ``bias`` (init 0); inputs are converted to it.
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        """The formulas above: (y, backward). ``training`` changes nothing (kept for the layer contract)."""
        d = self.num_features
        mu = x.mean(axis=-1, keepdims=True)                                # μ
        var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)                 # σ² (biased)
        inv_sigma = 1 / np.sqrt(var + self.eps)                            # 1/σ, σ = √(σ² + eps)
        x_hat = (x - mu) * inv_sigma                                       # x̂ = (x − μ)/σ
        y = x_hat * self.weight.data + self.bias.data                      # y = γ·x̂ + β

        def backward(dy: np.ndarray) -> np.ndarray:
            batch_axes = tuple(range(dy.ndim - 1))
            self.weight.grad += (dy * x_hat).sum(axis=batch_axes)          # dγ
            self.bias.grad += dy.sum(axis=batch_axes)                      # dβ
            dx_hat = dy * self.weight.data                                 # dx̂ = dy·γ
            scale = inv_sigma / d                                          # 1/(Dσ)
            return (d * dx_hat - dx_hat.sum(axis=-1, keepdims=True)
                    - x_hat * (dx_hat * x_hat).sum(axis=-1, keepdims=True)) * scale   # dx = (D·dx̂ − Σdx̂ − x̂·Σdx̂·x̂)/(Dσ)
        return y, backward

    def __init__(self, num_features: int, eps: float = 1e-5, dtype: np.dtype | type = np.float32) -> None:
        super().__init__()
        self.num_features = check_positive_int(num_features, "num_features", "LayerNorm")
        self.eps = check_real(eps, "eps", "LayerNorm", low=0, low_open=True, high_open=True)
        self.dtype = np.dtype(dtype)
        self.weight = Parameter(np.ones(self.num_features, dtype=self.dtype), "weight")
        self.bias = Parameter(np.zeros(self.num_features, dtype=self.dtype), "bias")
        self._parameters = [self.weight, self.bias]
        self._cache: tuple[np.ndarray, np.ndarray] | None = None
        self._reference_backward: Backward | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = np.asarray(x)
        check_features(self, x, self.num_features, axis=-1)
        x = x.astype(self.dtype, copy=False)
        self._cache = self._reference_backward = None
        if is_textbook():
            y, self._reference_backward = self.reference(x, training)
            return y
        mean = x.mean(axis=-1, keepdims=True)
        x_hat = x - mean
        var = np.mean(x_hat * x_hat, axis=-1, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat *= inv_std
        self._cache = (x_hat, inv_std)
        return x_hat * self.weight.data + self.bias.data

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._reference_backward is not None:
            return self._reference_backward(dy)
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        x_hat, inv_std = self._cache
        batch_axes = tuple(range(dy.ndim - 1))
        self.weight.grad += (dy * x_hat).sum(axis=batch_axes)
        self.bias.grad += dy.sum(axis=batch_axes)
        dx_hat = dy * self.weight.data
        return _normalize_backward(dx_hat, x_hat, inv_std, None, (-1,), self.num_features)

    def get_config(self) -> dict[str, Any]:
        return {"num_features": self.num_features, "eps": self.eps, "dtype": self.dtype.name}
