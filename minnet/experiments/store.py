"""The output folder of a comparison, written so that an interruption loses at most the run in progress.

Layout::

    <out>/config.json        the exact configuration, every run's id and settings, library versions
    <out>/runs/<run-id>.json one file per finished run (its settings and per-epoch rows)
    <out>/results.csv        one row per run and epoch (rewritten at the end of each sweep)
    <out>/summary.md         the summary table, best first
    <out>/*.png              plots (with matplotlib)

Every file is written to a temporary file in the same folder and then renamed over the
destination with ``os.replace`` (atomic on POSIX and Windows), so a reader — or a rerun
after Ctrl-C — sees either the old complete file or the new complete file, never half of one.
(:func:`write_text_atomic` is this package's own writer; minnet's file container has the same
guarantees, and one shared writer could replace it.)
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import sys
from pathlib import Path
from typing import Any, Mapping

from minnet._version import __version__
from minnet.io.files import write_bytes_atomic

RUNS_FOLDER = "runs"

#: Version of the run-file layout; a file of another format (or minnet version) is run again.
RUN_FORMAT = 2

_LAYER_COLUMN = re.compile(r"^[a-z_]+/\d+$")


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` with minnet's one atomic writer (:func:`minnet.io.files.atomic_write`).

    The folder is created if needed. The temporary file is created exclusively next to the destination, flushed
    to disk and renamed over it; on any error it is removed. A new file gets the usual mode (0666 minus the
    umask), a replaced one keeps its mode; a path that is a folder, device or pipe is refused and left alone; a
    symlink keeps pointing to its target, which is replaced. Returns ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, text.encode("utf-8"), "compare")
    return path


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> Path:
    """:func:`write_text_atomic` of ``obj`` as indented JSON (NaN and inf written as JSON's extensions)."""
    return write_text_atomic(path, json.dumps(obj, indent=1) + "\n")


def run_path(out: str | os.PathLike[str], run_id: str) -> Path:
    """Where a finished run is stored: ``<out>/runs/<run_id>.json``."""
    return Path(out) / RUNS_FOLDER / f"{run_id}.json"


def save_run(out: str | os.PathLike[str], result: Mapping[str, Any], data_options: Mapping[str, Any]) -> Path:
    """Store one finished run (the dict of :func:`~minnet.experiments.runner.run_one`) with its data options,
    the file format and the minnet version that wrote it."""
    return write_json_atomic(run_path(out, result["run_id"]), {
        "format": RUN_FORMAT, "minnet_version": __version__, **result, "data_options": dict(data_options)})


def check_run(stored: Any, setting: Mapping[str, Any] | None, data_options: Mapping[str, Any]) -> str | None:
    """Why a stored run is not a finished run of this setting and minnet version, or None if it is.

    Finished means: a JSON object of :data:`RUN_FORMAT` written by this minnet version, for
    ``setting`` (when given) and ``data_options``, not failed, with at least one row, every
    row holding exactly the columns a run writes (:data:`~minnet.experiments.runner.RUN_COLUMNS`,
    the settings, per-layer columns), as many rows as epochs unless it diverged.
    """
    from minnet.experiments.grid import SETTING_KEYS
    from minnet.experiments.runner import RUN_COLUMNS

    if not isinstance(stored, dict):
        return "not a JSON object"
    if stored.get("format") != RUN_FORMAT or stored.get("minnet_version") != __version__:
        return (f"written by minnet {stored.get('minnet_version', 'of another version')} "
                f"(format {stored.get('format')}), this is minnet {__version__}")
    if setting is not None and stored.get("setting") != dict(setting):
        return "holds another setting"
    if stored.get("data_options") != dict(data_options):
        return "holds other data options"
    rows, stored_setting = stored.get("rows"), stored.get("setting")
    if stored.get("failed") or not isinstance(rows, list) or not rows or not isinstance(stored_setting, dict):
        return "has no rows"
    required = {"run_id", "method", "seconds", *SETTING_KEYS, *RUN_COLUMNS}
    for row in rows:
        if not isinstance(row, dict) or not required <= set(row) or any(
                k not in required and not _LAYER_COLUMN.match(k) for k in row):
            return "has rows with other columns"
    if not stored.get("diverged") and len(rows) != stored_setting.get("epochs"):
        return f"has {len(rows)} rows for {stored_setting.get('epochs')} epochs"
    return None


def load_run(out: str | os.PathLike[str], run_id: str, setting: Mapping[str, Any] | None,
             data_options: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """(the stored run ``run_id``, None) if its file is a finished run (:func:`check_run`), else
    (None, why not) — the run must be computed again. A missing file gives (None, None)."""
    path = run_path(out, run_id)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as err:
        return None, f"{path}: unreadable ({type(err).__name__})"
    problem = check_run(stored, setting, data_options)
    if problem is not None:
        return None, f"{path}: {problem}"
    stored.pop("data_options")
    return stored, None


def read_folder_config(out: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The folder's config.json as ``{"data_options", "sweeps": [...]}`` (an older single-sweep file is
    wrapped as one sweep), or None when there is none. A file that is not JSON raises ValueError naming it."""
    path = Path(out) / "config.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: not a config.json written by minnet compare ({err})") from None
    if not isinstance(stored, dict):
        raise ValueError(f"{path}: not a config.json written by minnet compare")
    if "sweeps" not in stored:
        stored = {"data_options": stored.get("data_options"), "sweeps": [stored]}
    return stored


def check_folder(out: str | os.PathLike[str], data_options: Mapping[str, Any]) -> dict[str, Any] | None:
    """Refuse (ValueError) an output folder that is a file, or whose earlier sweeps used other data options.

    A folder holds the union of the runs of every sweep written to it; runs on other data
    splits cannot be put beside them. Returns the folder's config (:func:`read_folder_config`).
    """
    if Path(out).exists() and not Path(out).is_dir():
        raise ValueError(f"compare: out {os.fspath(out)!r} is a file, not a folder; name a folder")
    stored = read_folder_config(out) if Path(out).is_dir() else None
    if stored is not None and stored.get("data_options") not in (None, dict(data_options)):
        raise ValueError(f"compare: folder {os.fspath(out)!r} holds runs with other data options "
                         f"({stored['data_options']}, these are {dict(data_options)}); use another --out")
    return stored


def folder_run_ids(stored: Mapping[str, Any] | None) -> list[str]:
    """Every run id recorded by the sweeps of a folder's config, in order, each once."""
    ids: dict[str, None] = {}
    for sweep in (stored or {}).get("sweeps", []):
        ids.update(dict.fromkeys(r["run_id"] for r in sweep.get("runs", [])
                                 if isinstance(r, dict) and isinstance(r.get("run_id"), str)))
    return list(ids)


def library_versions() -> dict[str, str | None]:
    """Versions of Python, the libraries a result depends on (None if not installed) and the platform."""
    # minnet's own version is the one running (installed or from a source tree): read it from the package.
    versions: dict[str, str | None] = {"python": platform.python_version(), "minnet": __version__}
    for dist in ("numpy", "scikit-learn", "joblib", "tqdm", "matplotlib"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    versions["platform"] = platform.platform()
    versions["machine"] = platform.machine()
    versions["python_implementation"] = sys.implementation.name
    return versions
