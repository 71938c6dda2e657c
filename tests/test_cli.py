"""The `minnet` command: help, refused options (exit 2, nothing run), a tiny sweep, resume, TOML, no matplotlib."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from minnet.cli import build_parser, main
from minnet.experiments import runner as runner_module

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--dataset", "iris", "--activations", "relu,selu", "--depth", "2", "--width", "4", "--epochs", "2",
        "--batch-size", "32", "--seeds", "0", "1", "--no-progress", "--no-plots"]


def run(argv, capsys):
    """main(argv) in this process: (exit status, stdout, stderr); argparse's SystemExit becomes a status."""
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- help -----------------------------------------------------------------------------------
def test_help_lists_the_compare_command(capsys):
    status, out, _ = run(["--help"], capsys)
    assert status == 0
    assert "compare" in out and "usage: minnet" in out


def test_compare_help_explains_every_option(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")                               # no line wrapping inside the lists
    status, out, _ = run(["compare", "--help"], capsys)
    assert status == 0
    compare = build_parser()._subparsers._group_actions[0].choices["compare"]
    for action in compare._actions:
        assert action.help, f"option {action.option_strings} has no help"
        for flag in action.option_strings:
            assert flag in out
    for text in ("relu, leaky_relu, prelu, elu, selu", "lecun_normal", "sgd, adam, adamw, rmsprop",
                 "digits, iris", "(default: 0 1 2)", "(default: 20)", "--config", "TOML", "resume"):
        assert text in out


def test_no_command_prints_help_and_fails(capsys):
    status, out, _ = run([], capsys)
    assert status == 2 and "compare" in out


def test_python_dash_m_minnet_help_works():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "minnet", "--help"], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "compare" in result.stdout


# --- refused options ------------------------------------------------------------------------
@pytest.mark.parametrize("argv, fragments", [
    (["--activation", "swish"], ["unknown activation 'swish'", "'relu'", "'selu'"]),
    (["--lr", "-0.1"], ["lr", "-0.1"]),
    (["--lr", "fast"], ["invalid float value"]),
    (["--seeds", ","], ["expected a value"]),
    (["--seeds"], ["expected at least one argument"]),
    (["--dataset", "svhn"], ["unknown data set 'svhn'", "digits", "fashion_mnist"]),
    (["--init", "magic"], ["unknown initializer 'magic'", "he_normal"]),
    (["--optimizer", "lbfgs"], ["unknown optimizer 'lbfgs'", "adamw"]),
    (["--depth", "0"], ["depth"]),
    (["--dropout-rate", "1.5"], ["dropout_rate"]),
    (["--jobs", "0"], ["--jobs"]),
])
def test_bad_options_exit_2_with_the_valid_values_before_any_run(argv, fragments, capsys, fit_calls, tmp_path):
    status, out, err = run(["compare", *argv, "--out", str(tmp_path / "x")], capsys)
    assert status == 2
    assert err.startswith("minnet compare: error: ") and err.count("\n") == 1     # one line, no traceback
    for fragment in fragments:
        assert fragment in err
    assert fit_calls == []
    assert not (tmp_path / "x").exists()


def test_a_missing_config_file_is_refused(capsys, tmp_path):
    status, _, err = run(["compare", "--config", str(tmp_path / "nope.toml")], capsys)
    assert status == 2 and "nope.toml" in err


# --- running ---------------------------------------------------------------------------------
def test_compare_runs_prints_the_table_and_writes_the_folder(capsys, tmp_path, fit_calls):
    out_dir = tmp_path / "sweep"
    status, out, _ = run(["compare", *TINY, "--out", str(out_dir)], capsys)
    assert status == 0
    assert len(fit_calls) == 4
    assert f"4 runs (2 settings × 2 seeds) on iris → {out_dir}" in out
    assert "| activation" in out and "| relu" in out and "| selu" in out
    assert "test acc (%)" in out and "dead units (%)" in out
    for name in ("results.csv", "summary.md", "config.json"):
        assert (out_dir / name).exists() and name in out
    assert len(list((out_dir / "runs").glob("*.json"))) == 4

    status, out, _ = run(["compare", *TINY, "--out", str(out_dir)], capsys)   # the same command resumes
    assert status == 0 and len(fit_calls) == 4
    assert "4 of 4 runs are already finished" in out and "reused 4" in out


def test_default_output_folder_depends_only_on_the_settings(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, out1, _ = run(["compare", "--dry-run"], capsys)
    _, out2, _ = run(["compare", "--dry-run"], capsys)
    _, out3, _ = run(["compare", "--dry-run", "--lr", "0.01"], capsys)
    assert "15 runs (5 settings × 3 seeds) on digits → minnet-runs" in out1
    first_line = out1.splitlines()[0]
    assert first_line == out2.splitlines()[0] and first_line != out3.splitlines()[0]
    assert out1.count("to do") == 15 and "activation=selu" in out1 and "init=lecun_normal" in out1
    assert not (tmp_path / "minnet-runs").exists()                      # a dry run writes nothing


def test_toml_config_with_command_line_overrides(capsys, tmp_path, fit_calls):
    config = tmp_path / "sweep.toml"
    out_dir = tmp_path / "from-toml"
    config.write_text(f'datasets = ["iris"]\nactivations = ["elu", "selu", "relu"]\ndepths = [2]\nwidths = [3]\n'
                      f'epochs = 2\nseeds = [4]\nout = "{out_dir.as_posix()}"\nplots = false\n')
    status, out, _ = run(["compare", "--config", str(config), "--activation", "elu", "--no-progress"], capsys)
    assert status == 0, out
    assert len(fit_calls) == 1                                          # --activation overrode the file's list
    assert (out_dir / "results.csv").exists()
    assert "| elu" in out or "activation=elu" in out


def test_without_matplotlib_the_command_says_how_to_get_plots(capsys, tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    argv = [a for a in TINY if a != "--no-plots"]
    status, out, _ = run(["compare", *argv, "--seeds", "0", "--out", str(tmp_path / "s")], capsys)
    assert status == 0
    assert 'pip install -e ".[plot]"' in out
    assert (tmp_path / "s" / "results.csv").exists() and not list((tmp_path / "s").glob("*.png"))


def test_with_matplotlib_the_command_draws_plots(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    argv = [a for a in TINY if a != "--no-plots"]
    status, out, _ = run(["compare", *argv, "--seeds", "0", "--out", str(tmp_path / "s")], capsys)
    assert status == 0 and "convergence.png" in out
    assert (tmp_path / "s" / "dead_units.png").exists()


def test_interrupt_exits_130_and_keeps_finished_runs(capsys, tmp_path, monkeypatch):
    real_fit = runner_module.fit
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(runner_module, "fit", interrupted)
    status, _, err = run(["compare", *TINY, "--out", str(tmp_path / "s")], capsys)
    assert status == 130 and "resume" in err
    assert len(list((tmp_path / "s" / "runs").glob("*.json"))) == 1


def test_missing_data_files_exit_1_with_the_loader_message(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MINNET_DATA_DIR", str(tmp_path / "empty"))
    status, _, err = run(["compare", "--dataset", "mnist", "--activation", "relu", "--seeds", "0", "--no-progress",
                          "--out", str(tmp_path / "m")], capsys)
    assert status == 1
    assert "minnet compare: error:" in err and "mnist" in err.lower()
    assert "MINNET_DATA_DIR" in err.splitlines()[-1]                # what to do, said for a command-line user


def test_a_missing_config_file_is_named_as_the_config_file(capsys, tmp_path):
    status, _, err = run(["compare", "--config", str(tmp_path / "nofile.toml")], capsys)
    assert status == 2 and err.count("\n") == 1
    assert "--config" in err and "nofile.toml" in err and "no such file" in err
