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
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

from minnet._version import __version__

RUNS_FOLDER = "runs"


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and ``os.replace``; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> Path:
    """:func:`write_text_atomic` of ``obj`` as indented JSON (NaN and inf written as JSON's extensions)."""
    return write_text_atomic(path, json.dumps(obj, indent=1) + "\n")


def run_path(out: str | os.PathLike[str], run_id: str) -> Path:
    """Where a finished run is stored: ``<out>/runs/<run_id>.json``."""
    return Path(out) / RUNS_FOLDER / f"{run_id}.json"


def save_run(out: str | os.PathLike[str], result: Mapping[str, Any], data_options: Mapping[str, Any]) -> Path:
    """Store one finished run (the dict of :func:`~minnet.experiments.runner.run_one`) with its data options."""
    return write_json_atomic(run_path(out, result["run_id"]), {**result, "data_options": dict(data_options)})


def load_run(out: str | os.PathLike[str], run_id: str, setting: Mapping[str, Any],
             data_options: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored run ``run_id`` if its file exists, parses and holds exactly ``setting`` and ``data_options``;
    else None (the run must be computed again)."""
    path = run_path(out, run_id)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("setting") != dict(setting) or stored.get("data_options") != dict(data_options):
        return None
    if not isinstance(stored.get("rows"), list):
        return None
    stored.pop("data_options")
    return stored


def library_versions() -> dict[str, str | None]:
    """Versions of Python, the libraries a result depends on (None if not installed) and the platform."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for dist in ("minnet", "numpy", "scikit-learn", "joblib", "tqdm", "matplotlib"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    if versions["minnet"] is None:                               # running from a source tree
        versions["minnet"] = __version__
    versions["platform"] = platform.platform()
    versions["machine"] = platform.machine()
    versions["python_implementation"] = sys.implementation.name
    return versions
