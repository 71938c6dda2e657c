"""Nested state (optimizer, schedule, callback and generator states) as JSON plus arrays.

:func:`pack` turns dicts, lists, numbers, strings, None and numpy arrays into a JSON-able value in
which every array is replaced by ``{"__array__": name}`` and stored under that name; :func:`unpack`
undoes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minnet.errors import ModelFileError


def pack(value: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON-able copy of ``value`` (dicts, lists, numbers, strings, None, numpy arrays):
    each array is moved into ``arrays`` under a name starting with ``prefix`` and replaced by
    ``{"__array__": name}``; numpy scalars become Python numbers, tuples become lists."""
    if isinstance(value, np.ndarray):
        if prefix in arrays:
            raise ValueError(f"pack: two arrays would be stored under the name {prefix!r}")
        arrays[prefix] = value
        return {"__array__": prefix}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"cannot store {prefix}: dictionary keys must be strings, got {list(value)}")
        return {k: pack(v, f"{prefix}/{k}", arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [pack(v, f"{prefix}/{i}", arrays) for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store {prefix}: a {type(value).__name__}; only dicts, lists, numbers, strings, "
                    "None and numpy arrays can be saved")


def unpack(value: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """Undo :func:`pack` (arrays are taken from ``arrays``; a missing one raises ModelFileError)."""
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            name = value["__array__"]
            if not isinstance(name, str) or name not in arrays:
                raise ModelFileError(f"{where}: the header refers to an array {name!r} that the file does not hold")
            return arrays[name]
        return {k: unpack(v, arrays, where) for k, v in value.items()}
    if isinstance(value, list):
        return [unpack(v, arrays, where) for v in value]
    return value


__all__ = ["pack", "unpack"]
