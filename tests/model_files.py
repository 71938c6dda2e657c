"""Reading a saved minnet file back into its JSON header and arrays, for tests that build edited variants."""

import json

import numpy as np


def read_back(path):
    """(header without the fields save() recomputes, {name: array}) of the minnet file at ``path``."""
    with np.load(path, allow_pickle=False) as npz:
        header = json.loads(npz["minnet.json"].tobytes())
        arrays = {k: npz[k] for k in npz.files if not k.startswith("minnet.")}
    for key in ("format", "version", "minnet_version", "arrays"):
        header.pop(key)
    return header, arrays
