"""The three errors that minnet's data loaders raise.

- :class:`DataError` (a ``ValueError``): a file is there but its content is wrong: truncated,
  not valid gzip, a wrong IDX magic number or header, or a SHA-256 checksum that differs from
  the published one. The loaders raise it instead of ever returning wrong arrays.
- :class:`DataNotFoundError` (a ``FileNotFoundError``): the files are missing and
  ``download=True`` was not given. The message names the files, the folder, and the ways to fix it.
- :class:`DownloadError` (an ``OSError``): no mirror could deliver a file (network failure,
  HTTP error, interrupted transfer). Nothing half-written is left behind.
"""

from __future__ import annotations


class DataError(ValueError):
    """A data file exists but is damaged or is not the expected file; the message names the file and the problem."""


class DataNotFoundError(FileNotFoundError):
    """The data files are not on disk; the message says which files to put where, or how to download them."""


class DownloadError(OSError):
    """Every mirror failed to deliver a file; the message lists each URL tried and why it failed."""
