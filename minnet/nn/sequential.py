"""Sequential: layers applied one after another; backward is the chain rule written once."""

from __future__ import annotations

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
