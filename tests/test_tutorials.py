"""Every tutorial runs as written, in quick mode, and writes its figures.

Quick mode: the environment variable MINNET_QUICK=1 (or the flag --quick) makes each
tutorial run on tiny settings in seconds. MINNET_TUTORIAL_OUT chooses the output folder.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py"))


def test_tutorials_exist_and_are_listed_in_their_readme():
    assert TUTORIALS, "no tutorials found"
    listing = (ROOT / "tutorials" / "README.md").read_text()
    for path in TUTORIALS:
        assert path.name in listing, f"{path.name} is not listed in tutorials/README.md"


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_in_quick_mode(path, tmp_path):
    source = path.read_text()
    assert "# %%" in source, "tutorials are percent-format notebooks"
    assert "sys.path" not in source, "tutorials import the installed minnet, they do not patch sys.path"
    # One BLAS thread: tiny matrices, and a busy machine makes threaded BLAS crawl.
    env = dict(os.environ, MINNET_QUICK="1", MINNET_TUTORIAL_OUT=str(tmp_path), MPLBACKEND="Agg",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=240, env=env,
                         cwd=tmp_path)
    assert out.returncode == 0, f"{path.name} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    assert out.stdout.strip(), f"{path.name} printed nothing"
    assert list(tmp_path.rglob("*.png")), f"{path.name} wrote no figure"
