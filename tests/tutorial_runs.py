"""Run each tutorial once per test session, in quick mode, and share the run with every test that asks.

``run_tutorial("04_selu_self_normalisation")`` runs ``tutorials/04_selu_self_normalisation.py`` in a
subprocess the first time it is called and returns the same :class:`TutorialRun` afterwards, so the generic
checks in ``test_tutorials.py`` and a tutorial's own ``test_tutorial_NN.py`` do not run it twice.

The subprocess gets the environment of the test session (PYTHONPATH, MINNET_DATA_DIR, ... pass through) plus
MINNET_QUICK=1, MINNET_TUTORIAL_OUT=<a temporary folder>, one BLAS thread and matplotlib's Agg backend; its
current folder is that temporary folder. The folder is removed when the test session's interpreter exits.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS_DIR = ROOT / "tutorials"
TUTORIALS = sorted(TUTORIALS_DIR.glob("[0-9][0-9]_*.py"))
TIMEOUT_SECONDS = 240

_WORKDIR = tempfile.TemporaryDirectory(prefix="minnet-tutorials-")   # cleaned up at interpreter exit


@dataclass(frozen=True)
class TutorialRun:
    """One quick-mode run of a tutorial: exit code, printed text, output folder and its results.json."""

    name: str
    returncode: int
    stdout: str
    stderr: str
    out: Path

    @property
    def results(self) -> dict[str, Any]:
        """The parsed ``results.json`` the tutorial wrote (an AssertionError if it wrote none)."""
        path = self.out / "results.json"
        assert path.is_file(), f"{self.name} wrote no results.json in {self.out}"
        return json.loads(path.read_text(encoding="utf-8"))

    def check_ok(self) -> None:
        """Assert that the run exited with 0, showing the end of its output otherwise."""
        assert self.returncode == 0, f"{self.name} failed:\n{self.stdout[-3000:]}\n{self.stderr[-3000:]}"


def quick_env(out_parent: Path) -> dict[str, str]:
    """The environment a quick tutorial run gets: the session's, plus quick mode and one BLAS thread."""
    return dict(os.environ, MINNET_QUICK="1", MINNET_TUTORIAL_OUT=str(out_parent), MPLBACKEND="Agg",
                OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")


@functools.cache
def run_tutorial(name: str) -> TutorialRun:
    """Run ``tutorials/<name>.py`` in quick mode (once per session) and return the run.

    ``name`` is the file's stem, e.g. ``"05_alpha_dropout"``. The tutorial writes its files in
    ``<temporary folder>/<name>/`` (``mn.tutorial.setup`` appends the name to MINNET_TUTORIAL_OUT).
    """
    script = TUTORIALS_DIR / f"{name}.py"
    if not script.is_file():
        raise FileNotFoundError(f"no tutorial {name!r}: {script} does not exist")
    parent = Path(_WORKDIR.name) / f"run-{name}"
    parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                          env=quick_env(parent), cwd=parent)
    return TutorialRun(name=name, returncode=done.returncode, stdout=done.stdout, stderr=done.stderr,
                       out=parent / name)
