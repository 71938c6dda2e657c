"""Tests for minnet.sklearn: scikit-learn's own estimator checks, then the behaviour the estimators promise."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs, make_regression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from minnet.sklearn import NetClassifier, NetRegressor

FIVE = ["relu", "leaky_relu", "prelu", "elu", "selu"]
SMALL = dict(hidden_layer_sizes=(8,), learning_rate=1e-2)


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """These networks multiply 32×8 matrices: BLAS threads only add overhead (and stall on a busy machine)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


# --- scikit-learn's estimator checks ----------------------------------------------------------
# The default configuration of each estimator, as a user gets it ((128, 128) units, up to 100 epochs,
# computing in the dtype of X), then small networks for the other code paths. The default checks are
# the slow part of this file (about 18 s of CPU time on a 2-core machine for all four; see
# `pytest --durations`), and they are the point: with float32 by default, one-row and whole-batch
# predictions differed by float32 rounding (check_methods_subset_invariance).
CHECKED = [
    NetClassifier(),
    NetRegressor(),
    # the other code paths: SELU + AlphaDropout + BatchNorm + early stopping, a forced dtype, sample weights
    # (seeded: 5 epochs of a width-8 network do not always learn check_classifiers_one_label_sample_weights'
    # one remaining class; with a seed the checks are deterministic)
    NetClassifier(epochs=5, activation="selu", dropout="alpha", dropout_rate=0.05, batch_norm=True,
                  early_stopping=True, dtype="float32", random_state=0, **SMALL),
    NetRegressor(epochs=20, activation="prelu", dropout="dropout", batch_norm=True, early_stopping=True,
                 random_state=0, **SMALL),
]


def _expected_failed_checks(estimator):
    """A sample of weight 2 and two copies of it give the same fit when training is deterministic given the data
    (the defaults: the check's data fit in one mini-batch). With dropout the two data sets draw different masks,
    and with early stopping the held-out split differs, so those configurations cannot pass it (scikit-learn
    runs this check on its own MLP only with lbfgs or a loose tol)."""
    if estimator.dropout is None and not estimator.early_stopping:
        return {}
    return {"check_sample_weight_equivalence_on_dense_data":
            "dropout masks and the validation split differ between weight 2 and a duplicated sample"}


@parametrize_with_checks(CHECKED, expected_failed_checks=_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --- data -------------------------------------------------------------------------------------
def blobs(n=120, centers=3, seed=0):
    X, y = make_blobs(n_samples=n, centers=centers, n_features=4, cluster_std=1.0, random_state=seed)
    return StandardScaler().fit_transform(X), y


def regression(n=100, n_targets=1, seed=0):
    X, y = make_regression(n_samples=n, n_features=5, n_informative=3, n_targets=n_targets, noise=5.0,
                           random_state=seed)
    return X, y


def softmax_reference(z):
    """Softmax written out directly in float64, as an independent reference."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def parameter_arrays(est):
    return [p.data.copy() for p in est.model_.parameters()]


# --- parameters: get/set/clone ----------------------------------------------------------------
@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
def test_get_params_set_params_clone_round_trip(cls):
    params = dict(hidden_layer_sizes=(16, 4), activation="selu", init="lecun_uniform", dropout="alpha",
                  dropout_rate=0.05, batch_norm=True, optimizer="rmsprop", learning_rate=3e-3, weight_decay=1e-4,
                  epochs=7, batch_size=16, early_stopping=True, validation_fraction=0.2, n_iter_no_change=3,
                  tol=0.01, random_state=5, verbose=False, dtype="float64", shuffle=False, warm_start=True,
                  drop_last=True, decay_biases=False)
    est = cls(**params)
    assert est.get_params() == params
    copy = clone(est)
    assert copy is not est and copy.get_params() == params
    default = cls()
    assert default.set_params(**params) is default
    assert default.get_params() == params
    default.set_params(activation="elu")
    assert default.activation == "elu" and est.activation == "selu"


@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
def test_init_stores_bad_values_and_fit_rejects_them_by_name(cls):
    X, y = blobs(30)
    bad = {"activation": "swish", "dropout": "gaussian", "dropout_rate": 1.0, "optimizer": "lbfgs",
           "learning_rate": 0.0, "epochs": 0, "batch_size": 0, "n_iter_no_change": 0, "validation_fraction": 1.0,
           "tol": -1.0, "weight_decay": -0.1, "dtype": "int32", "hidden_layer_sizes": (8, 0)}
    for name, value in bad.items():
        est = cls(**{name: value})                        # no validation in __init__ (scikit-learn's rule)
        assert getattr(est, name) == value
        with pytest.raises(ValueError, match=rf"{cls.__name__}.*{name}"):
            est.fit(X, y)


def test_clone_of_a_fitted_estimator_is_unfitted_and_refits_identically():
    X, y = blobs(60)
    est = NetClassifier(epochs=3, random_state=0, **SMALL).fit(X, y)
    copy = clone(est)
    assert not hasattr(copy, "model_") and not hasattr(copy, "classes_")
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), est.predict_proba(X))


# --- labels -----------------------------------------------------------------------------------
@pytest.mark.parametrize("labels", [np.array(["cat", "dog", "emu"]), np.array([3, 7, 42]),
                                    np.array([-1.0, 0.5, 2.0]) * 2, np.array(["no", "yes", "yes"])])
def test_labels_of_any_type_are_mapped_and_returned(labels):
    X, y_index = blobs(150, centers=3)
    y = labels[y_index]
    est = NetClassifier(epochs=30, random_state=0, **SMALL).fit(X, y)
    expected_classes = np.array(sorted(set(labels.tolist())))
    np.testing.assert_array_equal(est.classes_, expected_classes)
    pred = est.predict(X)
    assert pred.dtype == y.dtype and set(pred.tolist()) <= set(labels.tolist())
    assert est.predict_proba(X).shape == (len(X), len(expected_classes))
    assert est.score(X, y) > 0.9
    # output k of the network is classes_[k]
    np.testing.assert_array_equal(pred, est.classes_[est.predict_proba(X).argmax(axis=1)])


def test_single_class_always_predicts_it():
    X, _ = blobs(20)
    est = NetClassifier(epochs=2, random_state=0, **SMALL).fit(X, ["only"] * 20)
    assert est.predict(X).tolist() == ["only"] * 20
    np.testing.assert_array_equal(est.predict_proba(X), np.ones((20, 1)))


# --- probabilities ----------------------------------------------------------------------------
@pytest.mark.parametrize("centers", [2, 4])
def test_predict_proba_is_softmax_of_the_network_and_rows_sum_to_one(centers):
    X, y = blobs(80, centers=centers)
    est = NetClassifier(epochs=5, random_state=1, **SMALL).fit(X, y)
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), centers) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(proba >= 0)
    logits = est.model_.forward(X, training=False)                  # float64 X: a float64 network
    np.testing.assert_allclose(proba, softmax_reference(logits), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(est.predict_log_proba(X), np.log(softmax_reference(logits)), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(est.predict(X), est.classes_[logits.argmax(axis=1)])


# --- training behaviour -----------------------------------------------------------------------
@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
def test_same_random_state_is_bit_identical_and_a_different_one_is_not(cls):
    X, y = blobs(60)
    kw = dict(epochs=4, dropout="dropout", dropout_rate=0.2, **SMALL)
    a = cls(random_state=3, **kw).fit(X, y)
    b = cls(random_state=3, **kw).fit(X, y)
    c = cls(random_state=4, **kw).fit(X, y)
    for pa, pb in zip(parameter_arrays(a), parameter_arrays(b)):
        np.testing.assert_array_equal(pa, pb)
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert any(not np.array_equal(pa, pc) for pa, pc in zip(parameter_arrays(a), parameter_arrays(c)))
    # None: a fresh seed each time
    n1, n2 = cls(**kw).fit(X, y), cls(**kw).fit(X, y)
    assert not np.array_equal(parameter_arrays(n1)[0], parameter_arrays(n2)[0])
    # a Generator and a RandomState are accepted too; anything else is rejected by name
    cls(random_state=np.random.default_rng(0), **kw).fit(X, y)
    cls(random_state=np.random.RandomState(0), **kw).fit(X, y)
    with pytest.raises(ValueError, match=f"{cls.__name__}: random_state"):
        cls(random_state=-1, **kw).fit(X, y)
    with pytest.raises(TypeError, match=f"{cls.__name__}: random_state"):
        cls(random_state="0", **kw).fit(X, y)


def test_fitted_attributes():
    X, y = blobs(64)
    est = NetClassifier(epochs=6, random_state=0, **SMALL).fit(X, y)
    assert est.n_features_in_ == 4 and est.n_outputs_ == 3 and est.n_iter_ == 6
    assert len(est.loss_curve_) == 6 and est.loss_ == est.loss_curve_[-1]
    assert est.history_["loss"] == est.loss_curve_
    assert est.validation_scores_ is None and est.best_validation_score_ is None and est.best_epoch_ is None
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    layers = est.model_.layers
    assert [type(layer).__name__ for layer in layers] == ["Dense", "ReLU", "Dense"]
    assert layers[0].weight.data.shape == (4, 8) and layers[-1].weight.data.shape == (8, 3)
    assert type(est.optimizer_).__name__ == "Adam" and est.optimizer_.lr == 1e-2


@pytest.mark.parametrize("sizes, widths", [((), []), (5, [5]), ([6, 3], [6, 3])])
def test_hidden_layer_sizes_int_list_or_empty(sizes, widths):
    X, y = blobs(40)
    est = NetClassifier(epochs=1, hidden_layer_sizes=sizes, random_state=0).fit(X, y)
    dense = [layer for layer in est.model_.layers if type(layer).__name__ == "Dense"]
    assert [d.weight.data.shape[1] for d in dense] == [*widths, 3]


@pytest.mark.parametrize("activation, layer_name", [("relu", "ReLU"), ("leaky_relu", "LeakyReLU"),
                                                     ("prelu", "PReLU"), ("elu", "ELU"), ("selu", "SELU")])
def test_each_activation_builds_its_layer(activation, layer_name):
    X, y = blobs(40)
    est = NetClassifier(epochs=1, activation=activation, hidden_layer_sizes=(5, 5), random_state=0).fit(X, y)
    names = [type(layer).__name__ for layer in est.model_.layers]
    assert names == ["Dense", layer_name, "Dense", layer_name, "Dense"]


def test_regularisation_options_build_their_layers():
    X, y = blobs(40)
    est = NetClassifier(epochs=1, activation="selu", dropout="alpha", dropout_rate=0.1, batch_norm=True,
                        hidden_layer_sizes=(6,), random_state=0).fit(X, y)
    assert [type(layer).__name__ for layer in est.model_.layers] == ["Dense", "BatchNorm", "SELU", "AlphaDropout",
                                                                      "Dense"]
    est = NetClassifier(epochs=1, dropout="dropout", hidden_layer_sizes=(6,), random_state=0).fit(X, y)
    assert "Dropout" in [type(layer).__name__ for layer in est.model_.layers]


# Each parameter must change what is learned (a silently ignored parameter is a bug).
BASE = dict(hidden_layer_sizes=(8,), epochs=4, batch_size=16, learning_rate=1e-2, random_state=0)
CHANGES = [
    ({}, {"hidden_layer_sizes": (9,)}),
    ({}, {"activation": "elu"}),
    ({}, {"init": "glorot_uniform"}),
    ({}, {"dropout": "dropout"}),
    ({"dropout": "dropout"}, {"dropout_rate": 0.3}),
    ({"activation": "selu"}, {"dropout": "alpha"}),
    ({}, {"batch_norm": True}),
    ({}, {"optimizer": "sgd"}),
    ({}, {"learning_rate": 2e-2}),
    ({}, {"weight_decay": 0.1}),
    ({}, {"epochs": 5}),
    ({}, {"batch_size": 8}),
    ({}, {"early_stopping": True}),
    ({"early_stopping": True}, {"validation_fraction": 0.3}),
    ({}, {"random_state": 1}),
    ({}, {"dtype": "float32"}),
    ({}, {"shuffle": False}),
    ({"batch_size": 10}, {"drop_last": True}),
    ({"weight_decay": 0.5}, {"decay_biases": False}),
    ({"tol": 10.0}, {"n_iter_no_change": 1}),
    ({"n_iter_no_change": 1}, {"tol": 10.0}),
]


@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
@pytest.mark.parametrize("common, change", CHANGES, ids=lambda d: ",".join(d) or "base")
def test_every_parameter_changes_the_fit(cls, common, change):
    X, y = blobs(96)
    a = cls(**{**BASE, **common}).fit(X, y)
    b = cls(**{**BASE, **common, **change}).fit(X, y)
    pa = a.predict_proba(X) if cls is NetClassifier else a.predict(X)
    pb = b.predict_proba(X) if cls is NetClassifier else b.predict(X)
    assert pa.shape == pb.shape and not np.array_equal(pa, pb)


def test_early_stopping_stops_restores_and_reports():
    # noisy, overlapping classes: the validation loss soon stops improving
    X, y = make_blobs(n_samples=200, centers=2, n_features=2, cluster_std=4.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    est = NetClassifier(hidden_layer_sizes=(32,), learning_rate=1e-2, epochs=300, early_stopping=True,
                        validation_fraction=0.25, n_iter_no_change=4, tol=0.0, random_state=0).fit(X, y)
    assert est.n_iter_ < 300
    val_loss, scores = est.history_["val_loss"], est.validation_scores_
    assert len(scores) == len(val_loss) == est.n_iter_ == len(est.loss_curve_)
    # stopped n_iter_no_change epochs after the lowest validation loss, and restored that epoch
    assert est.best_epoch_ == int(np.argmin(val_loss)) + 1
    assert est.n_iter_ == est.best_epoch_ + 4
    assert est.best_validation_score_ == scores[est.best_epoch_ - 1]
    # the validation split is stratified, 25 %; check the restored weights on it independently
    _, X_val, _, y_val = train_test_split(X, y, test_size=50, random_state=est._split_seed, stratify=y)
    assert est.score(X_val, y_val) == est.best_validation_score_
    proba = est.predict_proba(X_val)
    cross_entropy = -np.mean(np.log(proba[np.arange(len(y_val)), y_val]))
    np.testing.assert_allclose(cross_entropy, min(val_loss), rtol=1e-5)
    # validation_scores_ are accuracies
    assert all(s * 50 == round(s * 50) for s in scores)


def test_tol_sets_the_improvement_that_counts():
    # with tol = 10 no later epoch improves enough on the first: training stops after 1 + n_iter_no_change
    # epochs and the first epoch's weights come back
    X, y = blobs(80)
    est = NetClassifier(epochs=50, early_stopping=True, n_iter_no_change=2, tol=10.0, random_state=0, **SMALL)
    est.fit(X, y)
    assert est.n_iter_ == 3 and est.best_epoch_ == 1
    assert est.best_validation_score_ == est.validation_scores_[0]
    longer = NetClassifier(epochs=50, early_stopping=True, n_iter_no_change=5, tol=10.0, random_state=0, **SMALL)
    assert longer.fit(X, y).n_iter_ == 6


def test_early_stopping_regressor_reports_r2():
    X, y = regression(120)
    est = NetRegressor(hidden_layer_sizes=(16,), learning_rate=1e-2, epochs=300, early_stopping=True,
                       n_iter_no_change=3, tol=0.0, random_state=0).fit(X, y)
    assert est.n_iter_ < 300 and len(est.validation_scores_) == est.n_iter_
    _, X_val, _, y_val = train_test_split(X, y, test_size=12, random_state=est._split_seed)
    np.testing.assert_allclose(est.score(X_val, y_val), est.best_validation_score_, rtol=1e-6)
    # on one split, R² = 1 − MSE/Var: the best loss is the best score
    assert est.best_validation_score_ == max(est.validation_scores_)


def test_early_stopping_needs_enough_samples():
    X, y = regression(20)
    with pytest.raises(ValueError, match="n_samples=2"):
        NetRegressor(early_stopping=True).fit(X[:2], y[:2])      # R² needs 2 validation samples
    NetClassifier(early_stopping=True, epochs=2, **SMALL).fit(X[:2], [0, 1])


@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
def test_fewer_samples_than_the_batch_size(cls):
    X, y = blobs(120)
    X, y = X[:5], np.array([0, 1, 2, 0, 1])
    est = cls(epochs=3, batch_size=32, random_state=0, **SMALL).fit(X, y)
    assert est.n_iter_ == 3 and est.predict(X).shape == (5,)


def test_batch_norm_never_sees_a_batch_of_one():
    X, y = blobs(33)                                       # 33 = 32 + 1
    est = NetClassifier(epochs=2, batch_size=32, batch_norm=True, random_state=0, **SMALL).fit(X, y)
    assert est.n_iter_ == 2


@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
def test_the_network_computes_in_the_dtype_of_X_unless_dtype_forces_one(cls):
    """scikit-learn's MLP convention: float64 X → float64 network, float32 X → float32, dtype forces one."""
    X, y = blobs(60)
    X32 = X.astype(np.float32)

    def dtypes(est):
        return {p.data.dtype for p in est.model_.parameters()}

    a = cls(epochs=3, random_state=0, **SMALL).fit(X32, y)
    assert dtypes(a) == {np.dtype(np.float32)}
    b = cls(epochs=3, random_state=0, **SMALL).fit(X, y)
    assert dtypes(b) == {np.dtype(np.float64)}
    ints = cls(epochs=1, random_state=0, **SMALL).fit(np.round(X * 3).astype(np.int64), y)
    assert dtypes(ints) == {np.dtype(np.float64)}
    forced = cls(epochs=3, random_state=0, dtype="float32", **SMALL).fit(X32.astype(np.float64), y)
    assert dtypes(forced) == {np.dtype(np.float32)}
    for pa, pf in zip(parameter_arrays(a), parameter_arrays(forced)):
        np.testing.assert_array_equal(pa, pf)
    assert dtypes(cls(epochs=1, random_state=0, dtype="float64", **SMALL).fit(X32, y)) == {np.dtype(np.float64)}


# --- partial_fit ------------------------------------------------------------------------------
def test_partial_fit_requires_classes_first_and_checks_them():
    X, y = blobs(60)
    est = NetClassifier(**SMALL)
    with pytest.raises(ValueError, match="classes must be passed"):
        est.partial_fit(X, y)
    est.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])  # first batch lacks class 2
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert est.predict_proba(X).shape == (60, 3)
    with pytest.raises(ValueError, match="not the same"):
        est.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels \[7\]"):
        est.partial_fit(X[:3], [0, 7, 1])
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :2], y)


@pytest.mark.parametrize("cls", [NetClassifier, NetRegressor])
def test_partial_fit_epochs_equal_fit_epochs(cls):
    """Each partial_fit call is one epoch that carries on the weights, optimizer state and shuffling."""
    X, y = blobs(70)
    whole = cls(epochs=3, random_state=2, **SMALL).fit(X, y)
    steps = cls(epochs=3, random_state=2, **SMALL)
    for _ in range(3):
        steps.partial_fit(X, y, **({"classes": np.unique(y)} if cls is NetClassifier else {}))
    for pa, pb in zip(parameter_arrays(whole), parameter_arrays(steps)):
        np.testing.assert_array_equal(pa, pb)
    assert steps.n_iter_ == 3 and steps.loss_curve_ == whole.loss_curve_
    assert steps.history_["epoch"] == [1, 2, 3]


def test_partial_fit_continues_after_fit():
    X, y = blobs(60)
    est = NetClassifier(epochs=2, random_state=0, **SMALL).fit(X, y)
    before = parameter_arrays(est)
    est.partial_fit(X, y)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3
    assert not np.array_equal(before[0], parameter_arrays(est)[0])


# --- regression -------------------------------------------------------------------------------
@pytest.mark.parametrize("n_targets", [1, 3])
def test_regressor_output_shapes_follow_y(n_targets):
    X, y = regression(80, n_targets)
    est = NetRegressor(epochs=3, random_state=0, **SMALL).fit(X, y)
    assert est.predict(X).shape == y.shape and est.predict(X).dtype == np.float64
    assert est.n_outputs_ == n_targets
    if n_targets == 1:
        y2 = y.reshape(-1, 1)
        est2 = NetRegressor(epochs=3, random_state=0, **SMALL).fit(X, y2)
        assert est2.predict(X).shape == (80, 1)
        np.testing.assert_array_equal(est2.predict(X).ravel(), est.predict(X))


def test_regressor_standardises_targets():
    """Training sees (y − mean)/std, so an affine change of y changes the predictions by the same map."""
    X, y = regression(80, 2)
    a = NetRegressor(epochs=5, random_state=0, **SMALL).fit(X, y)
    b = NetRegressor(epochs=5, random_state=0, **SMALL).fit(X, 1000.0 * y - 7.0)
    np.testing.assert_allclose(b.predict(X), 1000.0 * a.predict(X) - 7.0, rtol=1e-6, atol=1e-6 * 1000 * y.std())
    np.testing.assert_allclose(a.y_mean_, y.mean(axis=0))
    np.testing.assert_allclose(a.y_scale_, y.std(axis=0))
    np.testing.assert_allclose(b.loss_curve_, a.loss_curve_, rtol=1e-5)
    # predictions map back from the network's standardised output
    z = a.model_.forward(X, training=False)
    np.testing.assert_allclose(a.predict(X), z * y.std(axis=0) + y.mean(axis=0), rtol=1e-12)


def test_regressor_learns_a_linear_function():
    X, y = regression(200)
    est = NetRegressor(epochs=60, random_state=0, **SMALL).fit(X, y)
    assert est.score(X, y) > 0.95


# --- integration ------------------------------------------------------------------------------
def test_pickle_round_trip_keeps_predictions():
    X, y = blobs(50)
    est = NetClassifier(epochs=2, activation="prelu", random_state=0, **SMALL).fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict_proba(X), est.predict_proba(X))


def test_verbose_shows_a_progress_bar(capsys):
    X, y = blobs(30)
    NetClassifier(epochs=2, verbose=True, random_state=0, **SMALL).fit(X, y)
    assert "2/2" in capsys.readouterr().err
    NetClassifier(epochs=2, verbose=False, random_state=0, **SMALL).fit(X, y)
    assert capsys.readouterr().err == ""


def test_grid_search_over_the_five_activations_on_digits():
    X, y = load_digits(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", NetClassifier(hidden_layer_sizes=(64,), epochs=5, learning_rate=1e-2, random_state=0))])
    search = GridSearchCV(pipe, {"net__activation": FIVE}, cv=3, n_jobs=2).fit(X, y)
    assert sorted(search.cv_results_["param_net__activation"]) == sorted(FIVE)
    assert np.all(search.cv_results_["mean_test_score"] > 0.85)
    assert search.best_score_ > 0.9
    assert search.best_estimator_.named_steps["net"].activation == search.best_params_["net__activation"]
