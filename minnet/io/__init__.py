"""Saving and loading without pickle: the file container, model (de)serialisation, and safe files.

- :mod:`minnet.io.files`      atomic writes onto regular files only; opening files to read without hanging
- :mod:`minnet.io.container`  the file format: an .npz archive with a JSON header and a SHA-256 checksum
- :mod:`minnet.io.registry`   the layers a file may name; describing and rebuilding a model
- :mod:`minnet.io.generators` random-generator states in files
- :mod:`minnet.io.packing`    nested state (optimizer, schedule, callbacks) as JSON plus arrays
- :mod:`minnet.io.model`      ``mn.save`` and ``mn.load``

Why it is safe and robust: no pickle anywhere (every ``.npy`` header is checked — numeric dtypes
only, sizes bounded by the file — before its data is read); the architecture is rebuilt from a fixed
table of minnet's own layers, after the shapes it declares were compared with the stored arrays; the
checksum is verified before anything is built; writing is atomic and refuses devices, FIFOs and
folders; dtypes are kept exactly.
"""

from __future__ import annotations

from minnet.errors import ModelFileError
from minnet.io.container import FORMAT_VERSION, checksum, json_default, read_file, write_file
from minnet.io.files import atomic_write, open_for_reading, write_bytes_atomic, write_text_atomic
from minnet.io.generators import BIT_GENERATORS, layer_generators, make_generator, set_generator
from minnet.io.model import load, model_payload, restore_model, save
from minnet.io.packing import pack, unpack
from minnet.io.registry import LAYER_CLASSES, architecture, build

__all__ = [
    "BIT_GENERATORS", "FORMAT_VERSION", "LAYER_CLASSES", "ModelFileError", "architecture", "atomic_write", "build",
    "checksum", "json_default", "layer_generators", "load", "make_generator", "model_payload", "open_for_reading",
    "pack", "read_file", "restore_model", "save", "set_generator", "unpack", "write_bytes_atomic", "write_file",
    "write_text_atomic",
]
