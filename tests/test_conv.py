"""Conv2D: PyTorch's conv2d semantics, checked against a loop over every index written here from the definition.

Both paths are checked: the fast im2col path (``forward``/``backward``) and ``reference`` (the loop over output
positions that textbook mode runs). The layer contract (gradient check, dtype, dy untouched, accumulation, save/load,
fast equals reference) runs over the Conv2D rows of tests/layer_table.py; this file keeps what is specific.

The definition (PyTorch's documented ``nn.Conv2d`` with zero padding):
y[n, o, i, j] = b[o] + Σ_{c, a, e} W[o, c, a, e] · x[n, c, i·sh + a·dh − pt, j·sw + e·dw − pl], with x = 0
outside the image, and Ho = ⌊(H + pt + pb − dh·(kh − 1) − 1) / sh⌋ + 1.
"""

import math
import tracemalloc

import numpy as np
import pytest
from layer_table import fast_path, reference_path

import minnet as mn
from minnet.nn.conv import Conv2D


def direct_conv(x, w, b, stride, pads, dilation):
    """Forward by the definition, one scalar at a time; pads = (top, bottom, left, right)."""
    n_, c_, h_, w_ = x.shape
    o_, _, kh, kw = w.shape
    ho = math.floor((h_ + pads[0] + pads[1] - dilation[0] * (kh - 1) - 1) / stride[0]) + 1
    wo = math.floor((w_ + pads[2] + pads[3] - dilation[1] * (kw - 1) - 1) / stride[1]) + 1
    y = np.zeros((n_, o_, ho, wo))
    for n in range(n_):
        for o in range(o_):
            for i in range(ho):
                for j in range(wo):
                    total = b[o]
                    for c in range(c_):
                        for a in range(kh):
                            for e in range(kw):
                                r = i * stride[0] + a * dilation[0] - pads[0]
                                s = j * stride[1] + e * dilation[1] - pads[2]
                                if 0 <= r < h_ and 0 <= s < w_:
                                    total += w[o, c, a, e] * x[n, c, r, s]
                    y[n, o, i, j] = total
    return y


def direct_conv_backward(x, w, dy, stride, pads, dilation):
    """(dx, dW, db) of L = Σ y·dy, by the chain rule applied to each term of the definition."""
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    n_, o_, ho, wo = dy.shape
    _, c_, kh, kw = w.shape
    for n in range(n_):
        for o in range(o_):
            for i in range(ho):
                for j in range(wo):
                    for c in range(c_):
                        for a in range(kh):
                            for e in range(kw):
                                r = i * stride[0] + a * dilation[0] - pads[0]
                                s = j * stride[1] + e * dilation[1] - pads[2]
                                if 0 <= r < x.shape[2] and 0 <= s < x.shape[3]:
                                    dx[n, c, r, s] += w[o, c, a, e] * dy[n, o, i, j]
                                    dw[o, c, a, e] += x[n, c, r, s] * dy[n, o, i, j]
    return dx, dw, dy.sum(axis=(0, 2, 3))


def rel(a, b):
    scale = max(np.abs(a).max(), np.abs(b).max())
    return 0.0 if scale == 0 else float(np.abs(a - b).max() / scale)


def random_case(seed):
    """A random geometry: kernel 1–3, stride 1–3, dilation 1–2, padding 0–2 (per axis), an input that fits."""
    r = np.random.default_rng(seed)
    kernel, stride, dilation = tuple(r.integers(1, 4, 2)), tuple(r.integers(1, 4, 2)), tuple(r.integers(1, 3, 2))
    padding = tuple(r.integers(0, 3, 2))
    size = [max(int(r.integers(3, 9)), d * (k - 1) + 1) for k, d in zip(kernel, dilation)]
    shape = (int(r.integers(1, 3)), int(r.integers(1, 4)), *size)
    return shape, int(r.integers(1, 4)), [int(v) for v in kernel], [int(v) for v in stride], \
        [int(v) for v in padding], [int(v) for v in dilation]


def make_layer(c, o, kernel, stride=1, padding=0, dilation=1, seed=0, dtype=np.float64):
    layer = Conv2D(c, o, kernel, stride=stride, padding=padding, dilation=dilation, rng=seed, dtype=dtype)
    assert layer.bias is not None
    layer.bias.data[:] = np.random.default_rng(seed + 1).normal(size=o)
    return layer


@pytest.mark.parametrize("path", [fast_path, reference_path], ids=["fast", "reference"])
@pytest.mark.parametrize("seed", range(25))
def test_forward_and_all_gradients_match_the_definition(seed, path):
    shape, o, kernel, stride, padding, dilation = random_case(seed)
    layer = make_layer(shape[1], o, kernel, stride, padding, dilation, seed=seed)
    x = np.random.default_rng(100 + seed).normal(size=shape)
    pads = (padding[0], padding[0], padding[1], padding[1])
    expected = direct_conv(x, layer.weight.data, layer.bias.data, stride, pads, dilation)
    dy = np.random.default_rng(200 + seed).normal(size=expected.shape)
    y, dx = path(layer, x, dy)
    assert y.shape == expected.shape
    assert rel(y, expected) < 1e-10
    dx_ref, dw_ref, db_ref = direct_conv_backward(x, layer.weight.data, dy, stride, pads, dilation)
    assert dx.shape == x.shape
    assert rel(dx, dx_ref) < 1e-10
    assert rel(layer.weight.grad, dw_ref) < 1e-10
    assert rel(layer.bias.grad, db_ref) < 1e-10


@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), ((2, 3), (2, 1)), (1, 1), (5, 2)])
def test_same_padding_keeps_the_size_and_puts_the_odd_extra_row_at_the_end(kernel, dilation):
    layer = make_layer(2, 3, kernel, padding="same", dilation=dilation)
    x = np.random.default_rng(0).normal(size=(2, 2, 7, 6))
    y = layer.forward(x)
    assert y.shape == (2, 3, 7, 6)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    th, tw = dh * (kh - 1), dw * (kw - 1)                     # PyTorch: left = total // 2, right = the rest
    pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    assert rel(y, direct_conv(x, layer.weight.data, layer.bias.data, (1, 1), pads, (dh, dw))) < 1e-10
    dy = np.random.default_rng(1).normal(size=y.shape)
    dx_ref, dw_ref, _ = direct_conv_backward(x, layer.weight.data, dy, (1, 1), pads, (dh, dw))
    assert rel(layer.backward(dy), dx_ref) < 1e-10
    assert rel(layer.weight.grad, dw_ref) < 1e-10


def test_valid_padding_is_no_padding():
    x = np.random.default_rng(0).normal(size=(1, 2, 6, 5))
    a, b = make_layer(2, 2, 3, padding="valid"), make_layer(2, 2, 3, padding=0)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    assert a.forward(x).shape == (1, 2, 4, 3)


def test_chunked_computation_equals_the_unchunked_one():
    x = np.random.default_rng(0).normal(size=(7, 3, 9, 8))
    whole, chunked = make_layer(3, 4, 3, padding=1), make_layer(3, 4, 3, padding=1)
    chunked.workspace_bytes = 1                                     # one sample per chunk
    y1, y2 = whole.forward(x), chunked.forward(x)
    dy = np.random.default_rng(1).normal(size=y1.shape)
    np.testing.assert_allclose(y2, y1, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(chunked.backward(dy), whole.backward(dy), rtol=1e-13, atol=1e-13)
    for a, b in zip(chunked.parameters(), whole.parameters()):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-12)


def peak_extra_bytes(layer, x):
    """Peak memory NumPy allocates during forward + backward, beyond what it holds at the end of the step."""
    dy = np.ones((len(x), layer.out_channels, *x.shape[2:]))
    tracemalloc.start()
    tracemalloc.reset_peak()
    y = layer.forward(x)
    dx = layer.backward(dy)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del y, dx
    return peak


def test_the_workspace_bound_limits_the_im2col_memory():
    x = np.random.default_rng(0).normal(size=(64, 8, 16, 16))      # cols: 8·9·256 float64 = 147 kB per sample
    cols_bytes = 64 * 8 * 9 * 256 * 8                              # 9.4 MB for the whole batch
    unbounded, bounded = make_layer(8, 4, 3, padding=1), make_layer(8, 4, 3, padding=1)
    bounded.workspace_bytes = 1 << 20                               # 1 MB: 3 samples per chunk
    io_bytes = x.nbytes * 3 + 2 * 64 * 4 * 16 * 16 * 8             # x, padded x, dx; y and dy
    assert peak_extra_bytes(unbounded, x) > io_bytes + cols_bytes
    assert peak_extra_bytes(bounded, x) < io_bytes + 2 * bounded.workspace_bytes


@pytest.mark.parametrize("textbook", [False, True], ids=["fast", "textbook"])
def test_the_first_layer_shortcut_gives_the_same_parameter_gradients(textbook):
    layer = make_layer(2, 3, 3, stride=2, padding=1)
    x = np.random.default_rng(0).normal(size=(3, 2, 7, 7))
    with mn.textbook(textbook):
        dy = np.random.default_rng(1).normal(size=layer.forward(x).shape)
        layer.backward(dy)
        full = [p.grad.copy() for p in layer.parameters()]
        layer.zero_grad()
        layer.backward_to_parameters(dy)
    for g, p in zip(full, layer.parameters()):
        np.testing.assert_array_equal(p.grad, g)


@pytest.mark.parametrize("textbook", [False, True], ids=["fast", "textbook"])
def test_a_gradient_of_the_wrong_shape_is_refused_before_any_gradient_changes(textbook):
    layer = make_layer(2, 3, 3, padding=1)
    with mn.textbook(textbook):
        layer.forward(np.ones((2, 2, 5, 5)))
        with pytest.raises(ValueError, match=r"expected dy of shape \(2, 3, 5, 5\)"):
            layer.backward(np.ones((2, 3, 4, 5)))
    assert not any(p.grad.any() for p in layer.parameters())


@pytest.mark.parametrize("kwargs, message", [
    ({"kernel_size": 0}, "kernel_size"),
    ({"kernel_size": (3, 3, 3)}, "kernel_size"),
    ({"kernel_size": 3, "stride": 0}, "stride"),
    ({"kernel_size": 3, "padding": -1}, "padding"),
    ({"kernel_size": 3, "padding": "full"}, "padding"),
    ({"kernel_size": 3, "padding": "same", "stride": 2}, "stride 1"),
    ({"kernel_size": 3, "dilation": 0}, "dilation"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2D(2, 3, **kwargs)


def test_bad_inputs_are_refused_before_anything_changes():
    layer = Conv2D(2, 3, 5)
    with pytest.raises(ValueError, match=r"\(N, 2, H, W\)"):
        layer.forward(np.zeros((1, 3, 8, 8)))
    with pytest.raises(ValueError, match="smaller than one window"):
        layer.forward(np.zeros((1, 2, 4, 8)))
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 3, 1, 1)))


def test_weight_layout_and_fans_follow_pytorch():
    layer = Conv2D(16, 64, 3, init="lecun_normal", rng=0, dtype=np.float64)
    assert layer.weight.shape == (64, 16, 3, 3)
    assert layer.weight.data.std() == pytest.approx(math.sqrt(1 / (16 * 9)), rel=0.03)     # fan_in = C·kh·kw
    he = Conv2D(16, 64, 3, init="he_normal", rng=0, dtype=np.float64)
    assert he.weight.data.std() == pytest.approx(math.sqrt(2 / (16 * 9)), rel=0.03)
    glorot = Conv2D(16, 64, 3, init="glorot_uniform", rng=0, dtype=np.float64)
    limit = math.sqrt(6 / ((16 + 64) * 9))                          # fan_out = O·kh·kw, as PyTorch
    assert np.abs(glorot.weight.data).max() <= limit
    assert np.abs(glorot.weight.data).max() > 0.99 * limit
    assert layer.bias is not None and not np.any(layer.bias.data)


def test_config_rebuilds_the_layer_and_repr_names_it():
    layer = Conv2D(2, 4, (3, 2), stride=(1, 2), padding=(1, 0), dilation=2, bias=False)
    config = layer.get_config()
    again = Conv2D(**config)
    assert again.get_config() == config
    assert again.bias is None and len(again.parameters()) == 1
    assert repr(layer).startswith("Conv2D(in_channels=2, out_channels=4, kernel_size=(3, 2)")


def test_a_leaky_relu_cnn_keeps_its_slope_corrected_initialiser_name(tmp_path):
    model = mn.cnn((1, 8, 8), 3, channels=(2,), activation="leaky_relu", seed=0)
    mn.save(model, tmp_path / "leaky.minnet")
    loaded = mn.load(tmp_path / "leaky.minnet")
    assert repr(loaded) == repr(model)


def test_a_file_declaring_a_huge_convolution_is_refused_before_allocating():
    from minnet.io.registry import declared_arrays

    spec = {"class": "Conv2D", "config": {"in_channels": 4096, "out_channels": 4096, "kernel_size": [64, 64]}}
    assert declared_arrays(spec) == {"param/weight": (4096, 4096, 64, 64), "param/bias": (4096,)}
    from minnet.io.registry import check_declared_arrays

    with pytest.raises(mn.ModelFileError, match="declares"):
        check_declared_arrays({"class": "Sequential", "config": {"layers": [spec]}},
                              {"param/0.weight": (1, 1, 1, 1), "param/0.bias": (1,)}, "load")
