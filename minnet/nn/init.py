"""Weight initialisers: pure functions ``f(shape, rng=None, dtype=np.float32) -> array``.

A Dense weight has shape ``(fan_in, fan_out)`` and is used as ``x @ W``, so
``fan_in = shape[0]`` and ``fan_out = shape[1]``. For shapes with more than two
axes (e.g. a convolution kernel ``(in, out, kh, kw)``) both fans are multiplied by
the receptive field size ``prod(shape[2:])``.

====================  =====================================================  ==========================
name                  distribution                                           source
====================  =====================================================  ==========================
``lecun_normal``      N(0, 1/fan_in)                                         LeCun et al. 1998; the SNN
                                                                             paper's choice for SELU
``lecun_uniform``     U(-sqrt(3/fan_in), +sqrt(3/fan_in))                    variance 1/fan_in
``he_normal``         N(0, 2/((1+s^2) fan_in)), s = negative slope (0)       He et al. 2015 (Kaiming)
``he_uniform``        U(-sqrt(6/((1+s^2) fan_in)), +...)                     variance 2/((1+s^2) fan_in)
``glorot_normal``     N(0, 2/(fan_in+fan_out))                               Glorot & Bengio 2010
``glorot_uniform``    U(-sqrt(6/(fan_in+fan_out)), +...)                     (Xavier)
``zeros``             0
``*_truncated``       normal cut at ±2σ, σ divided by 0.87962566103423978     Keras' truncated normal
                      first, so the truncated std is exactly the target
====================  =====================================================  ==========================

Pitfall worth teaching: PyTorch's ``calculate_gain('selu') = 3/4`` and its default
Linear init (variance 1/(3·fan_in)) both shrink SELU activations with depth; LeCun
normal keeps them at mean 0, variance 1.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from minnet.rng import make_rng

Initializer = Callable[..., np.ndarray]

#: std of a standard normal truncated to [-2, 2]; dividing by it makes the truncated std exact.
TRUNCATED_NORMAL_STD = 0.87962566103423978


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a weight of ``shape`` (fan_in = shape[0]; an int n means (n,))."""
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)
    if len(shape) < 1 or any(s <= 0 for s in shape):
        raise ValueError(f"an initialiser needs a shape of positive sizes, got {shape}")
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:])
    return shape[0] * receptive, shape[1] * receptive


def _normal(shape, std, rng, dtype) -> np.ndarray:
    return make_rng(rng).normal(0.0, std, size=shape).astype(dtype, copy=False)


def _uniform(shape, limit, rng, dtype) -> np.ndarray:
    return make_rng(rng).uniform(-limit, limit, size=shape).astype(dtype, copy=False)


def _truncated_normal(shape, std, rng, dtype) -> np.ndarray:
    """N(0, σ²) cut at ±2σ, with σ = std / 0.8796... so the result has std ``std``.

    Out-of-range draws are redrawn (rejection sampling), so the result is exact.
    """
    rng = make_rng(rng)
    sigma = std / TRUNCATED_NORMAL_STD
    out = rng.normal(0.0, sigma, size=shape)
    bad = np.abs(out) > 2 * sigma
    while bad.any():
        out[bad] = rng.normal(0.0, sigma, size=int(bad.sum()))
        bad = np.abs(out) > 2 * sigma
    return out.astype(dtype, copy=False)


def lecun_normal(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """N(0, 1/fan_in). With SELU this keeps activations at mean 0 and variance 1."""
    fan_in, _ = compute_fans(shape)
    return _normal(shape, math.sqrt(1.0 / fan_in), rng, dtype)


def lecun_uniform(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """U(-sqrt(3/fan_in), sqrt(3/fan_in)), variance 1/fan_in."""
    fan_in, _ = compute_fans(shape)
    return _uniform(shape, math.sqrt(3.0 / fan_in), rng, dtype)


def he_normal(shape, rng=None, dtype=np.float32, negative_slope: float = 0.0) -> np.ndarray:
    """N(0, 2/((1 + s²)·fan_in)); s is the LeakyReLU/PReLU negative slope (0 for ReLU)."""
    fan_in, _ = compute_fans(shape)
    return _normal(shape, math.sqrt(2.0 / ((1.0 + negative_slope**2) * fan_in)), rng, dtype)


def he_uniform(shape, rng=None, dtype=np.float32, negative_slope: float = 0.0) -> np.ndarray:
    """U(-sqrt(6/((1 + s²)·fan_in)), +...), variance 2/((1 + s²)·fan_in)."""
    fan_in, _ = compute_fans(shape)
    return _uniform(shape, math.sqrt(6.0 / ((1.0 + negative_slope**2) * fan_in)), rng, dtype)


def glorot_normal(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """N(0, 2/(fan_in + fan_out)) (Xavier normal)."""
    fan_in, fan_out = compute_fans(shape)
    return _normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def glorot_uniform(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """U(-sqrt(6/(fan_in + fan_out)), +sqrt(6/(fan_in + fan_out))) (Xavier uniform)."""
    fan_in, fan_out = compute_fans(shape)
    return _uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)), rng, dtype)


def lecun_normal_truncated(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """Truncated normal (±2σ) with std exactly sqrt(1/fan_in) (Keras' ``lecun_normal``)."""
    fan_in, _ = compute_fans(shape)
    return _truncated_normal(shape, math.sqrt(1.0 / fan_in), rng, dtype)


def he_normal_truncated(shape, rng=None, dtype=np.float32, negative_slope: float = 0.0) -> np.ndarray:
    """Truncated normal (±2σ) with std exactly sqrt(2/((1 + s²)·fan_in)) (Keras' ``he_normal``)."""
    fan_in, _ = compute_fans(shape)
    return _truncated_normal(shape, math.sqrt(2.0 / ((1.0 + negative_slope**2) * fan_in)), rng, dtype)


def glorot_normal_truncated(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """Truncated normal (±2σ) with std exactly sqrt(2/(fan_in + fan_out)) (Keras' ``glorot_normal``)."""
    fan_in, fan_out = compute_fans(shape)
    return _truncated_normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def pytorch_default(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """PyTorch's default ``nn.Linear`` init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), variance 1/(3·fan_in).

    Included to *show* the pitfall: with SELU it shrinks the activations with depth.
    """
    fan_in, _ = compute_fans(shape)
    return _uniform(shape, 1.0 / math.sqrt(fan_in), rng, dtype)


def zeros(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """All zeros (biases). ``rng`` is accepted for a uniform signature and unused."""
    return np.zeros(shape, dtype=dtype)


INITIALIZERS: dict[str, Initializer] = {
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "lecun_normal_truncated": lecun_normal_truncated,
    "he_normal_truncated": he_normal_truncated,
    "glorot_normal_truncated": glorot_normal_truncated,
    "pytorch_default": pytorch_default,
    "zeros": zeros,
}
ALIASES = {"kaiming_normal": "he_normal", "kaiming_uniform": "he_uniform",
           "xavier_normal": "glorot_normal", "xavier_uniform": "glorot_uniform"}


def get_initializer(init: str | Initializer) -> Initializer:
    """Look an initialiser up by name (or pass a callable through).

    Raises ValueError listing the valid names for an unknown name.
    """
    if callable(init):
        return init
    if isinstance(init, str):
        name = ALIASES.get(init, init)
        if name in INITIALIZERS:
            return INITIALIZERS[name]
        valid = ", ".join(sorted([*INITIALIZERS, *ALIASES]))
        raise ValueError(f"unknown initializer {init!r}; valid names are: {valid}")
    raise TypeError(f"init must be a name or a callable f(shape, rng, dtype), got {type(init).__name__}")


def initializer_name(init: str | Initializer) -> str:
    """The registry name of ``init`` (for configs), or its ``__name__`` for a custom callable."""
    if isinstance(init, str):
        return ALIASES.get(init, init)
    for name, fn in INITIALIZERS.items():
        if fn is init:
            return name
    return getattr(init, "__name__", repr(init))
