"""Saving and loading models: ``mn.save`` and ``mn.load``.

A model file is the container of :mod:`minnet.io.container` with ``kind = "model"`` and the header
fields ``architecture`` (:func:`minnet.io.registry.architecture`) and ``generators`` (the
``bit_generator.state`` of every layer that draws, keyed by layer path), holding

``param/<name>``   each parameter under its ``named_parameters()`` name ("0.weight")
``buffer/<name>``  each buffer (BatchNorm's running statistics), ``buffers()`` names

Loading checks everything before it allocates or changes anything: the container (checksum,
manifest), then the shapes the architecture declares against the stored arrays
(:func:`minnet.io.registry.check_declared_arrays`), then the generator states; only then is the
model built and filled in.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from minnet.errors import ModelFileError
from minnet.io.container import read_file, write_file
from minnet.io.generators import layer_generators, make_generator, set_generator, walk
from minnet.io.packing import pack, unpack
from minnet.io.registry import architecture, build, check_declared_arrays
from minnet.nn.layer import Layer


def model_payload(model: Layer) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header fields and arrays that describe ``model``: architecture, layer generators, parameters, buffers."""
    arrays: dict[str, np.ndarray] = {f"param/{name}": p.data for name, p in model.named_parameters()}
    arrays.update({f"buffer/{name}": b for name, b in model.buffers().items()})
    generators = {path: pack(g.bit_generator.state, f"rng/{path or 'model'}", arrays)
                  for path, g in layer_generators(model).items()}
    return {"architecture": architecture(model), "generators": generators}, arrays


def _check_fits(kind: str, expected: dict[str, np.ndarray], stored: dict[str, np.ndarray], where: str) -> None:
    missing = sorted(set(expected) - set(stored))
    if missing:
        raise ModelFileError(f"{where}: the file has no values for the {kind}(s) {missing} of the architecture")
    extra = sorted(set(stored) - set(expected))
    if extra:
        raise ModelFileError(f"{where}: the file holds {kind}(s) {extra} that the architecture does not have")
    for name, have in expected.items():
        got = stored[name]
        if got.shape != have.shape:
            raise ModelFileError(f"{where}: {kind} {name!r} has shape {got.shape} in the file, but the model "
                                 f"expects {have.shape}")
        if got.dtype != have.dtype:
            raise ModelFileError(f"{where}: {kind} {name!r} has dtype {got.dtype} in the file, but the model "
                                 f"expects {have.dtype}")


def restore_model(model: Layer, header: dict[str, Any], arrays: dict[str, np.ndarray],
                  where: str) -> Callable[[], None]:
    """Check that the file's parameters, buffers and generator states fit ``model``; return the function that
    writes them in (in place). Nothing is changed until that function is called."""
    params = {name: p.data for name, p in model.named_parameters()}
    buffers = model.buffers()
    stored_params = {k[len("param/"):]: a for k, a in arrays.items() if k.startswith("param/")}
    stored_buffers = {k[len("buffer/"):]: a for k, a in arrays.items() if k.startswith("buffer/")}
    _check_fits("parameter", params, stored_params, where)
    _check_fits("buffer", buffers, stored_buffers, where)

    own = layer_generators(model)
    fresh = generator_states(header, arrays, where)
    if set(fresh) != set(own):
        raise ModelFileError(f"{where}: the file has random-generator states for layers {sorted(fresh)}, "
                             f"but the model's layers with an rng are {sorted(own)}")
    layers = dict(walk(model))

    def apply() -> None:
        for name, p in model.named_parameters():
            p.data[...] = stored_params[name]
        for name, b in buffers.items():
            b[...] = stored_buffers[name]
        for path, g in fresh.items():
            layers[path].rng = set_generator(own[path], g)  # type: ignore[attr-defined]

    return apply


def stored_shapes(arrays: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
    """Shapes of the ``param/`` and ``buffer/`` entries of a file's arrays."""
    return {name: a.shape for name, a in arrays.items() if name.startswith(("param/", "buffer/"))}


def generator_states(header: dict[str, Any], arrays: dict[str, np.ndarray], where: str
                     ) -> dict[str, np.random.Generator]:
    """The layer generators a file stores, each checked by numpy (ModelFileError naming the layer otherwise)."""
    saved = header.get("generators", {})
    if not isinstance(saved, dict):
        raise ModelFileError(f"{where}: generators: expected a mapping from layer path to generator state, got "
                             f"{type(saved).__name__}")
    return {path: make_generator(unpack(state, arrays, where), f"{where}: generators[{path!r}]")
            for path, state in saved.items()}


def save(model: Layer, path: str | os.PathLike) -> None:
    """Save ``model`` (architecture, parameters, buffers, layer generator states) to ``path``.

    One file, an uncompressed .npz archive (see this module's docstring); ``path`` is used
    as given (no suffix is added; ``.npz`` or ``.minnet`` are good choices). Written through
    a temporary file and an atomic rename, so an existing file at ``path`` is replaced only
    by a complete new one. Only minnet's built-in layers (:data:`minnet.io.registry.LAYER_CLASSES`) can be saved;
    another layer raises TypeError before anything is written.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"save: expected a minnet model (a Layer or Sequential), got {type(model).__name__}")
    header, arrays = model_payload(model)
    write_file(path, {"kind": "model", **header}, arrays, "save")


def load(path: str | os.PathLike) -> Layer:
    """Load a model written by :func:`save` (or the model inside a checkpoint).

    Returns a new model with the same architecture, parameters, buffers, dtypes and
    dropout generator states. Raises :class:`~minnet.errors.ModelFileError` (a ValueError)
    when the file is not a minnet file, is truncated or corrupt (checksum), was written by
    a newer format version or its arrays do not fit its architecture (naming the
    parameter and both shapes); ``OSError`` when it cannot be opened.
    """
    where = os.fspath(path)
    header, arrays = read_file(path)
    try:
        check_declared_arrays(header["architecture"], stored_shapes(arrays), "architecture")
        generator_states(header, arrays, where)          # checked before anything is built
        model = build(header["architecture"])
    except ModelFileError as exc:
        raise ModelFileError(f"{where}: {exc}") from exc
    except RecursionError as exc:
        raise ModelFileError(f"{where}: corrupt file: the architecture is nested too deeply") from exc
    restore_model(model, header, arrays, where)()
    return model


__all__ = ["generator_states", "load", "model_payload", "restore_model", "save", "stored_shapes"]
