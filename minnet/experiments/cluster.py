"""Runs of a sweep on a Dask distributed cluster (the ``cluster`` extra: ``pip install -e ".[cluster]"``).

``compare(..., scheduler="tcp://host:8786")`` (CLI ``--scheduler``) sends each pending run to the cluster and
collects the results **in the calling process, as they arrive**, where each finished run is written to the
output folder at once — exactly as a serial sweep does, so resume, divergence handling and run files work the
same way and the numbers are identical (only the timing columns differ). ``scheduler="local"`` starts a
:class:`distributed.LocalCluster` on this machine for the duration of the sweep.

How the work moves:

1. the prepared data sets are **scattered once** to every worker (``Client.scatter(..., broadcast=True)``),
   and each run's task carries only a reference to its data set, not the arrays;
2. one task per run (``Client.submit``), keyed by the run id;
3. ``distributed.as_completed`` hands back each result as it finishes. A worker that dies mid-run loses nothing:
   the scheduler reruns its tasks on the other workers (Dask's ``allowed-failures``, 3 by default), and the run
   is a pure function of its setting, so the rerun gives the same numbers.

An existing cluster — dask-jobqueue on SLURM or PBS, dask-kubernetes, a ``dask scheduler`` started by hand —
needs nothing minnet-specific: pass its scheduler address.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Sequence

#: The value of ``scheduler`` that starts a cluster on this machine.
LOCAL = "local"
CLUSTER_HINT = 'running on a Dask cluster needs the cluster extra: pip install -e ".[cluster]" (dask[distributed])'


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as err:                       # pragma: no cover - depends on the installation
        raise ImportError(CLUSTER_HINT) from err
    return distributed


def check_scheduler(scheduler: Any, where: str = "compare") -> str | None:
    """``scheduler`` as given (None, ``"local"`` or an address string), or a ValueError naming it."""
    if scheduler is None:
        return None
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ValueError(f"{where}: scheduler must be 'local' or a Dask scheduler address such as "
                         f"'tcp://host:8786', got {scheduler!r}")
    return scheduler.strip()


@contextmanager
def connect(scheduler: str, n_workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler`` (``"local"``: a LocalCluster of worker processes), closed after."""
    distributed = _distributed()
    if scheduler == LOCAL:
        cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                           dashboard_address=":0")      # any free port: never a clash
        client = distributed.Client(cluster)
    else:
        cluster, client = None, distributed.Client(scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def cluster_results(run: Callable[..., dict[str, Any]], pending: Sequence[tuple[str, Mapping[str, Any]]],
                    data: Mapping[str, Any], client: Any, extra: tuple[Any, ...] = ()) -> Iterator[dict[str, Any]]:
    """Yield ``run(setting, data[setting["dataset"]], run_id, *extra)`` for every (run id, setting), as each finishes.

    The data sets are scattered to the workers once; each task refers to its data set by future.
    """
    distributed = _distributed()
    shared = {name: client.scatter(value, broadcast=True) for name, value in data.items()}
    futures = [client.submit(run, dict(setting), shared[setting["dataset"]], rid, *extra, key=f"minnet-run-{rid}",
                             pure=False)
               for rid, setting in pending]
    for future in distributed.as_completed(futures):
        yield future.result()
