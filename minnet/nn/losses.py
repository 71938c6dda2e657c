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

Reference and fast path. Each loss's ``reference(pred, target) -> (loss, dpred)``, right under its
docstring, is the formula in plain NumPy (for already-checked arrays: labels as integers, target of
pred's shape). ``forward`` checks the input, then runs a fast kernel that reuses its buffers — or,
in textbook mode (:mod:`minnet.textbook`), ``reference``, whose gradient ``backward`` then returns.
The two give bit-identical gradients for BCEWithLogitsLoss, MSELoss and CrossEntropyLoss without label
smoothing (the same operations in the same order); with label smoothing the target distribution is
rounded differently (within a few ulps). MSELoss's loss *value* sums in another order (``np.dot``
against ``np.mean``), within a few ulps; its gradient is identical.

The stable ``softmax``, ``log_softmax`` and ``sigmoid`` live in :mod:`minnet.nn.functional` (still
importable from here).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minnet.nn.functional import log_softmax, sigmoid, sigmoid_from, softmax
from minnet.textbook import is_textbook
from minnet.validation import all_finite, check_real, normalize_name


# --- shared validation --------------------------------------------------------------------
def _as_float_array(loss: Loss, pred: Any) -> np.ndarray:
    pred = np.asarray(pred)
    if pred.dtype.kind != "f":
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

    Subclasses write ``reference(pred, target) -> (loss, dpred)`` (the formula, plain NumPy) and
    ``_fast(pred, target) -> float`` (the in-place kernel, which caches for ``_fast_backward()``);
    ``forward`` checks the input and then runs one or the other (see :mod:`minnet.textbook`).
    """

    task: str = ""
    _reference_grad: np.ndarray | None = None       # dpred from the last textbook-mode forward

    def __init__(self) -> None:
        self._reference_grad = None

    def reference(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__}.reference is not implemented")

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred, target = self._checked(pred, target)
        if is_textbook():
            loss, self._reference_grad = self.reference(pred, target)
            return loss
        self._reference_grad = None
        return self._fast(pred, target)

    def backward(self) -> np.ndarray:
        if self._reference_grad is not None:
            return self._reference_grad.copy()
        return self._fast_backward()

    def _checked(self, pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def _fast(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.reference(pred, target)[0]

    def _fast_backward(self) -> np.ndarray:
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

    def reference(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        """The formulas above, line by line: (L, dL/dz) for logits z (N, C) and labels y (N,)."""
        z, y, eps = pred, target, self.label_smoothing
        n, c = z.shape
        q = (1 - eps) * np.eye(c, dtype=z.dtype)[y] + eps / c     # target distribution q_i
        log_p = log_softmax(z, axis=1)                               # log p_i = z_i − logsumexp(z_i)
        loss = -(q * log_p).sum(axis=1).mean()                       # (1/N) Σ_i −Σ_c q_ic log p_ic
        dz = (softmax(z, axis=1) - q) / n                            # (p − q) / N
        return float(loss), dz

    def __init__(self, label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.label_smoothing = check_real(label_smoothing, "label_smoothing", "CrossEntropyLoss", low=0, high=1)
        self._probs: np.ndarray | None = None
        self._where: np.ndarray | None = None                # i·C + y_i of the last batch, for backward
        self._offsets: np.ndarray | None = None              # 0, C, 2C, …: kept between batches

    def _checked(self, pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
        z = _as_float_array(self, pred)
        if z.ndim != 2:
            raise ValueError(f"{self!r}: expected logits of shape (N, C), got an array of shape {z.shape}")
        n, c = z.shape
        y = np.asarray(target)
        if y.dtype.kind not in "iu":                               # signed or unsigned integers
            raise ValueError(
                f"{self!r}: expected integer class labels, got dtype {y.dtype}"
                + (" (convert with y.astype(np.int64))" if np.issubdtype(y.dtype, np.floating) else "")
            )
        if y.shape != (n,):
            raise ValueError(f"{self!r}: expected labels of shape ({n},) to match logits {z.shape}, got {y.shape}")
        lo, hi = int(np.minimum.reduce(y)), int(np.maximum.reduce(y))
        if lo < 0 or hi >= c:
            raise ValueError(f"{self!r}: expected labels in [0, {c}) for {c} classes, got values in [{lo}, {hi}]")
        _check_finite(self, "pred (logits)", z)
        return z, y

    def _fast(self, z: np.ndarray, y: np.ndarray) -> float:
        n, c = z.shape
        offsets = self._row_offsets(n, c)                     # i·C: where row i starts in z flattened
        row_max = z.take(z.argmax(axis=1) + offsets)          # max_c z_ic (a reduce along short rows is slower)
        shifted = z - row_max[:, None]                        # every entry ≤ 0, the max is 0
        where = offsets + (y if y.dtype.kind == "i" else y.astype(np.intp))  # i·C + y_i (int + uint64 is float)
        # Σ_c q_ic·z_ic of the shifted logits: z_{i,y_i}, mixed with the row mean if smoothing.
        target_logit = shifted.take(where)
        if self.label_smoothing:
            eps = self.label_smoothing
            target_logit = (1 - eps) * target_logit + eps * shifted.mean(axis=1)
        probs = np.exp(shifted, out=shifted)                 # reuse the buffer: exp(z − m)
        sum_exp = np.add.reduce(probs, axis=1, keepdims=True)       # ≥ 1, so its log is safe
        loss = np.log(sum_exp[:, 0])
        loss -= target_logit
        probs /= sum_exp
        self._probs, self._where = probs, where
        return float(np.add.reduce(loss) / n)                # the mean, as np.mean computes it

    def _row_offsets(self, n: int, c: int) -> np.ndarray:
        """0, C, 2C, …, (n−1)·C: where each row starts in an (n, C) array flattened (kept between calls)."""
        offsets = getattr(self, "_offsets", None)             # None too for a loss pickled by an older minnet
        if offsets is None or len(offsets) != n or (n > 1 and offsets[1] != c):
            offsets = self._offsets = np.arange(0, n * c, c)
        return offsets

    def _fast_backward(self) -> np.ndarray:
        probs, where = self._cached(self._probs), self._where
        n, c = probs.shape
        dz = probs.copy()                                    # fresh: the caller owns dL/dz
        eps = self.label_smoothing
        flat = dz.reshape(-1)                                # a view: dz is contiguous
        flat[where] -= 1 - eps                               # p_{i,y_i} − (1 − ε)
        if eps:
            dz -= eps / c
        dz /= n
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

    def reference(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        """The formulas above: (L, dL/dpred), for a target of pred's shape."""
        diff = pred - target
        loss = np.mean(diff**2)                 # (1/n) Σ (pred − target)²
        dpred = 2 * diff / diff.size            # 2·(pred − target)/n
        return float(loss), dpred

    def __init__(self) -> None:
        super().__init__()
        self._diff: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()

    def _checked(self, pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
        pred = _as_float_array(self, pred)
        target = _match_target(self, pred, target)
        _check_finite(self, "pred", pred)
        _check_finite(self, "target", target)
        return pred, target

    def _fast(self, pred: np.ndarray, target: np.ndarray) -> float:
        diff = np.subtract(pred, target).reshape(-1)
        self._diff, self._shape = diff, pred.shape
        return float(np.dot(diff, diff)) / diff.size

    def _fast_backward(self) -> np.ndarray:
        diff = self._cached(self._diff)
        dpred = diff * 2
        dpred /= diff.size
        return dpred.reshape(self._shape)


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

    def reference(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        """The stable formulas above: (L, dL/dz), for a target of pred's shape."""
        z, t = pred, target
        loss = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
        dz = (sigmoid(z) - t) / z.size          # (σ(z) − t)/n, σ computed without overflow
        return float(loss), dz

    def __init__(self) -> None:
        super().__init__()
        self._sig: np.ndarray | None = None
        self._target: np.ndarray | None = None

    def _checked(self, pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
        z = _as_float_array(self, pred)
        if z.ndim > 2:
            raise ValueError(f"{self!r}: expected logits of shape (N,) or (N, K), got an array of shape {z.shape}")
        t = _match_target(self, z, target)
        _check_finite(self, "pred (logits)", z)
        _check_finite(self, "target", t)
        if t.min() < 0 or t.max() > 1:
            raise ValueError(f"{self!r}: expected targets in [0, 1], got values in [{t.min()}, {t.max()}]")
        return z, t

    def _fast(self, z: np.ndarray, t: np.ndarray) -> float:
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)                                     # e = exp(−|z|) ∈ (0, 1]
        loss = np.maximum(z, 0)
        loss -= z * t
        loss += np.log1p(e)
        sig = sigmoid_from(z, e)                             # σ(z) = 1/(1+e) for z ≥ 0, e/(1+e) for z < 0
        self._sig, self._target = sig, t
        return float(loss.mean())

    def _fast_backward(self) -> np.ndarray:
        sig = self._cached(self._sig)
        dz = sig - self._target
        dz /= dz.size
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
    key = normalize_name(name) if isinstance(name, str) else name
    if key not in LOSSES:
        raise ValueError(f"get_loss: unknown loss {name!r}; valid names are {sorted(LOSSES)}")
    return LOSSES[key](**kwargs)
