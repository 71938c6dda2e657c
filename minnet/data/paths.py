"""Where minnet looks for data files.

The data directory is chosen in this order (the first that is given wins):

1. the ``data_dir`` argument of a loader;
2. the ``MINNET_DATA_DIR`` environment variable (read at every call, not at import, so it can be
   changed while the program runs; an empty value counts as unset);
3. the default ``~/.minnet/data`` (``Path.home() / ".minnet" / "data"`` on every platform).

Inside it, each data set has one subfolder holding the files under their original names,
e.g. ``<data dir>/mnist/train-images-idx3-ubyte.gz`` and
``<data dir>/fashion-mnist/t10k-labels-idx1-ubyte.gz``. A leading ``~`` is expanded.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV_VAR = "MINNET_DATA_DIR"
"""Name of the environment variable that overrides the default data directory."""


def default_data_dir() -> Path:
    """The data directory used when neither ``data_dir`` nor ``MINNET_DATA_DIR`` is given: ``~/.minnet/data``."""
    return Path.home() / ".minnet" / "data"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """Return ``(directory, how_it_was_chosen)``; the second item is for error messages.

    ``how_it_was_chosen`` is one of ``"the data_dir argument"``,
    ``"the MINNET_DATA_DIR environment variable"`` or ``"the default ~/.minnet/data"``.
    The directory is not created and need not exist.
    """
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)):
            raise TypeError(f"get_data_dir: data_dir must be a str, a path or None, got {type(data_dir).__name__}")
        if str(data_dir) == "":
            raise ValueError("get_data_dir: data_dir is an empty string; pass a folder path or None")
        return _expanded(data_dir, "the data_dir argument"), "the data_dir argument"
    from_env = os.environ.get(DATA_DIR_ENV_VAR, "")
    if from_env:
        how = f"the {DATA_DIR_ENV_VAR} environment variable"
        return _expanded(from_env, how), how
    return default_data_dir(), "the default ~/.minnet/data"


def _expanded(folder: str | os.PathLike[str], how: str) -> Path:
    """``folder`` with a leading ``~`` or ``~user`` expanded; ValueError naming ``how`` when it cannot be."""
    try:
        return Path(folder).expanduser()
    except RuntimeError as err:                    # Path.expanduser: "Could not determine home directory."
        raise ValueError(f"get_data_dir: {how} is {os.fspath(folder)!r}, whose ~ cannot be expanded (no such user "
                         "or home directory); give the folder as an absolute path") from err


def get_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``data_dir`` if given, else ``$MINNET_DATA_DIR``, else ``~/.minnet/data``.

    Example: ``get_data_dir() / "mnist" / "t10k-labels-idx1-ubyte.gz"`` is where
    :func:`minnet.data.load_mnist` looks for the test labels.
    """
    return resolve_data_dir(data_dir)[0]
