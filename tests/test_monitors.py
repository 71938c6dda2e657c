"""minnet.train.monitors: per-epoch diagnostics in the History, without changing the training run."""

import math

import numpy as np
import pytest

import minnet as mn
from minnet import diagnostics
from minnet.nn.dropout import AlphaDropout, Dropout
from minnet.nn.losses import CrossEntropyLoss
from minnet.train.loop import fit
from minnet.train.monitors import ActivationStatsMonitor, DeadUnitMonitor, GradientMonitor
from minnet.train.optim import Adam

EPOCHS = 3


def problem(n=120, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)
    return X, y


def model(seed=0, d=5, k=2):
    """Dense → ReLU (first k units forced dead) → Dropout → Dense → SELU → AlphaDropout → Dense."""
    m = mn.Sequential(mn.Dense(d, 8, rng=seed), mn.ReLU(), Dropout(0.2, rng=seed + 1),
                      mn.Dense(8, 8, rng=seed + 2), mn.SELU(), AlphaDropout(0.1, rng=seed + 3),
                      mn.Dense(8, 3, rng=seed + 4))
    m.layers[0].bias.data[:k] = -1e3
    return m


def monitors(X, y):
    return [DeadUnitMonitor(X[:50], batch_size=16), ActivationStatsMonitor(X[:50], fields=("mean", "var", "z_mean")),
            GradientMonitor(X[:50], y[:50], batch_size=7)]


def run(with_monitors, X, y):
    m = model()
    cbs = monitors(X, y) if with_monitors else []
    history = fit(m, CrossEntropyLoss(), Adam(m.parameters(), lr=0.05), X, y, epochs=EPOCHS, batch_size=16,
                  seed=3, progress=False, callbacks=cbs)
    return m, history, cbs


def test_monitors_do_not_change_the_training_trajectory():
    X, y = problem()
    plain, h0, _ = run(False, X, y)
    watched, h1, _ = run(True, X, y)
    for p, q in zip(plain.parameters(), watched.parameters(), strict=True):
        assert np.array_equal(p.data, q.data)
    assert h0["loss"] == h1["loss"] and h0["accuracy"] == h1["accuracy"]
    for i in (2, 5):
        assert plain.layers[i].rng.bit_generator.state == watched.layers[i].rng.bit_generator.state


def test_history_gets_one_value_per_epoch_for_every_layer_key():
    X, y = problem()
    m, history, (dead, stats, grads) = run(True, X, y)
    expected_keys = {"dead_fraction/1", "never_active_fraction/1", "dead_fraction/4", "never_active_fraction/4"}
    expected_keys |= {f"{f}/{i}" for f in ("mean", "var") for i in range(7)} | {"z_mean/1", "z_mean/4"}
    expected_keys |= {f"grad_norm/{i}" for i in range(7)} | {f"param_grad_norm/{i}" for i in (0, 3, 6)}
    assert expected_keys <= set(history.keys())
    assert "z_mean/0" not in history and "param_grad_norm/1" not in history
    for key in expected_keys:
        values = history[key]
        assert len(values) == EPOCHS and all(math.isfinite(v) for v in values), key

    # the forced-dead ReLU units get no gradient, so they stay dead; the SELU has none by construction
    assert all(v >= 2 / 8 for v in history["dead_fraction/1"])
    assert history["dead_fraction/4"] == [0.0] * EPOCHS

    # the last epoch's values are the diagnostics of the final model on the probe set
    final_dead = {r["layer"]: r["dead_fraction"] for r in diagnostics.dead_units(m, X[:50])}
    assert history["dead_fraction/1"][-1] == final_dead[1]
    final_stats = diagnostics.activation_stats(m, X[:50])
    assert history["var/3"][-1] == pytest.approx(final_stats[3]["var"], rel=1e-12)
    final_grads = diagnostics.gradient_stats(m, CrossEntropyLoss(), X[:50], y[:50])
    assert history["grad_norm/0"][-1] == pytest.approx(final_grads[0]["input_grad_norm"], rel=1e-6)
    assert history["param_grad_norm/6"][-1] == pytest.approx(final_grads[6]["param_grad_norm"], rel=1e-6)
    assert len(dead.last_records) == 2 and dead.last_records[0]["dead_mask"][:2].all()


def test_initial_measurement_is_kept_on_the_monitor():
    X, y = problem()
    _, _, (dead, stats, grads) = run(True, X, y)
    untrained = model()
    assert dead.initial["dead_fraction/1"] == 2 / 8 and dead.initial_epoch == 0
    assert stats.initial["mean/4"] == pytest.approx(diagnostics.activation_stats(untrained, X[:50])[4]["mean"],
                                                    rel=1e-12)
    assert grads.initial["grad_norm/6"] == pytest.approx(
        diagnostics.gradient_stats(untrained, CrossEntropyLoss(), X[:50], y[:50])[6]["input_grad_norm"], rel=1e-6)

    m = model()
    quiet = DeadUnitMonitor(X[:50], record_initial=False)
    fit(m, CrossEntropyLoss(), Adam(m.parameters()), X, y, epochs=1, progress=False, callbacks=[quiet])
    assert quiet.initial is None and quiet.last_records is not None


def test_monitor_arguments_are_checked():
    X, y = problem()
    with pytest.raises(ValueError, match="ActivationStatsMonitor.*fields"):
        ActivationStatsMonitor(X, fields=("mean", "median"))
    with pytest.raises(ValueError, match="DeadUnitMonitor.*batch_size"):
        DeadUnitMonitor(X, batch_size=0)
    with pytest.raises(ValueError, match="GradientMonitor.*samples"):
        GradientMonitor(X, y[:-1])
    with pytest.raises(ValueError, match="X_probe"):
        DeadUnitMonitor(X[0])
    assert "DeadUnitMonitor(X_probe.shape=(120, 5)" in repr(DeadUnitMonitor(X))


class Reshape(mn.Layer):
    """(N, ...) → (N, *shape) and back in backward: turns features into images (no Conv2D needed)."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x, training=False):
        self._in_shape = x.shape
        return x.reshape((len(x),) + self.shape)

    def backward(self, dy):
        return dy.reshape(self._in_shape)


def test_monitors_count_channels_of_4d_activations():
    X, y = problem()
    channels, side = 4, 2
    m = mn.Sequential(mn.Dense(5, channels * side * side, rng=0), Reshape(channels, side, side),
                      mn.ReLU(), Reshape(channels * side * side), mn.Dense(16, 3, rng=1))
    m.layers[0].bias.data.reshape(channels, side, side)[2] = -1e3         # channel 2: z ≤ 0 everywhere: dead
    dead, stats = DeadUnitMonitor(X[:50]), ActivationStatsMonitor(X[:50], fields=("var",))
    history = fit(m, CrossEntropyLoss(), Adam(m.parameters(), lr=0.01), X, y, epochs=2, batch_size=16, seed=0,
                  progress=False, callbacks=[dead, stats])
    assert dead.initial["dead_fraction/2"] == 1 / channels == dead.initial["never_active_fraction/2"]
    assert history["dead_fraction/2"] == [1 / channels] * 2                 # no gradient reaches it
    assert dead.last_records[0]["units"] == channels
    [record] = [r for r in stats.last_records if r["layer"] == 2]
    z = m.layers[1](m.layers[0](X[:50]))
    np.testing.assert_allclose(record["unit_var"], [np.var(m.layers[2].function(z)[:, c]) for c in range(channels)],
                               rtol=1e-5)
    assert history["var/2"][-1] == pytest.approx(float(np.var(m.layers[2].function(z).astype(np.float64))), rel=1e-5)
