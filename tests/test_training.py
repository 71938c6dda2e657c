"""The training loop: batches, fit (≡ a hand-written loop), History, callbacks, evaluate, predict."""

import math

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import minnet as mn


def small_problem(n=200, d=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d, c))
    y = (X @ W).argmax(axis=1)
    return X, y


def mlp(d=6, c=3, hidden=16, act=mn.SELU, seed=0, dtype=np.float32):
    return mn.Sequential(mn.Dense(d, hidden, rng=seed, dtype=dtype), act(),
                         mn.Dense(hidden, c, rng=seed + 1, dtype=dtype))


# --- batches -----------------------------------------------------------------------
def test_batches_cover_every_sample_once_and_last_batch_is_partial():
    X = np.arange(23).reshape(23, 1)
    y = np.arange(23)
    parts = list(mn.batches(X, y, 5, rng=0))
    assert [len(xb) for xb, _ in parts] == [5, 5, 5, 5, 3]
    seen = np.concatenate([yb for _, yb in parts])
    assert sorted(seen.tolist()) == list(range(23))
    assert all(np.array_equal(xb[:, 0], yb) for xb, yb in parts)  # X and y stay aligned


def test_batches_shuffle_is_seeded_and_optional():
    X = np.arange(50).reshape(50, 1)
    a = np.concatenate([yb for _, yb in mn.batches(X, np.arange(50), 7, rng=1)])
    b = np.concatenate([yb for _, yb in mn.batches(X, np.arange(50), 7, rng=1)])
    c = np.concatenate([yb for _, yb in mn.batches(X, np.arange(50), 7, shuffle=False)])
    assert np.array_equal(a, b)
    assert not np.array_equal(a, np.arange(50))
    assert np.array_equal(c, np.arange(50))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_batches_rejects_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        list(mn.batches(np.zeros((4, 1)), None, bad))


# --- fit ≡ manual loop ---------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_equals_hand_written_loop_bit_for_bit(dtype):
    X, y = small_problem()
    X = X.astype(dtype)
    m1, m2 = mlp(dtype=dtype), mlp(dtype=dtype)
    history = mn.fit(m1, mn.CrossEntropyLoss(), mn.Adam(m1.parameters(), lr=0.01), X, y,
                     epochs=3, batch_size=16, seed=7, progress=False)

    loss_fn, opt = mn.CrossEntropyLoss(), mn.Adam(m2.parameters(), lr=0.01)
    rng = np.random.default_rng(7)
    for _ in range(3):
        for xb, yb in mn.batches(X, y, 16, rng=rng):
            opt.zero_grad()
            loss_fn.forward(m2.forward(xb, training=True), yb)
            m2.backward(loss_fn.backward())
            opt.step()
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        assert p1.data.dtype == np.dtype(dtype)
        assert np.array_equal(p1.data, p2.data)
    assert len(history) == 3


def test_fit_same_seed_same_result_different_seed_different_result():
    X, y = small_problem()
    runs = []
    for seed in (1, 1, 2):
        m = mlp()
        mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=0.1), X, y, epochs=2, batch_size=10,
               seed=seed, progress=False)
        runs.append(m.parameters()[0].data.copy())
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_history_records_every_epoch_with_validation_and_lr():
    X, y = small_problem()
    m = mlp()
    opt = mn.SGD(m.parameters(), lr=0.1)
    h = mn.fit(m, mn.CrossEntropyLoss(), opt, X[:150], y[:150], epochs=4, batch_size=32,
               validation_data=(X[150:], y[150:]), seed=0, progress=False)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"):
        assert len(h[key]) == 4, key
    assert h["loss"][-1] < h["loss"][0]
    assert all(0.0 <= a <= 1.0 for a in h["accuracy"] + h["val_accuracy"])
    # the validation numbers are evaluate() on the validation data after the epoch
    assert h["val_loss"][-1] == pytest.approx(mn.evaluate(m, mn.CrossEntropyLoss(), X[150:], y[150:])["loss"])
    with pytest.raises(KeyError, match="val_los"):
        h["val_los"]


def test_history_to_csv(tmp_path):
    X, y = small_problem()
    m = mlp()
    h = mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=0.1), X, y, epochs=2, seed=0, progress=False)
    path = tmp_path / "history.csv"
    h.to_csv(path)
    lines = path.read_text().strip().splitlines()
    header = lines[0].split(",")
    assert "loss" in header and "accuracy" in header and len(lines) == 3
    col = header.index("loss")
    assert float(lines[2].split(",")[col]) == pytest.approx(h["loss"][1])


def test_fit_progress_bar_shows_loss(capsys):
    X, y = small_problem()
    m = mlp()
    mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=0.1), X, y, epochs=2, seed=0, progress=True)
    err = capsys.readouterr().err
    assert "loss=" in err and "acc=" in err
    mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=0.1), X, y, epochs=1, seed=0, progress=False)
    assert capsys.readouterr().err == ""


def test_fit_regression_has_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]])
    m = mn.Sequential(mn.Dense(3, 1, rng=0, dtype=np.float64))
    h = mn.fit(m, mn.MSELoss(), mn.SGD(m.parameters(), lr=0.05), X, y, epochs=30, batch_size=8, seed=0,
               progress=False)
    assert "accuracy" not in h
    assert h["loss"][-1] < 1e-3
    np.testing.assert_allclose(m.parameters()[0].data[:, 0], [1.0, -2.0, 0.5], atol=0.02)


# --- callbacks -----------------------------------------------------------------------
class Recorder(mn.Callback):
    def __init__(self):
        self.events = []

    def on_train_begin(self, state):
        self.events.append("train_begin")

    def on_epoch_begin(self, state):
        self.events.append(f"epoch_begin {state.epoch}")

    def on_batch_end(self, state):
        self.events.append("batch")

    def on_epoch_end(self, state):
        self.events.append(f"epoch_end {state.epoch}")
        state.logs["custom"] = state.epoch * 10

    def on_train_end(self, state):
        self.events.append("train_end")


def test_callback_hooks_run_in_order_and_can_add_to_history():
    X, y = small_problem(n=40)
    m = mlp()
    rec = Recorder()
    h = mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=0.1), X, y, epochs=2, batch_size=20,
               seed=0, callbacks=[rec], progress=False)
    assert rec.events == ["train_begin", "epoch_begin 1", "batch", "batch", "epoch_end 1",
                          "epoch_begin 2", "batch", "batch", "epoch_end 2", "train_end"]
    assert h["custom"] == [10, 20]


def test_early_stopping_stops_and_restores_best_weights():
    X, y = small_problem(n=120)
    Xv, yv = small_problem(n=60, seed=5)           # a different rule: validation loss gets worse
    m = mlp(hidden=64)
    es = mn.EarlyStopping(monitor="val_loss", patience=2)
    snapshots = {}

    class Snap(mn.Callback):
        def on_epoch_end(self, state):
            snapshots[state.epoch] = [p.data.copy() for p in state.model.parameters()]

    h = mn.fit(m, mn.CrossEntropyLoss(), mn.Adam(m.parameters(), lr=0.05), X, y, epochs=50, batch_size=16,
               validation_data=(Xv, yv), seed=0, callbacks=[es, Snap()], progress=False)
    assert len(h) < 50
    best = int(np.argmin(h["val_loss"])) + 1
    assert es.best_epoch == best
    assert len(h) == best + 2                       # stopped after `patience` epochs without improvement
    for p, saved in zip(m.parameters(), snapshots[best]):
        assert np.array_equal(p.data, saved)


def test_early_stopping_needs_the_metric():
    X, y = small_problem(n=40)
    m = mlp()
    with pytest.raises(ValueError, match="validation_data"):
        mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=0.1), X, y, epochs=2,
               callbacks=[mn.EarlyStopping()], progress=False)


# --- divergence ----------------------------------------------------------------------
def test_divergence_raises_with_epoch_and_step_and_leaves_finite_model():
    X, y = small_problem()
    m = mlp(act=mn.ReLU)
    with np.errstate(all="ignore"):
        with pytest.raises(mn.DivergedError, match=r"epoch \d+, step \d+") as info:
            mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=1e6), X * 1e3, y, epochs=5,
                   batch_size=8, seed=0, progress=False)
    assert isinstance(info.value, FloatingPointError)
    assert info.value.epoch >= 1 and info.value.step >= 1
    assert "learning rate" in str(info.value)
    assert all(np.all(np.isfinite(p.data)) for p in m.parameters())


def test_divergence_stop_returns_history():
    X, y = small_problem()
    m = mlp(act=mn.ReLU)
    with np.errstate(all="ignore"):
        h = mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=1e6), X * 1e3, y, epochs=5,
                   batch_size=8, seed=0, progress=False, on_divergence="stop")
    assert h.diverged
    assert h.divergence["epoch"] >= 1 and h.divergence["step"] >= 1
    assert not math.isfinite(h.divergence["loss"])


# --- evaluate / predict --------------------------------------------------------------
def test_evaluate_does_not_depend_on_batch_size_and_matches_direct_computation():
    X, y = small_problem(n=101)
    m = mlp(dtype=np.float64)
    a = mn.evaluate(m, mn.CrossEntropyLoss(), X, y, batch_size=7)
    b = mn.evaluate(m, mn.CrossEntropyLoss(), X, y, batch_size=1000)
    z = m.forward(X)
    z = z - z.max(axis=1, keepdims=True)
    direct = np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y])
    assert a["loss"] == pytest.approx(direct, rel=1e-12)
    assert b["loss"] == pytest.approx(direct, rel=1e-12)
    assert a["accuracy"] == np.mean(z.argmax(axis=1) == y)


def test_predict_proba_rows_sum_to_one_and_predict_is_argmax():
    X, y = small_problem()
    m = mlp(dtype=np.float64)
    p = mn.predict_proba(m, X, batch_size=13)
    assert p.shape == (len(X), 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert np.array_equal(mn.predict(m, X), m.forward(X).argmax(axis=1))


def test_predict_proba_binary_single_logit():
    m = mn.Sequential(mn.Dense(2, 1, rng=0, dtype=np.float64))
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    p = mn.predict_proba(m, X)
    z = m.forward(X)[:, 0]
    np.testing.assert_allclose(p[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


# --- bad input -----------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=-1), "epochs"),
    (dict(batch_size=0), "batch_size"),
    (dict(on_divergence="ignore"), "on_divergence"),
])
def test_fit_rejects_bad_settings(kwargs, message):
    X, y = small_problem(n=20)
    m = mlp()
    before = [p.data.copy() for p in m.parameters()]
    with pytest.raises(ValueError, match=message):
        mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=0.1), X, y, progress=False, **kwargs)
    assert all(np.array_equal(p.data, b) for p, b in zip(m.parameters(), before))


def test_fit_rejects_mismatched_lengths_and_nan():
    X, y = small_problem(n=20)
    m = mlp()
    opt = mn.SGD(m.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="20 samples but y has 19"):
        mn.fit(m, mn.CrossEntropyLoss(), opt, X, y[:-1], progress=False)
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        mn.fit(m, mn.CrossEntropyLoss(), opt, X, y, progress=False)
    with pytest.raises(ValueError, match="empty"):
        mn.fit(m, mn.CrossEntropyLoss(), opt, X[:0], y[:0], progress=False)


# --- the accuracy target -----------------------------------------------------
def test_selu_mlp_reaches_96_percent_on_digits():
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    std[std == 0] = 1.0
    X_tr, X_te = (X_tr - mean) / std, (X_te - mean) / std
    model = mn.Sequential(mn.Dense(64, 128, init="lecun_normal", rng=0), mn.SELU(),
                          mn.Dense(128, 128, init="lecun_normal", rng=1), mn.SELU(),
                          mn.Dense(128, 10, init="lecun_normal", rng=2))
    mn.fit(model, mn.CrossEntropyLoss(), mn.Adam(model.parameters(), lr=1e-3), X_tr, y_tr,
           epochs=20, batch_size=32, seed=0, progress=False)
    accuracy = np.mean(mn.predict(model, X_te) == y_te)
    assert accuracy >= 0.96, accuracy


def test_validation_outputs_that_overflow_count_as_divergence():
    X, y = small_problem()
    X_val = np.full((10, 6), 3e38)                  # finite in float32, but x @ W overflows
    m = mlp()
    with np.errstate(all="ignore"):
        h = mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=0.1), X, y, epochs=3, seed=0,
                   validation_data=(X_val, y[:10]), progress=False, on_divergence="stop")
        assert h.diverged and h.divergence["reason"] == "validation output" and h.divergence["epoch"] == 1
        with pytest.raises(mn.DivergedError, match="validation data"):
            mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=0.1), X, y, epochs=3, seed=0,
                   validation_data=(X_val, y[:10]), progress=False)
        with pytest.raises(ValueError, match="NaN or infinite"):
            mn.evaluate(m, mn.CrossEntropyLoss(), X_val, y[:10])


def test_multi_label_binary_accuracy_counts_samples_with_every_label_right():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4))
    Y = (X[:, :3] > 0).astype(np.float64)                   # three labels per sample
    m = mn.Sequential(mn.Dense(4, 3, rng=0, dtype=np.float64))
    h = mn.fit(m, mn.BCEWithLogitsLoss(), mn.SGD(m.parameters(), lr=0.5), X, Y, epochs=3, batch_size=8, seed=0,
               progress=False)
    assert len(h["accuracy"]) == 3
    z = m.forward(X)
    expected = np.mean(np.all((z > 0) == (Y > 0.5), axis=1))
    assert mn.evaluate(m, mn.BCEWithLogitsLoss(), X, Y)["accuracy"] == pytest.approx(expected)

