"""How many cores the core computes on."""

import os

from threadpoolctl import threadpool_limits

from sim_core._numba import numba


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def set_compute_threads(n: int) -> None:
    """numpy's BLAS (one count for the whole process) and numba's kernels called from this
    thread (numba keeps a count per thread: a new thread takes every core) on n threads, at
    most numba's own limit (the cores it found at start)."""
    threadpool_limits(n, user_api="blas")
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
