"""What NetClassifier and NetRegressor share: parameters and their checks, building the network, training."""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from minnet.io.generators import walk
from minnet.nn.activations import ACTIVATIONS
from minnet.nn.losses import Loss
from minnet.nn.models import DROPOUT_KINDS, mlp
from minnet.nn.sequential import Sequential
from minnet.rng import make_rng
from minnet.sklearn._training import TrainingLossPlateau, ValidationScore, pack_weights
from minnet.train.callbacks import Callback, EarlyStopping
from minnet.train.history import History
from minnet.train.loop import fit as fit_model
from minnet.train.loop import infer
from minnet.train.optim import OPTIMIZERS, get_optimizer
from minnet.validation import check_bool, check_choice, check_real

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def validate_data(estimator: Any, X: Any = "no_validation", y: Any = "no_validation", reset: bool = True,
                      **check_params: Any) -> Any:
        return estimator._validate_data(X, y, reset=reset, **check_params)

X_DTYPES = (np.float64, np.float32)        # float input keeps its dtype; ints, bools, objects become float64
_MODEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def draw_seeds(random_state: Any, n: int, where: str) -> list[int]:
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


def _arrays(value: Any, seen: set[int] | None = None) -> list[np.ndarray]:
    """Every numpy array reachable through the attributes, dicts and lists of ``value``."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    elif hasattr(value, "__dict__") and type(value).__module__.startswith("minnet"):
        items = list(vars(value).values())
    else:
        return []
    return [a for item in items for a in _arrays(item, seen)]


def _plain(value: Any) -> Any:
    """``value`` with every array in its dicts and lists replaced by a writable ndarray copy."""
    if isinstance(value, np.ndarray):
        return np.array(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class NetEstimator(BaseEstimator):
    """Parameters, network building and the training loop shared by NetClassifier and NetRegressor.

    Subclasses provide ``_loss``, ``_targets_for_fit``, ``_targets_for_partial_fit``,
    ``_stratify`` and ``_validation_score``; ``_min_validation`` is the smallest validation split.
    """

    _min_validation = 1

    def __init__(self, hidden_layer_sizes: int | tuple[int, ...] = (128, 128), activation: str = "relu",
                 init: str | Callable | None = None, dropout: str | None = None, dropout_rate: float = 0.1,
                 batch_norm: bool = False, optimizer: str = "adam", learning_rate: float = 1e-3,
                 weight_decay: float | None = None, epochs: int = 100, batch_size: int = 32,
                 early_stopping: bool = False, validation_fraction: float = 0.1, n_iter_no_change: int | float = 10,
                 tol: float = 1e-4, random_state: int | np.random.Generator | np.random.RandomState | None = None,
                 verbose: bool = False, dtype: str | type | None = None, shuffle: bool = True,
                 warm_start: bool = False, drop_last: bool = False, decay_biases: bool = True) -> None:
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
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.drop_last = drop_last
        self.decay_biases = decay_biases

    # --- hooks for the subclasses ------------------------------------------------------------
    def _loss(self, weighted: bool) -> Loss:
        raise NotImplementedError

    def _targets_for_fit(self, y: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """Fit the target encoding on y (weighted by w); return the encoded targets and the number of outputs."""
        raise NotImplementedError

    def _targets_for_partial_fit(self, y: np.ndarray, classes: Any, first: bool, w: np.ndarray | None = None
                                 ) -> tuple[np.ndarray, int]:
        raise NotImplementedError

    def _stratify(self, t: np.ndarray, n_val: int) -> np.ndarray | None:
        return None

    def _validation_score(self, model: Sequential, X: np.ndarray, t: np.ndarray, w: np.ndarray | None) -> float:
        raise NotImplementedError

    def _validate_y(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    # --- parameter checks ----------------------------------------------------------------------
    @property
    def _name(self) -> str:
        return type(self).__name__

    def _hidden_sizes(self) -> list[int]:
        given: Any = self.hidden_layer_sizes
        sizes: list[Any] | None
        try:
            sizes = [given] if isinstance(given, numbers.Integral) else list(given)
        except TypeError:
            sizes = None
        if sizes is None or not all(isinstance(h, numbers.Integral) and not isinstance(h, bool) and int(h) >= 1
                                    for h in sizes):
            raise ValueError(f"{self._name}: hidden_layer_sizes must be a positive int or a sequence of positive "
                             f"ints, got {self.hidden_layer_sizes!r}")
        return [int(h) for h in sizes]

    def _check_params(self) -> None:
        """Raise ValueError/TypeError naming the estimator and the bad parameter (called by fit)."""
        name = self._name
        self._hidden_sizes()
        check_choice(self.activation, "activation", name, ACTIVATIONS)
        if self.dropout is not None:
            check_choice(self.dropout, "dropout", name, DROPOUT_KINDS)
        check_real(self.dropout_rate, "dropout_rate", name, low=0.0, high=1.0, high_open=True)
        check_choice(self.optimizer, "optimizer", name, OPTIMIZERS)
        check_real(self.learning_rate, "learning_rate", name, low=0.0, low_open=True)
        if self.weight_decay is not None:
            check_real(self.weight_decay, "weight_decay", name, low=0.0)
        for param in ("epochs", "batch_size"):
            value = getattr(self, param)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name}: {param} must be a positive integer, got {value!r}")
        patience = self.n_iter_no_change
        if not (patience == math.inf or (isinstance(patience, numbers.Integral) and not isinstance(patience, bool)
                                         and patience >= 1)):
            raise ValueError(f"{name}: n_iter_no_change must be a positive integer or np.inf, got {patience!r}")
        check_real(self.validation_fraction, "validation_fraction", name, low=0.0, high=1.0, low_open=True,
                   high_open=True)
        check_real(self.tol, "tol", name, low=0.0)
        for flag in ("batch_norm", "early_stopping", "shuffle", "warm_start", "drop_last", "decay_biases"):
            check_bool(getattr(self, flag), flag, name)
        self._model_dtype(np.dtype(np.float64))

    def _model_dtype(self, x_dtype: np.dtype) -> np.dtype:
        """``dtype`` if given, else the dtype of the validated X (float32 or float64), as scikit-learn's MLP."""
        if self.dtype is None:
            return np.dtype(x_dtype)
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in _MODEL_DTYPES:
            raise ValueError(f"{self._name}: dtype must be None, 'float32' or 'float64', got {self.dtype!r}")
        return dtype

    # --- building -----------------------------------------------------------------------------
    def _initialize(self, n_features: int, n_outputs: int, x_dtype: np.dtype) -> None:
        """Build ``model_`` and ``optimizer_`` and reset the training record."""
        model_seed, self._split_seed, shuffle_seed = draw_seeds(self.random_state, 3, self._name)
        self._shuffle_rng = np.random.default_rng(shuffle_seed)
        self.model_ = mlp(n_features, n_outputs, hidden=self._hidden_sizes(), activation=self.activation,
                          init=self.init, dropout=self.dropout, dropout_rate=self.dropout_rate,
                          batch_norm=bool(self.batch_norm), seed=model_seed, dtype=self._model_dtype(x_dtype))
        if not self.decay_biases:
            for name, p in self.model_.named_parameters():
                if name.endswith("bias"):
                    p.weight_decay = False
        kwargs: dict[str, Any] = {"lr": float(self.learning_rate)}
        if self.weight_decay is not None:
            kwargs["weight_decay"] = float(self.weight_decay)
        self.optimizer_ = get_optimizer(check_choice(self.optimizer, "optimizer", self._name, OPTIMIZERS),
                                        self.model_, **kwargs)
        self.n_outputs_ = n_outputs
        self.loss_curve_: list[float] = []
        self.n_iter_ = 0
        self.history_: History | None = None
        self.validation_scores_: list[float] | None = None
        self.best_validation_score_: float | None = None
        self.best_epoch_: int | None = None
        self.best_loss_: float | None = None if self.early_stopping else math.inf
        self._no_improvement_count = 0

    def _writable(self) -> None:
        """Copy the network and optimizer into ordinary writable arrays when any of theirs is read-only
        (``joblib.load(..., mmap_mode="r")`` maps them from the file), so that training can update them in
        place; the file is never written."""
        if all(a.flags.writeable for a in _arrays((self.model_, self.optimizer_))):
            return
        self.model_, self.optimizer_ = copy.deepcopy((self.model_, self.optimizer_))   # keeps shared references
        for p in self.model_.parameters():
            p.data, p.grad = np.array(p.data), np.array(p.grad)
        for _, layer in walk(self.model_):
            if not isinstance(layer, Sequential):
                for name, buffer in layer.buffers().items():
                    setattr(layer, name, np.array(buffer))
        for name, value in vars(self.optimizer_).items():
            if isinstance(value, dict):
                setattr(self.optimizer_, name, _plain(value))

    def _batch_size(self, n: int) -> int:
        """``batch_size`` capped at n; with BatchNorm (and without drop_last), grown until no mini-batch holds a
        single sample (BatchNorm cannot normalise one sample: its batch variance is undefined)."""
        size = min(int(self.batch_size), n)
        if self.batch_norm and not self.drop_last:
            if n < 2:
                raise ValueError(f"{self._name}: batch_norm=True needs n_samples >= 2 to train, got n_samples={n}")
            while n % size == 1:
                size += 1
        return size

    # --- training ------------------------------------------------------------------------------
    def _train(self, X: np.ndarray, t: np.ndarray, epochs: int, weighted: bool, callbacks: Sequence[Callback] = (),
               validation_data: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        history = fit_model(self.model_, self._loss(weighted), self.optimizer_, X, t, epochs=epochs,
                            batch_size=self._batch_size(len(X)), validation_data=validation_data,
                            seed=self._shuffle_rng, callbacks=callbacks, progress=bool(self.verbose),
                            shuffle=bool(self.shuffle), drop_last=bool(self.drop_last))
        if self.history_ is None:
            self.history_ = history
        else:
            for record in history.records:
                self.history_.append({**record, "epoch": self.n_iter_ + record["epoch"]})
        self.n_iter_ += len(history)
        self.loss_curve_.extend(float(v) for v in history["loss"])
        self.loss_ = self.loss_curve_[-1]

    def _sample_weight(self, sample_weight: Any, X: np.ndarray) -> np.ndarray | None:
        if sample_weight is None:
            return None
        name = self._name
        if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
            sample_weight = np.full(len(X), float(sample_weight))
        try:
            w = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name}: sample_weight must be numbers, got {type(sample_weight).__name__}") from None
        if w.shape != (len(X),):
            raise ValueError(f"{name}: sample_weight has shape {w.shape}; expected ({len(X)},), one per sample")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{name}: sample_weight contains NaN or infinite values; expected finite numbers")
        if np.any(w < 0):
            raise ValueError(f"{name}: sample_weight contains negative values (e.g. {w[w < 0][0]!r}); expected >= 0")
        if not w.sum() > 0:
            raise ValueError(f"{name}: every sample_weight is zero; at least one sample needs a positive weight")
        return w

    def _fit(self, X: Any, y: Any, sample_weight: Any = None) -> NetEstimator:
        self._check_params()
        first = not (self.warm_start and hasattr(self, "model_"))
        X, y = self._validate_y(X, y, reset=first)
        w = self._sample_weight(sample_weight, X)
        if first:
            t, n_outputs = self._targets_for_fit(y, w)
            self._initialize(X.shape[1], n_outputs, X.dtype)
        else:
            t, _ = self._targets_for_partial_fit(y, None, first=False)
            self._writable()
        if not self.early_stopping:
            stopper = TrainingLossPlateau(self, stop=True)
            if self.best_loss_ is None:                     # warm start after a fit with early stopping
                self.best_loss_, self._no_improvement_count = math.inf, 0
            self._train(X, t if w is None else pack_weights(t, w), int(self.epochs), w is not None, [stopper])
            return self
        return self._fit_early_stopping(X, t, w)

    def _fit_early_stopping(self, X: np.ndarray, t: np.ndarray, w: np.ndarray | None) -> NetEstimator:
        n_val = max(int(np.ceil(self.validation_fraction * len(X))), self._min_validation)
        if len(X) - n_val < 1:
            raise ValueError(f"{self._name}: early_stopping needs n_samples >= {self._min_validation + 1} to hold "
                             f"out a validation set, got n_samples={len(X)}")
        train, val = train_test_split(np.arange(len(X)), test_size=n_val, random_state=self._split_seed,
                                      stratify=self._stratify(t, n_val))
        w_val = None if w is None else w[val]
        packed = t if w is None else pack_weights(t, w)
        patience = int(self.epochs) if self.n_iter_no_change == math.inf else int(self.n_iter_no_change)
        stopper = EarlyStopping(monitor="val_loss", patience=patience, min_delta=float(self.tol), mode="min",
                                restore_best_weights=True)
        scorer = ValidationScore(lambda model: self._validation_score(model, X[val], t[val], w_val))
        self._train(X[train], packed[train], int(self.epochs), w is not None, callbacks=[scorer, stopper],
                    validation_data=(X[val], packed[val]))
        assert self.history_ is not None
        scores = [float(v) for v in self.history_["val_score"]]
        self.validation_scores_ = scores
        self.best_epoch_ = int(stopper.best_epoch)
        self.best_validation_score_ = scores[self.best_epoch_ - 1]
        return self

    def _partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> NetEstimator:
        first = not hasattr(self, "model_")
        if first:
            self._check_params()
        X, y = self._validate_y(X, y, reset=first)
        w = self._sample_weight(sample_weight, X)
        t, n_outputs = self._targets_for_partial_fit(y, classes, first, w)
        if first:
            self._initialize(X.shape[1], n_outputs, X.dtype)
        else:
            self._writable()
        if self.best_loss_ is None:
            self.best_loss_, self._no_improvement_count = math.inf, 0
        record = TrainingLossPlateau(self, stop=False)
        self._train(X, t if w is None else pack_weights(t, w), 1, w is not None, [record])
        return self

    def _outputs(self, X: Any) -> np.ndarray:
        """The network's outputs (N, n_outputs_) for X, in evaluation mode, as float64."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=X_DTYPES)
        return infer(self.model_, X).astype(np.float64)


__all__ = ["NetEstimator", "X_DTYPES", "draw_seeds", "validate_data"]
