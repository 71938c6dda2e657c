"""minnet compare under hostile conditions: bad run files, exploding losses, user errors, read-only folders, kill -9."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minnet.cli import main
from minnet.experiments import ResultTable, compare
from minnet.experiments import store as store_module
from minnet.experiments import sweep as sweep_module

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(datasets="iris", activations=["relu", "selu"], depths=2, widths=4, epochs=2, batch_sizes=32,
            seeds=[0, 1], progress=False, plots=False)
ARGV = ["compare", "--dataset", "iris", "--activations", "relu", "--depth", "1", "--width", "4", "--epochs", "1",
        "--seeds", "0", "1", "--no-progress", "--no-plots"]


def run(argv, capsys):
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line_error(status, err, *fragments):
    assert status == 2
    assert err.startswith("minnet compare: error: ") and err.count("\n") == 1 and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


# --- 17/8: what counts as a finished run ------------------------------------------------------
@pytest.mark.parametrize("spoil", ["no rows", "other columns", "other version", "fewer rows", "failed"])
def test_a_run_file_that_is_not_a_finished_run_is_run_again_and_named(spoil, tmp_path, fit_calls, capsys):
    out = tmp_path / "s"
    assert run([*ARGV, "--out", str(out)], capsys)[0] == 0
    path = sorted((out / "runs").glob("*.json"))[0]
    stored = json.loads(path.read_text())
    if spoil == "no rows":
        stored["rows"] = []
    elif spoil == "other columns":
        stored["rows"] = [{"epoch": 1, "accuracy": 0.5}]
    elif spoil == "other version":
        stored["minnet_version"] = "0.0.1"
    elif spoil == "fewer rows":
        stored["setting"]["epochs"] = 1
        stored["rows"] = stored["rows"] + stored["rows"]
    else:
        stored["failed"] = "MemoryError"
    path.write_text(json.dumps(stored))
    fit_calls.clear()
    status, printed, _ = run([*ARGV, "--out", str(out)], capsys)
    assert status == 0 and len(fit_calls) == 1                           # that run only
    assert f"not a finished run, running it again: {path}" in printed
    seeds = {line.split(",")[0] for line in (out / "results.csv").read_text().splitlines()[1:]}
    assert len(seeds) == 2                                                # both runs' ids, no seed lost


def test_a_loss_that_explodes_without_nan_is_a_divergence_ranked_last():
    table = compare(datasets="iris", activations="relu", depths=2, widths=8, epochs=4, seeds=[0, 1],
                    lrs=[1e-2, 1e9], progress=False, plots=False)
    finals = {(r["lr"], r["seed"]): r for r in table.final_rows()}
    for seed in (0, 1):
        exploded = finals[(1e9, seed)]
        assert exploded["diverged"] is True and exploded["train_loss"] > 1000 * 1.0986   # 1000·ln 3
        assert exploded["test_accuracy"] is None
    assert [e["lr"] for e in table.summary()] == [1e-2, 1e9]
    assert table.summary()[1]["diverged"] == 2


def test_nan_test_accuracy_is_counted_and_shown():
    rows = []
    for seed, test in enumerate([0.8, 0.9, float("nan")]):
        rows.append({"run_id": f"r{seed}", "activation": "relu", "seed": seed, "epoch": 1, "train_loss": 0.5,
                     "val_accuracy": 0.7, "test_accuracy": test, "diverged": False})
    table = ResultTable(rows)
    (entry,) = table.summary()
    assert entry["test_finite"] == 2 and entry["test_accuracy_mean"] == pytest.approx(0.85)
    assert "85.00 ± 7.07 (2/3)" in table.to_markdown()


# --- 17/11: one line, exit status 2 ----------------------------------------------------------
@pytest.mark.parametrize("toml, fragment", [
    ("progress = 0", "progress must be true or false"),
    ("plots = \"no\"", "plots must be true or false"),
    ("out = 5", "out must be a folder path"),
    ("activations = 5", "activation must be a string"),
    ("select = \"best\"", "unknown select"),
    ("activations = [\"relu\"\n", "not a valid TOML file"),
])
def test_bad_toml_values_are_one_line_errors(toml, fragment, tmp_path, capsys, fit_calls):
    path = tmp_path / "s.toml"
    path.write_text('dataset = "iris"\n' + toml + "\n")
    status, _, err = run(["compare", "--config", str(path)], capsys)
    one_line_error(status, err, fragment)
    assert fit_calls == []


def test_out_naming_a_file_is_refused(tmp_path, capsys, fit_calls):
    (tmp_path / "f").write_text("x")
    status, _, err = run([*ARGV, "--out", str(tmp_path / "f")], capsys)
    one_line_error(status, err, "is a file, not a folder")
    assert (tmp_path / "f").read_text() == "x" and fit_calls == []


def test_a_run_out_of_memory_is_recorded_as_failed_and_the_sweep_goes_on(tmp_path, capsys):
    argv = ["compare", "--dataset", "iris", "--activations", "relu", "--depth", "2", "--width", "300000", "4",
            "--epochs", "1", "--seeds", "0", "--no-progress", "--no-plots", "--out", str(tmp_path / "m")]
    status, printed, err = run(argv, capsys)          # a 300000 x 300000 weight matrix: MemoryError
    assert status == 0 and "Traceback" not in err
    assert "runs failed (MemoryError" in printed
    table = ResultTable.from_csv(tmp_path / "m" / "results.csv")
    failed = [r for r in table.final_rows() if r["failed"]]
    learned = [r for r in table.final_rows() if not r["failed"]]
    assert {r["width"] for r in failed} == {300000} and {r["width"] for r in learned} == {4}
    assert len(list((tmp_path / "m" / "runs").glob("*.json"))) == 1      # failed runs are retried next time


def test_a_read_only_folder(tmp_path, capsys, monkeypatch):
    out = tmp_path / "ro"
    assert run([*ARGV, "--out", str(out)], capsys)[0] == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    monkeypatch.setattr(sweep_module, "_writable", lambda folder: False)   # root ignores chmod; ask as a user would
    status, printed, _ = run([*ARGV, "--out", str(out)], capsys)          # finished: the summary, nothing written
    assert status == 0 and "| relu" in printed and "nothing was written" in printed
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(out / "config.json"))

    monkeypatch.setattr(sweep_module, "write_json_atomic", refuse)
    status, _, err = run([*ARGV, "--lr", "0.5", "--out", str(out)], capsys)     # new runs to write
    one_line_error(status, err, "Permission denied")


# --- 17/1 (compare's files): modes and non-regular files -------------------------------------
def test_new_files_get_the_umask_mode_and_existing_files_keep_theirs(tmp_path):
    old = os.umask(0o027)
    try:
        new = store_module.write_text_atomic(tmp_path / "new.txt", "a")
        assert stat.S_IMODE(new.stat().st_mode) == 0o640
        os.chmod(new, 0o600)
        store_module.write_text_atomic(new, "b")
        assert stat.S_IMODE(new.stat().st_mode) == 0o600 and new.read_text() == "b"
    finally:
        os.umask(old)


def test_a_folder_or_fifo_is_never_replaced_and_a_symlink_is_kept(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError, match="not a regular file"):
        store_module.write_text_atomic(tmp_path / "d", "x")
    assert (tmp_path / "d").is_dir()
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OSError, match="not a regular file"):
        store_module.write_text_atomic(tmp_path / "fifo", "x")
    assert stat.S_ISFIFO((tmp_path / "fifo").stat().st_mode)
    (tmp_path / "target.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to(tmp_path / "target.txt")
    store_module.write_text_atomic(tmp_path / "link.txt", "new")
    assert (tmp_path / "link.txt").is_symlink() and (tmp_path / "target.txt").read_text() == "new"
    assert list(tmp_path.glob(".*.tmp")) == []


# --- 17/12: workers leave with their parent ---------------------------------------------------
def _children(pid):
    """Pids whose parent is ``pid`` (from /proc)."""
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


def _alive(pid):
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux) to find the workers")
def test_joblib_workers_exit_soon_after_the_sweep_is_killed(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "minnet", "compare", "--dataset", "digits", "--activations", "relu", "elu",
            "--depth", "2", "--width", "32", "--epochs", "500", "--seeds", "0", "1", "--jobs", "2",
            "--no-progress", "--no-plots", "--out", str(tmp_path / "k")]
    parent = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (tmp_path / "k" / "config.json").exists():
            time.sleep(0.2)
        time.sleep(3.0)                                                   # the workers have started their runs
        workers = [pid for pid in _children(parent.pid) if _alive(pid)]
        assert workers, "no worker processes found"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.2)
        assert not [pid for pid in workers if _alive(pid)], "workers outlived their parent by 20 s"
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in _children(parent.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
