"""How many cores the core computes on."""

from threadpoolctl import threadpool_limits

from sim_core._numba import numba


def set_compute_threads(n: int) -> None:
    """numpy's BLAS (one count for the whole process) and numba's kernels called from this
    thread (numba keeps a count per thread: a new thread takes every core) on n threads."""
    threadpool_limits(n, user_api="blas")
    numba.set_num_threads(n)
