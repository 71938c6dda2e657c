"""Program output is English and survives a console that cannot show every character.

A redirected Chinese Windows console encodes standard output as GBK, a bare POSIX locale as ASCII; minnet's
tables use ±, ², −, ∂, →, × and —. Under ``PYTHONIOENCODING=gbk`` and ``=ascii`` a tutorial and
``minnet compare`` must exit 0 and print only English (characters the console lacks come out as backslash
escapes, see ``minnet/console.py``), never a ``UnicodeEncodeError``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tutorial_runs import ROOT, quick_env

ENCODINGS = ["gbk", "ascii"]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
COMPARE = ["compare", "--dataset", "iris", "--depth", "1", "--width", "4", "--epochs", "1", "--seeds", "0",
           "--no-progress", "--no-plots"]

def run(argv: list[str], encoding: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``python argv...`` with standard output encoded as ``encoding``; return code, stdout, stderr."""
    env = dict(env, PYTHONIOENCODING=encoding)
    done = subprocess.run([sys.executable, *argv], capture_output=True, env=env, cwd=cwd, timeout=240)
    return done.returncode, done.stdout.decode(encoding), done.stderr.decode(encoding, "replace")


def check_english_and_alive(returncode: int, stdout: str, stderr: str) -> None:
    assert "UnicodeEncodeError" not in stderr, stderr[-3000:]
    assert returncode == 0, stderr[-3000:]
    assert stdout.strip(), "printed nothing"
    assert not CJK.search(stdout), f"program output must be English, found {CJK.findall(stdout)[:5]}"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_tutorial_runs_on_a_narrow_console(encoding, tmp_path):
    script = ROOT / "tutorials" / "01_activation_zoo.py"
    returncode, stdout, stderr = run([str(script)], encoding, tmp_path, quick_env(tmp_path))
    check_english_and_alive(returncode, stdout, stderr)
    assert (tmp_path / "01_activation_zoo" / "results.json").is_file()


def compare_env() -> dict[str, str]:
    return dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_minnet_compare_runs_on_a_narrow_console(encoding, tmp_path):
    out = tmp_path / "runs"
    returncode, stdout, stderr = run(["-m", "minnet", *COMPARE, "--out", str(out)], encoding, tmp_path,
                                     compare_env())
    check_english_and_alive(returncode, stdout, stderr)
    assert "| activation" in stdout and (out / "results.csv").is_file()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_minnet_compare_help_prints_on_a_narrow_console(encoding, tmp_path):
    returncode, stdout, stderr = run(["-m", "minnet", "compare", "--help"], encoding, tmp_path, compare_env())
    check_english_and_alive(returncode, stdout, stderr)
    assert "--activations" in stdout
