"""What every tutorial needs before its first experiment: quick mode, an output folder, figures, results.

A tutorial (a percent-format script in ``tutorials/``, also opened as a notebook) starts with::

    import minnet as mn
    QUICK = None                     # None: read --quick / MINNET_QUICK; True or False: decide here
    tut = mn.tutorial.setup("04_selu_self_normalisation", quick=QUICK)

and then uses ``tut.quick``, ``tut.out`` (a folder that exists), ``tut.plt`` (``matplotlib.pyplot``, or
``None`` without the plot extra), ``tut.savefig(fig, "name.png")`` and ``tut.write_results(dict)``.

Where things go:

- **Quick mode** is on when ``quick=True``, or, with ``quick=None``, when the script was run with ``--quick``
  or with ``MINNET_QUICK=1`` in the environment. A notebook sets ``QUICK = True`` in its first cell.
- **Output folder**: ``out`` if given, else ``$MINNET_TUTORIAL_OUT/<name>``, else ``output/<name>`` next to the
  ``tutorials/`` scripts when they are found from the current folder (the repository root, ``tutorials/`` or
  ``tutorials/notebooks/``), else ``tutorial-output/<name>`` in the
  current folder.
- **Figures** are saved as files; in a Jupyter kernel they are also shown inline (the scripts never force a
  backend, so a notebook keeps its inline one and a terminal run without a display uses matplotlib's default).
- **Any console**: characters the console's encoding cannot show (±, ², −) are escaped, never an error.
- **Results**: ``write_results`` writes ``results.json`` in the output folder — the tutorial's key numbers in
  machine-readable form, which the tests assert on.
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minnet.console import make_console_safe

QUICK_ENV_VAR = "MINNET_QUICK"
OUT_ENV_VAR = "MINNET_TUTORIAL_OUT"
PLOT_HINT = 'figures are skipped: install the plot extra (pip install -e ".[plot]" in a clone of minnet)'


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell), where figures are shown inline."""
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    if get_ipython is None:
        return False
    instance = get_ipython()
    return instance is not None and type(instance).__name__ == "ZMQInteractiveShell"


def quick_requested(quick: bool | None = None) -> bool:
    """Quick mode: ``quick`` when it is a bool, else ``--quick`` on the command line or ``MINNET_QUICK=1``."""
    if quick is not None:
        if not isinstance(quick, bool):
            raise TypeError(f"quick must be True, False or None, got {quick!r}")
        return quick
    return "--quick" in sys.argv[1:] or os.environ.get(QUICK_ENV_VAR, "").strip() == "1"


def default_out(name: str) -> Path:
    """The output folder of tutorial ``name`` when none is given (see the module docstring)."""
    parent = os.environ.get(OUT_ENV_VAR)
    if parent:
        return Path(parent).expanduser() / name
    for tutorials in (Path("tutorials"), Path("."), Path("..")):
        if (tutorials / "README.md").is_file() and any(tutorials.glob("[0-9][0-9]_*.py")):
            return tutorials / "output" / name
    return Path("tutorial-output") / name


def _plain(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays turned into JSON numbers and lists (NaN and inf as strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


@dataclass
class Tutorial:
    """A tutorial's run settings: its name, quick mode, output folder and pyplot (or ``None``)."""

    name: str
    quick: bool
    out: Path
    plt: Any = field(default=None, repr=False)

    def savefig(self, fig: Any, filename: str, **kwargs: Any) -> Path:
        """Save ``fig`` as ``out/filename`` (dpi 120 unless given), show it inline in a notebook, close it."""
        path = self.out / filename
        kwargs.setdefault("dpi", 120)
        kwargs.setdefault("bbox_inches", "tight")
        fig.savefig(path, **kwargs)
        if self.plt is not None:
            if in_notebook():
                self.plt.show()
            self.plt.close(fig)
        return path

    def write_results(self, results: dict[str, Any], filename: str = "results.json") -> Path:
        """Write the tutorial's key numbers as JSON (``out/results.json``) and return the path."""
        path = self.out / filename
        path.write_text(json.dumps(_plain(results), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return path


def setup(name: str, quick: bool | None = None, out: str | os.PathLike[str] | None = None) -> Tutorial:
    """Quick mode, output folder (created) and pyplot for tutorial ``name``; prints one line saying which.

    >>> tut = setup("01_activation_zoo", quick=True, out="/tmp/zoo")   # doctest: +SKIP
    """
    make_console_safe()
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a tutorial needs a name (a non-empty string), got {name!r}")
    folder = Path(out).expanduser() if out is not None else default_out(name)
    folder.mkdir(parents=True, exist_ok=True)
    plt: Any = None
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print(PLOT_HINT)
    tut = Tutorial(name=name, quick=quick_requested(quick), out=folder, plt=plt)
    print(f"{name}: quick mode {'on' if tut.quick else 'off'}; files go to {folder}")
    return tut
