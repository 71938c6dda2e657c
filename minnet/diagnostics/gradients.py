"""Gradient flow: the norm of dL/d(input) and dL/d(parameters) of every layer (:func:`gradient_stats`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minnet.diagnostics.walk import (
    Record,
    _batches,
    _check_inputs,
    _forward,
    _layer_name,
    _untouched,
)
from minnet.validation import check_same_length


# --- gradient flow --------------------------------------------------------------------------
def gradient_stats(model: Any, loss_fn: Any, X: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> list[Record]:
    """Norms of the gradients of the mean loss over (X, y), layer by layer.

    One forward pass (``training=False``) and one backward pass of L = (1/N) Σᵢ loss(xᵢ, yᵢ)
    (the loss functions are batch means, so each batch of n_b rows enters with weight n_b/N):

    - ``input_grad_norm`` = ‖∂L/∂x‖₂, x the layer's input over all N samples (Frobenius norm
      of the (N, ...) array; for the first layer, the gradient w.r.t. the data). Its decay or
      growth from the last layer to the first is the gradient flow through depth.
      Batches combine exactly: ‖∂L/∂x‖² = Σ_b (n_b/N)²·‖∂L_b/∂x_b‖².
    - ``param_grad_norm`` = ‖∂L/∂θ‖₂ over all of the layer's parameters together
      (weight and bias), accumulated over batches in float64; None for layers without parameters.

    The parameters' ``.grad`` arrays are used as scratch space and then restored (same
    arrays, same values), so calling this in the middle of training changes nothing.

    Parameters
    ----------
    model : Sequential (or a single layer)
    loss_fn : a minnet loss, e.g. ``CrossEntropyLoss()`` (``forward(pred, y) -> float``,
        ``backward() -> dpred``, the gradient of the batch mean).
    X : array (N, ...); y : targets with N rows.
    batch_size : int, default 1024 — rows per forward/backward pass.

    Returns
    -------
    list of dict, one per layer in forward order, with keys ``layer`` (position), ``name``,
    ``input_grad_norm`` (float) and ``param_grad_norm`` (float or None).
    """
    leaves, X, batch_size = _check_inputs(model, X, batch_size, "gradient_stats")
    y = check_same_length(X, y, "gradient_stats")
    if not (callable(getattr(loss_fn, "forward", None)) and callable(getattr(loss_fn, "backward", None))):
        raise TypeError(
            f"gradient_stats: loss_fn must be a minnet loss with forward(pred, y) and backward(), "
            f"got {type(loss_fn).__name__}"
        )
    n_total = len(X)
    input_sq = {pos: 0.0 for pos, _ in leaves}
    param_grads = {pos: [np.zeros(p.data.shape, dtype=np.float64) for p in layer.parameters()]
                   for pos, layer in leaves}

    with _untouched(model, leaves, grads=True):
        for xb, yb in _batches(X, batch_size, y):
            weight = len(xb) / n_total
            for _, layer in leaves:
                layer.zero_grad()
            pred = _forward(leaves, xb)
            loss_fn.forward(pred, yb)
            dy = loss_fn.backward()
            for pos, layer in reversed(leaves):
                dy = layer.backward(dy)
                d = np.asarray(dy, dtype=np.float64).ravel()
                input_sq[pos] += weight * weight * float(np.dot(d, d))
                for acc, p in zip(param_grads[pos], layer.parameters(), strict=True):
                    acc += np.asarray(p.grad, dtype=np.float64) * weight

    records = []
    for pos, layer in leaves:
        grads = param_grads[pos]
        param_norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads)) if grads else None
        records.append({"layer": pos, "name": _layer_name(layer),
                        "input_grad_norm": math.sqrt(input_sq[pos]), "param_grad_norm": param_norm})
    return records
