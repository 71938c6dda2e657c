"""Project rules that hold for every file: ruff-clean, no deep-learning framework, no machine paths."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PY_FILES = [p for p in ROOT.rglob("*.py") if not any(part.startswith(".") or part in {"build", "venv"}
                                                     for part in p.relative_to(ROOT).parts)]


def test_ruff_is_clean():
    if shutil.which("ruff") is None and subprocess.run([sys.executable, "-m", "ruff", "--version"],
                                                       capture_output=True).returncode != 0:
        pytest.skip("ruff is not installed (it comes with the test extra)")
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_no_deep_learning_framework_is_imported():
    pattern = re.compile(r"^\s*(import|from)\s+(torch|tensorflow|jax|keras)\b", re.M)
    offenders = [str(p.relative_to(ROOT)) for p in PY_FILES if pattern.search(p.read_text())]
    assert not offenders, f"minnet depends only on numpy, tqdm and scikit-learn: {offenders}"


def test_matplotlib_is_not_imported_at_module_level_in_the_package():
    pattern = re.compile(r"^(import|from)\s+matplotlib\b", re.M)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "minnet").rglob("*.py") if pattern.search(p.read_text())]
    assert not offenders, f"matplotlib is optional; import it inside functions: {offenders}"


def test_datasets_folder_is_not_a_package():
    assert not (ROOT / "datasets" / "__init__.py").exists()
