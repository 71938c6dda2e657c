"""A reader for the IDX file format of MNIST and Fashion-MNIST, plain or gzip-compressed.

Layout of an IDX file (LeCun et al., "The MNIST database of handwritten digits"); every header
integer is a 32-bit **big-endian** unsigned integer:

======  =====================================================================
offset  field
======  =====================================================================
0       magic number: two zero bytes, a type byte (table below), a byte ``ndim``
4       size of dimension 0 (the number of items)
8, ...  sizes of dimensions 1 .. ndim-1 (rows, columns for images)
4+4·ndim  the values, row-major (C order), big-endian, nothing after them
======  =====================================================================

Type byte: ``0x08`` unsigned byte, ``0x09`` signed byte, ``0x0B`` int16, ``0x0C`` int32,
``0x0D`` float32, ``0x0E`` float64. MNIST images have magic ``0x00000803`` (2051: unsigned
bytes, 3 dimensions, header ``2051, N, 28, 28`` = 16 bytes) and labels ``0x00000801`` (2049,
header ``2049, N`` = 8 bytes).

The parser checks everything it can: the two zero bytes, a known type, at least one
dimension, a complete header and *exactly* ``prod(shape) · itemsize`` data bytes (a short file
is truncated, a long one has extra bytes). Any violation raises :class:`DataError` naming the
file and the problem; it never returns a partial array.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from minnet.data.errors import DataError

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""IDX type byte -> NumPy dtype of one stored value (big-endian)."""

GZIP_MAGIC = b"\x1f\x8b"
"""The first two bytes of every gzip stream (an IDX file starts with two zero bytes instead)."""

MAX_IDX_BYTES = 2**30
"""Largest data size (bytes after the header) :func:`read_idx` accepts by default: 1 GiB.

MNIST's training images are 47 MB. The header declares the size, so a gzip "bomb" — a few
kilobytes that decompress to gigabytes — is refused after reading its first bytes, before
anything large is decompressed or allocated; pass ``max_bytes`` to read a larger file.
"""


def gunzip(data: bytes, source: str = "<bytes>") -> bytes:
    """Decompress a gzip stream, turning every failure into a :class:`DataError` that names ``source``.

    gzip checks a CRC-32 and the length of the decompressed data, so a corrupt or truncated
    ``.gz`` file is detected here: ``BadGzipFile`` (not gzip, bad CRC), ``EOFError`` (cut short)
    or ``zlib.error`` (damaged deflate data).
    """
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{source}: not a valid gzip file (corrupt or truncated): {err}") from err


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of one (uncompressed) IDX file into an array.

    Returns a new, writable array in native byte order with the shape from the header, e.g.
    ``(N, 28, 28)`` ``uint8`` for MNIST images, ``(N,)`` ``uint8`` for labels. ``source`` is the
    name used in error messages. Raises :class:`DataError` if the header or length is wrong.
    """
    size = len(data)
    if size < 4:
        raise DataError(f"{source}: IDX header truncated: the file has {size} bytes, the magic number alone needs 4")
    magic = int.from_bytes(data[:4], "big")
    if data[0] != 0 or data[1] != 0:
        raise DataError(
            f"{source}: wrong magic number 0x{magic:08X}: an IDX file starts with two zero bytes "
            f"(MNIST images: 0x00000803 = 2051, labels: 0x00000801 = 2049)"
            + (" — this looks like gzip data; decompress it first or use read_idx" if data[:2] == GZIP_MAGIC else "")
        )
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_DTYPES)
        raise DataError(
            f"{source}: unknown IDX type byte 0x{type_code:02X} in magic 0x{magic:08X}; expected one of {known}"
        )
    if ndim == 0:
        raise DataError(f"{source}: IDX magic 0x{magic:08X} declares 0 dimensions; expected at least 1")
    header_size = 4 + 4 * ndim
    if size < header_size:
        raise DataError(
            f"{source}: IDX header truncated: {ndim} dimensions need a {header_size}-byte header, "
            f"the file has only {size} bytes"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = IDX_DTYPES[type_code]
    count = math.prod(shape)
    expected = count * dtype.itemsize
    found = size - header_size
    if found < expected:
        raise DataError(
            f"{source}: IDX data truncated: shape {shape} of {dtype.name} needs {expected} bytes after the "
            f"{header_size}-byte header, found {found} ({expected - found} missing)"
        )
    if found > expected:
        raise DataError(
            f"{source}: {found - expected} extra bytes after the IDX data: shape {shape} of {dtype.name} "
            f"needs exactly {expected} bytes after the {header_size}-byte header, found {found}"
        )
    values = np.frombuffer(data, dtype=dtype, count=count, offset=header_size)
    return values.reshape(shape).astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def read_idx(path: str | os.PathLike[str], max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Read an IDX file, gzip-compressed or not, into a NumPy array (see :func:`parse_idx`).

    A file is decompressed when its name ends in ``.gz`` or its content starts with the gzip
    magic bytes ``1f 8b``. The header is read first, and a file whose header declares more than
    ``max_bytes`` bytes of data (default :data:`MAX_IDX_BYTES`) is refused before the rest is
    decompressed (an uncompressed file is bounded by its size on disk). Raises
    ``FileNotFoundError`` if the file does not exist and :class:`DataError` if it is not valid
    gzip, not a valid IDX file, or too large.

    Example: ``read_idx("mnist/t10k-labels-idx1-ubyte.gz")`` -> ``uint8`` array of shape ``(10000,)``.
    """
    path = Path(path)
    source = str(path)
    with open(path, "rb") as raw:
        compressed = path.suffix == ".gz" or raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if not compressed:                             # its size on disk bounds what is read
            return parse_idx(raw.read(), source)
        try:
            with gzip.GzipFile(fileobj=raw) as stream:
                return parse_idx(_read_limited(stream, source, max_bytes), source)
        except (OSError, EOFError, zlib.error) as err:
            raise DataError(f"{source}: not a valid gzip file (corrupt or truncated): {err}") from err


def _read_limited(stream: BinaryIO | gzip.GzipFile, source: str, max_bytes: int) -> bytes:
    """The header, then at most the declared data size plus one byte (so :func:`parse_idx` can report extra
    bytes); DataError if the header declares more than ``max_bytes``."""
    head = stream.read(4)
    ndim = head[3] if len(head) == 4 and head[:2] == b"\0\0" else 0
    head += stream.read(4 * ndim)
    if ndim == 0 or len(head) < 4 + 4 * ndim or head[2] not in IDX_DTYPES:
        return head + stream.read(64)                  # parse_idx explains what is wrong with the header
    shape = struct.unpack(f">{ndim}I", head[4:])
    declared = math.prod(shape) * IDX_DTYPES[head[2]].itemsize
    if declared > max_bytes:
        raise DataError(f"{source}: the IDX header declares shape {shape}, {declared} bytes of data, more than the "
                        f"limit of {max_bytes} bytes; refusing to read it (pass max_bytes to read_idx to raise the "
                        "limit for a file you trust)")
    return head + stream.read(declared + 1)
