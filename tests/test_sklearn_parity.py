"""Parity with scikit-learn's MLP: stopping on the training loss, warm_start, sample_weight, best_loss_,
partial_fit after joblib's memory mapping, and weight decay without the biases."""

from __future__ import annotations

import math

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_regression
from sklearn.preprocessing import StandardScaler

import minnet as mn
from minnet.sklearn import NetClassifier, NetRegressor
from minnet.sklearn._training import WeightedCrossEntropy, WeightedMSE, pack_weights

SMALL = dict(hidden_layer_sizes=(8,), learning_rate=1e-2)


def blobs(n=90, centers=3, seed=0):
    X, y = make_blobs(n_samples=n, centers=centers, n_features=4, random_state=seed)
    return StandardScaler().fit_transform(X), y


def params(est):
    return [p.data.copy() for p in est.model_.parameters()]


def sklearn_stop_epoch(losses, tol, n_iter_no_change):
    """MLPClassifier's rule, replayed on a loss curve: the epoch after which it stops, or None."""
    best, count = math.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        count = count + 1 if loss > best - tol else 0
        best = min(best, loss)
        if count > n_iter_no_change:
            return epoch
    return None


# --- item 15: tol and n_iter_no_change stop on the training loss ----------------------------------
@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
@pytest.mark.parametrize("tol, patience", [(0.5, 2), (0.05, 1), (0.01, 3)])
def test_training_stops_on_the_training_loss_as_mlp_classifier_does(cls, tol, patience):
    X, y = blobs()
    est = cls(epochs=60, tol=tol, n_iter_no_change=patience, random_state=0, **SMALL).fit(X, y)
    full = cls(epochs=60, n_iter_no_change=np.inf, random_state=0, **SMALL).fit(X, y)
    assert full.n_iter_ == 60
    stop = sklearn_stop_epoch(full.loss_curve_, tol, patience)
    assert stop is not None and est.n_iter_ == stop < 60
    assert est.loss_curve_ == full.loss_curve_[:stop]
    assert est.best_loss_ == min(est.loss_curve_)


def test_n_iter_no_change_accepts_inf_and_refuses_other_floats():
    X, y = blobs(40)
    est = NetClassifier(epochs=8, tol=100.0, n_iter_no_change=np.inf, random_state=0, **SMALL).fit(X, y)
    assert est.n_iter_ == 8
    with pytest.raises(ValueError, match="n_iter_no_change must be a positive integer or np.inf"):
        NetClassifier(n_iter_no_change=2.5).fit(X, y)
    stopped = NetClassifier(epochs=8, tol=100.0, n_iter_no_change=np.inf, early_stopping=True, random_state=0,
                            **SMALL).fit(X, y)
    assert stopped.n_iter_ == 8 and stopped.best_loss_ is None


# --- warm_start -------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
def test_warm_start_continues_as_one_longer_fit(cls):
    X, y = blobs()
    once = cls(epochs=6, n_iter_no_change=np.inf, random_state=3, **SMALL).fit(X, y)
    twice = cls(epochs=3, n_iter_no_change=np.inf, random_state=3, warm_start=True, **SMALL)
    twice.fit(X, y)
    model = twice.model_
    twice.fit(X, y)
    assert twice.model_ is model and twice.n_iter_ == 6
    for a, b in zip(params(once), params(twice), strict=True):
        np.testing.assert_array_equal(a, b)
    assert twice.loss_curve_ == once.loss_curve_
    cold = cls(epochs=3, n_iter_no_change=np.inf, random_state=3, **SMALL).fit(X, y)
    cold.fit(X, y)
    assert cold.n_iter_ == 3


def test_warm_start_refuses_new_labels_and_other_features():
    X, y = blobs()
    est = NetClassifier(epochs=1, warm_start=True, random_state=0, **SMALL).fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match=r"labels \[2\]"):
        est.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.fit(X[:, :2], y)


# --- sample_weight -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
def test_unit_weights_give_the_unweighted_fit(cls):
    X, y = blobs()
    a = cls(epochs=4, random_state=0, **SMALL).fit(X, y)
    b = cls(epochs=4, random_state=0, **SMALL).fit(X, y, sample_weight=np.ones(len(X)))
    for pa, pb in zip(params(a), params(b), strict=True):
        np.testing.assert_allclose(pa, pb, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
def test_zero_weights_equal_leaving_the_samples_out_and_weight_two_equals_a_copy(cls):
    """With one full batch, in order, the weighted mean loss is the mean over the weighted data set."""
    X, y = blobs(60)
    opts = dict(epochs=5, shuffle=False, n_iter_no_change=np.inf, random_state=0, **SMALL)
    keep = np.arange(60) % 3 != 0
    w = keep.astype(float)
    a = cls(batch_size=60, **opts).fit(X, y, sample_weight=w)
    b = cls(batch_size=int(keep.sum()), **opts).fit(X[keep], y[keep])
    for pa, pb in zip(params(a), params(b), strict=True):
        np.testing.assert_allclose(pa, pb, rtol=1e-10, atol=1e-12)
    w2 = np.where(np.arange(60) < 10, 2.0, 1.0)
    c = cls(batch_size=60, **opts).fit(X, y, sample_weight=w2)
    Xd, yd = np.concatenate([X, X[:10]]), np.concatenate([y, y[:10]])
    d = cls(batch_size=70, **opts).fit(Xd, yd)
    for pc, pd in zip(params(c), params(d), strict=True):
        np.testing.assert_allclose(pc, pd, rtol=1e-10, atol=1e-12)


def test_sample_weight_in_partial_fit_early_stopping_and_bad_weights():
    X, y = blobs()
    w = np.linspace(0.5, 2.0, len(X))
    est = NetClassifier(random_state=0, **SMALL).partial_fit(X, y, classes=[0, 1, 2], sample_weight=w)
    assert est.n_iter_ == 1
    es = NetClassifier(epochs=3, early_stopping=True, random_state=0, **SMALL).fit(X, y, sample_weight=w)
    assert len(es.validation_scores_) == es.n_iter_
    with pytest.raises(ValueError, match="(?i)negative"):
        NetClassifier(**SMALL).fit(X, y, sample_weight=-w)
    with pytest.raises(ValueError, match="every sample_weight is zero"):
        NetRegressor(**SMALL).fit(X, y.astype(float), sample_weight=np.zeros(len(X)))


@pytest.mark.parametrize("loss, k", [(WeightedCrossEntropy, 3), (WeightedMSE, 2)])
def test_weighted_losses_match_their_formula_and_finite_differences(loss, k):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, k))
    w = rng.uniform(0.1, 2.0, 6)
    if loss is WeightedCrossEntropy:
        y = rng.integers(0, k, 6)
        per_sample = [math.log(sum(math.exp(v) for v in row)) - row[c] for row, c in zip(z, y, strict=True)]
        t = y
    else:
        t = rng.standard_normal((6, k))
        per_sample = [sum((a - b) ** 2 for a, b in zip(r, s, strict=True)) / k for r, s in zip(z, t, strict=True)]
    packed = pack_weights(t, w)
    expected = sum(wi * li for wi, li in zip(w, per_sample, strict=True)) / w.sum()
    f = loss()
    assert math.isclose(f.forward(z, packed), expected, rel_tol=1e-13)
    grad = f.backward()
    h, numeric = 1e-6, np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        numeric[idx] = (loss().forward(zp, packed) - loss().forward(zm, packed)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-7, atol=1e-10)


# --- partial_fit: early stopping, and after joblib's memory mapping ---------------------------------
def test_partial_fit_with_early_stopping_trains_on_all_the_data():
    X, y = blobs()
    est = NetClassifier(early_stopping=True, random_state=0, **SMALL).partial_fit(X, y, classes=[0, 1, 2])
    assert est.validation_scores_ is None and "val_loss" not in est.history_
    plain = NetClassifier(random_state=0, **SMALL).partial_fit(X, y, classes=[0, 1, 2])
    for a, b in zip(params(est), params(plain), strict=True):
        np.testing.assert_array_equal(a, b)
    assert "does not apply" in NetClassifier.partial_fit.__doc__


@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
def test_partial_fit_after_joblib_load_with_mmap(tmp_path, cls):
    X, y = blobs(200)
    est = cls(hidden_layer_sizes=(64,), batch_norm=True, epochs=2, random_state=0).fit(X, y)
    joblib.dump(est, tmp_path / "est.joblib")
    before = (tmp_path / "est.joblib").read_bytes()
    loaded = joblib.load(tmp_path / "est.joblib", mmap_mode="r")
    assert not loaded.model_.parameters()[0].data.flags.writeable          # really memory-mapped
    extra = {"classes": np.unique(y)} if cls is NetClassifier else {}
    loaded.partial_fit(X, y, **extra)
    est.partial_fit(X, y, **extra)
    for a, b in zip(params(loaded), params(est), strict=True):
        np.testing.assert_array_equal(a, b)
    assert (tmp_path / "est.joblib").read_bytes() == before
    loaded.set_params(warm_start=True).fit(X, y)
    assert loaded.n_iter_ == 5


# --- item 16: weight decay and biases ----------------------------------------------------------------
def test_decay_biases_false_exempts_the_biases_only():
    X, y = blobs()
    est = NetClassifier(epochs=1, weight_decay=0.1, decay_biases=False, batch_norm=True, random_state=0,
                        **SMALL).fit(X, y)
    flags = {name: p.weight_decay for name, p in est.model_.named_parameters()}
    assert {n for n, f in flags.items() if not f} == {n for n in flags if n.endswith("bias")}
    assert all(flags[n] for n in flags if n.endswith("weight"))
    default = NetClassifier(epochs=1, weight_decay=0.1, random_state=0, **SMALL).fit(X, y)
    assert all(p.weight_decay for p in default.model_.parameters())


def test_without_gradient_only_decay_moves_a_parameter():
    """SGD with lr γ and decay λ on a zero gradient: θ ← θ(1 − γλ) for decayed parameters, unchanged otherwise."""
    model = mn.Sequential(mn.Dense(2, 2, rng=0))
    model[0].bias.weight_decay = False
    model[0].bias.data[:] = 1.0
    opt = mn.SGD(model.parameters(), lr=0.1, weight_decay=0.5)
    w0 = model[0].weight.data.copy()
    opt.zero_grad()
    opt.step()
    np.testing.assert_allclose(model[0].weight.data, w0 * (1 - 0.1 * 0.5), rtol=1e-6)
    np.testing.assert_array_equal(model[0].bias.data, [1.0, 1.0])


def test_regression_targets_with_weights():
    X, y = make_regression(n_samples=50, n_features=3, noise=1.0, random_state=0)
    est = NetRegressor(epochs=3, random_state=0, **SMALL).fit(X, y, sample_weight=np.full(50, 3.0))
    assert est.predict(X).shape == (50,)


@pytest.mark.parametrize("weights, message", [
    (np.ones(5), r"shape \(5,\); expected \(90,\)"),
    (np.full(90, np.nan), "NaN or infinite"),
    (np.full(90, -1.0), "negative"),
    (np.zeros(90), "every sample_weight is zero"),
])
def test_bad_sample_weights_are_named(weights, message):
    X, y = blobs()
    with pytest.raises(ValueError, match=f"NetClassifier: .*{message}"):
        NetClassifier(**SMALL).fit(X, y, sample_weight=weights)


def test_a_scalar_sample_weight_weighs_every_sample_alike():
    X, y = blobs()
    a = NetClassifier(epochs=2, random_state=0, **SMALL).fit(X, y)
    b = NetClassifier(epochs=2, random_state=0, **SMALL).fit(X, y, sample_weight=3.0)
    for pa, pb in zip(params(a), params(b), strict=True):
        np.testing.assert_allclose(pa, pb, rtol=1e-10, atol=1e-12)
