"""Worker processes that leave when the sweep that started them dies.

joblib's default backend (loky) keeps its worker processes alive between calls and, when
the parent is killed with ``kill -9`` (no chance to clean up), a worker goes on with its
current run and then waits for work for minutes, holding the terminal's pipes open.

:func:`run_in_worker` wraps every task a sweep sends to joblib. In a process whose parent is
the sweep's process (a loky or multiprocessing worker), it starts — once per process — a
daemon thread that checks every :data:`POLL_SECONDS` whether the parent is still there
(``os.getppid()`` changes when the parent dies: the orphan is re-parented to init or a
subreaper) and, if not, ends the worker at once with ``os._exit``. Polling is used rather
than Linux's ``PR_SET_PDEATHSIG``, which fires when the parent *thread* that forked the
worker exits (loky forks from a helper thread) and is Linux-only. Workers on other machines
(Dask, Ray) are not children of the sweep and are left to their own scheduler.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable

#: Seconds between two checks that the sweep's process is alive.
POLL_SECONDS = 0.5

_watchdog_started = False
_lock = threading.Lock()


def _watch(parent_pid: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(1)


def exit_with_parent(parent_pid: int) -> bool:
    """In a child of ``parent_pid``, start the watchdog thread (once); return whether it runs."""
    global _watchdog_started
    if os.getpid() == parent_pid or os.getppid() != parent_pid:
        return False                                  # the sweep's own process, or a remote worker
    with _lock:
        if not _watchdog_started:
            threading.Thread(target=_watch, args=(parent_pid,), name="minnet-parent-watchdog",
                             daemon=True).start()
            _watchdog_started = True
    return True


def run_in_worker(parent_pid: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` after :func:`exit_with_parent` — what a sweep sends to joblib."""
    exit_with_parent(parent_pid)
    return fn(*args, **kwargs)
