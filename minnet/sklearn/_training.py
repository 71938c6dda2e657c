"""The pieces the estimators add to ``mn.fit``: scikit-learn's stopping rule and sample-weighted losses.

Sample weights travel with the targets: the estimator appends w as a last column of the target
array (``pack_weights``), so that ``mn.fit`` shuffles and batches them together, and the weighted
losses split it off again. For a batch with weights w_i and per-sample losses L_i:

    L = Σ_i w_i·L_i / Σ_i w_i,       dL/dz_i = w_i · dL_i/dz_i / Σ_i w_i

(scikit-learn's MLP: ``np.average(..., weights=sample_weight)``); with every w_i = 1 this is the
unweighted mean loss.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minnet.nn.functional import log_softmax
from minnet.nn.losses import Loss
from minnet.train.callbacks import Callback, TrainingState


class ValidationScore(Callback):
    """Adds ``val_score`` (the estimator's score on the held-out split) to each epoch's logs."""

    def __init__(self, score: Callable[[Any], float]) -> None:
        self.score = score

    def on_epoch_end(self, state: TrainingState) -> None:
        state.logs["val_score"] = self.score(state.model)


class TrainingLossPlateau(Callback):
    """scikit-learn MLP's stopping rule on the training loss, with its state kept on the estimator.

    After each epoch with loss ℓ: if ℓ > best_loss_ − tol the counter ``_no_improvement_count``
    grows by one, else it is reset to 0; if ℓ < best_loss_, best_loss_ = ℓ. Training stops when the
    counter exceeds ``n_iter_no_change`` (when ``stop``; partial_fit only keeps the record).
    """

    def __init__(self, estimator: Any, stop: bool = True) -> None:
        self.estimator = estimator
        self.stop = stop

    def on_epoch_end(self, state: TrainingState) -> None:
        est = self.estimator
        loss = float(state.logs["loss"])
        if loss > est.best_loss_ - float(est.tol):
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if loss < est.best_loss_:
            est.best_loss_ = loss
        if self.stop and est._no_improvement_count > est.n_iter_no_change:
            state.stop_training = True


def pack_weights(t: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Targets (N,) or (N, k) with the weights (N,) as one more column, float64 (labels < 2⁵³ stay exact)."""
    return np.column_stack([t.reshape(len(t), -1).astype(np.float64), w.astype(np.float64)])


def _split(loss: Loss, pred: np.ndarray, packed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    packed = np.asarray(packed, dtype=np.float64)
    if packed.ndim != 2 or len(packed) != len(pred):
        raise ValueError(f"{loss!r}: expected targets with the sample weights as a last column, got shape "
                         f"{packed.shape}")
    w = packed[:, -1]
    total = float(w.sum())
    share = w / total if total > 0 else np.zeros_like(w)      # a batch of zero weights teaches nothing
    return np.asarray(pred, dtype=np.float64), packed[:, :-1], share


class WeightedCrossEntropy(Loss):
    """Softmax cross-entropy with sample weights: L = Σ_i w_i·[logsumexp(z_i) − z_{i,y_i}] / Σ_i w_i.

    Gradient dL/dz_i = w_i·(softmax(z_i) − one_hot(y_i)) / Σ w. Targets: (N, 2) = [label, weight].
    ``task`` is None: ``mn.fit`` leaves the packed targets alone (and records no accuracy).
    """

    task = None  # type: ignore[assignment]

    def __init__(self) -> None:
        self._cache: tuple[np.ndarray, np.ndarray, np.ndarray, np.dtype] | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        z, t, share = _split(self, pred, target)
        y = t[:, 0].astype(np.int64)
        logp = log_softmax(z, axis=1)
        rows = np.arange(len(y))
        self._cache = (np.exp(logp), y, share, np.asarray(pred).dtype)
        return float(-np.dot(share, logp[rows, y]))

    def backward(self) -> np.ndarray:
        probs, y, share, dtype = self._cached(self._cache)
        dz = probs.copy()
        dz[np.arange(len(y)), y] -= 1.0
        dz *= share[:, None]
        return dz.astype(dtype, copy=False)


class WeightedMSE(Loss):
    """Mean squared error with sample weights: L = Σ_i w_i·mean_j (ŷ_ij − t_ij)² / Σ_i w_i.

    Gradient dL/dŷ_ij = 2·w_i·(ŷ_ij − t_ij) / (k·Σ w) for k outputs. Targets: (N, k + 1), weights last.
    """

    task = None  # type: ignore[assignment]

    def __init__(self) -> None:
        self._cache: tuple[np.ndarray, np.ndarray, tuple[int, ...], np.dtype] | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        yhat, t, share = _split(self, pred, target)
        diff = yhat.reshape(len(t), -1) - t
        k = diff.shape[1]
        self._cache = (diff, share, np.shape(pred), np.asarray(pred).dtype)
        return float(np.dot(share, np.sum(diff * diff, axis=1)) / k)

    def backward(self) -> np.ndarray:
        diff, share, shape, dtype = self._cached(self._cache)
        grad = diff * (2.0 * share[:, None] / diff.shape[1])
        return grad.reshape(shape).astype(dtype, copy=False)


__all__ = ["TrainingLossPlateau", "ValidationScore", "WeightedCrossEntropy", "WeightedMSE", "pack_weights"]
