"""Downloading one file safely: verified, atomic, with a progress bar.

:func:`download_file` streams a URL into a temporary file in the destination folder, hashing
the bytes as they arrive, and only after the SHA-256 matches renames the temporary file onto
the destination with ``os.replace`` (atomic on POSIX and Windows). Whatever goes wrong —
checksum mismatch, network error, Ctrl-C — the temporary file is deleted, so the destination
either holds the complete, verified file or is untouched.

:func:`fetch_file` tries a list of mirrors in order and moves to the next one on network
errors. A checksum mismatch is not retried: it means the server sent a different file, which
should be reported, not papered over.

Nothing here runs at import time; URLs are opened through the module attribute ``urlopen``
(``urllib.request.urlopen``) so tests can replace it with a local fake.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from urllib.request import Request, urlopen

from tqdm import tqdm

from minnet.data.errors import DataError, DownloadError

CHUNK_SIZE = 1 << 16
"""Bytes read from the network per step (64 KiB)."""

TIMEOUT_SECONDS = 60.0
"""Socket timeout for each connection attempt and read."""

USER_AGENT = "minnet-data-loader (Python urllib)"

DIGEST_NAMES = {"sha256": "SHA-256", "md5": "MD5"}
"""How error messages name each checksum algorithm."""


def sha256_hex(data: bytes) -> str:
    """The SHA-256 digest of ``data`` as 64 lower-case hex digits (what ``sha256sum`` prints)."""
    return hashlib.sha256(data).hexdigest()


def download_file(url: str, dest: str | os.PathLike[str], sha256: str, *, progress: bool = True,
                  algorithm: str = "sha256") -> Path:
    """Download ``url`` to ``dest`` and verify its SHA-256; return ``dest`` as a Path.

    ``algorithm="md5"`` checks an MD5 digest instead (passed as ``sha256``), for data sets whose publishers give
    no SHA-256 (CIFAR).

    The bytes go to a hidden temporary file ``.<name>.<random>.part`` next to ``dest`` (same
    folder, hence same file system, so the final ``os.replace`` is an atomic rename). The parent
    folder is created if needed. A progress bar (tqdm, bytes) is shown on stderr unless
    ``progress=False``.

    Raises :class:`DataError` if the SHA-256 of the received bytes differs from ``sha256``;
    network errors propagate as ``OSError`` (``urllib.error.URLError``, ``TimeoutError``, ...)
    or ``http.client.HTTPException``. In every failure case, and on ``KeyboardInterrupt``, the
    temporary file is removed and an existing ``dest`` is left as it was.
    """
    dest = Path(dest)
    expected = sha256.lower()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
    digest = hashlib.new(algorithm)
    try:
        with urlopen(Request(url, headers={"User-Agent": USER_AGENT}), timeout=TIMEOUT_SECONDS) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with open(tmp, "xb") as out, tqdm(
                total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=dest.name, disable=not progress
            ) as bar:
                while chunk := response.read(CHUNK_SIZE):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
                out.flush()
                os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != expected:
            raise DataError(
                f"{url}: {DIGEST_NAMES.get(algorithm, algorithm)} mismatch: expected {expected}, got {got}; the server "
                f"sent a different or damaged file, so nothing was written to {dest}"
            )
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def usable_folder(folder: Path) -> Path:
    """Create ``folder`` if needed and check that files can be created in it; an OSError naming it if not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            raise NotADirectoryError(20, "not a directory")
        probe = folder / f".minnet-write-test.{secrets.token_hex(4)}"
        with open(probe, "xb"):
            pass
        probe.unlink()
    except OSError as err:
        reason = err.strerror or str(err)
        raise type(err)(err.errno, f"cannot download into the data folder {folder}: {reason}; choose another "
                        "folder (data_dir= or MINNET_DATA_DIR) or fix its permissions") from err
    return folder


def fetch_file(
    mirrors: Sequence[str], filename: str, dest_dir: str | os.PathLike[str], sha256: str, *, progress: bool = True,
    algorithm: str = "sha256",
) -> Path:
    """Download ``filename`` into ``dest_dir`` from the first mirror that works; return its path.

    ``mirrors`` are base URLs ending in ``/``; the URL tried is ``mirror + filename``. Network
    failures (``OSError``, ``http.client.HTTPException``) move on to the next mirror; if all
    fail, :class:`DownloadError` lists every URL and its error. A SHA-256 mismatch raises
    :class:`DataError` at once (see :func:`download_file`).
    """
    if not mirrors:
        raise ValueError(f"fetch_file: no mirrors given for {filename!r}")
    usable_folder(Path(dest_dir))                   # a folder problem is not a network problem: say so first
    dest = Path(dest_dir) / filename
    failures = []
    for mirror in mirrors:
        url = mirror + filename
        try:
            return download_file(url, dest, sha256, progress=progress, algorithm=algorithm)
        except (OSError, http.client.HTTPException) as err:
            failures.append(f"  {url}: {type(err).__name__}: {err}")
    raise DownloadError(
        f"could not download {filename} to {Path(dest_dir)} from any mirror:\n" + "\n".join(failures)
        + "\nCheck the network connection, or download the file by hand and put it in that folder."
    )
