"""mn.tutorial.setup: quick mode, output folder, results.json; and output that survives any console encoding."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import minnet as mn
from minnet import tutorial

ROOT = Path(__file__).resolve().parents[1]


def test_quick_mode_from_argument_flag_and_environment(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["script.py"])
    monkeypatch.delenv(tutorial.QUICK_ENV_VAR, raising=False)
    assert tutorial.quick_requested() is False
    assert tutorial.quick_requested(True) is True
    monkeypatch.setattr(sys, "argv", ["script.py", "--quick"])
    assert tutorial.quick_requested() is True
    assert tutorial.quick_requested(False) is False          # the notebook's first cell wins
    monkeypatch.setattr(sys, "argv", ["script.py"])
    monkeypatch.setenv(tutorial.QUICK_ENV_VAR, "1")
    assert tutorial.quick_requested() is True
    with pytest.raises(TypeError, match="quick must be True, False or None"):
        tutorial.quick_requested("yes")


def test_output_folder_next_to_the_tutorials(tmp_path, monkeypatch):
    monkeypatch.delenv(tutorial.OUT_ENV_VAR, raising=False)
    (tmp_path / "tutorials" / "notebooks").mkdir(parents=True)
    (tmp_path / "tutorials" / "README.md").write_text("tutorials")
    (tmp_path / "tutorials" / "01_zoo.py").write_text("# %%")
    for cwd in (tmp_path, tmp_path / "tutorials", tmp_path / "tutorials" / "notebooks"):
        monkeypatch.chdir(cwd)
        assert (cwd / tutorial.default_out("01_zoo")).resolve() == tmp_path / "tutorials" / "output" / "01_zoo"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert tutorial.default_out("01_zoo") == Path("tutorial-output") / "01_zoo"
    monkeypatch.setenv(tutorial.OUT_ENV_VAR, str(tmp_path / "chosen"))
    assert tutorial.default_out("01_zoo") == tmp_path / "chosen" / "01_zoo"


def test_setup_creates_the_folder_and_writes_results(tmp_path, capsys):
    tut = mn.tutorial.setup("99_test", quick=True, out=tmp_path / "a" / "b")
    assert tut.quick is True and tut.out.is_dir()
    assert "99_test" in capsys.readouterr().out
    path = tut.write_results({"variance": 1.0, "seeds": (0, 1), "nan": math.nan, "nested": {"x": 2}})
    assert json.loads(path.read_text()) == {"variance": 1.0, "seeds": [0, 1], "nan": "nan", "nested": {"x": 2}}
    with pytest.raises(ValueError, match="non-empty string"):
        mn.tutorial.setup("  ", out=tmp_path)


def test_savefig_writes_the_file(tmp_path):
    pytest.importorskip("matplotlib")
    tut = mn.tutorial.setup("99_test", quick=True, out=tmp_path)
    fig, ax = tut.plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = tut.savefig(fig, "line.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("encoding", ["gbk", "ascii"])
def test_output_never_crashes_on_a_narrow_console(encoding, tmp_path):
    code = ("import minnet as mn; mn.tutorial.setup('x', out=r'%s'); print('\u00b1 \u00b2 \u2212 \u2202 \u2192')"
            % tmp_path)
    env = dict(os.environ, PYTHONIOENCODING=encoding, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    text = out.stdout.decode(encoding)
    assert "\\u2212" in text and "\\u2202" in text          # escaped, not an error
