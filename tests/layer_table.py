"""The one table of minnet's layers that the contract tests (tests/test_layer_contract.py) run over.

Like PyTorch's ModuleInfo: each row says how to build the layer for a dtype, which input shapes it accepts
(including (N, C, H, W) where it supports images), where its derivative jumps (the kinks, kept out of
gradient checks), in which modes it runs, and how closely its fast path must match its reference path.

Adding a row is one entry in ``LAYER_CASES``, for example the first Conv2D row::

    LayerCase("Conv2D", lambda dt: mn.Conv2D(3, 4, kernel_size=3, rng=0, dtype=dt),
              shapes=((2, 3, 6, 6),), reference="close", ulps=CONV_ULPS)

(written below through the small helper ``_conv``, as the pooling rows are through ``_pool``).

- ``make(dtype)`` returns a fresh layer whose parameters (if any) have that dtype; a layer without a dtype
  argument ignores it (it keeps its input's dtype).
- ``shapes``: input shapes the layer accepts; every contract test runs on each of them.
- ``kinks``: input values where the derivative jumps (0 for ReLU). Sample inputs keep |x − kink| ≥ 0.1.
  Rows that are whole models must only put kinked activations where their inputs stay away from kinks
  (first layer, or smooth activations behind Dense layers), as the Sequential rows here do.
- ``ties_are_kinks``: the derivative jumps where two inputs are equal (MaxPool2D: a tied window sends its
  gradient to the first maximum only, and one-sided differences disagree there). Sample inputs then have
  distinct magnitudes, evenly spaced and shuffled, so two values of the array differ by ≥ 1.9·scale/(size − 1)
  (≥ 0.008·scale for the shapes here), far beyond the gradient check's step (1e-5).
- ``training_modes``: the ``training`` values to test (both by default).
- ``reference``: how the fast path compares with the reference path (``layer.reference`` when the layer
  has one, and always a whole forward/backward in textbook mode): ``"exact"`` (bit for bit), ``"ulps"``
  (every element within ``ulps`` units in the last place: an elementwise formula written another exact
  way) or ``"close"`` (within ``ulps`` units of the largest value: a sum or normalisation whose terms are
  rounded differently, where elementwise ulps mean nothing after cancellation). dx = dy·f'(x) gets one ulp
  more (one more rounding); parameter gradients, sums, are compared in ulps of their largest value.
- A Dense right before BatchNorm has no bias: BatchNorm subtracts the mean, so that bias gets a gradient of
  exactly 0 and a relative error of 1 from rounding noise.
- ``randomise``: move parameters away from their initial values (γ = 1, β = 0, slope 0.25), so that a
  backward that ignores them cannot pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

import numpy as np
from hypothesis import strategies as st

import minnet as mn

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerCase:
    name: str
    make: Callable[[type], mn.Layer]
    shapes: tuple[Shape, ...] = ((5, 4),)
    kinks: tuple[float, ...] = ()
    training_modes: tuple[bool, ...] = (False, True)
    reference: str = "exact"            # "exact" | "ulps" | "close"
    ulps: int = 0
    randomise: bool = True
    ties_are_kinks: bool = False

    def __str__(self) -> str:
        return self.name


def _prelu_per_channel(channels: int, dtype: type) -> mn.PReLU:
    layer = mn.PReLU(channels, dtype=dtype)
    layer.weight.data[:] = np.linspace(-0.3, 0.6, channels)      # distinct slopes: a channel mix-up shows
    return layer


def _activation(name: str, make: Callable[[], mn.Layer], kinks: tuple[float, ...] = (0.0,)) -> LayerCase:
    """An elementwise activation: any shape, a reference within 2 ulp of the fast path (issue's bound)."""
    return LayerCase(name, lambda dt: make(), shapes=((5, 4), (2, 3, 4, 4)), kinks=kinks, reference="ulps", ulps=2,
                     randomise=False)


def _conv(name: str, make: Callable[[type], mn.Layer], shape: Shape) -> LayerCase:
    """A convolution: the reference sums the same products in another order (einsum per output position)."""
    return LayerCase(name, make, shapes=(shape,), reference="close", ulps=CONV_ULPS)


def _pool(name: str, make: Callable[[], mn.Layer], shape: Shape, exact: bool = False,
          max_pool: bool = False) -> LayerCase:
    """A pooling layer: no parameters, no dtype of its own (it keeps its input's). ``exact``: non-overlapping max
    windows, where the reference picks the same values and sends each dy to one place. Otherwise a window's mean,
    or the sum in dx over overlapping windows, is rounded in another order."""
    return LayerCase(name, lambda dt: make(), shapes=(shape,), reference="exact" if exact else "close",
                     ulps=0 if exact else POOL_ULPS, ties_are_kinks=max_pool)


#: float32 ulps of the largest value by which a convolution's reference may differ from im2col (sums of
#: C·kh·kw products per output, and of N·Ho·Wo products per weight gradient, added in another order)
CONV_ULPS = 8
#: the same for average pooling (a sum of kh·kw values; dx: a sum over the overlapping windows)
POOL_ULPS = 4


LAYER_CASES: list[LayerCase] = [
    LayerCase("Dense", lambda dt: mn.Dense(4, 3, rng=0, dtype=dt), shapes=((5, 4), (2, 3, 4))),
    LayerCase("Dense-nobias", lambda dt: mn.Dense(4, 3, bias=False, init="glorot_uniform", rng=1, dtype=dt)),
    _activation("ReLU", mn.ReLU),
    _activation("LeakyReLU", lambda: mn.LeakyReLU(0.2)),
    _activation("LeakyReLU(0)", lambda: mn.LeakyReLU(0.0)),
    _activation("LeakyReLU(-0.5)", lambda: mn.LeakyReLU(-0.5)),
    LayerCase("PReLU-shared", lambda dt: mn.PReLU(dtype=dt), shapes=((5, 4), (2, 3, 4, 4)), kinks=(0.0,),
              reference="ulps", ulps=2),
    LayerCase("PReLU-shared-init", lambda dt: mn.PReLU(init=-0.4, dtype=dt), kinks=(0.0,), reference="ulps", ulps=2,
              randomise=False),
    LayerCase("PReLU-per-channel", lambda dt: _prelu_per_channel(3, dt), shapes=((5, 3), (2, 3, 4, 4), (2, 3, 5)),
              kinks=(0.0,), reference="ulps", ulps=2, randomise=False),
    LayerCase("PReLU-per-channel-init", lambda dt: mn.PReLU(3, init=0.1, dtype=dt), shapes=((2, 3, 3, 2),),
              kinks=(0.0,), reference="ulps", ulps=2, randomise=False),
    _activation("ELU", mn.ELU),
    _activation("ELU(0.5)", lambda: mn.ELU(0.5)),
    _activation("ELU(2)", lambda: mn.ELU(2.0)),
    _activation("SELU", mn.SELU),
    _activation("CELU", mn.CELU, kinks=()),                 # CELU'(0±) = 1: no kink
    _activation("CELU(0.5)", lambda: mn.CELU(0.5), kinks=()),
    _activation("CELU(2)", lambda: mn.CELU(2.0), kinks=()),
    _activation("SiLU", mn.SiLU, kinks=()),
    _activation("Tanh", mn.Tanh, kinks=()),
    _activation("Sigmoid", mn.Sigmoid, kinks=()),
    _activation("Identity", mn.Identity, kinks=()),
    LayerCase("Dropout", lambda dt: mn.Dropout(0.3, rng=0), shapes=((5, 4), (2, 3, 4, 4))),
    LayerCase("AlphaDropout", lambda dt: mn.AlphaDropout(0.2, rng=0), shapes=((5, 4), (2, 3, 4, 4))),
    LayerCase("BatchNorm", lambda dt: mn.BatchNorm(4, dtype=dt), shapes=((6, 4), (2, 4, 3, 3))),
    LayerCase("BatchNorm-noaffine", lambda dt: mn.BatchNorm(4, affine=False, momentum=0.5, dtype=dt),
              shapes=((6, 4), (2, 4, 3, 3))),
    LayerCase("LayerNorm", lambda dt: mn.LayerNorm(4, dtype=dt), shapes=((6, 4), (2, 3, 4))),
    _conv("Conv2D", lambda dt: mn.Conv2D(3, 4, kernel_size=3, rng=0, dtype=dt), (2, 3, 6, 6)),
    _conv("Conv2D-stride-padding-pairs", lambda dt: mn.Conv2D(2, 3, (3, 2), stride=(2, 1), padding=(1, 2), rng=1,
                                                               dtype=dt), (2, 2, 7, 6)),
    _conv("Conv2D-same-dilated", lambda dt: mn.Conv2D(2, 3, 3, padding="same", dilation=2, init="he_uniform", rng=2,
                                                       dtype=dt), (2, 2, 6, 7)),
    _conv("Conv2D-same-even-kernel", lambda dt: mn.Conv2D(2, 2, (2, 4), padding="same", dilation=(2, 1), rng=3,
                                                           dtype=dt), (3, 2, 5, 6)),
    _conv("Conv2D-nobias-stride-dilation", lambda dt: mn.Conv2D(3, 2, 2, stride=2, dilation=(1, 2), bias=False,
                                                                 rng=4, dtype=dt), (2, 3, 5, 7)),
    _pool("MaxPool2D", lambda: mn.MaxPool2D(2), (2, 3, 6, 6), exact=True, max_pool=True),
    _pool("MaxPool2D-overlap-padding", lambda: mn.MaxPool2D(3, stride=2, padding=1), (2, 2, 7, 8), max_pool=True),
    _pool("MaxPool2D-pairs", lambda: mn.MaxPool2D((2, 3), stride=(1, 2), padding=(1, 1)), (2, 2, 5, 7),
          max_pool=True),
    _pool("AvgPool2D", lambda: mn.AvgPool2D(2), (2, 3, 6, 6)),
    _pool("AvgPool2D-overlap-padding", lambda: mn.AvgPool2D(3, stride=2, padding=1), (2, 2, 7, 8)),
    _pool("AvgPool2D-pairs", lambda: mn.AvgPool2D((3, 2), stride=(2, 1), padding=(1, 0)), (2, 2, 7, 5)),
    LayerCase("GlobalAvgPool2D", lambda dt: mn.GlobalAvgPool2D(), shapes=((2, 3, 4, 5),)),
    LayerCase("Flatten", lambda dt: mn.Flatten(), shapes=((2, 3, 4, 4), (5, 4), (2, 3, 4))),
    LayerCase("Dropout2D", lambda dt: mn.Dropout2D(0.4, rng=0), shapes=((4, 3, 3, 3),)),
    LayerCase("Sequential", lambda dt: mn.Sequential(
        mn.PReLU(4, dtype=dt), mn.Dense(4, 5, rng=0, dtype=dt), mn.ELU(), mn.Dropout(0.25, rng=1),
        mn.Dense(5, 3, bias=False, rng=2, dtype=dt), mn.BatchNorm(3, dtype=dt), mn.Tanh(),
        mn.Dense(3, 2, rng=3, dtype=dt)),
        shapes=((6, 4),), kinks=(0.0,), reference="close", ulps=64),
    LayerCase("Sequential-nested", lambda dt: mn.Sequential(
        mn.Dense(4, 5, rng=4, dtype=dt), mn.Sequential(mn.SiLU(), mn.Dense(5, 4, rng=5, dtype=dt),
                                                       mn.LayerNorm(4, dtype=dt)),
        mn.Sigmoid(), mn.AlphaDropout(0.1, rng=6), mn.Dense(4, 3, rng=7, dtype=dt)),
        shapes=((6, 4),), reference="close", ulps=64),
    LayerCase("Sequential-CNN", lambda dt: mn.Sequential(
        mn.Conv2D(2, 3, 3, padding=1, rng=8, dtype=dt), mn.ELU(), mn.Dropout2D(0.3, rng=9),
        mn.Conv2D(3, 4, 2, stride=2, bias=False, rng=10, dtype=dt), mn.BatchNorm(4, dtype=dt), mn.Tanh(),
        mn.AvgPool2D(2, stride=1), mn.Flatten(), mn.Dense(4 * 2 * 2, 2, rng=11, dtype=dt)),
        shapes=((4, 2, 6, 6),), reference="close", ulps=64),
]


def sample_input(case: LayerCase, shape: Shape, dtype: type, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """``scale`` times values with |x| in [0.1, 2] and random signs, moved so that |x − kink| ≥ 0.1·scale
    (and distinct magnitudes for a row whose ties are kinks)."""
    rng = np.random.default_rng(seed)
    x = scale * rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)
    if case.ties_are_kinks:                      # distinct magnitudes: no window holds a near tie
        x = np.sign(x) * scale * rng.permutation(np.linspace(0.1, 2.0, x.size)).reshape(shape)
    for kink in case.kinks:
        near = np.abs(x - kink) < 0.1 * scale
        x[near] = kink + np.where(x[near] < kink, -0.1, 0.1) * scale
    return x.astype(dtype)


def randomise_parameters(layer: mn.Layer, seed: int = 0) -> None:
    """Parameters drawn from ±U(0.5, 1.5): no parameter keeps a special value (1, 0, 0.25)."""
    rng = np.random.default_rng(seed)
    for p in layer.parameters():
        p.data[...] = rng.uniform(0.5, 1.5, p.shape) * rng.choice([-1.0, 1.0], p.shape)


def build(case: LayerCase, dtype: type = np.float64) -> mn.Layer:
    layer = case.make(dtype)
    if case.randomise:
        randomise_parameters(layer)
    return layer


def generators(layer: mn.Layer) -> list[np.random.Generator]:
    """Every random generator in the layer (dropout masks), nested layers included."""
    found = [g for sub in getattr(layer, "layers", []) for g in generators(sub)]
    rng = getattr(layer, "rng", None)
    return found + [rng] if isinstance(rng, np.random.Generator) else found


def ids(cases: list[LayerCase]) -> list[str]:
    return [c.name for c in cases]


# --- hypothesis inputs for "fast equals reference" tests ---------------------------------------------------
#: the values every such test must meet: signed zeros, large, very negative (exp underflows), huge negative
EXTREMES = (0.0, -0.0, 1e4, -1e4, -80.0, -1e30)


def extreme_floats(dtype: type, kinks: tuple[float, ...] = (0.0,)) -> st.SearchStrategy[float]:
    """Ordinary values in [−10, 10] mixed with EXTREMES, subnormals and the kinks, all exact in ``dtype``."""
    info = np.finfo(dtype)
    tiny = float(info.smallest_subnormal)
    specials = [*EXTREMES, tiny, -tiny, 7 * tiny, float(info.tiny) / 2, -float(info.tiny) / 2, *kinks]
    width: Literal[32, 64] = 32 if np.dtype(dtype) == np.float32 else 64
    return st.one_of(st.floats(-10.0, 10.0, width=width), st.sampled_from([float(dtype(v)) for v in specials]))


def assert_same_bits(got: np.ndarray, want: np.ndarray, what: str = "") -> None:
    """Bit for bit: same dtype and shape, and the same bits in every element (so −0 ≠ +0, NaN = NaN)."""
    _assert_bits(got, want, what, zero_sign_matters=True)


def assert_same_bits_but_zero_sign(got: np.ndarray, want: np.ndarray, what: str = "") -> None:
    """Bit for bit, except that +0 and −0 count as the same value (a gradient written straight into a zeroed
    ``grad`` keeps a product's −0 where 0 + (−0) gives +0: see ``Parameter``, "Adding into grad")."""
    _assert_bits(got, want, what, zero_sign_matters=False)


def _assert_bits(got: np.ndarray, want: np.ndarray, what: str, zero_sign_matters: bool) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype, got.shape, want.shape)
    bits = np.dtype(f"u{got.dtype.itemsize}")
    differ = got.view(bits) != want.view(bits)
    if not zero_sign_matters:
        differ &= ~((got == 0) & (want == 0))
    assert not differ.any(), (f"{what}: {int(differ.sum())} element(s) differ, "
                              f"e.g. {got[differ][:3]} vs {want[differ][:3]}")


# --- a layer's forward + backward, by its fast path or by its reference -------------------------------------
def fast_path(layer: mn.Layer, x: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(y, dx) from ``forward`` then ``backward``."""
    y = layer.forward(x)
    return y, layer.backward(dy)


def reference_path(layer: Any, x: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(y, dx) from the layer's ``reference(x) -> (y, backward)``."""
    y, backward = layer.reference(x)
    return y, backward(dy)
