"""The layer contract every building block of minnet follows.

``forward(x, training=False) -> y`` keeps on ``self`` only what ``backward`` needs.
``backward(dy) -> dx`` returns dL/dx and *adds* dL/dθ into each ``Parameter.grad``.
``backward`` never modifies ``dy``. Training mode is an argument, not a hidden flag.

Reference paths. A built-in layer whose fast path hides its formula also has, right under its docstring,
``reference(x, training=False) -> (y, backward)``: the formula in plain NumPy, where ``backward(dy) -> dx``
follows this same contract (adds into ``Parameter.grad``, never modifies ``dy``). Activations have
``reference(x) -> (y, dy/dx)``. In textbook mode (:mod:`minnet.textbook`) ``forward`` runs ``reference``
and keeps its ``backward`` for the ``backward`` call that follows.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from minnet.nn.parameter import Parameter


class Layer:
    """Base class of every layer (and of :class:`minnet.Sequential`).

    Subclasses implement ``forward`` and ``backward``; layers with parameters list
    them in ``_parameters`` (weight before bias) and layers with constructor
    arguments return them from ``get_config`` so the model can be saved and rebuilt.
    """

    def __init__(self) -> None:
        self._parameters: list[Parameter] = []

    # --- the contract -------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, dy: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def backward_to_parameters(self, dy: np.ndarray) -> None:
        """Add dL/dθ into every parameter's ``grad`` like ``backward``, when dL/dx is not needed.

        The training loop uses this on the whole model: nothing consumes the gradient with
        respect to the data, so the first layer may skip computing it. Layers that can save
        work override it (Dense skips dx = dz @ Wᵀ); by default it is ``backward``.
        """
        self.backward(dy)

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.forward(x, training=training)

    # --- parameters -----------------------------------------------------------------
    def parameters(self) -> list[Parameter]:
        """The layer's parameters, weight before bias."""
        return list(self._parameters)

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for p in self.parameters():
            yield p.name, p

    def buffers(self) -> dict[str, np.ndarray]:
        """Non-learnable state that must be saved with the model (e.g. BatchNorm's running mean)."""
        return {}

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def astype(self, dtype: np.dtype | type) -> Layer:
        """Convert every parameter (and the layer's ``dtype``) in place; returns self."""
        for p in self.parameters():
            p.astype(dtype)
        if hasattr(self, "dtype"):
            self.dtype = np.dtype(dtype)
        return self

    def __getstate__(self) -> dict[str, Any]:
        """Copies and pickles leave out a textbook-mode backward closure (it refers to the original
        layer, and pickle cannot store it); run forward again before backward."""
        state = self.__dict__.copy()
        if state.get("_reference_backward") is not None:
            state["_reference_backward"] = None
        return state

    # --- description ----------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this layer (JSON-serialisable)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def check_features(layer: Layer, x: np.ndarray, expected: int, axis: int = -1) -> None:
    """Raise a ValueError naming ``layer`` when ``x.shape[axis]`` is not ``expected``."""
    if x.ndim < 2:
        raise ValueError(
            f"{layer!r}: expected a batch of shape (N, {expected}), got an array of shape {x.shape}"
        )
    if x.shape[axis] != expected:
        raise ValueError(
            f"{layer!r}: expected {expected} input features, got {x.shape[axis]} (input shape {x.shape})"
        )


def backward_to_parameters(model: Layer, dy: np.ndarray) -> None:
    """``model.backward_to_parameters(dy)`` for minnet layers, ``model.backward(dy)`` for any other model."""
    method = getattr(model, "backward_to_parameters", None)
    if method is None:
        model.backward(dy)
    else:
        method(dy)
