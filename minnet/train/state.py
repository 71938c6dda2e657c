"""Copy and restore a model's state: its parameters and its buffers (e.g. BatchNorm running statistics)."""

from __future__ import annotations

from typing import Any

import numpy as np


def model_state(model: Any) -> dict[str, np.ndarray]:
    """A copy of every parameter (by name) and buffer (under ``"buffer:<name>"``)."""
    state = {name: p.data.copy() for name, p in model.named_parameters()}
    state.update({f"buffer:{name}": b.copy() for name, b in model.buffers().items()})
    return state


def restore_model_state(model: Any, state: dict[str, np.ndarray]) -> None:
    """Write ``state`` (from :func:`model_state`) back into the model's arrays, in place."""
    for name, p in model.named_parameters():
        p.data[...] = state[name]
    for name, b in model.buffers().items():
        b[...] = state[f"buffer:{name}"]


def model_dtype(model: Any, default: np.dtype | type = np.float32) -> np.dtype:
    """The dtype of the model's first parameter (its ``dtype`` attribute, or ``default``)."""
    params = model.parameters()
    if params:
        return params[0].data.dtype
    return np.dtype(getattr(model, "dtype", default))


def first_non_finite(model: Any) -> str | None:
    """The name of the first parameter or buffer holding NaN or ±inf, or None if all are finite."""
    for name, p in model.named_parameters():
        if not np.all(np.isfinite(p.data)):
            return name
    for name, b in model.buffers().items():
        if np.issubdtype(b.dtype, np.floating) and not np.all(np.isfinite(b)):
            return f"buffer:{name}"
    return None
