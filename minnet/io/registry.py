"""The layer registry: which classes a minnet file may name, and how a model is described and rebuilt.

A file names each layer by class name; :data:`LAYER_CLASSES` is the fixed table of minnet's built-in
layers those names are looked up in, so no name from a file is ever imported or evaluated.
:func:`architecture` describes a model as nested ``{"class": ..., "config": ...}``; :func:`build`
rebuilds it. :func:`check_declared_arrays` compares the shapes an architecture declares (a
``Dense(16384, 16384)`` declares a 16384 × 16384 weight) with the arrays a file really holds,
*before* :func:`build` allocates anything, so a small crafted file cannot make minnet allocate
gigabytes.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

from minnet.errors import ModelFileError
from minnet.io.container import short_repr
from minnet.nn.activations import ACTIVATIONS, PReLU
from minnet.nn.channel_dropout import Dropout2D
from minnet.nn.conv import Conv2D
from minnet.nn.dense import Dense
from minnet.nn.dropout import AlphaDropout, Dropout
from minnet.nn.layer import Layer
from minnet.nn.normalization import BatchNorm, LayerNorm
from minnet.nn.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from minnet.nn.reshape import Flatten
from minnet.nn.sequential import Sequential

#: The only classes a file can name: minnet's built-in layers, by class name.
LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (Sequential, Dense, Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten, Dropout, Dropout2D,
                AlphaDropout, BatchNorm, LayerNorm, *ACTIVATIONS.values())
}

#: Layers whose ``init`` names the initialiser that drew their weights: rebuilt with zeros (the weights are
#: overwritten right after), the saved name kept in ``.init``.
INITIALISED = (Dense, Conv2D)


def architecture(layer: Layer, where: str = "model") -> dict[str, Any]:
    """``{"class": name, "config": get_config()}`` of ``layer``, nested for Sequential.

    Raises TypeError for a layer that is not one of :data:`LAYER_CLASSES` (a custom
    layer cannot be rebuilt from a file without running code from somewhere).
    """
    cls = type(layer)
    name = cls.__name__
    if LAYER_CLASSES.get(name) is not cls:
        raise TypeError(
            f"save: cannot save {where}, a {cls.__module__}.{name}: only minnet's built-in layers can be rebuilt "
            f"from a file ({', '.join(LAYER_CLASSES)})"
        )
    if isinstance(layer, Sequential):
        config = {"layers": [architecture(child, f"{where}[{i}]") for i, child in enumerate(layer.layers)]}
    else:
        config = layer.get_config()
    return {"class": name, "config": config}


def build(spec: Any, where: str = "architecture") -> Layer:
    """Rebuild a layer (a model) from :func:`architecture`'s output; raises ModelFileError naming the bad part."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class"), str) or not isinstance(spec.get("config"), dict):
        raise ModelFileError(f"{where}: expected {{'class': name, 'config': {{...}}}}, got {short_repr(spec)}")
    name, config = spec["class"], spec["config"]
    cls = LAYER_CLASSES.get(name)
    if cls is None:
        raise ModelFileError(f"{where}: unknown layer class {name!r}; a minnet file can only name one of "
                             f"{', '.join(LAYER_CLASSES)}")
    if cls is Sequential:
        children = config.get("layers")
        if not isinstance(children, list) or set(config) != {"layers"}:
            raise ModelFileError(f"{where}: a Sequential config must be {{'layers': [...]}}, got {short_repr(config)}")
        return Sequential(*[build(child, f"{where}.layers[{i}]") for i, child in enumerate(children)])
    kwargs = dict(config)
    init = kwargs.get("init")
    if cls in INITIALISED and init is not None and not isinstance(init, str):
        raise ModelFileError(f"{where}.config.init: expected an initializer name, got {short_repr(init)}")
    if cls in INITIALISED:
        # The weights are overwritten right after: skip drawing random ones, and accept the name of a
        # custom initialiser (kept in .init so get_config() gives back the saved config).
        kwargs["init"] = "zeros"
    try:
        layer = cls(**kwargs)
    except Exception as exc:       # a bad config from a file: any failure means the file is unusable
        raise ModelFileError(f"{where}: cannot rebuild {name} from config {short_repr(config)}: {exc}") from exc
    if isinstance(layer, INITIALISED) and init is not None:
        layer.init = init
    return layer


# --- the arrays an architecture declares ---------------------------------------------------------
def _size(config: dict[str, Any], key: str, where: str) -> int:
    value = config.get(key)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ModelFileError(f"{where}: config {key!r} must be a positive integer, got {short_repr(value)}")
    return int(value)


def _flag(config: dict[str, Any], key: str, default: bool, where: str) -> bool:
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise ModelFileError(f"{where}: config {key!r} must be true or false, got {short_repr(value)}")
    return value


def _dense(c: dict[str, Any], w: str) -> dict[str, tuple[int, ...]]:
    n_in, n_out = _size(c, "in_features", w), _size(c, "out_features", w)
    shapes: dict[str, tuple[int, ...]] = {"param/weight": (n_in, n_out)}
    if _flag(c, "bias", True, w):
        shapes["param/bias"] = (n_out,)
    return shapes


def _pair(config: dict[str, Any], key: str, where: str) -> tuple[int, int]:
    value = config.get(key)
    pair = list(value) if isinstance(value, (list, tuple)) else [value, value]
    if len(pair) != 2:
        raise ModelFileError(f"{where}: config {key!r} must be a positive integer or a pair, got {short_repr(value)}")
    return _size({key: pair[0]}, key, where), _size({key: pair[1]}, key, where)


def _conv(c: dict[str, Any], w: str) -> dict[str, tuple[int, ...]]:
    n_in, n_out = _size(c, "in_channels", w), _size(c, "out_channels", w)
    shapes: dict[str, tuple[int, ...]] = {"param/weight": (n_out, n_in, *_pair(c, "kernel_size", w))}
    if _flag(c, "bias", True, w):
        shapes["param/bias"] = (n_out,)
    return shapes


def _batch_norm(c: dict[str, Any], w: str) -> dict[str, tuple[int, ...]]:
    n = _size(c, "num_features", w)
    shapes: dict[str, tuple[int, ...]] = {"buffer/running_mean": (n,), "buffer/running_var": (n,)}
    if _flag(c, "affine", True, w):
        shapes.update({"param/weight": (n,), "param/bias": (n,)})
    return shapes


def _layer_norm(c: dict[str, Any], w: str) -> dict[str, tuple[int, ...]]:
    n = _size(c, "num_features", w)
    return {"param/weight": (n,), "param/bias": (n,)}


def _prelu(c: dict[str, Any], w: str) -> dict[str, tuple[int, ...]]:
    return {"param/weight": (_size(c, "num_parameters", w) if "num_parameters" in c else 1,)}


#: For the layers that own arrays: the arrays (``param/<name>``, ``buffer/<name>``) and shapes a config declares.
DECLARED_ARRAYS: dict[type[Layer], Callable[[dict[str, Any], str], dict[str, tuple[int, ...]]]] = {
    Dense: _dense, Conv2D: _conv, BatchNorm: _batch_norm, LayerNorm: _layer_norm, PReLU: _prelu,
}

#: Layers that own no arrays. A class in neither table (a layer added to LAYER_CLASSES without an entry in
#: DECLARED_ARRAYS) is not checked before it is built; its arrays are still checked against it afterwards.
ARRAY_FREE: frozenset[type[Layer]] = frozenset(
    {Dropout, Dropout2D, AlphaDropout, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten,
     *(cls for cls in ACTIVATIONS.values() if cls is not PReLU)})

_UNDECLARED = "undeclared/"     # key prefix in declared_arrays' result: the arrays of this layer path are unknown


def declared_arrays(spec: Any, where: str = "architecture", path: str = "") -> dict[str, tuple[int, ...]]:
    """Every array (``"param/0.weight"``, ``"buffer/1.running_mean"``) ``spec`` declares, with its shape.

    Reads only the description (nothing is built); ModelFileError names the part of the spec that is
    malformed.
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("class"), str) or not isinstance(spec.get("config"), dict):
        raise ModelFileError(f"{where}: expected {{'class': name, 'config': {{...}}}}, got {short_repr(spec)}")
    cls = LAYER_CLASSES.get(spec["class"])
    if cls is None:
        raise ModelFileError(f"{where}: unknown layer class {spec['class']!r}; a minnet file can only name one of "
                             f"{', '.join(LAYER_CLASSES)}")
    config = spec["config"]
    if cls is Sequential:
        children = config.get("layers")
        if not isinstance(children, list):
            raise ModelFileError(f"{where}: a Sequential config must be {{'layers': [...]}}, got {short_repr(config)}")
        shapes: dict[str, tuple[int, ...]] = {}
        for i, child in enumerate(children):
            shapes.update(declared_arrays(child, f"{where}.layers[{i}]", f"{path}.{i}" if path else str(i)))
        return shapes
    own = DECLARED_ARRAYS.get(cls)
    if own is None:
        return {} if cls in ARRAY_FREE else {f"{_UNDECLARED}{path}": ()}
    prefix = f"{path}." if path else ""
    shapes = own(config, f"{where}: cannot rebuild {cls.__name__}")
    return {f"{kind}/{prefix}{name}": shape for key, shape in shapes.items() for kind, name in [key.split("/", 1)]}


def check_declared_arrays(spec: Any, stored: dict[str, tuple[int, ...]], where: str) -> None:
    """ModelFileError unless the parameters and buffers ``spec`` declares are exactly those stored, shape for
    shape (``stored``: entry name → shape, of the ``param/`` and ``buffer/`` entries of a file)."""
    declared = declared_arrays(spec)
    unknown = [k[len(_UNDECLARED):] for k in declared if k.startswith(_UNDECLARED)]

    def undeclared(name: str) -> bool:
        return any(name == path or name.startswith(f"{path}.") or not path for path in unknown)

    for prefix, kind in (("param/", "parameter"), ("buffer/", "buffer")):
        want = {k[len(prefix):]: v for k, v in declared.items() if k.startswith(prefix)}
        have = {k[len(prefix):]: tuple(v) for k, v in stored.items()
                if k.startswith(prefix) and not undeclared(k[len(prefix):])}
        missing, extra = sorted(set(want) - set(have)), sorted(set(have) - set(want))
        if missing:
            raise ModelFileError(f"{where}: the file has no values for the {kind}(s) {missing} of the architecture")
        if extra:
            raise ModelFileError(f"{where}: the file holds {kind}(s) {extra} that the architecture does not have")
        for name, shape in want.items():
            if have[name] != shape:
                raise ModelFileError(f"{where}: {kind} {name!r} has shape {have[name]} in the file, but the "
                                     f"architecture declares {shape}")


__all__ = ["DECLARED_ARRAYS", "LAYER_CLASSES", "architecture", "build", "check_declared_arrays", "declared_arrays"]
