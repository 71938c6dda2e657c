"""Sequential: layers applied one after another; backward is the chain rule written once.

One layer object, one position. A layer keeps on itself what its ``backward`` needs from its last
``forward`` (the input, the cached derivative), so an object used at two positions would have its first
cache overwritten by the second forward and give a silently wrong gradient for everything before the
first position. ``Sequential`` therefore refuses, when it is built, a layer object that appears twice —
directly, inside nested Sequentials, or a Dense reused to share its weights — with a ValueError naming the
layer and both positions. Create one instance per position (``mn.ReLU()`` costs nothing).
"""

from __future__ import annotations

import inspect
from typing import Any, Iterator

import numpy as np

from minnet.nn.layer import Layer
from minnet.nn.parameter import Parameter


class Sequential(Layer):
    """y = f_L(... f_2(f_1(x))).

    ``backward`` walks the layers in reverse: dL/dx_{i-1} = layer_i.backward(dL/dx_i).
    Parameters are listed in layer order, weight before bias, and named
    ``"<position>.<name>"`` (e.g. ``"0.weight"``, ``"2.bias"``).
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if isinstance(layer, type) and issubclass(layer, Layer):
                raise TypeError(
                    f"Sequential: argument {i} is the class {layer.__name__}, expected an instance "
                    f"(write {layer.__name__}() instead of {layer.__name__})"
                )
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"Sequential: argument {i} is a {type(layer).__name__}, expected a minnet Layer "
                    "(did you pass the class instead of an instance, e.g. mn.ReLU instead of mn.ReLU()?)"
                )
            _check_forward_signature(i, layer)
        _check_each_layer_used_once(layers)
        self.layers: list[Layer] = list(layers)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def backward_to_parameters(self, dy: np.ndarray) -> None:
        """The chain rule without dL/dx of the first layer (nothing uses it during training)."""
        if not self.layers:
            return
        for layer in reversed(self.layers[1:]):
            dy = layer.backward(dy)
        self.layers[0].backward_to_parameters(dy)

    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for i, layer in enumerate(self.layers):
            for name, p in layer.named_parameters():
                yield f"{i}.{name}", p

    def buffers(self) -> dict[str, np.ndarray]:
        return {f"{i}.{name}": b for i, layer in enumerate(self.layers) for name, b in layer.buffers().items()}

    def astype(self, dtype: np.dtype | type) -> Sequential:
        for layer in self.layers:
            layer.astype(dtype)
        return self

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def get_config(self) -> dict[str, Any]:
        return {"layers": [{"class": type(l).__name__, "config": l.get_config()} for l in self.layers]}

    def __repr__(self) -> str:
        if not self.layers:
            return "Sequential()"
        lines = [f"  ({i}) " + repr(layer).replace("\n", "\n  ") for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"


def _check_forward_signature(position: int, layer: Layer) -> None:
    """TypeError unless ``layer.forward`` accepts the ``training`` keyword that Sequential passes."""
    try:
        parameters = inspect.signature(layer.forward).parameters.values()
    except (TypeError, ValueError):                # a builtin without a signature: nothing to check
        return
    if any(p.name == "training" or p.kind is p.VAR_KEYWORD for p in parameters):
        return
    raise TypeError(
        f"Sequential: argument {position}, {type(layer).__name__}, has a forward without a training argument; "
        "expected forward(self, x, training=False) (Sequential passes training=True while fitting and "
        "training=False to predict)"
    )


def _positions(layers: tuple[Layer, ...] | list[Layer], prefix: str = "") -> Iterator[tuple[str, Layer]]:
    """(position, layer) for every layer, nested Sequentials included (positions "2", "3.1", ...)."""
    for i, layer in enumerate(layers):
        yield f"{prefix}{i}", layer
        if isinstance(layer, Sequential):
            yield from _positions(layer.layers, f"{prefix}{i}.")


def _check_each_layer_used_once(layers: tuple[Layer, ...]) -> None:
    """ValueError naming the layer and both positions when one layer object appears twice (module docstring)."""
    seen: dict[int, str] = {}
    for position, layer in _positions(layers):
        first = seen.setdefault(id(layer), position)
        if first != position:
            kind = type(layer).__name__
            name = kind if isinstance(layer, Sequential) else repr(layer)
            raise ValueError(
                f"Sequential: the layer {name} is used at positions {first} and {position} (one object twice); a "
                "layer keeps what its backward needs from its last forward, so the second forward would overwrite "
                f"what the first stored and give wrong gradients. Create one instance per position ({kind}(...) "
                "at each)" + ("; two Dense layers cannot share a weight this way" if kind == "Dense" else "")
            )
