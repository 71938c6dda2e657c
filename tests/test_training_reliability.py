"""fit, predict and evaluate: the same input checks everywhere, drop_last, and clear failures before any work."""

import math

import numpy as np
import pytest

import minnet as mn


def data(n=20, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, (X[:, 0] > 0).astype(np.int64)


def model32():
    return mn.Sequential(mn.Dense(3, 4, rng=0), mn.ReLU(), mn.Dense(4, 2, rng=1))


def params(model):
    return [p.data.copy() for p in model.parameters()]


def unchanged(model, before):
    return all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before, strict=True))


# --- item 6: predict, predict_proba, evaluate and infer check X as fit does -------------------------
INFERENCE = {
    "predict": lambda m, X, y: mn.predict(m, X),
    "predict_proba": lambda m, X, y: mn.predict_proba(m, X),
    "infer": lambda m, X, y: mn.infer(m, X),
    "evaluate": lambda m, X, y: mn.evaluate(m, mn.CrossEntropyLoss(), X, y),
    "fit": lambda m, X, y: mn.fit(m, mn.CrossEntropyLoss(), mn.SGD(m.parameters(), lr=0.1), X, y, epochs=1,
                                  progress=False),
}


@pytest.mark.parametrize("call", INFERENCE)
def test_values_beyond_the_model_dtype_are_refused(call):
    X, y = data()
    X[3, 1] = 1e39                                       # inf in float32
    with pytest.raises(ValueError, match=rf"{call}: X holds values too large for the model's dtype float32"):
        INFERENCE[call](model32(), X, y)


@pytest.mark.parametrize("call", INFERENCE)
def test_complex_X_is_refused(call):
    X, y = data()
    with pytest.raises(TypeError, match=rf"{call}: X must be real numbers, got dtype complex128"):
        INFERENCE[call](model32(), X + 1j, y)


def test_float64_models_still_take_large_values():
    X, _ = data()
    X[0, 0] = 1e39
    model = mn.Sequential(mn.Dense(3, 2, rng=0, dtype=np.float64))
    assert np.all(np.isfinite(mn.infer(model, X)))


# --- item 7: EarlyStopping's hyperparameters ---------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(min_delta=math.nan), ValueError, "min_delta must be a finite number"),
    (dict(min_delta=-1.0), ValueError, r"min_delta must be in \[0"),
    (dict(min_delta="0.1"), TypeError, "min_delta must be a real number"),
    (dict(patience="5"), ValueError, "patience must be an integer >= 0"),
    (dict(patience=math.nan), ValueError, "patience must be an integer >= 0"),
    (dict(patience=2.5), ValueError, "patience must be an integer >= 0"),
    (dict(patience=True), ValueError, "patience must be an integer >= 0"),
    (dict(patience=-1), ValueError, "patience must be an integer >= 0"),
    (dict(monitor=3), TypeError, "monitor must be"),
])
def test_early_stopping_refuses_bad_hyperparameters(kwargs, error, message):
    with pytest.raises(error, match=f"EarlyStopping: {message}"):
        mn.EarlyStopping(**kwargs)


def test_early_stopping_accepts_numpy_integers():
    assert mn.EarlyStopping(patience=np.int64(3)).patience == 3


# --- item 9: drop_last, and BatchNorm's one-sample last batch -----------------------------------------
def test_batches_drop_last_drops_only_the_short_last_batch():
    X = np.arange(10).reshape(10, 1)
    sizes = [len(xb) for xb, _ in mn.batches(X, None, 4, shuffle=False, drop_last=True)]
    assert sizes == [4, 4]
    sizes = [len(xb) for xb, _ in mn.batches(X, None, 4, shuffle=False)]
    assert sizes == [4, 4, 2]
    shuffled = [xb for xb, _ in mn.batches(X, None, 5, rng=0, drop_last=True)]
    assert [len(xb) for xb in shuffled] == [5, 5]
    with pytest.raises(ValueError, match="drop_last must be True or False"):
        list(mn.batches(X, None, 4, drop_last="yes"))


def bn_model():
    return mn.Sequential(mn.Dense(3, 4, rng=0), mn.BatchNorm(4), mn.ReLU(), mn.Dense(4, 2, rng=1))


def test_batchnorm_with_a_one_sample_last_batch_fails_before_training():
    X, y = data(n=21)
    model = bn_model()
    before = params(model)
    with pytest.raises(ValueError, match=r"fit: .*BatchNorm.*last batch.*1 sample.*drop_last=True"):
        mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=4,
               progress=False)
    assert unchanged(model, before)


def test_batchnorm_with_batches_of_one_sample_fails_before_training():
    X, y = data(n=8)
    model = bn_model()
    before = params(model)
    with pytest.raises(ValueError, match="BatchNorm.*batches of 1 sample.*batch_size >= 2"):
        mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, batch_size=1,
               drop_last=True, progress=False)
    assert unchanged(model, before)


def test_drop_last_trains_the_same_steps_as_a_hand_written_loop():
    X, y = data(n=21)
    model = bn_model()
    h = mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=4,
               seed=0, drop_last=True, progress=False)
    by_hand = bn_model()
    opt, loss_fn, rng = mn.SGD(by_hand.parameters(), lr=0.1), mn.CrossEntropyLoss(), np.random.default_rng(0)
    losses = []
    for _ in range(2):
        total = 0.0
        order = rng.permutation(21)[:20]
        for start in range(0, 20, 4):
            idx = order[start:start + 4]
            opt.zero_grad()
            loss = loss_fn.forward(by_hand.forward(X[idx].astype(np.float32), training=True), y[idx])
            by_hand.backward(loss_fn.backward())
            opt.step()
            total += loss * 4
        losses.append(total / 20)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(model.parameters(), by_hand.parameters(), strict=True))
    np.testing.assert_allclose(h["loss"], losses, rtol=1e-12)


def test_drop_last_with_fewer_samples_than_a_batch_is_refused():
    X, y = data(n=3)
    model = model32()
    with pytest.raises(ValueError, match="drop_last=True.*3 samples.*batch_size=4.*no batch"):
        mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, batch_size=4,
               drop_last=True, progress=False)


# --- item 13: clear messages before any work --------------------------------------------------------
def test_huge_labels_are_reported_as_they_are():
    X, _ = data()
    y = np.zeros(20)
    y[4] = 1e20
    model = model32()
    with pytest.raises(ValueError, match=r"1e\+20") as info:
        mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, progress=False)
    assert "-9223372036854775808" not in str(info.value)


def test_callbacks_none_means_no_callbacks():
    X, y = data()
    model = model32()
    h = mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, epochs=2, callbacks=None,
               progress=False)
    assert len(h) == 2


def test_callbacks_must_be_a_list_of_callbacks():
    X, y = data()
    model = model32()
    with pytest.raises(TypeError, match="fit: callbacks must be a list of mn.Callback"):
        mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, callbacks=5,
               progress=False)


def test_checkpoint_into_a_missing_folder_fails_before_training(tmp_path):
    with pytest.raises(FileNotFoundError, match="nosuchdir.*does not exist"):
        mn.Checkpoint(tmp_path / "nosuchdir" / "run.ckpt")
