"""Shared test settings.

The tests use small matrices, for which a multi-threaded BLAS spends more time starting
threads than multiplying (and on a busy machine, much more). One BLAS thread keeps the
suite fast and its timings steady; results do not depend on it within one process.
"""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="session", autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture
def fit_calls(monkeypatch):
    """Count the calls of ``fit`` made by the comparison runner (the serial path runs in this process)."""
    from minnet.experiments import runner

    calls = []
    real_fit = runner.fit

    def counting_fit(*args, **kwargs):
        calls.append(1)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(runner, "fit", counting_fit)
    return calls
