"""scikit-learn estimators around minnet's MLP: :class:`NetClassifier` and :class:`NetRegressor`.

scikit-learn's own ``MLPClassifier`` offers only the identity, logistic, tanh and ReLU
activations. These wrappers put every minnet activation (ReLU, LeakyReLU, PReLU, ELU,
SELU, ...), initialiser (LeCun normal, He, Glorot, ...) and dropout kind (inverted
dropout, AlphaDropout) behind the scikit-learn estimator API, so that ``Pipeline``,
``GridSearchCV``, ``cross_val_score`` and ``clone`` can run ablations over them::

    from sklearn.model_selection import GridSearchCV
    from minnet.sklearn import NetClassifier

    search = GridSearchCV(NetClassifier(epochs=20),
                          {"activation": ["relu", "leaky_relu", "prelu", "elu", "selu"]}, cv=3)

What happens inside ``fit(X, y)``:

1. ``X`` and ``y`` are validated (``sklearn.utils.validation.validate_data``); class labels
   of any type (strings, non-contiguous integers) are mapped to 0..C−1 (``classes_[k]`` is
   the label of output k); regression targets are standardised, t = (y − y_mean_) / y_scale_.
2. The network is :func:`minnet.nn.models.mlp` — for each hidden size,
   Dense(init) → [BatchNorm] → activation → [Dropout | AlphaDropout] — and a final Dense
   with C outputs (classifier; logits z) or one output per target column (regressor).
3. It is trained by :func:`minnet.train.loop.fit` for ``epochs`` epochs of shuffled
   mini-batches with :func:`minnet.train.optim.get_optimizer` on
   CrossEntropyLoss  L = mean_i [logsumexp(z_i) − z_{i,y_i}]   (classifier; also for 2 classes) or
   MSELoss           L = mean (ŷ − t)²                        (regressor, on standardised targets).
4. With ``early_stopping`` a (stratified) ``validation_fraction`` of the data is held out;
   training stops once the validation LOSS has not decreased by more than ``tol`` for
   ``n_iter_no_change`` epochs, and the weights of the epoch with the lowest validation loss are
   restored (:class:`minnet.train.callbacks.EarlyStopping`). The validation score (accuracy / R²) of
   every epoch is recorded in ``validation_scores_``.

   scikit-learn's MLP monitors the validation *score* instead. For a regressor the two agree
   (R² = 1 − MSE / Var(y_val) on a fixed split), but validation accuracy is coarse (steps of
   1/n_val) and plateaus early: with the defaults and patience 10, 5-fold CV accuracy on
   digits / breast_cancer / wine was 0.962 / 0.961 / 0.921 when stopping on accuracy and
   0.978 / 0.975 / 0.978 when stopping on the loss (0.979 / 0.975 / 0.978 without early stopping).

Predictions: ``predict_proba`` = softmax(z) computed in float64, ``predict`` = ``classes_[argmax z]``;
the regressor returns ŷ·y_scale_ + y_mean_ in float64, shaped like the ``y`` it was fitted on.

Works with scikit-learn ≥ 1.3 (``validate_data`` and ``__sklearn_tags__`` from 1.6 on, the
older ``_validate_data`` / ``_more_tags`` before).
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from minnet.nn.activations import ACTIVATIONS
from minnet.nn.losses import CrossEntropyLoss, Loss, MSELoss, log_softmax, softmax
from minnet.nn.models import DROPOUT_KINDS, mlp
from minnet.nn.sequential import Sequential
from minnet.rng import make_rng
from minnet.train.callbacks import Callback, EarlyStopping, TrainingState
from minnet.train.loop import fit as fit_model
from minnet.train.loop import infer
from minnet.train.optim import OPTIMIZERS, get_optimizer

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def validate_data(estimator: Any, X: Any = "no_validation", y: Any = "no_validation", reset: bool = True,
                      **check_params: Any) -> Any:
        return estimator._validate_data(X, y, reset=reset, **check_params)

__all__ = ["NetClassifier", "NetRegressor"]

_X_DTYPES = (np.float64, np.float32)        # float input keeps its dtype; ints, bools, objects become float64
_MODEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class _ValidationScore(Callback):
    """Adds ``val_score`` (the estimator's score on the held-out split) to each epoch's logs."""

    def __init__(self, score: Callable[[Any], float]) -> None:
        self.score = score

    def on_epoch_end(self, state: TrainingState) -> None:
        state.logs["val_score"] = self.score(state.model)


def _draw_seeds(random_state: Any, n: int, where: str) -> list[int]:
    """``n`` integer seeds from ``random_state`` (None, an int, a numpy Generator or a RandomState).

    A RandomState is accepted because scikit-learn users and tools pass them; it is only
    used to draw these seeds, every random choice after that goes through Generators.
    """
    if isinstance(random_state, np.random.RandomState):
        return [int(s) for s in random_state.randint(np.iinfo(np.int32).max, size=n)]
    if random_state is None or isinstance(random_state, np.random.Generator) or (
            isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)):
        if isinstance(random_state, numbers.Integral) and random_state < 0:
            raise ValueError(f"{where}: random_state must be a non-negative int seed, got {random_state}")
        rng = make_rng(int(random_state) if isinstance(random_state, numbers.Integral) else random_state)
        return [int(s) for s in rng.integers(np.iinfo(np.int32).max, size=n)]
    raise TypeError(f"{where}: random_state must be None, an int, a numpy Generator or RandomState, "
                    f"got {random_state!r}")


class _NetEstimator(BaseEstimator):
    """Parameters, network building and the training loop shared by NetClassifier and NetRegressor.

    Subclasses provide ``_loss``, ``_targets_for_fit``, ``_targets_for_partial_fit``,
    ``_stratify`` and ``_validation_score``; ``_min_validation`` is the smallest validation split.
    """

    _min_validation = 1

    def __init__(self, hidden_layer_sizes: int | tuple[int, ...] = (128, 128), activation: str = "relu",
                 init: str | Callable | None = None, dropout: str | None = None, dropout_rate: float = 0.1,
                 batch_norm: bool = False, optimizer: str = "adam", learning_rate: float = 1e-3,
                 weight_decay: float | None = None, epochs: int = 100, batch_size: int = 32,
                 early_stopping: bool = False, validation_fraction: float = 0.1, n_iter_no_change: int = 10,
                 tol: float = 1e-4, random_state: int | np.random.Generator | np.random.RandomState | None = None,
                 verbose: bool = False, dtype: str | type = "float32") -> None:
        # scikit-learn convention: store the arguments unchanged, validate in fit.
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.dropout = dropout
        self.dropout_rate = dropout_rate
        self.batch_norm = batch_norm
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype

    # --- hooks for the subclasses ------------------------------------------------------------
    def _loss(self) -> Loss:
        raise NotImplementedError

    def _targets_for_fit(self, y: np.ndarray) -> tuple[np.ndarray, int]:
        """Fit the target encoding on y; return the encoded targets and the number of network outputs."""
        raise NotImplementedError

    def _targets_for_partial_fit(self, y: np.ndarray, classes: Any, first: bool) -> tuple[np.ndarray, int]:
        raise NotImplementedError

    def _stratify(self, t: np.ndarray, n_val: int) -> np.ndarray | None:
        return None

    def _validation_score(self, model: Sequential, X: np.ndarray, t: np.ndarray) -> float:
        raise NotImplementedError

    def _validate_y(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    # --- parameter checks ----------------------------------------------------------------------
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else sizes
        try:
            sizes = list(sizes)
        except TypeError:
            sizes = None
        if sizes is None or not all(isinstance(h, numbers.Integral) and not isinstance(h, bool) and h >= 1
                                    for h in sizes):
            raise ValueError(f"{self._name}: hidden_layer_sizes must be a positive int or a sequence of positive "
                             f"ints, got {self.hidden_layer_sizes!r}")
        return [int(h) for h in sizes]

    @property
    def _name(self) -> str:
        return type(self).__name__

    def _check_params(self) -> None:
        """Raise ValueError/TypeError naming the estimator and the bad parameter (called by fit)."""
        name = self._name
        self._hidden_sizes()
        if not isinstance(self.activation, str) or self.activation.lower().replace("-", "_") not in ACTIVATIONS:
            raise ValueError(f"{name}: unknown activation {self.activation!r}; expected one of {list(ACTIVATIONS)}")
        if self.dropout is not None and str(self.dropout).lower() not in DROPOUT_KINDS:
            raise ValueError(f"{name}: dropout must be None, 'dropout' or 'alpha', got {self.dropout!r}")
        self._check_number("dropout_rate", self.dropout_rate, 0.0, 1.0, high_open=True)
        if not isinstance(self.optimizer, str) or self.optimizer.lower() not in OPTIMIZERS:
            raise ValueError(f"{name}: unknown optimizer {self.optimizer!r}; expected one of {sorted(OPTIMIZERS)}")
        self._check_number("learning_rate", self.learning_rate, 0.0, np.inf, low_open=True)
        if self.weight_decay is not None:
            self._check_number("weight_decay", self.weight_decay, 0.0, np.inf)
        for param in ("epochs", "batch_size", "n_iter_no_change"):
            value = getattr(self, param)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name}: {param} must be a positive integer, got {value!r}")
        self._check_number("validation_fraction", self.validation_fraction, 0.0, 1.0, low_open=True, high_open=True)
        self._check_number("tol", self.tol, 0.0, np.inf)
        self._model_dtype()

    def _check_number(self, param: str, value: Any, low: float, high: float, *, low_open: bool = False,
                      high_open: bool = False) -> None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{self._name}: {param} must be a real number, got {value!r}")
        ok = (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
        if not ok:                                                   # also catches NaN
            interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
            raise ValueError(f"{self._name}: {param} must be in {interval}, got {value!r}")

    def _model_dtype(self) -> np.dtype:
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in _MODEL_DTYPES:
            raise ValueError(f"{self._name}: dtype must be 'float32' or 'float64', got {self.dtype!r}")
        return dtype

    # --- building -----------------------------------------------------------------------------
    def _initialize(self, n_features: int, n_outputs: int) -> None:
        """Build ``model_`` and ``optimizer_`` and reset the training record."""
        model_seed, self._split_seed, shuffle_seed = _draw_seeds(self.random_state, 3, self._name)
        self._shuffle_rng = np.random.default_rng(shuffle_seed)
        self.model_ = mlp(n_features, n_outputs, hidden=self._hidden_sizes(), activation=self.activation,
                          init=self.init, dropout=self.dropout, dropout_rate=self.dropout_rate,
                          batch_norm=bool(self.batch_norm), seed=model_seed, dtype=self._model_dtype())
        kwargs: dict[str, Any] = {"lr": float(self.learning_rate)}
        if self.weight_decay is not None:
            kwargs["weight_decay"] = float(self.weight_decay)
        self.optimizer_ = get_optimizer(self.optimizer.lower(), self.model_, **kwargs)
        self.n_outputs_ = n_outputs
        self.loss_curve_: list[float] = []
        self.n_iter_ = 0
        self.history_ = None
        self.validation_scores_ = None
        self.best_validation_score_ = None
        self.best_epoch_ = None

    def _batch_size(self, n: int) -> int:
        """``batch_size`` capped at n; with BatchNorm, grown until no mini-batch holds a single sample
        (BatchNorm cannot normalise one sample: its batch variance is undefined)."""
        size = min(int(self.batch_size), n)
        if self.batch_norm:
            if n < 2:
                raise ValueError(f"{self._name}: batch_norm=True needs n_samples >= 2 to train, got n_samples={n}")
            while n % size == 1:
                size += 1
        return size

    # --- training ------------------------------------------------------------------------------
    def _train(self, X: np.ndarray, t: np.ndarray, epochs: int, callbacks: Sequence[Callback] = (),
               validation_data: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        history = fit_model(self.model_, self._loss(), self.optimizer_, X, t, epochs=epochs,
                            batch_size=self._batch_size(len(X)), validation_data=validation_data,
                            seed=self._shuffle_rng, callbacks=callbacks, progress=bool(self.verbose))
        if self.history_ is None:
            self.history_ = history
        else:
            for record in history.records:
                self.history_.append({**record, "epoch": self.n_iter_ + record["epoch"]})
        self.n_iter_ += len(history)
        self.loss_curve_.extend(float(v) for v in history["loss"])
        self.loss_ = self.loss_curve_[-1]

    def _fit(self, X: Any, y: Any) -> _NetEstimator:
        self._check_params()
        X, y = self._validate_y(X, y, reset=True)
        t, n_outputs = self._targets_for_fit(y)
        self._initialize(X.shape[1], n_outputs)
        if not self.early_stopping:
            self._train(X, t, int(self.epochs))
            return self
        n_val = max(int(np.ceil(self.validation_fraction * len(X))), self._min_validation)
        if len(X) - n_val < 1:
            raise ValueError(f"{self._name}: early_stopping needs n_samples >= {self._min_validation + 1} to hold "
                             f"out a validation set, got n_samples={len(X)}")
        X_train, X_val, t_train, t_val = train_test_split(
            X, t, test_size=n_val, random_state=self._split_seed, stratify=self._stratify(t, n_val))
        stopper = EarlyStopping(monitor="val_loss", patience=int(self.n_iter_no_change), min_delta=float(self.tol),
                                mode="min", restore_best_weights=True)
        scorer = _ValidationScore(lambda model: self._validation_score(model, X_val, t_val))
        self._train(X_train, t_train, int(self.epochs), callbacks=[scorer, stopper], validation_data=(X_val, t_val))
        self.validation_scores_ = [float(v) for v in self.history_["val_score"]]
        self.best_epoch_ = int(stopper.best_epoch)
        self.best_validation_score_ = self.validation_scores_[self.best_epoch_ - 1]
        return self

    def _partial_fit(self, X: Any, y: Any, classes: Any = None) -> _NetEstimator:
        first = not hasattr(self, "model_")
        if first:
            self._check_params()
        X, y = self._validate_y(X, y, reset=first)
        t, n_outputs = self._targets_for_partial_fit(y, classes, first)
        if first:
            self._initialize(X.shape[1], n_outputs)
        self._train(X, t, 1)
        return self

    def _outputs(self, X: Any) -> np.ndarray:
        """The network's outputs (N, n_outputs_) for X, in evaluation mode, as float64."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=_X_DTYPES)
        return infer(self.model_, X).astype(np.float64)


class NetClassifier(ClassifierMixin, _NetEstimator):
    """A minnet multilayer perceptron as a scikit-learn classifier.

    Network: n_features → hidden_layer_sizes (each Dense(init) → [BatchNorm] → activation →
    [dropout]) → C logits z, trained with softmax cross-entropy
    L = mean_i [logsumexp(z_i) − z_{i,y_i}]; p(class k | x) = softmax(z)_k. Binary problems use
    the same loss with C = 2 outputs (equivalent to a logistic output, and one code path).

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default (128, 128)
        Widths of the hidden layers; ``()`` gives multinomial logistic regression.
    activation : str, default "relu"
        Hidden activation: "relu", "leaky_relu", "prelu", "elu", "selu", or "celu", "tanh",
        "sigmoid", "silu", "identity" (:data:`minnet.nn.activations.ACTIVATIONS`).
    init : str, callable or None, default None
        Weight initialiser (:data:`minnet.nn.init.INITIALIZERS`); None picks the customary one for the
        activation: LeCun normal for SELU (Klambauer et al. 2017, arXiv:1706.02515), He normal for
        the ReLU family and ELU (He et al. 2015, arXiv:1502.01852), Glorot uniform for tanh/sigmoid.
    dropout : None, "dropout" or "alpha", default None
        Inverted dropout, or AlphaDropout (for SELU: keeps mean 0 / variance 1), after every
        hidden activation, with drop probability ``dropout_rate``.
    dropout_rate : float in [0, 1), default 0.1
        Used only when ``dropout`` is set (the SNN paper recommends 0.05–0.1 for AlphaDropout).
    batch_norm : bool, default False
        BatchNorm between each hidden Dense and its activation.
    optimizer : "adam", "adamw", "sgd" or "rmsprop", default "adam"
    learning_rate : float > 0, default 1e-3
    weight_decay : float ≥ 0 or None, default None
        Passed to the optimizer; None keeps the optimizer's own default (0, and 1e-2 for AdamW).
    epochs : int ≥ 1, default 100
        Passes over the training data (the maximum, with early stopping).
    batch_size : int ≥ 1, default 32
        Capped at the number of samples; with ``batch_norm`` it is raised when the last
        mini-batch would hold a single sample.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the data (stratified when every class has two
        samples or more) and stop when its cross-entropy has not decreased by more than ``tol``
        for ``n_iter_no_change`` epochs; the weights of the best epoch are restored (see the
        module docstring for why the loss, not the accuracy, is monitored).
    validation_fraction : float in (0, 1), default 0.1
    n_iter_no_change : int ≥ 1, default 10
        Patience of early stopping, in epochs.
    tol : float ≥ 0, default 1e-4
        Minimum decrease of the validation loss that counts as an improvement (early stopping only).
    random_state : None, int, numpy Generator or RandomState, default None
        Seeds the weights, the dropout masks, the validation split and the shuffling; an int
        gives bit-identical results on every fit.
    verbose : bool, default False
        Show a tqdm progress bar over the epochs.
    dtype : "float32" or "float64", default "float32"
        Precision of the network; X of any float dtype is converted to it.

    Defaults. (128, 128) ReLU units (He initialisation) trained by Adam (lr 1e-3, the Adam
    paper's default) on mini-batches of 32 for 100 epochs. ReLU is scikit-learn's MLP default, so a
    swap to NetClassifier starts from a comparable baseline. Measured (5-fold CV after a
    StandardScaler, random_state=0): digits 0.979, breast_cancer 0.975, wine 0.978 — on par with
    ``MLPClassifier`` (0.977 / 0.979 / 0.983); SELU gave 0.973 / 0.968 / 0.989, 50 or 200 epochs
    within ±0.006. Early stopping is off so that ``epochs`` is the training budget for every
    configuration of an ablation and all the data is used; with the loss-based early stopping
    below the same scores were 0.978 / 0.975 / 0.978. Standardise X first
    (``make_pipeline(StandardScaler(), NetClassifier())``).

    Attributes
    ----------
    classes_ : ndarray (C,)            the class labels; output k of the network is ``classes_[k]``.
    n_features_in_ : int               number of features seen in fit (``feature_names_in_`` for DataFrames).
    n_outputs_ : int                   number of network outputs (C).
    model_ : minnet.Sequential         the trained network (outputs are logits).
    optimizer_ : minnet.train.optim.Optimizer  its optimizer (state carried over between partial_fit calls).
    history_ : minnet.History          per-epoch "loss", "accuracy", "lr", "seconds" (and "val_loss",
                                       "val_accuracy", "val_score" with early stopping).
    loss_curve_ : list of float        training loss per epoch; ``loss_`` is the last one.
    n_iter_ : int                      epochs run (summed over partial_fit calls).
    validation_scores_ : list of float or None   validation accuracy per epoch (early stopping only).
    best_validation_score_ : float or None       validation accuracy of the restored weights (those of the
                                                 epoch with the lowest validation loss, ``best_epoch_``).
    best_epoch_ : int or None          1-based epoch whose weights were restored (early stopping only).
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

    def _loss(self) -> Loss:
        return CrossEntropyLoss()

    def _validate_y(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, reset=reset, dtype=_X_DTYPES)
        check_classification_targets(y)
        return X, y

    def _encode(self, y: np.ndarray) -> np.ndarray:
        """Class indices of the labels y in ``classes_`` (ValueError for labels not in it)."""
        try:
            index = np.clip(np.searchsorted(self.classes_, y), 0, len(self.classes_) - 1)
            unknown = self.classes_[index] != y
        except TypeError:                                   # e.g. string labels against integer classes_
            raise ValueError(f"{self._name}: y has labels of type {y.dtype}, but classes_ are "
                             f"{self.classes_.tolist()}") from None
        if np.any(unknown):
            raise ValueError(f"{self._name}: y contains labels {np.unique(y[unknown]).tolist()} that are not in "
                             f"classes_ {self.classes_.tolist()}")
        return index.astype(np.int64)

    def _targets_for_fit(self, y: np.ndarray) -> tuple[np.ndarray, int]:
        self.classes_, t = np.unique(y, return_inverse=True)
        return t.reshape(-1).astype(np.int64), len(self.classes_)

    def _targets_for_partial_fit(self, y: np.ndarray, classes: Any, first: bool) -> tuple[np.ndarray, int]:
        if first:
            if classes is None:
                raise ValueError(f"{self._name}: classes must be passed on the first call to partial_fit")
            self.classes_ = np.unique(np.asarray(classes))
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"{self._name}: classes={classes!r} is not the same as on the first call to "
                             f"fit/partial_fit, which was {self.classes_!r}")
        return self._encode(y), len(self.classes_)

    def _stratify(self, t: np.ndarray, n_val: int) -> np.ndarray | None:
        """Stratify the validation split when every class has two samples or more and both parts can hold all."""
        counts = np.bincount(t, minlength=len(self.classes_))
        feasible = counts.min() >= 2 and len(self.classes_) <= min(n_val, len(t) - n_val)
        return t if feasible else None

    def _validation_score(self, model: Sequential, X: np.ndarray, t: np.ndarray) -> float:
        return float(np.mean(infer(model, X).argmax(axis=1) == t))

    def fit(self, X: Any, y: Any) -> NetClassifier:
        """Train a new network on X (n_samples, n_features) and labels y (n_samples,); returns self."""
        return self._fit(X, y)

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> NetClassifier:
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        ``classes`` (every label that will ever appear) is required on the first call, as in
        scikit-learn; early stopping does not apply to partial_fit.
        """
        return self._partial_fit(X, y, classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, C) = softmax of the logits, in float64; rows sum to 1."""
        return softmax(self._outputs(X), axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """log predict_proba, computed stably as z − logsumexp(z)."""
        return log_softmax(self._outputs(X), axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels ``classes_[argmax_k z_k]`` (n_samples,)."""
        index = self._outputs(X).argmax(axis=1)
        return self.classes_[index]


class NetRegressor(RegressorMixin, _NetEstimator):
    """A minnet multilayer perceptron as a scikit-learn regressor (one or several targets).

    The targets are standardised per column, t = (y − y_mean_) / y_scale_ (a column with zero
    variance gets scale 1), the network ŷ_t = net(x) is trained on MSELoss L = mean (ŷ_t − t)², and
    ``predict`` returns ŷ_t · y_scale_ + y_mean_. Standardising makes the default learning rate
    work whatever the units of y; it is an affine change, so the R² of ``score`` is the same in
    either scale, while ``loss_curve_`` is in standardised units (MSE / variance of y).
    A 1-D y gives 1-D predictions; a 2-D y (n_samples, n_targets) gives 2-D predictions.

    Small data sets overfit in 100 epochs: on diabetes (442 rows, 5-fold CV after a
    StandardScaler) the defaults reach R² 0.17 (``MLPRegressor``: 0.23), ``early_stopping=True`` 0.40.

    Parameters are those of :class:`NetClassifier` (same defaults); early stopping monitors the
    validation MSE, equivalently its R² (the split is not stratified, and holds at least 2 samples
    so that R² is defined).

    Attributes
    ----------
    n_features_in_, n_outputs_ (number of targets), model_, optimizer_, history_, loss_curve_, loss_,
    n_iter_, validation_scores_ / best_validation_score_ / best_epoch_ (validation R², early
    stopping only), as in :class:`NetClassifier`, plus
    y_mean_, y_scale_ : ndarray (n_targets,)   the target standardisation, set by fit or by the
                                               first partial_fit call (from that call's y).
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"multioutput": True}

    _min_validation = 2

    def _loss(self) -> Loss:
        return MSELoss()

    def _validate_y(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, reset=reset, dtype=_X_DTYPES, multi_output=True, y_numeric=True)
        if reset:
            self._y_ndim = y.ndim
        width = 1 if y.ndim == 1 else y.shape[1]
        if not reset and width != self.n_outputs_:
            raise ValueError(f"{self._name}: y has {width} target column(s), but this regressor was fitted on "
                             f"{self.n_outputs_}")
        return X, y

    def _standardise(self, y: np.ndarray) -> np.ndarray:
        y2 = y.astype(np.float64).reshape(len(y), -1)
        return (y2 - self.y_mean_) / self.y_scale_

    def _targets_for_fit(self, y: np.ndarray) -> tuple[np.ndarray, int]:
        y2 = y.astype(np.float64).reshape(len(y), -1)
        self.y_mean_ = y2.mean(axis=0)
        scale = y2.std(axis=0)
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        return self._standardise(y), y2.shape[1]

    def _targets_for_partial_fit(self, y: np.ndarray, classes: Any, first: bool) -> tuple[np.ndarray, int]:
        if first:
            return self._targets_for_fit(y)
        return self._standardise(y), self.n_outputs_

    def _validation_score(self, model: Sequential, X: np.ndarray, t: np.ndarray) -> float:
        return float(r2_score(t, infer(model, X).astype(np.float64)))

    def fit(self, X: Any, y: Any) -> NetRegressor:
        """Train a new network on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets)."""
        return self._fit(X, y)

    def partial_fit(self, X: Any, y: Any) -> NetRegressor:
        """One epoch over (X, y), continuing from the current weights and optimizer state
        (early stopping does not apply)."""
        return self._partial_fit(X, y)

    def predict(self, X: Any) -> np.ndarray:
        """ŷ = net(x) · y_scale_ + y_mean_ in float64, (n_samples,) or (n_samples, n_targets) like the fitted y."""
        y = self._outputs(X) * self.y_scale_ + self.y_mean_
        return y.reshape(-1) if self._y_ndim == 1 else y
