"""Files on disk, safely: atomic writes onto regular files only, and opening files to read without hanging.

Every file minnet writes — ``mn.save``, ``mn.Checkpoint``, ``History.to_csv``, the experiment
store — goes through :func:`atomic_write`:

1. ``path`` is resolved: a symbolic link is followed to the file it points to, so the link is
   kept and its target is written (in the target's folder, where the rename is atomic).
2. If something is already there it must be a regular file: a directory, a FIFO, a socket or a
   device (``/dev/null`` — replaced by a regular file when run as root) raises
   :class:`~minnet.errors.NotARegularFileError` and nothing changes. A missing folder raises
   ``FileNotFoundError`` naming it.
3. The bytes go to a temporary file with a unique name, created exclusively
   (``tempfile.mkstemp``: ``O_CREAT | O_EXCL``, so a planted file or link is never followed),
   in the same folder; it is flushed and ``fsync``-ed, given the mode of the file it replaces
   (or, for a new file, the usual ``0o666 & ~umask``), then renamed over the target with
   ``os.replace``, which is atomic: readers see the old complete file or the new complete file.
4. On any error — a full disk, Ctrl-C — the temporary file is removed and the error re-raised.

:func:`open_for_reading` opens a file without blocking (a FIFO would otherwise wait forever for a
writer) and refuses anything that is not a regular file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from typing import IO, BinaryIO, Callable

from minnet.errors import NotARegularFileError

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def file_kind(mode: int) -> str:
    """What ``st_mode`` describes, in words ("a directory", "a FIFO (named pipe)", ...)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def writable_target(path: str | os.PathLike[str], where: str = "write") -> str:
    """The real path ``path`` names (symlinks followed), checked to be writable by :func:`atomic_write`.

    Raises NotARegularFileError when something other than a regular file is there, and
    FileNotFoundError / NotADirectoryError naming the folder when it does not exist.
    Changes nothing.
    """
    shown = os.fspath(path)
    target = os.path.realpath(shown)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        kind = file_kind(mode)
        raise NotARegularFileError(f"{where}: {shown!r} is {kind}, not a regular file; minnet writes only regular "
                                   "files (pass the path of a file to create or replace)")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        exists = os.path.exists(folder)
        error = NotADirectoryError if exists else FileNotFoundError
        raise error(f"{where}: cannot write {shown!r}: the folder {folder!r} "
                    f"{'is not a directory' if exists else 'does not exist'}; create it first")
    return target


def _umask() -> int:
    """The process's umask, read without changing it where the system tells (Linux), else by setting it back."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], object], where: str = "write") -> None:
    """Call ``write(f)`` on a fresh temporary binary file next to ``path``'s target, then rename it onto it.

    See the module docstring for every step. ``where`` names the caller in error messages.
    """
    target = writable_target(path, where)
    folder, name = os.path.split(target)
    try:
        existing: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        existing = None
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if existing is not None:
            os.chmod(tmp, stat.S_IMODE(existing.st_mode))
            if hasattr(os, "chown") and (existing.st_uid, existing.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):        # only root may give a file away; keep it if we can
                    os.chown(tmp, existing.st_uid, existing.st_gid)
        else:
            os.chmod(tmp, 0o666 & ~_umask())              # mkstemp makes the file private (0600)
        writable_target(target, where)                    # again, right before the rename: still no FIFO there
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):     # make the rename itself durable (POSIX only)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, where: str = "write") -> None:
    """Write ``data`` to ``path`` atomically (:func:`atomic_write`)."""
    atomic_write(path, lambda f: f.write(data), where)


def write_text_atomic(path: str | os.PathLike[str], write: Callable[[IO[str]], object], where: str = "write",
                      encoding: str = "utf-8", newline: str | None = "") -> None:
    """:func:`atomic_write` for text: ``write(f)`` gets a text file (``newline=""`` as the csv module wants)."""
    import io

    def write_binary(f: BinaryIO) -> None:
        text = io.TextIOWrapper(f, encoding=encoding, newline=newline)
        try:
            write(text)
            text.flush()
        finally:
            text.detach()                                 # leave f open for atomic_write's fsync

    atomic_write(path, write_binary, where)


def open_for_reading(path: str | os.PathLike[str], where: str, error: type[Exception] = NotARegularFileError
                     ) -> BinaryIO:
    """Open a regular file for binary reading; ``error`` (naming the kind of file) for anything else.

    Opened with ``O_NONBLOCK``, so a FIFO without a writer does not block; missing or unreadable
    files raise the usual OSError.
    """
    shown = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(shown, flags)
    except IsADirectoryError:
        raise error(f"{where}: {shown!r} is a directory, not a regular file") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise error(f"{where}: {shown!r} is {file_kind(mode)}, not a regular file")
        with contextlib.suppress(AttributeError, OSError):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


__all__ = ["atomic_write", "file_kind", "open_for_reading", "writable_target", "write_bytes_atomic",
           "write_text_atomic"]
