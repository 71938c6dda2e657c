"""Every tutorial is also a notebook, generated from its script, and runs in a real Jupyter kernel.

Skipped with a reason where the notebook extra (jupytext, nbclient, ipykernel) is not installed.
"""

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
SCRIPTS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
MISSING = [m for m in ("jupytext", "nbclient", "nbformat", "ipykernel") if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"the notebook extra is not installed ({', '.join(MISSING)})")


def load_maker():
    spec = importlib.util.spec_from_file_location("make_notebooks", TUTORIALS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_notebook_is_up_to_date_with_its_script(script):
    notebook = TUTORIALS / "notebooks" / f"{script.stem}.ipynb"
    assert notebook.exists(), f"{notebook.name} is missing; run python tutorials/make_notebooks.py"
    assert notebook.read_text(encoding="utf-8") == load_maker().notebook_text(script), (
        f"{notebook.name} is out of date with {script.name}; run python tutorials/make_notebooks.py")


def test_notebooks_have_no_outputs():
    import nbformat

    for path in sorted((TUTORIALS / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), path.name


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_notebook_runs_in_a_jupyter_kernel(script, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("MINNET_QUICK", "1")                 # what QUICK = None in the first cell reads
    monkeypatch.setenv("MINNET_TUTORIAL_OUT", str(tmp_path))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(TUTORIALS / "notebooks" / f"{script.stem}.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()                                        # raises CellExecutionError on any error
    stderr = [o.get("text", "") for c in notebook.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not any("Warning" in text for text in stderr), "".join(stderr)[-2000:]
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, f"{script.name}: no figure was shown inline"
