"""Sweeps on a real Dask LocalCluster (two worker processes on localhost): same numbers, nothing lost.

Skipped with a reason where the cluster extra (dask[distributed]) is not installed.
"""

import os
import signal

import numpy as np
import pytest

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")

from minnet.experiments import ExperimentConfig, prepare_data, run_id, run_one  # noqa: E402
from minnet.experiments.cluster import check_scheduler, cluster_results, connect  # noqa: E402

pytestmark = pytest.mark.slow


def _runs(epochs, seeds=(0, 1)):
    cfg = ExperimentConfig(activations=["relu", "selu"], datasets="iris", depths=2, widths=8, epochs=epochs,
                           seeds=list(seeds))
    data = {"iris": prepare_data("iris", **cfg.data_options())}
    pending = [(run_id(s, cfg.data_options()), s) for s in cfg.settings()]
    return pending, data


def _numbers(result):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in result["rows"]]


def _same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        left, right = a[key], b[key]
        assert (left == right) or (isinstance(left, float) and np.isnan(left) and np.isnan(right)), key


@pytest.fixture(scope="module")
def client():
    with connect("local", n_workers=2) as c:
        yield c


def test_cluster_results_equal_the_serial_runs(client):
    pending, data = _runs(epochs=3)
    got = {r["run_id"]: r for r in cluster_results(run_one, pending, data, client)}
    assert sorted(got) == sorted(rid for rid, _ in pending)
    for rid, setting in pending:
        serial = run_one(setting, data["iris"], rid)
        for row_cluster, row_serial in zip(_numbers(got[rid]), _numbers(serial), strict=True):
            _same(row_cluster, row_serial)


def test_a_worker_killed_mid_sweep_loses_nothing(client):
    pending, data = _runs(epochs=40, seeds=range(4))           # 8 runs: work is still queued after the kill
    results = cluster_results(run_one, pending, data, client)
    first = next(results)                                    # the sweep is under way
    victim = sorted(client.run(os.getpid).values())[0]
    os.kill(victim, signal.SIGKILL)                          # the nanny restarts it; its tasks are rerun
    rest = list(results)
    got = {r["run_id"] for r in [first, *rest]}
    assert got == {rid for rid, _ in pending}
    assert all(len(r["rows"]) == 40 for r in [first, *rest])


@pytest.mark.parametrize("bad", ["", "  ", 5, True])
def test_bad_scheduler_is_refused(bad):
    with pytest.raises(ValueError, match="scheduler must be 'local' or a Dask scheduler address"):
        check_scheduler(bad)


def _without_timing(table):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in table.rows]


def test_compare_on_a_local_cluster_equals_the_serial_sweep_and_resumes(tmp_path):
    import minnet as mn

    grid = dict(activations=["relu", "selu"], datasets="iris", depths=2, widths=8, epochs=3, seeds=[0, 1],
                progress=False, plots=False)
    serial = mn.experiments.compare(**grid, out=tmp_path / "serial")
    cluster = mn.experiments.compare(**grid, out=tmp_path / "cluster", scheduler="local")
    left, right = _without_timing(serial), _without_timing(cluster)
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        _same(a, b)
    assert sorted(p.name for p in (tmp_path / "cluster" / "runs").iterdir()) == \
        sorted(p.name for p in (tmp_path / "serial" / "runs").iterdir())
    again = mn.experiments.compare(**grid, out=tmp_path / "cluster", scheduler="local")
    assert again.skipped == 4 and again.computed == 0          # every run resumed from its file


def test_the_command_line_runs_on_a_local_cluster(tmp_path, capsys):
    from minnet.cli import main

    status = main(["compare", "--dataset", "iris", "--activations", "relu", "--depth", "1", "--width", "4",
                   "--epochs", "2", "--seeds", "0", "1", "--no-progress", "--no-plots", "--scheduler", "local",
                   "--out", str(tmp_path / "cli")])
    assert status == 0
    assert len(list((tmp_path / "cli" / "runs").iterdir())) == 2
    assert main(["compare", "--dataset", "iris", "--scheduler", "", "--out", str(tmp_path / "x")]) == 2
    assert "scheduler must be 'local' or a Dask scheduler address" in capsys.readouterr().err
