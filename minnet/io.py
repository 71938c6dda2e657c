"""Save and load models in one file that can never run code: JSON for the architecture, .npz for the arrays.

``mn.save(model, path)`` writes, and ``mn.load(path)`` reads back, a NumPy ``.npz``
archive (a zip of ``.npy`` files written by ``np.savez``, uncompressed) holding

=================  =======  ==============================================================
entry              dtype    content
=================  =======  ==============================================================
``minnet.json``    uint8    UTF-8 JSON header: ``format`` ("minnet"), ``version``
                            (:data:`FORMAT_VERSION`), ``kind`` ("model" or "checkpoint"),
                            ``architecture`` ({"class": ..., "config": ...}, what
                            ``get_config()`` gives, nested for Sequential), ``generators``
                            (the state of every layer's random generator, e.g. Dropout
                            masks) and ``arrays``, a manifest {entry: {dtype, shape}}
``minnet.sha256``  uint8    64 hex digits: SHA-256 over the JSON bytes and every array
                            (name, dtype, shape and bytes, in sorted name order)
``param/<name>``   float    each parameter under its ``named_parameters()`` name ("0.weight")
``buffer/<name>``  float    each buffer (BatchNorm's running statistics), ``buffers()`` names
=================  =======  ==============================================================

Checkpoints (:mod:`minnet.train.checkpoint`) use the same container with more entries.

Why it is safe and robust:

- No pickle anywhere. Arrays are read with ``np.load(..., allow_pickle=False)`` after
  their ``.npy`` headers have been checked against the manifest (numeric dtypes only,
  the declared shapes, sizes bounded by the file's real size), so an object array is
  refused before a byte of it is read. The architecture is rebuilt by looking each
  class name up in :data:`LAYER_CLASSES`, a fixed table of minnet's own layers; no name
  from the file is ever imported or evaluated.
- The checksum is verified before anything is built, so a truncated or corrupted file
  raises :class:`~minnet.errors.ModelFileError` instead of loading wrong numbers.
- Writing goes to a temporary file in the same directory, which is flushed to disk and
  then renamed over the target with ``os.replace`` (atomic): a crash mid-write leaves the
  old file, never half a new one.
- dtypes are kept exactly: a float64 model loads as float64.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
import zipfile
from typing import Any, BinaryIO, Callable, Iterator

import numpy as np

from minnet._version import __version__
from minnet.errors import ModelFileError
from minnet.nn.activations import ACTIVATIONS
from minnet.nn.dense import Dense
from minnet.nn.dropout import AlphaDropout, Dropout
from minnet.nn.layer import Layer
from minnet.nn.normalization import BatchNorm, LayerNorm
from minnet.nn.sequential import Sequential

FORMAT = "minnet"
#: Version of the file layout. Files with a higher version were written by a newer minnet and are refused.
FORMAT_VERSION = 1
HEADER_ENTRY = "minnet.json"
CHECKSUM_ENTRY = "minnet.sha256"
_MAX_HEADER_BYTES = 64 * 2**20

#: The only classes a file can name: minnet's built-in layers, by class name.
LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (Sequential, Dense, Dropout, AlphaDropout, BatchNorm, LayerNorm, *ACTIVATIONS.values())
}

#: Bit generators whose state a file may restore (numpy.random's, by class name).
BIT_GENERATORS: dict[str, type[np.random.BitGenerator]] = {
    cls.__name__: cls
    for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64, np.random.MT19937)
}

_ALLOWED_KINDS = "fiub"     # float, signed and unsigned int, bool: numpy kinds that can never hold code


# --- architecture ----------------------------------------------------------------------------
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
        raise ModelFileError(f"{where}: expected {{'class': name, 'config': {{...}}}}, got {_short(spec)}")
    name, config = spec["class"], spec["config"]
    cls = LAYER_CLASSES.get(name)
    if cls is None:
        raise ModelFileError(f"{where}: unknown layer class {name!r}; a minnet file can only name one of "
                             f"{', '.join(LAYER_CLASSES)}")
    if cls is Sequential:
        children = config.get("layers")
        if not isinstance(children, list) or set(config) != {"layers"}:
            raise ModelFileError(f"{where}: a Sequential config must be {{'layers': [...]}}, got {_short(config)}")
        return Sequential(*[build(child, f"{where}.layers[{i}]") for i, child in enumerate(children)])
    kwargs = dict(config)
    init = kwargs.get("init")
    if cls is Dense:
        # The weights are overwritten right after: skip drawing random ones, and accept the name of a
        # custom initialiser (kept in .init so get_config() gives back the saved config).
        kwargs["init"] = "zeros"
    try:
        layer = cls(**kwargs)
    except Exception as exc:       # a bad config from a file: any failure means the file is unusable
        raise ModelFileError(f"{where}: cannot rebuild {name} from config {_short(config)}: {exc}") from exc
    if cls is Dense and init is not None:
        layer.init = init
    return layer


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


# --- the arrays of a model -------------------------------------------------------------------
def _walk(layer: Layer, path: str = "") -> Iterator[tuple[str, Layer]]:
    """(path, layer) for the layer and, for Sequential, every layer inside ("0", "2.1", ...)."""
    yield path, layer
    if isinstance(layer, Sequential):
        for i, child in enumerate(layer.layers):
            yield from _walk(child, f"{path}.{i}" if path else str(i))


def layer_generators(model: Layer) -> dict[str, np.random.Generator]:
    """Every layer's ``rng`` (dropout masks), keyed by layer path ("" for the model itself, "2" for layers[2])."""
    return {path: layer.rng for path, layer in _walk(model) if isinstance(getattr(layer, "rng", None),
                                                                          np.random.Generator)}


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
    saved = header.get("generators", {})
    if not isinstance(saved, dict) or set(saved) != set(own):
        raise ModelFileError(f"{where}: the file has random-generator states for layers {sorted(saved)}, "
                             f"but the model's layers with an rng are {sorted(own)}")
    fresh = {path: make_generator(unpack(state, arrays, where), where) for path, state in saved.items()}
    layers = dict(_walk(model))

    def apply() -> None:
        for name, p in model.named_parameters():
            p.data[...] = stored_params[name]
        for name, b in buffers.items():
            b[...] = stored_buffers[name]
        for path, g in fresh.items():
            layers[path].rng = set_generator(own[path], g)

    return apply


# --- random generators -------------------------------------------------------------------------
def make_generator(state: Any, where: str) -> np.random.Generator:
    """A new Generator in ``state`` (a ``bit_generator.state`` dict); ModelFileError if the state is not valid."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in BIT_GENERATORS:
        raise ModelFileError(f"{where}: expected a random-generator state of one of {sorted(BIT_GENERATORS)}, "
                             f"got {_short(state)}")
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


# --- nested state (optimizer, schedule, generator states) to JSON + arrays ------------------
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


# --- the container ------------------------------------------------------------------------------
def json_default(value: Any) -> Any:
    """``json.dumps`` hook: numpy scalars and arrays as Python numbers and lists, dtypes by name."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.dtype):
        return value.name
    raise TypeError(f"cannot write a {type(value).__name__} into a minnet file header: {_short(value)}")


def checksum(header_bytes: bytes, arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 (hex) over the header bytes and, in sorted name order, each array's name, dtype, shape and bytes."""
    h = hashlib.sha256(header_bytes)
    for name in sorted(arrays):
        a = arrays[name]
        h.update(f"\0{name}\0{a.dtype.str}\0{','.join(map(str, a.shape))}\0".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def write_file(path: str | os.PathLike, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``header`` (plus format, version and the array manifest) and ``arrays`` atomically to ``path``."""

    arrays = {name: np.asarray(a) for name, a in arrays.items()}
    for name, a in arrays.items():
        if a.dtype.kind not in _ALLOWED_KINDS:
            raise TypeError(f"cannot save array {name!r} of dtype {a.dtype}: only numeric arrays are saved")
    full = {"format": FORMAT, "version": FORMAT_VERSION, "minnet_version": __version__,
            **header,
            "arrays": {name: {"dtype": a.dtype.str, "shape": list(a.shape)} for name, a in sorted(arrays.items())}}
    header_bytes = json.dumps(full, default=json_default, allow_nan=True).encode("utf-8")
    digest = checksum(header_bytes, arrays)
    entries = {HEADER_ENTRY: np.frombuffer(header_bytes, dtype=np.uint8),
               CHECKSUM_ENTRY: np.frombuffer(digest.encode("ascii"), dtype=np.uint8), **arrays}
    atomic_write(path, lambda f: np.savez(f, **entries))


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(f)`` on a temporary file next to ``path``, flush it to disk, then rename it to ``path``.

    ``os.replace`` is atomic, so ``path`` always holds either the old complete file or the new
    complete file. On any error the temporary file is removed and the error re-raised.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)               # mkstemp makes the file private (0600); use the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):     # make the rename itself durable (POSIX only)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def read_file(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and verify a minnet file: returns ``(header, arrays)`` once the checksum matches.

    Raises ModelFileError for anything wrong with the contents, OSError when the file
    cannot be opened.
    """
    where = os.fspath(path)
    with open(path, "rb") as f:                     # FileNotFoundError etc. pass through unchanged
        start = f.read(4)
        if not start:
            raise ModelFileError(f"{where}: the file is empty; expected a minnet model or checkpoint file")
        if start not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise ModelFileError(f"{where}: not a minnet file: expected a NumPy .npz (zip) archive, but the file "
                                 f"starts with {start!r}")
        f.seek(0)
        size = os.fstat(f.fileno()).st_size
        try:
            return _read_archive(f, size, where)
        except ModelFileError:
            raise
        except Exception as exc:    # any failure while parsing untrusted bytes means the file is damaged
            raise ModelFileError(f"{where}: truncated or corrupt minnet file ({type(exc).__name__}: {exc})") from exc


def _npy_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from an .npy entry's header, without reading its data."""
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ModelFileError(f"entry {info.filename!r} has .npy format version {version}; expected 1.0 or 2.0")
    return tuple(shape), dtype


def _read_archive(f: BinaryIO, size: int, where: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    with np.load(f, allow_pickle=False) as npz:
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{where}: not a minnet file: expected an .npz archive")
        zf = npz.zip
        infos = zf.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise ModelFileError(f"{where}: corrupt file: the archive lists an entry twice")
        entries: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise ModelFileError(f"{where}: not a minnet file: unexpected entry {info.filename!r}")
            if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size \
                    or info.file_size > size:
                raise ModelFileError(f"{where}: corrupt file: entry {info.filename!r} is compressed or larger "
                                     "than the file; minnet writes uncompressed entries")
            shape, dtype = _npy_header(zf, info)
            name = info.filename[:-len(".npy")]
            if dtype.hasobject or dtype.kind not in _ALLOWED_KINDS:
                raise ModelFileError(f"{where}: entry {name!r} has dtype {dtype}; minnet files hold only numeric "
                                     "arrays (object arrays could hold pickled code and are never read)")
            if math.prod(shape) * dtype.itemsize > info.file_size:
                raise ModelFileError(f"{where}: corrupt file: entry {name!r} claims shape {shape}, more data than "
                                     "it holds")
            entries[name] = (shape, dtype)
        for meta in (HEADER_ENTRY, CHECKSUM_ENTRY):
            if meta not in entries:
                raise ModelFileError(f"{where}: not a minnet file: the archive has no {meta!r} entry "
                                     f"(its entries are {sorted(entries)[:10]})")
            shape, dtype = entries[meta]
            if dtype != np.uint8 or len(shape) != 1 or shape[0] > _MAX_HEADER_BYTES:
                raise ModelFileError(f"{where}: not a minnet file: {meta!r} has dtype {dtype} and shape {shape}")
        header_bytes = npz[HEADER_ENTRY].tobytes()
        stored_digest = npz[CHECKSUM_ENTRY].tobytes().decode("ascii", errors="replace")
        try:
            header = json.loads(header_bytes.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{where}: corrupt file: the header is not valid JSON ({exc})") from exc
        _check_header(header, where)
        manifest = header["arrays"]
        expected = set(entries) - {HEADER_ENTRY, CHECKSUM_ENTRY}
        if set(manifest) != expected:
            raise ModelFileError(f"{where}: corrupt file: the header lists arrays {sorted(manifest)[:10]} but the "
                                 f"archive holds {sorted(expected)[:10]}")
        for name, (shape, dtype) in entries.items():
            if name in manifest:
                declared = manifest[name]
                if not isinstance(declared, dict) or declared.get("dtype") != dtype.str \
                        or declared.get("shape") != list(shape):
                    raise ModelFileError(f"{where}: corrupt file: array {name!r} is {dtype.str} {shape} but the "
                                         f"header says {_short(declared)}")
        arrays = {name: npz[name] for name in manifest}
    digest = checksum(header_bytes, arrays)
    if digest != stored_digest:
        raise ModelFileError(f"{where}: checksum mismatch: the file is corrupt or was modified "
                             f"(stored SHA-256 {stored_digest[:16]}…, computed {digest[:16]}…)")
    return header, arrays


def _check_header(header: Any, where: str) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{where}: not a minnet file: its header does not say format {FORMAT!r}")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{where}: corrupt file: invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{where}: written by a newer minnet (file format version {version}); this minnet "
                             f"reads versions up to {FORMAT_VERSION}. Upgrade minnet to load it.")
    if header.get("kind") not in ("model", "checkpoint"):
        raise ModelFileError(f"{where}: corrupt file: unknown kind {header.get('kind')!r}; expected 'model' "
                             "or 'checkpoint'")
    if not isinstance(header.get("arrays"), dict) or "architecture" not in header:
        raise ModelFileError(f"{where}: corrupt file: the header has no architecture or array manifest")


# --- the public functions ----------------------------------------------------------------------
def save(model: Layer, path: str | os.PathLike) -> None:
    """Save ``model`` (architecture, parameters, buffers, layer generator states) to ``path``.

    One file, an uncompressed .npz archive (see this module's docstring); ``path`` is used
    as given (no suffix is added; ``.npz`` or ``.minnet`` are good choices). Written through
    a temporary file and an atomic rename, so an existing file at ``path`` is replaced only
    by a complete new one. Only minnet's built-in layers (:data:`LAYER_CLASSES`) can be saved;
    another layer raises TypeError before anything is written.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"save: expected a minnet model (a Layer or Sequential), got {type(model).__name__}")
    header, arrays = model_payload(model)
    write_file(path, {"kind": "model", **header}, arrays)


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
        model = build(header["architecture"])
    except ModelFileError as exc:
        raise ModelFileError(f"{where}: {exc}") from exc
    except RecursionError as exc:
        raise ModelFileError(f"{where}: corrupt file: the architecture is nested too deeply") from exc
    restore_model(model, header, arrays, where)()
    return model


__all__ = ["FORMAT_VERSION", "LAYER_CLASSES", "ModelFileError", "architecture", "build", "load", "save"]
