"""Every tutorial runs as written, in quick mode, and writes its figures and its results.json.

Quick mode: the environment variable MINNET_QUICK=1 (or the flag --quick) makes each tutorial run on tiny
settings in seconds. MINNET_TUTORIAL_OUT chooses the output folder. The runs are shared with the tutorials'
own tests (``test_tutorial_NN.py``) through ``tests/tutorial_runs.py``, so each tutorial runs once per session.
Those tests assert each tutorial's claims; the checks here are the ones every tutorial must pass.
"""

import json
import re

import pytest
from tutorial_runs import ROOT, TUTORIALS, run_tutorial

STEMS = [p.stem for p in TUTORIALS]


def test_tutorials_exist_and_are_listed_in_their_readme():
    assert TUTORIALS, "no tutorials found"
    listing = (ROOT / "tutorials" / "README.md").read_text(encoding="utf-8")
    for path in TUTORIALS:
        assert path.name in listing, f"{path.name} is not listed in tutorials/README.md"


@pytest.mark.parametrize("path", TUTORIALS, ids=STEMS)
def test_tutorial_source_follows_the_shared_conventions(path):
    source = path.read_text(encoding="utf-8")
    assert source.startswith("# %%"), "tutorials are percent-format notebooks: the first line opens a cell"
    assert "# %% [markdown]" in source, "tutorials explain themselves in markdown cells"
    assert "sys.path" not in source, "tutorials import the installed minnet, they do not patch sys.path"
    assert f'mn.tutorial.setup("{path.stem}"' in source, "tutorials start with the shared header mn.tutorial.setup"
    assert re.search(r"^QUICK = None\b", source, flags=re.MULTILINE), "the first code cell sets QUICK = None"
    assert 'pip install "minnet[plot]"' not in source, "minnet[plot] on PyPI is another package: use pip install -e"
    assert not re.search(r"\bSPEC\b", source), "tutorials cite docs/conventions.md"


@pytest.mark.parametrize("path", TUTORIALS, ids=STEMS)
def test_tutorial_runs_in_quick_mode_and_writes_figures_and_results(path):
    run = run_tutorial(path.stem)
    run.check_ok()
    assert run.stdout.strip(), f"{path.name} printed nothing"
    assert list(run.out.glob("*.png")), f"{path.name} wrote no figure in {run.out}"
    results = run.results
    assert isinstance(results, dict) and results, f"{path.name}: results.json holds no key numbers"
    json.dumps(results)            # plain JSON values only
