"""The README's code runs as written: its Python blocks in order, and its quick-start script."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_has_install_and_test_commands():
    assert 'python -m pip install -e ".[plot]" && minnet compare' in README
    assert 'python -m pip install -e ".[test]" && python -m pytest -q' in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'python -m pip install -e ".[test]" && python -m pytest -q' in ci


def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch, capsys):
    blocks = python_blocks()
    assert blocks, "the README shows no Python code"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"README.md block {i + 1}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"README.md Python block {i + 1} failed: {exc!r}\n{block}")
    assert "bit-identical to the hand-written loop: True" in capsys.readouterr().out


def test_quickstart_script_runs_and_both_ways_agree():
    env = dict(os.environ, PYTHONWARNINGS="error::RuntimeWarning", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py")], capture_output=True,
                         text=True, timeout=300, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "identical parameters: True" in out.stdout
    accuracy = float(re.search(r"mn.fit: test accuracy ([0-9.]+)", out.stdout).group(1))
    assert accuracy > 0.95
