"""MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten and Dropout2D against loops written here from PyTorch's
documented definitions (max_pool2d pads with −∞, avg_pool2d counts the zero padding, output size
⌊(H + 2p − k)/s⌋ + 1), on both paths: the fast one (``forward``/``backward``) and ``reference`` (the loop over
output positions that textbook mode runs). The layer contract (gradient check, dtype, dy untouched, save/load, fast
equals reference) runs over these layers' rows in tests/layer_table.py; this file keeps what is specific."""

import math

import numpy as np
import pytest
from layer_table import fast_path, reference_path

import minnet as mn

POOL_CASES = [  # kernel, stride, padding, input H×W
    (2, None, 0, (6, 6)), (2, None, 0, (7, 5)), (3, 2, 1, (7, 8)), (3, 1, 0, (5, 6)),
    ((2, 3), (1, 2), (1, 1), (6, 7)), (3, 3, 1, (8, 8)), (1, 1, 0, (3, 4)), ((3, 2), None, (1, 0), (7, 6)),
]


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def direct_pool(x, kernel, stride, padding, kind):
    """(y, dx for dy = g) by the definition, scalar loops; the max goes to the first maximum in row-major order."""
    (kh, kw), (ph, pw) = pair(kernel), pair(padding)
    sh, sw = pair(kernel if stride is None else stride)
    n_, c_, h_, w_ = x.shape
    ho, wo = math.floor((h_ + 2 * ph - kh) / sh) + 1, math.floor((w_ + 2 * pw - kw) / sw) + 1
    y = np.zeros((n_, c_, ho, wo))
    argmax = {}
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    best, where, total = -math.inf, None, 0.0
                    for a in range(kh):
                        for e in range(kw):
                            r, s = i * sh + a - ph, j * sw + e - pw
                            inside = 0 <= r < h_ and 0 <= s < w_
                            value = x[n, c, r, s] if inside else (-math.inf if kind == "max" else 0.0)
                            total += value
                            if value > best:
                                best, where = value, (r, s)
                    y[n, c, i, j] = best if kind == "max" else total / (kh * kw)
                    argmax[n, c, i, j] = where
    return y, argmax


def direct_pool_backward(x, dy, kernel, stride, padding, kind, argmax):
    (kh, kw), (ph, pw) = pair(kernel), pair(padding)
    sh, sw = pair(kernel if stride is None else stride)
    dx = np.zeros_like(x)
    for (n, c, i, j), where in argmax.items():
        if kind == "max":
            dx[n, c, where[0], where[1]] += dy[n, c, i, j]
            continue
        for a in range(kh):
            for e in range(kw):
                r, s = i * sh + a - ph, j * sw + e - pw
                if 0 <= r < x.shape[2] and 0 <= s < x.shape[3]:
                    dx[n, c, r, s] += dy[n, c, i, j] / (kh * kw)
    return dx


LAYERS = {"max": mn.MaxPool2D, "avg": mn.AvgPool2D}


PATHS = pytest.mark.parametrize("path", [fast_path, reference_path], ids=["fast", "reference"])


@PATHS
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("kernel, stride, padding, size", POOL_CASES)
def test_pooling_matches_the_definition(kind, kernel, stride, padding, size, path):
    x = np.random.default_rng(0).normal(size=(2, 3, *size))
    layer = LAYERS[kind](kernel, stride=stride, padding=padding)
    expected, argmax = direct_pool(x, kernel, stride, padding, kind)
    dy = np.random.default_rng(1).normal(size=expected.shape)
    y, dx = path(layer, x, dy)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(dx, direct_pool_backward(x, dy, kernel, stride, padding, kind, argmax),
                               rtol=1e-12, atol=1e-15)


@PATHS
def test_max_pool_sends_a_tied_gradient_to_the_first_maximum_only(path):
    x = np.array([[[[1.0, 5.0], [5.0, 5.0]]]])
    y, dx = path(mn.MaxPool2D(2), x, np.array([[[[2.0]]]]))
    assert y[0, 0, 0, 0] == 5.0
    np.testing.assert_array_equal(dx, [[[[0.0, 2.0], [0.0, 0.0]]]])


@PATHS
def test_max_pool_with_nan_takes_the_first_nan_as_the_maximum(path):
    x = np.array([[[[1.0, np.nan], [7.0, np.nan]]]])
    y, dx = path(mn.MaxPool2D(2), x, np.array([[[[3.0]]]]))
    assert np.isnan(y[0, 0, 0, 0])
    np.testing.assert_array_equal(dx, [[[[0.0, 3.0], [0.0, 0.0]]]])


@PATHS
def test_overlapping_max_windows_add_their_gradients(path):
    x = np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])
    _, dx = path(mn.MaxPool2D(2, stride=1), x, np.ones((1, 1, 2, 2)))   # the centre is the maximum of all 4 windows
    assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0


@PATHS
def test_avg_pool_counts_the_padding(path):
    x = np.ones((1, 1, 2, 2))
    y, _ = path(mn.AvgPool2D(2, stride=2, padding=1), x, np.ones((1, 1, 2, 2)))   # each corner window: 1 one, 3 zeros
    np.testing.assert_array_equal(y, np.full((1, 1, 2, 2), 0.25))


@pytest.mark.parametrize("make, message", [
    (lambda: mn.MaxPool2D(2, padding=2), "at most half"),
    (lambda: mn.AvgPool2D(0), "kernel_size"),
    (lambda: mn.MaxPool2D(2, stride=0), "stride"),
])
def test_bad_pooling_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_pooling_refuses_input_that_is_not_an_image_batch():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        mn.MaxPool2D(2).forward(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="smaller than one window"):
        mn.AvgPool2D(3).forward(np.zeros((1, 1, 2, 5)))


@PATHS
def test_global_average_pool(path):
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    dy = np.random.default_rng(1).normal(size=(2, 3))
    y, dx = path(mn.GlobalAvgPool2D(), x, dy)
    expected = np.array([[math.fsum(x[n, c].ravel()) / 20 for c in range(3)] for n in range(2)])
    np.testing.assert_allclose(y, expected, rtol=1e-13)
    np.testing.assert_array_equal(dx, [[[[dy[n, c] / 20] * 5] * 4 for c in range(3)] for n in range(2)])


@PATHS
def test_flatten_is_a_row_major_reshape_and_its_backward_the_inverse(path):
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    y, dx = path(mn.Flatten(), x, np.arange(24.0).reshape(2, 12))
    assert y.shape == (2, 12) and y[1, 0] == 12.0 and y[0, 5] == 5.0
    np.testing.assert_array_equal(dx, x)


def test_dropout2d_drops_whole_channels_and_scales_the_rest():
    layer = mn.Dropout2D(0.5, rng=0)
    x = np.ones((50, 20, 3, 3))
    y = layer.forward(x, training=True)
    per_channel = y.reshape(50, 20, 9)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))          # one value per channel
    assert set(np.unique(y)) == {0.0, 2.0}
    dropped = float(np.mean(per_channel[:, :, 0] == 0))
    assert abs(dropped - 0.5) < 4 * math.sqrt(0.25 / 1000)                     # 1000 Bernoulli draws
    dy = np.random.default_rng(1).normal(size=x.shape)
    np.testing.assert_array_equal(layer.backward(dy), dy * y)                  # the same mask, d/q
    np.testing.assert_array_equal(layer.forward(x, training=False), x)


def test_dropout2d_checks_p_and_the_input_shape():
    with pytest.raises(ValueError, match="p"):
        mn.Dropout2D(1.0)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        mn.Dropout2D(0.2).forward(np.ones((4, 5)), training=True)


def test_alpha_dropout_works_on_feature_maps():
    layer = mn.AlphaDropout(0.1, rng=0)
    x = np.random.default_rng(0).normal(size=(64, 8, 6, 6))
    y = layer.forward(x, training=True)
    assert y.shape == x.shape
    assert abs(y.mean()) < 0.05 and abs(y.var() - 1) < 0.05                   # mean 0, variance 1 kept
    dy = np.ones_like(x)
    slope = layer.backward(dy)
    np.testing.assert_allclose(np.unique(slope), [0.0, layer.a])              # ∂y/∂x = a·d per element
