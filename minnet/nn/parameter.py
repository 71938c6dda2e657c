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

    Adding into ``grad``. A layer adds its contribution with :meth:`add_to_grad` (or the product and
    sum forms :meth:`add_product_to_grad`, :meth:`add_sum_to_grad`). Right after ``zero_grad``,
    ``grad`` is known to hold zeros, and the first contribution is *written* into it (``out=``)
    instead of being computed into a temporary array and added: 0 + c = c, so the values are the
    same, up to the sign of an exact zero (−0 stays −0 where 0 + (−0) would give +0; an optimizer
    step gives the same parameter values either way, at most a zero's sign may differ). Reading
    ``p.grad`` forgets that knowledge, because the caller may write into the array it gets, so
    whatever code outside the layers adds into ``grad`` is kept.
    """

    def __init__(self, data: np.ndarray, name: str = "", *, weight_decay: bool = True,
                 trainable: bool = True) -> None:
        data = np.asarray(data)
        if not np.issubdtype(data.dtype, np.floating):
            raise TypeError(f"Parameter {name!r}: expected a floating-point array, got dtype {data.dtype}")
        self.data = data
        self._grad = np.zeros_like(data)
        self._grad_is_zero = True       # grad holds zeros that nobody outside can have changed
        self.name = name
        self.weight_decay = weight_decay
        self.trainable = trainable

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def grad(self) -> np.ndarray:
        """dL/d(data), the array layers add into (see "Adding into grad" above)."""
        self._grad_is_zero = False      # the caller may write into it
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        self._grad = value
        self._grad_is_zero = False

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 in place (optimizers may hold a reference to it)."""
        self._grad[...] = 0
        self._grad_is_zero = True

    def __setstate__(self, state: dict[str, object]) -> None:
        """Unpickling; a Parameter pickled before ``grad`` became a property stored it as ``grad``."""
        state = dict(state)
        if "grad" in state:
            state["_grad"] = state.pop("grad")
        state.setdefault("_grad_is_zero", False)
        self.__dict__.update(state)

    def mark_grad_zero(self) -> None:
        """Record that ``grad`` was just filled with zeros by its owner (an optimizer's one fill of its flat buffer)."""
        self._grad_is_zero = True

    def add_to_grad(self, contribution: np.ndarray) -> None:
        """grad += contribution (written in place when grad is known to be 0)."""
        if self._grad_is_zero:
            np.copyto(self._grad, contribution, casting="same_kind")
            self._grad_is_zero = False
        else:
            self._grad += contribution

    def add_product_to_grad(self, a: np.ndarray, b: np.ndarray) -> None:
        """grad += a @ b, the product written straight into grad when it is known to be 0 (no temporary)."""
        if self._grad_is_zero:
            np.matmul(a, b, out=self._grad)
            self._grad_is_zero = False
        else:
            self._grad += a @ b

    def add_sum_to_grad(self, a: np.ndarray, axis: int | tuple[int, ...]) -> None:
        """grad += Σ a over ``axis``, the sum written straight into grad when it is known to be 0."""
        if self._grad_is_zero:
            np.add.reduce(a, axis=axis, out=self._grad)
            self._grad_is_zero = False
        else:
            self._grad += np.add.reduce(a, axis=axis)

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
            if p.data is not d or p._grad is not g or d.base is not data or g.base is not grad:
                return False
        return True
