"""Build minnet's API reference (HTML, from the docstrings) and fail on any warning or broken reference.

Needs the docs extra::

    python -m pip install -e ".[docs]"
    python docs/build_api.py                  # writes docs/api/ — open docs/api/index.html
    python docs/build_api.py --out site/api   # somewhere else

Two checks make the build fail (exit status 1): any warning pdoc emits while rendering (an annotation it
cannot resolve, a module it cannot import), and any cross-reference in a docstring — ``:class:`...```,
``:func:`...```, ``:mod:`...```, ``:meth:`...```, ``:attr:`...```, ``:data:`...``` — whose target does not
exist.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

ROLE = re.compile(r":(?:class|func|mod|meth|attr|data|exc):`~?([A-Za-z_][\w.]*)`")
PACKAGE = "minnet"
#: The modules whose public names the reference must cover (it covers every module of the package).
COVERED = ("minnet", "minnet.data", "minnet.diagnostics", "minnet.experiments", "minnet.sklearn")


def modules() -> list[ModuleType]:
    """Every module of the package, imported."""
    root = importlib.import_module(PACKAGE)
    names = [PACKAGE] + [m.name for m in pkgutil.walk_packages(root.__path__, prefix=f"{PACKAGE}.")
                         if not m.name.endswith("__main__")]
    return [importlib.import_module(name) for name in names]


def _docstrings(module: ModuleType) -> list[tuple[str, str]]:
    """(qualified name, docstring) of the module and of everything defined in it."""
    found = [(module.__name__, module.__doc__ or "")]
    for name, value in vars(module).items():
        if getattr(value, "__module__", None) != module.__name__:
            continue
        found.append((f"{module.__name__}.{name}", inspect.getdoc(value) or ""))
        if inspect.isclass(value):
            for attr, member in vars(value).items():
                doc = inspect.getdoc(member) if callable(member) or isinstance(member, property) else None
                if doc:
                    found.append((f"{module.__name__}.{name}.{attr}", doc))
    return found


def _resolves(target: str, where: str) -> bool:
    """True when ``target`` names an object: absolute, or relative to ``where`` or any of its parents."""
    parents = where.split(".")
    for candidate in [target] + [".".join([*parents[:cut], target]) for cut in range(len(parents), 0, -1)]:
        parts = candidate.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj: Any = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break
            return True
    return target.split(".")[0] in {"numpy", "np", "sklearn", "joblib", "tqdm", "distributed", "matplotlib"}


def broken_references() -> list[str]:
    """``where: target`` for every docstring cross-reference that names nothing."""
    broken = []
    for module in modules():
        for where, doc in _docstrings(module):
            broken += [f"{where}: {target}" for target in ROLE.findall(doc) if not _resolves(target, where)]
    return sorted(set(broken))


def build(out: Path) -> list[str]:
    """Render the reference into ``out``; return the warnings emitted."""
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="restructuredtext", show_source=True, search=True,
                          footer_text="minnet API reference — tutorials: see tutorials/README.md")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*[m.__name__ for m in modules()], output_directory=out)
    # Every module is named explicitly (pdoc follows a package's __all__, which lists no submodules), so pdoc
    # meets some twice and says so: that notice is not a problem.
    return [f"{w.category.__name__}: {w.message}" for w in caught if "has already been added" not in str(w.message)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "api",
                        help="output folder (default: docs/api)")
    args = parser.parse_args(argv)
    problems = [f"broken reference in {b}" for b in broken_references()] + build(args.out)
    missing = [name for name in COVERED if not (args.out / (name.replace(".", "/") + ".html")).exists()]
    problems += [f"no page for {name}" for name in missing]
    for problem in problems:
        print(problem, file=sys.stderr)
    pages = len(list(args.out.rglob("*.html")))
    print(f"API reference: {pages} pages in {args.out}" + (f"; {len(problems)} problem(s)" if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
