"""The minnet file container: an uncompressed .npz archive with a JSON header and a SHA-256 checksum.

=================  =======  ==============================================================
entry              dtype    content
=================  =======  ==============================================================
``minnet.json``    uint8    UTF-8 JSON header: ``format`` ("minnet"), ``version``
                            (:data:`FORMAT_VERSION`), ``kind`` ("model" or "checkpoint"),
                            and what the kind needs (:mod:`minnet.io.model`,
                            :mod:`minnet.train.checkpoint`), plus ``arrays``, a manifest
                            {entry: {dtype, shape}}
``minnet.sha256``  uint8    64 hex digits: SHA-256 over the JSON bytes and every array
                            (name, dtype, shape and bytes, in sorted name order)
``<name>``         numeric  the arrays, e.g. ``param/0.weight``
=================  =======  ==============================================================

Reading never unpickles: every ``.npy`` header is checked (numeric dtypes only, sizes bounded by
the file's real size) before a byte of data is read, the header must list exactly the arrays the
archive holds with the same dtypes and shapes, and the checksum is verified before anything is
returned. Writing goes through :func:`minnet.io.files.atomic_write`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import zipfile
from typing import Any, BinaryIO

import numpy as np

from minnet._version import __version__
from minnet.errors import ModelFileError
from minnet.io.files import atomic_write, open_for_reading, writable_target

FORMAT = "minnet"
#: Version of the file layout. Files with a higher version were written by a newer minnet and are refused.
FORMAT_VERSION = 1
HEADER_ENTRY = "minnet.json"
CHECKSUM_ENTRY = "minnet.sha256"
_MAX_HEADER_BYTES = 64 * 2**20
ALLOWED_KINDS = "fiub"      # float, signed and unsigned int, bool: numpy kinds that can never hold code


def short_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)``, cut at ``limit`` characters (for messages about untrusted file contents)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def json_default(value: Any) -> Any:
    """``json.dumps`` hook: numpy scalars and arrays as Python numbers and lists, dtypes by name."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.dtype):
        return value.name
    raise TypeError(f"cannot write a {type(value).__name__} into a minnet file header: {short_repr(value)}")


def checksum(header_bytes: bytes, arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 (hex) over the header bytes and, in sorted name order, each array's name, dtype, shape and bytes."""
    h = hashlib.sha256(header_bytes)
    for name in sorted(arrays):
        a = arrays[name]
        h.update(f"\0{name}\0{a.dtype.str}\0{','.join(map(str, a.shape))}\0".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def write_file(path: str | os.PathLike, header: dict[str, Any], arrays: dict[str, np.ndarray],
               where: str = "save") -> None:
    """Write ``header`` (plus format, version and the array manifest) and ``arrays`` atomically to ``path``.

    ``path`` must be a regular file or not exist (:func:`minnet.io.files.atomic_write`); the
    check is made before the archive is built.
    """

    writable_target(path, where)
    arrays = {name: np.asarray(a) for name, a in arrays.items()}
    for name, a in arrays.items():
        if a.dtype.kind not in ALLOWED_KINDS:
            raise TypeError(f"cannot save array {name!r} of dtype {a.dtype}: only numeric arrays are saved")
    full = {"format": FORMAT, "version": FORMAT_VERSION, "minnet_version": __version__,
            **header,
            "arrays": {name: {"dtype": a.dtype.str, "shape": list(a.shape)} for name, a in sorted(arrays.items())}}
    header_bytes = json.dumps(full, default=json_default, allow_nan=True).encode("utf-8")
    digest = checksum(header_bytes, arrays)
    entries = {HEADER_ENTRY: np.frombuffer(header_bytes, dtype=np.uint8),
               CHECKSUM_ENTRY: np.frombuffer(digest.encode("ascii"), dtype=np.uint8), **arrays}
    atomic_write(path, lambda f: np.savez(f, **entries), where)  # type: ignore[arg-type]


def read_file(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and verify a minnet file: returns ``(header, arrays)`` once the checksum matches.

    Raises ModelFileError for anything wrong with the contents, OSError when the file
    cannot be opened.
    """
    where = os.fspath(path)
    # FileNotFoundError etc. pass through unchanged; a FIFO, device or directory is refused without blocking
    with open_for_reading(path, where, ModelFileError) as f:
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
        if zf is None:
            raise ModelFileError(f"{where}: not a minnet file: expected an .npz archive")
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
            if dtype.hasobject or dtype.kind not in ALLOWED_KINDS:
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
                                         f"header says {short_repr(declared)}")
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


__all__ = ["CHECKSUM_ENTRY", "FORMAT", "FORMAT_VERSION", "HEADER_ENTRY", "checksum", "json_default",
           "read_file", "short_repr", "write_file"]
