"""Bad input: one test per case, each checking that the message names what was wrong and what was expected,
that the error is a ValueError or TypeError, and that fit changed nothing before raising. Then divergence."""

import math
import re

import numpy as np
import pytest

import minnet as mn
from minnet.nn.activations import ACTIVATIONS, get_activation
from minnet.nn.dropout import AlphaDropout, Dropout
from minnet.nn.init import INITIALIZERS
from minnet.nn.losses import get_loss
from minnet.nn.models import mlp
from minnet.nn.normalization import BatchNorm, LayerNorm
from minnet.train.optim import OPTIMIZERS, get_optimizer
from minnet.train.schedules import ExponentialLR, StepLR


def problem(n=20, d=4, c=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal((d, c))).argmax(axis=1)
    return X, y


def model(d=4, c=3):
    return mn.Sequential(mn.Dense(d, 8, rng=0), mn.BatchNorm(8), mn.ReLU(), mn.Dense(8, c, rng=1))


class Recorder(mn.Callback):
    def __init__(self):
        self.events = []

    def on_train_begin(self, state):
        self.events.append("train_begin")

    def on_batch_end(self, state):
        self.events.append("batch")


def fit_fails(exc_type, message, X=None, y=None, net=None, loss_fn=None, **kwargs):
    """Call mn.fit with one bad input; check the error, its message, and that nothing changed."""
    X0, y0 = problem()
    X = X0 if X is None else X
    y = y0 if y is None else y
    net = model() if net is None else net
    opt = kwargs.pop("optimizer", None) or mn.Adam(net.parameters(), lr=0.01)
    params = [p.data.copy() for p in net.parameters()]
    buffers = {k: b.copy() for k, b in net.buffers().items()}
    opt_state = opt.state_dict()
    recorder = Recorder()
    with pytest.raises(exc_type, match=message) as info:
        mn.fit(net, loss_fn or mn.CrossEntropyLoss(), opt, X, y, progress=False, callbacks=[recorder], **kwargs)
    assert recorder.events == []                                   # not a single callback ran
    assert all(np.array_equal(p.data, b, equal_nan=True) for p, b in zip(net.parameters(), params, strict=True))
    assert all(np.array_equal(net.buffers()[k], b) for k, b in buffers.items())
    after = opt.state_dict()
    assert after.keys() == opt_state.keys() and after["step"] == opt_state["step"] == 0
    for key, value in opt_state.items():
        if isinstance(value, list):
            assert all(np.array_equal(u, v) for u, v in zip(value, after[key], strict=True)), key
    return str(info.value)


# --- feature count -----------------------------------------------------------------------
@pytest.mark.parametrize("layer, shape, expected, got", [
    (mn.Dense(4, 3), (2, 5), 4, 5),
    (BatchNorm(6), (3, 2), 6, 2),
    (LayerNorm(7), (3, 4), 7, 4),
])
def test_feature_count_mismatch_names_the_layer_and_both_sizes(layer, shape, expected, got):
    with pytest.raises(ValueError) as info:
        layer.forward(np.zeros(shape))
    message = str(info.value)
    assert type(layer).__name__ in message
    assert f"expected {expected} input features, got {got}" in message


def test_fit_with_wrong_feature_count_names_the_layer_and_changes_nothing():
    X, _ = problem(d=5)
    message = fit_fails(ValueError, "does not accept X of shape", X=X)
    assert "(20, 5)" in message and "Dense(in_features=4" in message and "expected 4 input features, got 5" in message


def test_validation_data_with_wrong_feature_count():
    Xv, yv = problem(d=3)
    fit_fails(ValueError, r"fit \(validation_data\): the model does not accept X of shape \(20, 3\)",
              validation_data=(Xv, yv))


# --- labels --------------------------------------------------------------------------------
def test_labels_out_of_range():
    X, y = problem()
    y[[2, 5]] = [3, 7]
    fit_fails(ValueError, re.escape("expected labels in [0, 3) for a model with 3 outputs, got values in [0, 7] "
                                    "(2 label(s) out of range, e.g. 3)"), y=y)
    y[[2, 5]] = [-1, 0]
    fit_fails(ValueError, r"expected labels in \[0, 3\).*\[-1, 2\]", y=y)


def test_labels_out_of_range_in_the_loss_itself():
    with pytest.raises(ValueError, match=r"CrossEntropyLoss.*expected labels in \[0, 2\).*got values in \[0, 5\]"):
        mn.CrossEntropyLoss().forward(np.zeros((2, 2)), np.array([0, 5]))


def test_non_integer_labels():
    X, y = problem()
    message = fit_fails(ValueError, "expected integer class labels, got non-integer value 0.5", y=np.full(20, 0.5))
    assert "20 of 20" in message
    fit_fails(TypeError, "expected integer class labels 0 … 2, got dtype <U1", y=np.array(list("abcabcabcabcabcabcab")))
    fit_fails(TypeError, "got dtype bool", y=np.ones(20, dtype=bool))


def test_whole_number_float_labels_are_accepted_as_integers():
    X, y = problem()
    runs = []
    for labels in (y, y.astype(np.float64)):
        net = model()
        mn.fit(net, mn.CrossEntropyLoss(), mn.SGD(net.parameters(), lr=0.1), X, labels, epochs=2, seed=0,
               progress=False)
        runs.append(net.parameters()[0].data.copy())
    assert np.array_equal(runs[0], runs[1])


def test_labels_of_the_wrong_length():
    X, y = problem()
    fit_fails(ValueError, "fit: X has 20 samples but y has 19 samples; expected the same number", y=y[:-1])
    fit_fails(ValueError, "X has 20 samples but y has a scalar", y=np.int64(1))


def test_one_hot_labels_get_a_hint():
    X, y = problem()
    fit_fails(ValueError, r"shape \(n_samples,\), got shape \(20, 3\); if these are one-hot rows, pass y.argmax",
              y=np.eye(3)[y])


def test_loss_given_labels_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"expected labels of shape \(4,\) to match logits \(4, 3\), got \(3,\)"):
        mn.CrossEntropyLoss().forward(np.zeros((4, 3)), np.array([0, 1, 2]))


def test_regression_and_binary_targets_of_the_wrong_shape_or_range():
    X = np.random.default_rng(0).standard_normal((20, 4))
    net = mn.Sequential(mn.Dense(4, 2, rng=0))
    fit_fails(ValueError, r"y has shape \(20, 3\) but the model outputs \(2,\) per sample; expected y of shape "
              r"\(n_samples, 2\)", X=X, y=np.zeros((20, 3)), net=net, loss_fn=mn.MSELoss())
    one = mn.Sequential(mn.Dense(4, 1, rng=0))
    fit_fails(ValueError, r"expected binary targets in \[0, 1\], got values in \[0.0, 2.0\]", X=X,
              y=np.linspace(0, 2, 20), net=one, loss_fn=mn.BCEWithLogitsLoss())


# --- NaN / inf ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_X(bad):
    X, _ = problem()
    X[4, 1] = bad
    X[7, 0] = bad
    fit_fails(ValueError, r"fit: X contains 2 NaN or infinite value\(s\); expected finite numbers", X=X)


def test_X_overflowing_the_model_dtype():
    X, _ = problem()
    X[3, 3] = 1e39                                                 # finite in float64, inf in float32
    fit_fails(ValueError, r"fit: X holds values too large for the model's dtype float32 \(e.g. 1e\+39", X=X)


def test_nan_in_regression_targets_and_in_validation_data():
    X, y = problem()
    t = np.zeros((20, 3))
    t[0, 0] = np.nan
    fit_fails(ValueError, "fit: y contains NaN or infinite values; expected finite numbers", y=t,
              loss_fn=mn.MSELoss())
    Xv = X.copy()
    Xv[0, 0] = np.inf
    fit_fails(ValueError, r"fit \(validation_data\): X contains 1 NaN", validation_data=(Xv, y))


def test_model_already_holding_nan_is_refused():
    net = model()
    net[0].weight.data[0, 0] = np.nan
    fit_fails(ValueError, "the model's '0.weight' already holds NaN or infinite values before training", net=net)


# --- X and y of different lengths; empty data; not numbers ---------------------------------
def test_X_and_y_of_different_lengths():
    X, y = problem()
    fit_fails(ValueError, "fit: X has 19 samples but y has 20", X=X[:-1])
    fit_fails(ValueError, r"fit \(validation_data\): X has 5 samples but y has 4", validation_data=(X[:5], y[:4]))
    with pytest.raises(ValueError, match="batches: X has 3 samples but y has 2"):
        list(mn.batches(np.zeros((3, 1)), np.zeros(2), 2))
    with pytest.raises(ValueError, match="evaluate: X has 20 samples but y has 3"):
        mn.evaluate(model(), mn.CrossEntropyLoss(), X, y[:3])


def test_empty_data():
    fit_fails(ValueError, r"fit: X is empty \(shape \(0, 4\)\); expected at least one sample",
              X=np.zeros((0, 4)), y=np.zeros(0, dtype=np.int64))
    with pytest.raises(ValueError, match="expected a non-empty batch"):
        mn.CrossEntropyLoss().forward(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))


def test_X_of_the_wrong_rank_or_type():
    fit_fails(ValueError, r"X must have shape \(n_samples, n_features\), got shape \(20,\)", X=np.zeros(20))
    fit_fails(TypeError, "X must be a numeric array, got dtype <U1", X=np.full((20, 4), "a"))


# --- hyperparameters out of range ------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("lr", [-0.1, -1e-9, math.nan])
def test_negative_learning_rate(name, lr):
    with pytest.raises(ValueError) as info:
        get_optimizer(name, model().parameters(), lr=lr)
    message = str(info.value)
    assert message.startswith(f"{OPTIMIZERS[name].__name__}: lr must be ") and message.endswith(f"got {lr!r}")
    assert ("a finite number" if math.isnan(lr) else "in [0, inf)") in message


@pytest.mark.parametrize("cls", [Dropout, AlphaDropout])
@pytest.mark.parametrize("p", [1.0, 1.5, -0.1, math.nan])
def test_dropout_rate_outside_zero_one(cls, p):
    expected = "a finite number" if math.isnan(p) else r"in \[0, 1\)"
    with pytest.raises(ValueError, match=rf"{cls.__name__}: p \(the drop probability\) must be {expected}, "
                                         rf"got {re.escape(repr(p))}"):
        cls(p)


def test_dropout_rate_of_the_wrong_type():
    with pytest.raises(TypeError, match=r"Dropout: p \(the drop probability\) must be a real number, got '0.5'"):
        Dropout("0.5")


@pytest.mark.parametrize("batch_size", [0, -4, 2.5, True, None])
def test_non_positive_batch_size(batch_size):
    fit_fails(ValueError, rf"fit: batch_size must be a positive integer, got {re.escape(repr(batch_size))}",
              batch_size=batch_size)


@pytest.mark.parametrize("make, message", [
    (lambda: mn.SGD(model().parameters(), lr=0.1, momentum=-0.5), r"SGD: momentum must be in \[0, inf\), got -0.5"),
    (lambda: mn.SGD(model().parameters(), lr=0.1, nesterov=True), "nesterov=True requires momentum > 0"),
    (lambda: mn.Adam(model().parameters(), betas=(0.9, 1.0)), r"Adam: betas\[1\] must be in \[0, 1\), got 1.0"),
    (lambda: mn.Adam(model().parameters(), weight_decay=-1), r"Adam: weight_decay must be in \[0, inf\), got -1"),
    (lambda: mn.RMSprop(model().parameters(), alpha=1.5), r"RMSprop: alpha must be in \[0, 1\], got 1.5"),
    (lambda: mn.CrossEntropyLoss(label_smoothing=1.5), r"label_smoothing must be in \[0, 1\], got 1.5"),
    (lambda: BatchNorm(4, momentum=2), r"BatchNorm: momentum must be in \[0, 1\], got 2"),
    (lambda: LayerNorm(4, eps=0), r"LayerNorm: eps must be in \(0, inf\), got 0"),
    (lambda: mn.Dense(0, 3), "Dense: in_features must be a positive integer, got 0"),
    (lambda: mn.PReLU(num_parameters=0), "PReLU: num_parameters must be a positive integer, got 0"),
    (lambda: mn.EarlyStopping(patience=-1), "EarlyStopping: patience must be an integer >= 0 .*got -1"),
    (lambda: StepLR(mn.SGD(model().parameters(), lr=0.1), step_size=0), "StepLR: step_size must be a positive integer"),
    (lambda: ExponentialLR(mn.SGD(model().parameters(), lr=0.1), gamma=0), r"ExponentialLR: gamma must be in \(0"),
    (lambda: mn.batches(np.zeros((2, 1)), None, 0).__next__(), "batches: batch_size must be a positive integer"),
])
def test_other_hyperparameters_out_of_range(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=-1), "fit: epochs must be a non-negative integer, got -1"),
    (dict(epochs=2.5), "fit: epochs must be a non-negative integer, got 2.5"),
    (dict(on_divergence="ignore"), "fit: on_divergence must be 'raise' or 'stop', got 'ignore'"),
    (dict(seed=-3), "a seed must be a non-negative integer, got -3"),
])
def test_fit_settings_out_of_range(kwargs, message):
    fit_fails(ValueError, message, **kwargs)


# --- unknown names: the message lists the valid ones ----------------------------------------
def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'relu6'") as info:
        get_activation("relu6")
    assert all(name in str(info.value) for name in ACTIVATIONS)
    with pytest.raises(ValueError, match="unknown activation 'swish2'.*selu"):
        mlp(4, 3, activation="swish2")


def test_unknown_initializer_lists_valid_names():
    with pytest.raises(ValueError, match="unknown initializer 'he_norm'") as info:
        mn.Dense(4, 3, init="he_norm")
    assert all(name in str(info.value) for name in INITIALIZERS)


def test_unknown_optimizer_lists_valid_names():
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'") as info:
        get_optimizer("adamm", model().parameters())
    assert all(name in str(info.value) for name in OPTIMIZERS)


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError, match="unknown loss 'hinge'.*cross_entropy.*mse"):
        get_loss("hinge")


# --- wrong objects ----------------------------------------------------------------------------
def test_optimizer_built_for_another_model():
    other = model()
    fit_fails(ValueError, "the optimizer updates none of the model's parameters",
              optimizer=mn.SGD(other.parameters(), lr=0.1))


def test_wrong_kinds_of_objects():
    X, y = problem()
    net = model()
    opt = mn.SGD(net.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"callbacks\[0\] is a function, expected an instance of a mn.Callback"):
        mn.fit(net, mn.CrossEntropyLoss(), opt, X, y, callbacks=[lambda state: None], progress=False)
    with pytest.raises(TypeError, match="optimizer must have step"):
        mn.fit(net, mn.CrossEntropyLoss(), "adam", X, y, progress=False)
    with pytest.raises(TypeError, match="model must be a minnet Layer"):
        mn.fit("mlp", mn.CrossEntropyLoss(), opt, X, y, progress=False)
    with pytest.raises(TypeError, match=r"validation_data must be a pair \(X_val, y_val\)"):
        mn.fit(net, mn.CrossEntropyLoss(), opt, X, y, validation_data=X, progress=False)
    with pytest.raises(TypeError, match=r"argument 1 is the class ReLU.*write ReLU\(\)"):
        mn.Sequential(mn.Dense(2, 2), mn.ReLU)


def test_errors_are_value_or_type_errors_by_documented_subclasses():
    from minnet.errors import DivergedError, ModelFileError

    assert issubclass(ModelFileError, ValueError)
    assert issubclass(DivergedError, FloatingPointError)


# --- divergence -------------------------------------------------------------------------------
def test_divergence_raises_with_epoch_step_and_cause():
    X, y = problem(n=64)
    net = model()
    with np.errstate(all="ignore"), pytest.raises(mn.DivergedError) as info:
        mn.fit(net, mn.CrossEntropyLoss(), mn.SGD(net.parameters(), lr=1e6), X * 1e3, y, epochs=5, batch_size=8,
               seed=0, progress=False)
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert f"at epoch {err.epoch}, step {err.step}" in str(err)
    assert "learning rate that is too high" in str(err) and "last finite state" in str(err)
    assert all(np.all(np.isfinite(p.data)) for p in net.parameters())
    assert all(np.all(np.isfinite(b)) for b in net.buffers().values())


def test_non_finite_model_output_is_divergence_not_a_loss_error():
    """Huge updates that overflow the logits to ±inf are caught before the loss would reject them."""
    X, y = problem(n=64)
    net = mn.Sequential(mn.Dense(4, 16, rng=0), mn.SELU(), mn.Dense(16, 3, rng=1))
    with np.errstate(all="ignore"), pytest.raises(mn.DivergedError, match="output became NaN or infinite") as info:
        mn.fit(net, mn.CrossEntropyLoss(), mn.Adam(net.parameters(), lr=1e20), X * 1e3, y, epochs=5, batch_size=8,
               seed=0, progress=False)
    assert info.value.reason == "output" and math.isnan(info.value.loss)
    assert all(np.all(np.isfinite(p.data)) for p in net.parameters())


def test_parameters_overflowing_in_the_last_step_are_caught_and_rolled_back():
    """One sample, one step, one epoch: the loss is finite (1e300) but the update overflows the weight to inf.
    No later batch would notice; the end-of-epoch check does, and restores the weight."""
    net = mn.Sequential(mn.Dense(1, 1, bias=False, dtype=np.float64))
    net[0].weight.data[...] = 1.0
    X, y = np.array([[1e150]]), np.array([[0.0]])
    with np.errstate(all="ignore"):
        h = mn.fit(net, mn.MSELoss(), mn.SGD(net.parameters(), lr=1e10), X, y, epochs=1, batch_size=1,
                   progress=False, on_divergence="stop")
    assert h.diverged and len(h) == 0
    assert h.divergence["epoch"] == 1 and h.divergence["step"] == 1
    assert h.divergence["reason"] == "parameters"
    assert h.divergence["loss"] == pytest.approx(1e300)
    assert net[0].weight.data[0, 0] == 1.0                       # the state before the epoch


def test_nan_written_mid_epoch_rolls_back_parameters_and_buffers_to_the_epochs_start():
    X, y = problem(n=64)
    net = model()
    at_start = {}

    class Sabotage(mn.Callback):
        def on_epoch_begin(self, state):
            at_start[state.epoch] = ([p.data.copy() for p in state.model.parameters()],
                                     {k: b.copy() for k, b in state.model.buffers().items()})

        def on_batch_end(self, state):
            if state.epoch == 2 and state.batch == 3:
                state.model[0].weight.data[0, 0] = np.nan

    with np.errstate(all="ignore"):
        h = mn.fit(net, mn.CrossEntropyLoss(), mn.SGD(net.parameters(), lr=0.1), X, y, epochs=4, batch_size=8,
                   seed=0, progress=False, on_divergence="stop", callbacks=[Sabotage()])
    assert h.diverged and len(h) == 1
    assert h.divergence == {"epoch": 2, "step": 4, "loss": h.divergence["loss"], "reason": "output"}
    params, buffers = at_start[2]
    assert all(np.array_equal(p.data, b) for p, b in zip(net.parameters(), params, strict=True))
    assert all(np.array_equal(net.buffers()[k], b) for k, b in buffers.items())   # BatchNorm stats too


def test_divergence_stop_keeps_finished_epochs_and_runs_on_train_end():
    X, y = problem(n=64)
    net = model()
    ended = []

    class End(mn.Callback):
        def on_train_end(self, state):
            ended.append(state.history.diverged)

    class Explode(mn.Callback):
        def on_epoch_end(self, state):
            if state.epoch == 2:
                state.optimizer.lr = 1e30

    with np.errstate(all="ignore"):
        h = mn.fit(net, mn.CrossEntropyLoss(), mn.SGD(net.parameters(), lr=0.05), X * 100, y, epochs=6,
                   batch_size=8, seed=0, progress=False, on_divergence="stop", callbacks=[Explode(), End()])
    assert h.diverged and h.divergence["epoch"] == 3 and len(h) == 2 and h["epoch"] == [1, 2]
    assert ended == [True]
    assert "diverged" in repr(h)


def test_parameters_overflowing_raise_by_default_with_the_cause():
    net = mn.Sequential(mn.Dense(1, 1, bias=False, dtype=np.float64))
    net[0].weight.data[...] = 1.0
    with np.errstate(all="ignore"), pytest.raises(
            mn.DivergedError, match="optimizer step left NaN or infinite values in the parameters.*epoch 1, step 1"):
        mn.fit(net, mn.MSELoss(), mn.SGD(net.parameters(), lr=1e10), np.array([[1e150]]), np.array([[0.0]]),
               epochs=3, batch_size=1, progress=False)
    assert net[0].weight.data[0, 0] == 1.0
