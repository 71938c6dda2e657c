"""minnet.diagnostics: dead units, activation statistics, gradient flow, text report.

Expected values come from the construction (units forced dead by a very negative bias)
or from a direct NumPy computation over the whole data set written here, never from the
code under test.
"""

import tracemalloc

import numpy as np
import pytest

import minnet as mn
from minnet import diagnostics
from minnet.nn.dropout import AlphaDropout, Dropout
from minnet.nn.losses import CrossEntropyLoss
from minnet.train.optim import Adam

D, H, K = 6, 10, 3          # input features, hidden units, units forced dead


def forced_net(act, k=K, dtype=np.float64, bias=-1e3, seed=0):
    """Dense(D, H) → act → Dense(H, 3) with the first k hidden units' bias at ``bias``.

    With inputs N(0, 1) and bias −1000 those units have z < 0 for every sample; the others
    are positive for some of 300 samples (a zero-bias unit negative on all of them has
    probability 2⁻³⁰⁰).
    """
    model = mn.Sequential(mn.Dense(D, H, rng=seed, dtype=dtype), act, mn.Dense(H, 3, rng=seed + 1, dtype=dtype))
    model.layers[0].bias.data[:k] = bias
    return model


@pytest.fixture
def X():
    return np.random.default_rng(42).standard_normal((300, D))


def only(records, position):
    [r] = [r for r in records if r["layer"] == position]
    return r


# --- dead units -----------------------------------------------------------------------------
@pytest.mark.parametrize("k", [0, 1, K, H])
def test_relu_reports_exactly_the_forced_dead_units(X, k):
    r = only(diagnostics.dead_units(forced_net(mn.ReLU(), k=k), X), 1)
    assert (r["name"], r["units"], r["dead"], r["never_active"]) == ("ReLU", H, k, k)
    assert r["dead_fraction"] == r["never_active_fraction"] == k / H
    assert r["dead_mask"].tolist() == [True] * k + [False] * (H - k)


@pytest.mark.parametrize("act", [mn.ELU(), mn.ELU(alpha=0.5), mn.SELU(), mn.LeakyReLU(0.01), mn.CELU()],
                         ids=repr)
def test_activations_with_positive_slope_are_never_active_but_not_dead(X, act):
    r = only(diagnostics.dead_units(forced_net(act), X), 1)
    assert (r["dead"], r["never_active"]) == (0, K)
    assert r["never_active_fraction"] == K / H and r["dead_fraction"] == 0.0


def test_leaky_relu_with_slope_zero_counts_dead_like_relu(X):
    r = only(diagnostics.dead_units(forced_net(mn.LeakyReLU(0.0)), X), 1)
    assert (r["dead"], r["never_active"]) == (K, K)


def test_prelu_counts_dead_only_where_its_slope_is_zero(X):
    # units 0..5 never active; slopes 0 on units 0, 1 (never active → dead) and 8 (active → alive)
    prelu = mn.PReLU(num_parameters=H, dtype=np.float64)
    prelu.weight.data[[0, 1, 8]] = 0.0
    r = only(diagnostics.dead_units(forced_net(prelu, k=6), X), 1)
    assert (r["dead"], r["never_active"]) == (2, 6)
    assert np.flatnonzero(r["dead_mask"]).tolist() == [0, 1]

    shared = mn.PReLU(num_parameters=1, init=0.0, dtype=np.float64)
    assert only(diagnostics.dead_units(forced_net(shared), X), 1)["dead"] == K
    shared.weight.data[0] = 0.25
    assert only(diagnostics.dead_units(forced_net(shared), X), 1)["dead"] == 0


def test_selu_is_not_dead_where_its_float32_slope_underflows_to_zero(X):
    model = forced_net(mn.SELU(), dtype=np.float32, bias=-200.0)
    z = model.layers[0](X.astype(np.float32))
    assert z.dtype == np.float32 and z[:, :K].max() < -150
    assert np.all(model.layers[1].derivative(z)[:, :K] == 0)      # the premise: float32 slope is exactly 0
    r = only(diagnostics.dead_units(model, X), 1)
    assert (r["dead"], r["never_active"]) == (0, K)


def reference_dead_counts(model, X):
    """Whole data set at once: per activation layer, (#units with z ≤ 0 everywhere, same for f' = 0)."""
    out, h = {}, X
    for i, layer in enumerate(model.layers):
        if isinstance(layer, mn.Activation):
            never = np.all(h <= 0, axis=0)
            if isinstance(layer, mn.ReLU):
                dead = never
            else:                                   # ELU in this model: never dead
                dead = np.zeros_like(never)
            out[i] = (int(dead.sum()), int(never.sum()))
        h = layer(h)
    return out


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_dead_units_do_not_depend_on_batch_size_and_match_a_direct_count(batch_size):
    rng = np.random.default_rng(3)
    model = mn.Sequential(mn.Dense(5, 12, rng=1, dtype=np.float64), mn.ReLU(),
                          mn.Dense(12, 12, rng=2, dtype=np.float64), mn.ReLU(),
                          mn.Dense(12, 12, rng=3, dtype=np.float64), mn.ELU())
    for layer in model.layers[::2]:                 # random negative biases: some units die naturally
        layer.bias.data[:] = rng.normal(-1.5, 1.0, layer.bias.data.shape)
    X = rng.standard_normal((120, 5))
    expected = reference_dead_counts(model, X)
    assert sum(d for d, _ in expected.values()) > 0           # the test exercises partly dead layers
    got = {r["layer"]: (r["dead"], r["never_active"]) for r in diagnostics.dead_units(model, X, batch_size)}
    assert got == expected


def test_a_unit_of_an_image_batch_is_a_channel_and_a_single_activation_is_a_model():
    X = np.abs(np.random.default_rng(0).standard_normal((8, 4, 3, 3))) + 0.1
    X[:, 1] *= -1                                   # channel 1: ≤ 0 at every sample and position
    X[:, 2] *= -1
    X[5, 2, 1, 2] = 0.5                             # channel 2: one positive pixel keeps it alive
    X[:, 3] = 0.0                                   # channel 3: exactly 0 is "≤ 0": dead for ReLU
    [r] = diagnostics.dead_units(mn.ReLU(), X, batch_size=3)
    assert (r["layer"], r["name"], r["units"], r["dead"]) == (0, "ReLU", 4, 2)
    assert r["dead_mask"].tolist() == [False, True, False, True]


class ToImages(mn.Layer):
    """(N, C·H·W) → (N, C, H, W): a stand-in for a convolution's output (no Conv2D is needed)."""

    def __init__(self, channels, height, width):
        super().__init__()
        self.shape = (channels, height, width)

    def forward(self, x, training=False):
        return np.asarray(x).reshape((len(x),) + self.shape)

    def backward(self, dy):
        return dy.reshape(len(dy), -1)


C, HW = 5, 3                          # channels, image side


def image_net(act, dead_channels=(1, 3), seed=0):
    """Dense(D, C·HW·HW) → ToImages → act: every pixel of the dead channels has bias −1000."""
    dense = mn.Dense(D, C * HW * HW, rng=seed, dtype=np.float64)
    bias = dense.bias.data.reshape(C, HW, HW)
    bias[list(dead_channels)] = -1e3
    return mn.Sequential(dense, ToImages(C, HW, HW), act)


def channel_reference(model, X):
    """Whole data set at once: z (N, C, H, W), the activation's output, and per channel
    (never active: z ≤ 0 at every position of every sample; slope zero everywhere)."""
    z = model.layers[1](model.layers[0](X))
    act = model.layers[2]
    never = np.array([np.all(z[:, c] <= 0) for c in range(z.shape[1])])
    return z, act.function(z), never


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_a_channel_of_a_4d_activation_is_a_unit_in_a_sequential(X, batch_size):
    model = image_net(mn.ReLU())
    z, _, never = channel_reference(model, X)
    assert never.tolist() == [False, True, False, True, False]          # the construction holds
    [r] = diagnostics.dead_units(model, X, batch_size=batch_size)
    assert (r["layer"], r["name"], r["units"], r["dead"], r["never_active"]) == (2, "ReLU", C, 2, 2)
    assert r["dead_mask"].tolist() == never.tolist()
    # one positive pixel of one sample is enough to keep a channel alive
    model.layers[0].bias.data.reshape(C, HW, HW)[1, 2, 0] = 1e3
    [r] = diagnostics.dead_units(model, X, batch_size=batch_size)
    assert r["dead_mask"].tolist() == [False, False, False, True, False]


def test_per_channel_prelu_is_dead_only_on_channels_with_slope_zero(X):
    prelu = mn.PReLU(num_parameters=C, dtype=np.float64)
    prelu.weight.data[[1, 2]] = 0.0                 # channel 1: never active and slope 0 → dead; 2: active
    [r] = diagnostics.dead_units(image_net(prelu), X)
    assert (r["units"], r["dead"], r["never_active"]) == (C, 1, 2)
    assert np.flatnonzero(r["dead_mask"]).tolist() == [1]
    assert np.flatnonzero(r["never_active_mask"]).tolist() == [1, 3]


@pytest.mark.parametrize("act", [mn.ReLU(), mn.PReLU(num_parameters=C, dtype=np.float64), mn.SELU()], ids=repr)
def test_activation_stats_per_channel_equal_a_direct_computation(X, act):
    model = image_net(act)
    z, a, _ = channel_reference(model, X)
    records = diagnostics.activation_stats(model, X, batch_size=7)
    r = records[2]
    assert r["units"] == C and records[1]["units"] == C and records[0]["units"] == C * HW * HW
    expected_mean = [np.mean(a[:, c]) for c in range(C)]            # over samples and positions
    expected_var = [np.var(a[:, c]) for c in range(C)]
    assert r["unit_mean"].shape == r["unit_var"].shape == (C,)
    np.testing.assert_allclose(r["unit_mean"], expected_mean, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(r["unit_var"], expected_var, rtol=1e-10, atol=1e-300)
    assert r["mean"] == pytest.approx(np.mean(a), rel=1e-10) and r["z_var"] == pytest.approx(np.var(z), rel=1e-10)
    features = records[0]                           # the Dense output: one unit per column
    h = model.layers[0](X)
    np.testing.assert_allclose(features["unit_var"], np.var(h, axis=0), rtol=1e-10)
    assert "unit_mean" not in diagnostics.format_table(records)      # arrays stay out of the table


def test_nested_sequentials_get_dotted_positions():
    X = np.random.default_rng(0).standard_normal((50, D))
    flat = forced_net(mn.ReLU())
    nested = mn.Sequential(mn.Sequential(flat.layers[0], flat.layers[1]), flat.layers[2])
    [r] = diagnostics.dead_units(nested, X)
    assert (r["layer"], r["dead"]) == ("0.1", K)
    assert [s["layer"] for s in diagnostics.activation_stats(nested, X)] == ["0.0", "0.1", 1]
    assert diagnostics.dead_units(mn.Sequential(mn.Dense(D, 2, rng=0)), X) == []   # no activation layer


@pytest.mark.parametrize("measure", ["dead_units", "activation_stats", "gradient_stats"])
def test_memory_is_one_batch_not_the_data_set(measure):
    model = mn.Sequential(mn.Dense(200, 32, rng=0), mn.ReLU(), mn.Dense(32, 3, rng=1))
    rng = np.random.default_rng(0)

    def peak(n):
        X, y = rng.standard_normal((n, 200), dtype=np.float32), np.zeros(n, dtype=np.int64)
        args = (model, CrossEntropyLoss(), X, y) if measure == "gradient_stats" else (model, X)
        tracemalloc.start()
        getattr(diagnostics, measure)(*args, batch_size=100)
        result = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return result, X.nbytes

    small, _ = peak(500)
    large, nbytes = peak(5000)
    # anything proportional to the data (even one byte per element, like np.isfinite(X)) would add ≥ nbytes / 4
    assert large < small + nbytes / 8


def test_bad_arguments_raise_clear_errors(X):
    model = forced_net(mn.ReLU())
    with pytest.raises(TypeError, match="dead_units.*minnet model"):
        diagnostics.dead_units(lambda x: x, X)
    with pytest.raises(ValueError, match="batch_size"):
        diagnostics.activation_stats(model, X, batch_size=0)
    with pytest.raises(ValueError, match="no layers"):
        diagnostics.dead_units(mn.Sequential(), X)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        diagnostics.dead_units(model, bad)
    with pytest.raises(ValueError, match="samples"):
        diagnostics.gradient_stats(model, CrossEntropyLoss(), X, np.zeros(5, dtype=int))
    with pytest.raises(TypeError, match="loss_fn"):
        diagnostics.gradient_stats(model, "cross_entropy", X, np.zeros(len(X), dtype=int))


# --- activation statistics ------------------------------------------------------------------
def stats_model():
    """float64; layer 0's output has mean ≈ 1e6 and spread ≈ 1 — where Σx² − n·mean² fails."""
    model = mn.Sequential(mn.Dense(4, 8, rng=0, dtype=np.float64), mn.Identity(),
                          mn.Dense(8, 8, rng=1, dtype=np.float64), mn.ReLU(),
                          mn.Dense(8, 8, rng=2, dtype=np.float64), mn.SELU(),
                          mn.Dense(8, 5, rng=3, dtype=np.float64), mn.LeakyReLU(0.1))
    model.layers[0].bias.data[:] = 1e6
    model.layers[2].bias.data[:] = -1e6 * model.layers[2].weight.data.sum(axis=0)    # back to a spread of ≈ 1
    return model


def reference_stats(model, X):
    """Direct NumPy over the whole data set: the output of every layer, computed in one piece."""
    out, h = [], X
    for layer in model.layers:
        z = h
        h = z @ layer.weight.data + layer.bias.data if isinstance(layer, mn.Dense) else layer.function(z)
        ref = {"mean": np.mean(h), "var": np.var(h), "neg_fraction": np.mean(h < 0), "zero_fraction": np.mean(h == 0)}
        if isinstance(layer, mn.Activation):
            ref.update(z_mean=np.mean(z), z_var=np.var(z))
        out.append(ref)
    return out


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_activation_stats_equal_a_direct_float64_computation(batch_size):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 4))
    model = stats_model()
    records = diagnostics.activation_stats(model, X, batch_size=batch_size)
    expected = reference_stats(model, X)
    assert [r["layer"] for r in records] == list(range(8))
    assert [r["name"] for r in records][:4] == ["Dense", "Identity", "Dense", "ReLU"]
    for r, ref in zip(records, expected, strict=True):
        for key, value in ref.items():
            assert r[key] == pytest.approx(value, rel=1e-10, abs=1e-300), (r["layer"], key)
        if "z_mean" not in ref:
            assert r["z_mean"] is None and r["z_var"] is None
    assert records[0]["mean"] == pytest.approx(1e6, rel=1e-3)
    assert records[3]["zero_fraction"] > 0.1                  # ReLU's exact zeros are counted

    # the test can fail: the one-pass formula Σx²/n − mean² is far off at layer 0
    h = X @ model.layers[0].weight.data + model.layers[0].bias.data
    naive = np.mean(h * h) - np.mean(h) ** 2
    assert abs(naive - np.var(h)) > 1e-8 * np.var(h)


def deep_net(act, depth=32, width=256, seed=0):
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(depth):
        layers += [mn.Dense(width, width, init="lecun_normal", rng=rng), act()]
    return mn.Sequential(*layers)


def test_deep_selu_with_lecun_normal_self_normalises_and_deep_relu_collapses():
    X = np.random.default_rng(1).standard_normal((500, 256)).astype(np.float32)
    selu = [r for r in diagnostics.activation_stats(deep_net(mn.SELU), X) if r["name"] == "SELU"]
    assert len(selu) == 32
    # measured (this seed, N = 500): max |mean| = 0.0147, var in [0.971, 1.062] over the 32 SELU layers,
    # layer 32: mean −0.0070, var 0.991 (seeds 0–2 with N = 1000: |mean| ≤ 0.017, var in [0.953, 1.062])
    assert max(abs(r["mean"]) for r in selu) < 0.05
    assert all(0.9 < r["var"] < 1.1 for r in selu)

    relu_model = deep_net(mn.ReLU)
    relu = [r for r in diagnostics.activation_stats(relu_model, X) if r["name"] == "ReLU"]
    # measured (this seed, N = 500): layer 1 mean 0.3996, var 0.3389 (theory for z ~ N(0, 1):
    # 1/√(2π) = 0.399 and 1/2 − 1/(2π) = 0.341); layer 32 mean 1.16e-5, var 2.99e-10 —
    # LeCun normal (variance 1/fan_in) halves the second moment at every ReLU layer.
    assert relu[0]["mean"] == pytest.approx(0.399, abs=0.03) and relu[0]["var"] == pytest.approx(0.341, abs=0.03)
    assert relu[-1]["mean"] < 1e-3 and relu[-1]["var"] < 1e-7
    assert all(b["var"] < a["var"] for a, b in zip(relu[:-1], relu[1:], strict=True))
    assert all(0.4 < r["zero_fraction"] < 0.6 for r in relu)                  # measured 0.48–0.54
    # measured: 18.3 % of the 32 × 256 ReLU units are dead at initialisation (seeds 0–2, N = 1000: 16–19 %)
    dead = sum(r["dead"] for r in diagnostics.dead_units(relu_model, X)) / (32 * 256)
    assert 0.08 < dead < 0.35


# --- gradient flow --------------------------------------------------------------------------
def test_gradient_stats_match_a_hand_written_backward_for_any_batch_size():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((60, D)), rng.integers(0, 3, 60)
    model = mn.Sequential(mn.Dense(D, H, rng=0, dtype=np.float64), mn.ReLU(), mn.Dense(H, 3, rng=1, dtype=np.float64))
    W1, b1 = model.layers[0].weight.data, model.layers[0].bias.data
    W2, b2 = model.layers[2].weight.data, model.layers[2].bias.data
    z = X @ W1 + b1
    a = np.maximum(z, 0)
    logits = a @ W2 + b2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dlogits = (p - np.eye(3)[y]) / len(X)               # ∂ mean cross-entropy / ∂ logits
    dW2, db2, da = a.T @ dlogits, dlogits.sum(0), dlogits @ W2.T
    dz = da * (z > 0)
    dW1, db1, dX = X.T @ dz, dz.sum(0), dz @ W1.T
    norm = np.linalg.norm
    expected = [(norm(dX), np.sqrt(norm(dW1) ** 2 + norm(db1) ** 2)), (norm(dz), None),
                (norm(da), np.sqrt(norm(dW2) ** 2 + norm(db2) ** 2))]
    for batch_size in (1, 7, 1000):
        records = diagnostics.gradient_stats(model, CrossEntropyLoss(), X, y, batch_size=batch_size)
        assert [r["name"] for r in records] == ["Dense", "ReLU", "Dense"]
        for r, (inp, par) in zip(records, expected, strict=True):
            assert r["input_grad_norm"] == pytest.approx(inp, rel=1e-10)
            if par is None:
                assert r["param_grad_norm"] is None
            else:
                assert r["param_grad_norm"] == pytest.approx(par, rel=1e-10)


def test_gradient_stats_restore_the_gradients_in_place(X):
    model = forced_net(mn.ELU())
    before = []
    for i, p in enumerate(model.parameters()):
        p.grad[...] = np.random.default_rng(i).standard_normal(p.grad.shape)
        before.append((p.grad, p.grad.copy()))
    diagnostics.gradient_stats(model, CrossEntropyLoss(), X, np.zeros(len(X), dtype=int), batch_size=64)
    for p, (array, values) in zip(model.parameters(), before, strict=True):
        assert p.grad is array and np.array_equal(p.grad, values)


# --- nothing changes ------------------------------------------------------------------------
def dropout_model(seed):
    return mn.Sequential(mn.Dense(D, 16, rng=seed), mn.SELU(), AlphaDropout(0.1, rng=seed + 1),
                         mn.Dense(16, 16, rng=seed + 2), mn.ReLU(), Dropout(0.3, rng=seed + 3),
                         mn.Dense(16, 3, rng=seed + 4))


def train_step(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad()
    loss_fn.forward(model.forward(X, training=True), y)
    model.backward(loss_fn.backward())
    optimizer.step()


def test_diagnostics_leave_the_next_training_step_bit_identical():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, D)).astype(np.float32), rng.integers(0, 3, 64)
    a, b = dropout_model(0), dropout_model(0)
    opt_a, opt_b = Adam(a.parameters(), lr=0.01), Adam(b.parameters(), lr=0.01)
    loss_a, loss_b = CrossEntropyLoss(), CrossEntropyLoss()
    train_step(a, opt_a, loss_a, X, y)
    train_step(b, opt_b, loss_b, X, y)

    grads = [p.grad.copy() for p in a.parameters()]
    rng_states = [a.layers[i].rng.bit_generator.state for i in (2, 5)]
    diagnostics.dead_units(a, X, batch_size=10)
    diagnostics.activation_stats(a, X, batch_size=10)
    diagnostics.gradient_stats(a, loss_a, X, y, batch_size=10)
    assert all(np.array_equal(p.grad, g) for p, g in zip(a.parameters(), grads, strict=True))
    assert [a.layers[i].rng.bit_generator.state for i in (2, 5)] == rng_states

    for _ in range(2):
        train_step(a, opt_a, loss_a, X, y)
        train_step(b, opt_b, loss_b, X, y)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert np.array_equal(pa.data, pb.data) and np.array_equal(pa.grad, pb.grad)
    sa, sb = opt_a.state_dict(), opt_b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        if isinstance(sa[key], list):
            assert all(np.array_equal(u, v) for u, v in zip(sa[key], sb[key], strict=True)), key
        else:
            assert sa[key] == sb[key], key
    assert [a.layers[i].rng.bit_generator.state for i in (2, 5)] == [b.layers[i].rng.bit_generator.state
                                                                     for i in (2, 5)]


def test_dropout_is_off_while_measuring():
    X = np.random.default_rng(0).standard_normal((200, D)).astype(np.float32)
    records = diagnostics.activation_stats(dropout_model(0), X, batch_size=50)
    for i in (2, 5):                                # evaluation mode: the dropout layers are the identity
        assert (records[i]["mean"], records[i]["var"]) == (records[i - 1]["mean"], records[i - 1]["var"])
        assert records[i]["zero_fraction"] == records[i - 1]["zero_fraction"]


# --- report ---------------------------------------------------------------------------------
def test_report_is_an_aligned_table_with_names_and_numbers(X, capsys):
    model = forced_net(mn.ReLU())
    text = diagnostics.format_table(diagnostics.dead_units(model, X))
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "name", "units", "dead", "never_active", "dead_fraction",
                                "never_active_fraction"]                  # per-unit masks are left out
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split() == ["1", "ReLU", "10", "3", "3", "0.3", "0.3"]
    assert lines[2].index("ReLU") == lines[0].index("name")                  # strings left-aligned
    assert lines[2].rstrip().endswith("0.3") and len(lines[2]) == len(lines[1])  # numbers right-aligned

    stats = diagnostics.format_table(diagnostics.activation_stats(model, X), columns=["name", "z_mean"])
    assert stats.splitlines()[2].split() == ["Dense", "-"]                    # None shown as "-"
    diagnostics.report(diagnostics.gradient_stats(model, CrossEntropyLoss(), X, np.zeros(len(X), dtype=int)))
    printed = capsys.readouterr().out
    assert "input_grad_norm" in printed and "Dense" in printed and "ReLU" in printed
    assert diagnostics.format_table([]) == "(no records)"
    with pytest.raises(ValueError, match="column"):
        diagnostics.format_table(diagnostics.dead_units(model, X), columns=["nope"])
