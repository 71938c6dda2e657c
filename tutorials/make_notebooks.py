"""Write every tutorial as a notebook: ``tutorials/notebooks/NN_name.ipynb`` from ``tutorials/NN_name.py``.

The percent-format script is the source; the notebook is generated from it with jupytext, with no outputs.
Run after changing a tutorial (needs the notebook extra: ``pip install -e ".[notebook]"``)::

    python tutorials/make_notebooks.py            # write the notebooks
    python tutorials/make_notebooks.py --check    # exit 1 when a notebook is out of date with its script

The test suite runs the same check, and executes every notebook in quick mode through a Jupyter kernel.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE / "notebooks"


def scripts() -> list[Path]:
    """The numbered tutorial scripts, in order."""
    return sorted(HERE.glob("[0-9][0-9]_*.py"))


def notebook_text(script: Path) -> str:
    """The notebook of ``script`` as JSON text: jupytext's conversion, no outputs, no kernel-specific metadata."""
    notebook = jupytext.read(script)
    for number, cell in enumerate(notebook.cells, start=1):     # stable ids: the same script, the same file
        cell.id = f"cell-{number:03d}"
    notebook.metadata = {
        "jupytext": {"text_representation": {"format_name": "percent", "extension": ".py"}},
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nbformat.writes(notebook) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    NOTEBOOKS.mkdir(exist_ok=True)
    stale = []
    for script in scripts():
        target = NOTEBOOKS / f"{script.stem}.ipynb"
        text = notebook_text(script)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target.name)
        if not check:
            target.write_text(text, encoding="utf-8")
    if check and stale:
        print(f"out of date with their scripts: {', '.join(stale)}; run python tutorials/make_notebooks.py")
        return 1
    print(("checked " if check else "wrote ") + f"{len(scripts())} notebooks in {NOTEBOOKS.name}/"
          + (f" ({len(stale)} changed)" if not check else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
