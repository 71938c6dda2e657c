"""Walking a model for the diagnostics: its layers in forward order, batches, warnings, and leaving it untouched."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from minnet.nn.activations import Activation
from minnet.nn.layer import Layer
from minnet.nn.sequential import Sequential
from minnet.validation import check_features_array, check_positive_int

Record = dict[str, Any]
Position = int | str


# --- walking the model ----------------------------------------------------------------------
def _leaves(model: Any, where: str) -> list[tuple[Position, Layer]]:
    """(position, layer) for every layer of the model in forward order; nested Sequentials are expanded.

    Positions are indices in ``model.layers`` (ints); inside a nested Sequential they are
    dotted paths such as ``"2.1"``. A model that is not a Sequential is one layer at position 0.
    """
    if not isinstance(model, Layer):
        raise TypeError(
            f"{where}: expected a minnet model (a Sequential or another minnet Layer), got {type(model).__name__}"
        )
    if not isinstance(model, Sequential):
        return [(0, model)]

    def walk(seq: Sequential, prefix: str) -> Iterator[tuple[Position, Layer]]:
        for i, layer in enumerate(seq.layers):
            pos: Position = i if not prefix else f"{prefix}{i}"
            if isinstance(layer, Sequential):
                yield from walk(layer, f"{pos}.")
            else:
                yield pos, layer

    leaves = list(walk(model, ""))
    if not leaves:
        raise ValueError(f"{where}: the model {model!r} has no layers")
    return leaves


def _batches(X: np.ndarray, batch_size: int, *others: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
    """Consecutive row slices (views, no copies) of X and of each array in ``others``."""
    for start in range(0, len(X), batch_size):
        stop = start + batch_size
        yield (X[start:stop], *(a[start:stop] for a in others))


def _forward(leaves: list[tuple[Position, Layer]], x: np.ndarray,
             visit: Callable[[Position, Layer, np.ndarray, np.ndarray], None] | None = None) -> np.ndarray:
    """Run one batch through the layers with training=False, calling ``visit(pos, layer, x_in, y_out)``."""
    for pos, layer in leaves:
        y = layer.forward(x, training=False)
        if visit is not None:
            visit(pos, layer, x, y)
        x = y
    return x


def _layer_name(layer: Layer) -> str:
    return type(layer).__name__


class UnmeasuredLayerWarning(UserWarning):
    """A diagnostic met a layer it cannot measure (for example a home-made activation that
    subclasses ``mn.Layer`` instead of ``mn.Activation``); the message names the layer and its position."""


def _is_unrecognised(layer: Layer) -> bool:
    """True for a layer that is neither an Activation nor (a subclass of) one of minnet's own layers.

    Such a layer may well be an activation function written as a plain ``mn.Layer``: the
    diagnostics cannot tell, because they know an activation's derivative only through the
    Activation interface (``derivative_is_zero``, ``derivative``).
    """
    if isinstance(layer, (Activation, Sequential)):
        return False
    own = (cls for cls in type(layer).__mro__ if cls not in (Layer, object))
    return not any(cls.__module__.split(".")[0] == "minnet" for cls in own)


def _warn_unrecognised(leaves: list[tuple[Position, Layer]], where: str, consequence: str) -> None:
    """One UnmeasuredLayerWarning per unrecognised layer, naming it and its position."""
    for pos, layer in leaves:
        if _is_unrecognised(layer):
            warnings.warn(
                f"{where}: layer {pos} ({_layer_name(layer)}) is a Layer but not an mn.Activation, so {consequence}. "
                "If it is an activation function, subclass mn.Activation and give it its formula "
                "(reference, or derivative_is_zero) to have it measured.",
                UnmeasuredLayerWarning, stacklevel=3)


def _units(a: np.ndarray) -> int:
    """Number of units: size of axis 1 (features or channels); a 1-D array is one unit."""
    return int(a.shape[1]) if a.ndim >= 2 else 1


def _any_per_unit(mask: np.ndarray) -> np.ndarray:
    """mask (N, C, ...) → (C,): True where the unit is True for at least one sample/position."""
    if mask.ndim == 1:
        return np.array([mask.any()])
    return np.asarray(mask.any(axis=(0,) + tuple(range(2, mask.ndim))))


@contextmanager
def _untouched(model: Any, leaves: list[tuple[Position, Layer]], grads: bool = False) -> Iterator[None]:
    """Restore every layer's ``rng`` state and (with ``grads``) every parameter's ``.grad`` on exit.

    The ``.grad`` arrays are restored in place and re-attached, so references held by an
    optimizer stay valid.
    """
    generators: dict[int, tuple[np.random.Generator, Mapping[str, Any]]] = {}
    for _, layer in leaves:
        rng = getattr(layer, "rng", None)
        if isinstance(rng, np.random.Generator):
            generators[id(rng)] = (rng, rng.bit_generator.state)      # .state returns a fresh dict
    saved = [(p, p.grad, p.grad.copy()) for p in model.parameters()] if grads else []
    try:
        yield
    finally:
        for rng, state in generators.values():
            rng.bit_generator.state = state
        for p, array, values in saved:
            p.grad = array
            array[...] = values


def _check_inputs(model: Any, X: Any, batch_size: Any, where: str) -> tuple[list[tuple[Position, Layer]],
                                                                            np.ndarray, int]:
    leaves = _leaves(model, where)
    X = check_features_array(X, where)   # one pass, no N·D temporary
    batch_size = check_positive_int(batch_size, "batch_size", where)
    return leaves, X, batch_size
