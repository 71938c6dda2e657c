"""Weight initialisers: pure functions ``f(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32) -> array``.

A home-made initialiser needs only ``def my_init(shape, rng): ...`` (``rng`` is a
``numpy.random.Generator``; ``dtype`` is optional): :func:`get_initializer` checks the signature and
converts the result to the layer's dtype. A callable without ``rng`` is refused with a message saying so.

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

import functools
import inspect
import math
from typing import Callable, Union

import numpy as np
from numpy.typing import DTypeLike

from minnet.rng import RNGLike, make_rng

Initializer = Callable[..., np.ndarray]
#: A weight shape: an int n (a vector of n) or a tuple of sizes.
Shape = Union[int, tuple[int, ...]]

#: std of a standard normal truncated to [-2, 2]; dividing by it makes the truncated std exact.
TRUNCATED_NORMAL_STD = 0.87962566103423978


def compute_fans(shape: Shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a weight of ``shape`` (fan_in = shape[0]; an int n means (n,))."""
    sizes = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if len(sizes) < 1 or any(s <= 0 for s in sizes):
        raise ValueError(f"an initialiser needs a shape of positive sizes, got {sizes}")
    if len(sizes) == 1:
        return sizes[0], sizes[0]
    receptive = math.prod(sizes[2:])
    return sizes[0] * receptive, sizes[1] * receptive


def _normal(shape: Shape, std: float, rng: RNGLike, dtype: DTypeLike) -> np.ndarray:
    return make_rng(rng).normal(0.0, std, size=shape).astype(dtype, copy=False)


def _uniform(shape: Shape, limit: float, rng: RNGLike, dtype: DTypeLike) -> np.ndarray:
    return make_rng(rng).uniform(-limit, limit, size=shape).astype(dtype, copy=False)


def _truncated_normal(shape: Shape, std: float, rng: RNGLike, dtype: DTypeLike) -> np.ndarray:
    """N(0, σ²) cut at ±2σ, with σ = std / 0.8796... so the result has std ``std``.

    Out-of-range draws are redrawn (rejection sampling), so the result is exact.
    """
    gen = make_rng(rng)
    sigma = std / TRUNCATED_NORMAL_STD
    out = gen.normal(0.0, sigma, size=shape)
    bad = np.abs(out) > 2 * sigma
    while bad.any():
        out[bad] = gen.normal(0.0, sigma, size=int(bad.sum()))
        bad = np.abs(out) > 2 * sigma
    return out.astype(dtype, copy=False)


def lecun_normal(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32) -> np.ndarray:
    """N(0, 1/fan_in). With SELU this keeps activations at mean 0 and variance 1."""
    fan_in, _ = compute_fans(shape)
    return _normal(shape, math.sqrt(1.0 / fan_in), rng, dtype)


def lecun_uniform(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32) -> np.ndarray:
    """U(-sqrt(3/fan_in), sqrt(3/fan_in)), variance 1/fan_in."""
    fan_in, _ = compute_fans(shape)
    return _uniform(shape, math.sqrt(3.0 / fan_in), rng, dtype)


def he_normal(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32,
              negative_slope: float = 0.0) -> np.ndarray:
    """N(0, 2/((1 + s²)·fan_in)); s is the LeakyReLU/PReLU negative slope (0 for ReLU)."""
    fan_in, _ = compute_fans(shape)
    return _normal(shape, math.sqrt(2.0 / ((1.0 + negative_slope**2) * fan_in)), rng, dtype)


def he_uniform(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32,
               negative_slope: float = 0.0) -> np.ndarray:
    """U(-sqrt(6/((1 + s²)·fan_in)), +...), variance 2/((1 + s²)·fan_in)."""
    fan_in, _ = compute_fans(shape)
    return _uniform(shape, math.sqrt(6.0 / ((1.0 + negative_slope**2) * fan_in)), rng, dtype)


def glorot_normal(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32) -> np.ndarray:
    """N(0, 2/(fan_in + fan_out)) (Xavier normal)."""
    fan_in, fan_out = compute_fans(shape)
    return _normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def glorot_uniform(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32) -> np.ndarray:
    """U(-sqrt(6/(fan_in + fan_out)), +sqrt(6/(fan_in + fan_out))) (Xavier uniform)."""
    fan_in, fan_out = compute_fans(shape)
    return _uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)), rng, dtype)


def lecun_normal_truncated(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32) -> np.ndarray:
    """Truncated normal (±2σ) with std exactly sqrt(1/fan_in) (Keras' ``lecun_normal``)."""
    fan_in, _ = compute_fans(shape)
    return _truncated_normal(shape, math.sqrt(1.0 / fan_in), rng, dtype)


def he_normal_truncated(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32,
                        negative_slope: float = 0.0) -> np.ndarray:
    """Truncated normal (±2σ) with std exactly sqrt(2/((1 + s²)·fan_in)) (Keras' ``he_normal``)."""
    fan_in, _ = compute_fans(shape)
    return _truncated_normal(shape, math.sqrt(2.0 / ((1.0 + negative_slope**2) * fan_in)), rng, dtype)


def glorot_normal_truncated(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32) -> np.ndarray:
    """Truncated normal (±2σ) with std exactly sqrt(2/(fan_in + fan_out)) (Keras' ``glorot_normal``)."""
    fan_in, fan_out = compute_fans(shape)
    return _truncated_normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def pytorch_default(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32) -> np.ndarray:
    """PyTorch's default ``nn.Linear`` init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), variance 1/(3·fan_in).

    Included to *show* the pitfall: with SELU it shrinks the activations with depth.
    """
    fan_in, _ = compute_fans(shape)
    return _uniform(shape, 1.0 / math.sqrt(fan_in), rng, dtype)


def zeros(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32) -> np.ndarray:
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

    Raises ValueError listing the valid names for an unknown name; a callable goes through
    :func:`check_initializer`.
    """
    if callable(init):
        return check_initializer(init)
    if isinstance(init, str):
        name = ALIASES.get(init, init)
        if name in INITIALIZERS:
            return INITIALIZERS[name]
        valid = ", ".join(sorted([*INITIALIZERS, *ALIASES]))
        raise ValueError(f"unknown initializer {init!r}; valid names are: {valid}")
    raise TypeError(f"init must be a name or a callable f(shape, rng), got {type(init).__name__}")


def _accepts(params: dict[str, inspect.Parameter], name: str) -> bool:
    """True when a call may pass ``name=`` as a keyword."""
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return True
    param = params.get(name)
    return param is not None and param.kind is not inspect.Parameter.POSITIONAL_ONLY


def check_initializer(fn: Initializer, where: str = "init") -> Initializer:
    """``fn`` as an initialiser minnet can call as ``fn(shape, rng=..., dtype=...)``.

    The contract is ``fn(shape, rng)``: ``shape`` a tuple of ints, ``rng`` a ``numpy.random.Generator``
    (draw every random number from it, so that seeds work). A callable without an ``rng`` parameter raises
    a TypeError that shows the expected signature; one without ``dtype`` is wrapped so that its result is
    converted to the layer's dtype. Callables whose signature Python cannot read are passed through.
    """
    if not callable(fn):
        raise TypeError(f"{where}: an initializer must be callable as f(shape, rng), got {fn!r}")
    try:
        params = dict(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return fn
    name = getattr(fn, "__name__", type(fn).__name__)
    if not _accepts(params, "rng"):
        shown = ", ".join(params)
        raise TypeError(f"{where}: the initializer {name}({shown}) takes no 'rng' argument; an initializer must "
                        f"have the signature (shape, rng) — e.g. def {name}(shape, rng): return "
                        "rng.normal(0.0, 0.1, size=shape) — and draw its random numbers from rng (a "
                        "numpy.random.Generator)")
    if _accepts(params, "dtype"):
        return fn

    @functools.wraps(fn)
    def with_dtype(shape: Shape, rng: RNGLike = None, dtype: DTypeLike = np.float32) -> np.ndarray:
        return np.asarray(fn(shape, rng=make_rng(rng))).astype(dtype, copy=False)

    return with_dtype


def initializer_name(init: str | Initializer) -> str:
    """The registry name of ``init`` (for configs), or its ``__name__`` for a custom callable."""
    if isinstance(init, str):
        return ALIASES.get(init, init)
    for name, fn in INITIALIZERS.items():
        if fn is init:
            return name
    return getattr(init, "__name__", repr(init))
