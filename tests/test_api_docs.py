"""The API reference builds from the docstrings with no warning and no broken cross-reference.

Skipped with a reason where the docs extra (pdoc) is not installed.
"""

import importlib.util
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(importlib.util.find_spec("pdoc") is None,
                                reason="the docs extra (pdoc) is not installed")


def _builder():
    spec = importlib.util.spec_from_file_location("build_api", ROOT / "docs" / "build_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.links = [], []

    def handle_data(self, data):
        self.text.append(data)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links += [value for name, value in attrs if name == "href" and value]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("api")
    status = _builder().main(["--out", str(out)])
    return status, out


def test_the_reference_builds_cleanly(built, capsys):
    status, out = built
    assert status == 0, "the API reference build reported problems (see its output)"


@pytest.mark.parametrize("page, names", [
    ("minnet.html", ["ELU", "SELU", "PReLU", "lecun_normal", "AlphaDropout", "fit", "textbook", "Conv2D", "cnn"]),
    ("minnet/data.html", ["load_mnist", "load_cifar10", "Standardizer"]),
    ("minnet/diagnostics.html", ["dead_units", "activation_stats", "gradient_stats"]),
    ("minnet/experiments.html", ["compare", "ResultTable"]),
    ("minnet/sklearn.html", ["NetClassifier", "NetRegressor"]),
])
def test_every_covered_module_has_a_page_naming_its_public_names(built, page, names):
    _, out = built
    parser = _Text()
    parser.feed((out / page).read_text(encoding="utf-8"))
    text = " ".join(parser.text)
    missing = [name for name in names if name not in text]
    assert not missing, f"{page} does not document {missing}"


def test_formulas_are_readable_and_cross_links_resolve(built):
    _, out = built
    parser = _Text()
    parser.feed((out / "minnet" / "nn" / "activations.html").read_text(encoding="utf-8"))
    text = " ".join(parser.text)
    assert "α(eˣ − 1)" in text or "α·(eˣ − 1)" in text, "ELU's formula is not shown as written in the docstring"
    local = [link for link in parser.links if not link.startswith(("http", "#", "mailto:"))]
    page_dir = out / "minnet" / "nn"
    broken = [link for link in local if not (page_dir / link.split("#")[0]).resolve().exists()]
    assert not broken, f"links to missing pages: {broken[:5]}"


def test_a_broken_reference_is_reported(monkeypatch):
    builder = _builder()
    module = type(sys)("fake_module")
    module.__doc__ = "See :func:`minnet.no_such_function` and :class:`minnet.ELU`."
    monkeypatch.setattr(builder, "modules", lambda: [module])
    assert builder.broken_references() == ["fake_module: minnet.no_such_function"]
