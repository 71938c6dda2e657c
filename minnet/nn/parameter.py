"""Parameter: a learnable array together with the gradient that backward adds into it."""

from __future__ import annotations

from typing import Sequence

import numpy as np


class Parameter:
    """A learnable tensor.

    Attributes
    ----------
    data : np.ndarray
        The current value.
    grad : np.ndarray
        dL/d(data), same shape and dtype as ``data``. Layers *add* into it during
        ``backward``; optimizers read it; ``zero_grad`` resets it to 0.
    name : str
        A readable name such as ``"weight"`` or ``"bias"`` (models prefix it with the
        layer position, e.g. ``"0.weight"``).
    weight_decay : bool
        False for parameters that must never be decayed. The PReLU paper
        (He et al., 2015, §2.2) applies no weight decay to the learned slopes.
    trainable : bool
        False freezes the parameter: optimizers skip it. Freezing is independent
        of evaluation mode (``training=False``).

    An optimizer, when built, makes ``data`` and ``grad`` views into its flat buffers
    (:class:`FlatParameters`): write into them in place, or assign a new array — the optimizer
    then copies its values into a fresh buffer before its next step, and ``data`` is a view again.
    """

    def __init__(self, data: np.ndarray, name: str = "", *, weight_decay: bool = True,
                 trainable: bool = True) -> None:
        data = np.asarray(data)
        if not np.issubdtype(data.dtype, np.floating):
            raise TypeError(f"Parameter {name!r}: expected a floating-point array, got dtype {data.dtype}")
        self.data = data
        self.grad = np.zeros_like(data)
        self.name = name
        self.weight_decay = weight_decay
        self.trainable = trainable

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 in place (optimizers may hold a reference to it)."""
        self.grad[...] = 0

    def astype(self, dtype: np.dtype | type) -> Parameter:
        """Convert ``data`` and ``grad`` to ``dtype`` in place of the old arrays; returns self."""
        self.data = self.data.astype(dtype)
        self.grad = self.grad.astype(dtype)
        return self

    def __repr__(self) -> str:
        extra = "" if self.weight_decay else ", weight_decay=False"
        extra += "" if self.trainable else ", trainable=False"
        return f"Parameter({self.name!r}, shape={self.data.shape}, dtype={self.data.dtype}{extra})"


def pack(arrays: Sequence[np.ndarray], dtype: np.dtype) -> tuple[np.ndarray, list[np.ndarray]]:
    """One contiguous 1-D buffer holding copies of ``arrays`` one after another, and a view of it shaped like each."""
    buffer = np.empty(sum(a.size for a in arrays), dtype=dtype)
    views, start = [], 0
    for a in arrays:
        view = buffer[start:start + a.size].reshape(a.shape)
        view[...] = a
        views.append(view)
        start += a.size
    return buffer, views


class FlatParameters:
    """Parameters of one dtype whose ``data`` and ``grad`` are views into one contiguous buffer each.

    Built from a list of parameters, it copies their current values into ``data`` and ``grad`` (1-D, in
    the order given) and re-binds every ``Parameter.data`` / ``Parameter.grad`` to its view: the
    parameters keep their values, shapes and dtype, and layers keep adding into ``grad`` in place, but
    one NumPy call over ``data`` now touches every parameter (the optimizers build one per dtype).

    Assigning ``p.data = new_array`` (or ``p.grad``) later detaches that parameter: ``bound()`` turns
    False, and the owner (the optimizer) builds the buffers again from the parameters' current arrays
    before its next step, so the new values are what it updates (the new array itself is not written to;
    ``p.data`` is a view of the new buffer again afterwards).
    """

    def __init__(self, params: Sequence[Parameter]) -> None:
        self.params = list(params)
        self.dtype = self.params[0].data.dtype
        self.data, data_views = pack([p.data for p in self.params], self.dtype)
        self.grad, grad_views = pack([p.grad for p in self.params], self.dtype)
        for p, d, g in zip(self.params, data_views, grad_views, strict=True):
            p.data, p.grad = d, g
        self.views = list(zip(data_views, grad_views, strict=True))

    def bound(self) -> bool:
        """True while every parameter's ``data`` and ``grad`` are still the views of these buffers.

        Both tests are needed: an assignment replaces the array object, and a copy (``copy.deepcopy``,
        pickle) keeps the objects' identities but copies each view into memory of its own (``.base``).
        """
        data, grad = self.data, self.grad
        for p, (d, g) in zip(self.params, self.views, strict=True):
            if p.data is not d or p.grad is not g or d.base is not data or g.base is not grad:
                return False
        return True
