"""Random generators in files: which bit generators a file may restore, and how their states are set.

Layers that draw (Dropout, AlphaDropout) keep a ``numpy.random.Generator`` in ``layer.rng``; a file
stores its ``bit_generator.state``. A state is restored only into one of :data:`BIT_GENERATORS`
(numpy's own, by class name), after numpy has accepted it.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from minnet.errors import ModelFileError
from minnet.io.container import short_repr
from minnet.nn.layer import Layer
from minnet.nn.sequential import Sequential

#: Bit generators whose state a file may restore (numpy.random's, by class name).
BIT_GENERATORS: dict[str, type[np.random.BitGenerator]] = {
    cls.__name__: cls
    for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64, np.random.MT19937)
}


def walk(layer: Layer, path: str = "") -> Iterator[tuple[str, Layer]]:
    """(path, layer) for the layer and, for Sequential, every layer inside ("0", "2.1", ...)."""
    yield path, layer
    if isinstance(layer, Sequential):
        for i, child in enumerate(layer.layers):
            yield from walk(child, f"{path}.{i}" if path else str(i))


def layer_generators(model: Layer) -> dict[str, np.random.Generator]:
    """Every layer's ``rng`` (dropout masks), keyed by layer path ("" for the model itself, "2" for layers[2])."""
    found = {path: getattr(layer, "rng", None) for path, layer in walk(model)}
    return {path: rng for path, rng in found.items() if isinstance(rng, np.random.Generator)}


def make_generator(state: Any, where: str) -> np.random.Generator:
    """A new Generator in ``state`` (a ``bit_generator.state`` dict); ModelFileError if the state is not valid."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in BIT_GENERATORS:
        raise ModelFileError(f"{where}: expected a random-generator state of one of {sorted(BIT_GENERATORS)}, "
                             f"got {short_repr(state)}")
    g = np.random.Generator(BIT_GENERATORS[name](0))
    try:
        g.bit_generator.state = state
    except Exception as exc:
        raise ModelFileError(f"{where}: invalid {name} state: {exc}") from exc
    return g


def set_generator(target: np.random.Generator | None, source: np.random.Generator) -> np.random.Generator:
    """Put ``source``'s state into ``target`` in place when both use the same bit generator (so generators
    shared between layers stay shared); otherwise return ``source`` itself."""
    if target is not None and type(target.bit_generator) is type(source.bit_generator):
        target.bit_generator.state = source.bit_generator.state
        return target
    return source


__all__ = ["BIT_GENERATORS", "layer_generators", "make_generator", "set_generator", "walk"]
