"""Loss functions: a scalar ``forward(pred, target)`` and its gradient ``backward()``.

Every loss is the MEAN over the batch (over every element for MSE), and
``backward()`` returns dL/dpred of that mean, with the shape and dtype of ``pred``
(a float32 model gets a float32 gradient: no float64 temporaries are made).

All three work on raw model outputs ("logits") and fold the output nonlinearity
(softmax, sigmoid) into the loss. That is both cheaper and numerically stable:
log(softmax(z)) computed as z − logsumexp(z) never takes the log of an underflowed 0.

| class | task | pred | target | loss (mean) |
|---|---|---|---|---|
| CrossEntropyLoss | "multiclass" | logits (N, C) | int labels (N,) in [0, C) | logsumexp(z_i) − z_{i,y_i} |
| BCEWithLogitsLoss | "binary" | logits (N,) or (N, K) | t ∈ [0, 1], like pred | max(z,0) − z·t + log1p(exp(−abs(z))) |
| MSELoss | "regression" | (N, ...) | shape of pred | (pred − target)² |

For pred (N, 1), MSELoss and BCEWithLogitsLoss also accept a target of shape (N,).

Bad input (wrong shape, labels out of range, NaN or inf in pred) raises a ValueError
that names the loss and says what was expected: a diverged training run stops at
the first non-finite output instead of silently producing NaN weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minnet.validation import all_finite


# --- stable building blocks ---------------------------------------------------------------
def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z) = z − logsumexp(z), computed as (z − max z) − log Σ exp(z − max z).

    Subtracting the maximum makes every exponent ≤ 0, so nothing overflows and the
    largest term is exactly exp(0) = 1, so the log never sees 0. Same dtype as z.
    """
    z = np.asarray(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z)_c = exp(z_c − max z) / Σ_k exp(z_k − max z); rows sum to 1. Same dtype as z."""
    z = np.asarray(z)
    e = z - z.max(axis=axis, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^−z), evaluated without overflow for any z.

    With e = exp(−abs(z)) ∈ (0, 1]: σ(z) = 1/(1 + e) for z ≥ 0 and e/(1 + e) for z < 0.
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return _sigmoid_from(z, e)


def _sigmoid_from(z: np.ndarray, e: np.ndarray) -> np.ndarray:
    """σ(z) from e = exp(−|z|): (1·[z ≥ 0] + e·[z < 0]) / (1 + e).

    The choice between 1 and e is arithmetic on the 0/1 mask (exact: each product is by
    0 or 1), not ``np.where``: a data-dependent branch per element is mispredicted on
    random signs and costs 10–100× more than the arithmetic.
    """
    negative = z < 0
    numerator = e * negative
    numerator += ~negative
    numerator /= 1 + e
    return numerator


# --- shared validation --------------------------------------------------------------------
def _as_float_array(loss: Loss, pred: Any) -> np.ndarray:
    pred = np.asarray(pred)
    if not np.issubdtype(pred.dtype, np.floating):
        if not np.issubdtype(pred.dtype, np.number) or np.issubdtype(pred.dtype, np.complexfloating):
            raise ValueError(f"{loss!r}: expected real floating-point predictions, got dtype {pred.dtype}")
        pred = pred.astype(np.float64)
    if pred.ndim == 0 or pred.shape[0] == 0:
        raise ValueError(f"{loss!r}: expected a non-empty batch of predictions, got shape {pred.shape}")
    return pred


def _check_finite(loss: Loss, name: str, a: np.ndarray) -> None:
    """Raise if ``a`` holds NaN or ±inf (one pass in the common, finite case: see ``all_finite``)."""
    if all_finite(a):
        return
    bad = ~np.isfinite(a)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{loss!r}: expected finite values in {name}, got {a[first]} at index {first} "
            f"({int(bad.sum())} non-finite of {a.size}; did training diverge? try a smaller learning rate)"
        )


def _match_target(loss: Loss, pred: np.ndarray, target: Any) -> np.ndarray:
    """Target as a float array with pred's dtype and shape; (N,) is accepted for pred (N, 1).

    Any other shape mismatch is an error: broadcasting (N,) against (N, 1) would
    silently produce an (N, N) loss.
    """
    target = np.asarray(target)
    if not (np.issubdtype(target.dtype, np.number) or target.dtype == bool) or np.issubdtype(
            target.dtype, np.complexfloating):
        raise ValueError(f"{loss!r}: expected a real-valued target, got dtype {target.dtype}")
    if target.shape != pred.shape:
        if pred.ndim == 2 and pred.shape[1] == 1 and target.shape == (pred.shape[0],):
            target = target.reshape(-1, 1)
        else:
            raise ValueError(
                f"{loss!r}: expected target of shape {pred.shape}"
                + (f" or ({pred.shape[0]},)" if pred.ndim == 2 and pred.shape[1] == 1 else "")
                + f" to match pred, got {target.shape}"
            )
    return target.astype(pred.dtype, copy=False)


# --- losses -------------------------------------------------------------------------------
class Loss:
    """Base class. ``forward(pred, target) -> float`` caches what ``backward() -> dpred`` needs.

    ``task`` ("multiclass" | "binary" | "regression") tells training code how to turn
    outputs into predictions and whether accuracy makes sense.
    """

    task: str = ""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.forward(pred, target)

    def _cached(self, value: Any) -> Any:
        if value is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        return value

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (JSON-serialisable)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits with integer class labels, mean over the batch.

    For logits z (N, C) and labels y (N,) with y_i ∈ {0, …, C−1}:

        p_i = softmax(z_i),   L = (1/N) Σ_i −Σ_c q_ic · log p_ic
                               = (1/N) Σ_i [logsumexp(z_i) − Σ_c q_ic z_ic]

    with target distribution q_i = one_hot(y_i) (then L = mean_i [logsumexp(z_i) − z_{i,y_i}]),
    or with label smoothing ε: q_i = (1 − ε)·one_hot(y_i) + ε/C (PyTorch's
    ``label_smoothing``; Szegedy et al., "Rethinking the Inception Architecture",
    arXiv:1512.00567, §7).

    Gradient:  dL/dz = (softmax(z) − q) / N.

    Stability: logsumexp(z) = m + log Σ_c exp(z_c − m) with m = max_c z_c, so logits of
    any magnitude (±1e4 in float32) give finite, exact values.

    Parameters
    ----------
    label_smoothing : float in [0, 1], default 0.0 (PyTorch's default).

    Shapes: pred (N, C) float; target (N,) integer; backward() → (N, C), dtype of pred.
    """

    task = "multiclass"

    def __init__(self, label_smoothing: float = 0.0) -> None:
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)
        self._probs: np.ndarray | None = None
        self._labels: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        z = _as_float_array(self, pred)
        if z.ndim != 2:
            raise ValueError(f"{self!r}: expected logits of shape (N, C), got an array of shape {z.shape}")
        n, c = z.shape
        y = np.asarray(target)
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(
                f"{self!r}: expected integer class labels, got dtype {y.dtype}"
                + (" (convert with y.astype(np.int64))" if np.issubdtype(y.dtype, np.floating) else "")
            )
        if y.shape != (n,):
            raise ValueError(f"{self!r}: expected labels of shape ({n},) to match logits {z.shape}, got {y.shape}")
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= c:
            raise ValueError(f"{self!r}: expected labels in [0, {c}) for {c} classes, got values in [{lo}, {hi}]")
        _check_finite(self, "pred (logits)", z)

        rows = np.arange(n)
        shifted = z - z.max(axis=1, keepdims=True)          # every entry ≤ 0, the max is 0
        # Σ_c q_ic·z_ic of the shifted logits: z_{i,y_i}, mixed with the row mean if smoothing.
        target_logit = shifted[rows, y]
        if self.label_smoothing:
            eps = self.label_smoothing
            target_logit = (1 - eps) * target_logit + eps * shifted.mean(axis=1)
        probs = np.exp(shifted, out=shifted)                 # reuse the buffer: exp(z − m)
        sum_exp = probs.sum(axis=1, keepdims=True)           # ≥ 1, so its log is safe
        loss = np.log(sum_exp[:, 0]) - target_logit
        probs /= sum_exp
        self._probs, self._labels = probs, y
        return float(loss.mean())

    def backward(self) -> np.ndarray:
        probs, y = self._cached(self._probs), self._labels
        n, c = probs.shape
        dz = probs.copy()
        eps = self.label_smoothing
        dz[np.arange(n), y] -= 1 - eps
        if eps:
            dz -= eps / c
        dz *= 1 / n
        return dz

    def get_config(self) -> dict[str, Any]:
        return {"label_smoothing": self.label_smoothing}


class MSELoss(Loss):
    """Mean squared error over all n elements.

        L = (1/n) Σ_j (pred_j − target_j)²,     dL/dpred = 2·(pred − target)/n.

    Shapes: pred (N, ...) float; target the same shape, or (N,) when pred is (N, 1)
    (a regression net with one output). backward() → shape and dtype of pred.
    """

    task = "regression"

    def __init__(self) -> None:
        self._diff: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred = _as_float_array(self, pred)
        target = _match_target(self, pred, target)
        _check_finite(self, "pred", pred)
        _check_finite(self, "target", target)
        diff = np.subtract(pred, target).reshape(-1)
        self._diff, self._shape = diff, pred.shape
        return float(np.dot(diff, diff)) / diff.size

    def backward(self) -> np.ndarray:
        diff = self._cached(self._diff)
        return (diff * (2 / diff.size)).reshape(self._shape)


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits (sigmoid folded in), mean over all n elements.

    With σ(z) = 1/(1 + e^−z) and targets t ∈ [0, 1]:

        L = (1/n) Σ −[t·log σ(z) + (1 − t)·log(1 − σ(z))]
          = (1/n) Σ [max(z, 0) − z·t + log1p(exp(−|z|))]      (stable form, PyTorch's)

    Gradient:  dL/dz = (σ(z) − t) / n.

    The stable form never exponentiates a positive number, so logits of any size are
    fine. Soft targets in [0, 1] are allowed (as in PyTorch).

    Shapes: pred (N,) or (N, K) float; target the same shape, or (N,) when pred is
    (N, 1). backward() → shape and dtype of pred.
    """

    task = "binary"

    def __init__(self) -> None:
        self._sig: np.ndarray | None = None
        self._target: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        z = _as_float_array(self, pred)
        if z.ndim > 2:
            raise ValueError(f"{self!r}: expected logits of shape (N,) or (N, K), got an array of shape {z.shape}")
        t = _match_target(self, z, target)
        _check_finite(self, "pred (logits)", z)
        _check_finite(self, "target", t)
        if t.min() < 0 or t.max() > 1:
            raise ValueError(f"{self!r}: expected targets in [0, 1], got values in [{t.min()}, {t.max()}]")
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)                                     # e = exp(−|z|) ∈ (0, 1]
        loss = np.maximum(z, 0)
        loss -= z * t
        loss += np.log1p(e)
        sig = _sigmoid_from(z, e)                            # σ(z) = 1/(1+e) for z ≥ 0, e/(1+e) for z < 0
        self._sig, self._target = sig, t
        return float(loss.mean())

    def backward(self) -> np.ndarray:
        sig = self._cached(self._sig)
        dz = sig - self._target
        dz *= 1 / dz.size
        return dz


LOSSES: dict[str, type[Loss]] = {
    "cross_entropy": CrossEntropyLoss,
    "mse": MSELoss,
    "bce_with_logits": BCEWithLogitsLoss,
}


def get_loss(name: str | Loss, **kwargs: Any) -> Loss:
    """A loss by name ("cross_entropy", "mse", "bce_with_logits"); a Loss instance is returned as is."""
    if isinstance(name, Loss):
        return name
    key = name.lower() if isinstance(name, str) else name
    if key not in LOSSES:
        raise ValueError(f"get_loss: unknown loss {name!r}; valid names are {sorted(LOSSES)}")
    return LOSSES[key](**kwargs)
