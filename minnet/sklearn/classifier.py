"""NetClassifier: a minnet multilayer perceptron as a scikit-learn classifier (see :mod:`minnet.sklearn`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from minnet.nn.functional import log_softmax, softmax
from minnet.nn.losses import CrossEntropyLoss, Loss
from minnet.nn.sequential import Sequential
from minnet.sklearn._base import X_DTYPES, NetEstimator, validate_data
from minnet.sklearn._training import WeightedCrossEntropy
from minnet.train.loop import infer


class NetClassifier(ClassifierMixin, NetEstimator):
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
        Passed to the optimizer (g ← g + λθ; AdamW: decoupled); None keeps the optimizer's own default
        (0, and 1e-2 for AdamW). It decays every parameter, biases included, as PyTorch does with what it
        is given; ``decay_biases=False`` decays weights only, like scikit-learn's ``alpha``.
    epochs : int ≥ 1, default 100
        Passes over the training data (the maximum, with early stopping).
    batch_size : int ≥ 1, default 32
        Capped at the number of samples; with ``batch_norm`` (and not ``drop_last``) it is raised
        when the last mini-batch would hold a single sample.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the data (stratified when every class has two
        samples or more) and stop when its cross-entropy has not decreased by more than ``tol``
        for ``n_iter_no_change`` epochs; the weights of the best epoch are restored (see the
        module docstring for why the loss, not the accuracy, is monitored).
    validation_fraction : float in (0, 1), default 0.1
    n_iter_no_change : int ≥ 1 or np.inf, default 10
        Patience, in epochs. Without early stopping, training stops when the training loss has not
        fallen below ``best_loss_ − tol`` for more than ``n_iter_no_change`` consecutive epochs
        (``MLPClassifier``'s rule); with early stopping, after ``n_iter_no_change`` epochs without a
        validation loss lower by more than ``tol``. ``np.inf``: never stop before ``epochs``.
    tol : float ≥ 0, default 1e-4
        Minimum decrease of the training loss (validation loss, with early stopping) that counts as an
        improvement.
    random_state : None, int, numpy Generator or RandomState, default None
        Seeds the weights, the dropout masks, the validation split and the shuffling; an int
        gives bit-identical results on every fit.
    verbose : bool, default False
        Show a tqdm progress bar over the epochs.
    dtype : None, "float32" or "float64", default None
        Precision of the network. None computes in X's floating dtype, as scikit-learn's MLP does
        (float64 X → float64 network, float32 X → float32; integer X → float64); a dtype forces it,
        and X is converted to it.
    shuffle : bool, default True
        Shuffle the samples before each epoch.
    warm_start : bool, default False
        ``fit`` continues from the weights and optimizer state of the previous fit instead of
        starting again (the network and ``classes_`` are kept).
    drop_last : bool, default False
        Leave out the short last mini-batch of each epoch (PyTorch's name).
    decay_biases : bool, default True
        False exempts the biases from ``weight_decay``.

    Defaults. (128, 128) ReLU units (He initialisation) trained by Adam (lr 1e-3, the Adam
    paper's default) on mini-batches of 32 for at most 100 epochs (fewer when the training loss stops
    improving by ``tol``, as in scikit-learn). ReLU is scikit-learn's MLP default, so a
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
    best_loss_ : float or None         lowest training loss so far (None with early stopping).
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

    def _loss(self, weighted: bool) -> Loss:
        return WeightedCrossEntropy() if weighted else CrossEntropyLoss()

    def _validate_y(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, reset=reset, dtype=X_DTYPES)
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

    def _targets_for_fit(self, y: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        self.classes_, t = np.unique(y, return_inverse=True)
        return t.reshape(-1).astype(np.int64), len(self.classes_)

    def _targets_for_partial_fit(self, y: np.ndarray, classes: Any, first: bool, w: np.ndarray | None = None
                                 ) -> tuple[np.ndarray, int]:
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

    def _validation_score(self, model: Sequential, X: np.ndarray, t: np.ndarray, w: np.ndarray | None) -> float:
        return float(np.average(infer(model, X).argmax(axis=1) == t, weights=w))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NetClassifier:
        """Train on X (n_samples, n_features) and labels y (n_samples,); returns self.

        A new network, unless ``warm_start`` and already fitted: then training continues from the
        current weights and optimizer state (y's labels must be among ``classes_``). ``sample_weight``
        (n_samples,) ≥ 0 weights each sample's loss (and the validation accuracy).
        """
        return self._fit(X, y, sample_weight)

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> NetClassifier:
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        ``classes`` (every label that will ever appear) is required on the first call, as in
        scikit-learn. ``early_stopping`` does not apply: partial_fit trains on all the data it is
        given and holds nothing out (scikit-learn does the same); ``best_loss_`` and the
        no-improvement counter are updated but never stop anything.
        """
        return self._partial_fit(X, y, classes, sample_weight)

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
