"""numba with a cache that works in an installed, read-only package.

numba's `cache=True` raises at import time when it finds no writable cache folder, so
NUMBA_CACHE_DIR is pointed at a per-user folder before numba is imported.
"""

import functools
import os
import sys
import tempfile
import threading
from pathlib import Path
from types import FunctionType


def _user_cache_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "diffusion-quest" / "numba"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
        return True
    except OSError:
        return False


if "NUMBA_CACHE_DIR" not in os.environ:
    cache = _user_cache_dir()
    if not _writable(cache):
        cache = Path(tempfile.gettempdir()) / "diffusion-quest-numba"
    os.environ["NUMBA_CACHE_DIR"] = str(cache)

import numba  # noqa: E402  (must follow the cache setup above)
import numpy as np  # noqa: E402
from numba import prange  # noqa: E402, F401  (for the kernels' modules: numba only through here)

# Every kernel: compiled once per machine (cache), releases the GIL so the game's render
# thread keeps drawing, and no fastmath (it breaks the ±inf logic of the samplers).
kernel = numba.njit(cache=True, nogil=True)
# The U-Net's layer kernels, for LLVM to vectorise: numpy's error model (x/0 gives inf, as in
# numpy) drops the ZeroDivisionError check that keeps divisions scalar, and "reassoc" lets
# sums be reordered and multiply-adds fused, without the no-NaN/no-inf assumptions that make full fastmath unsafe.
_LAYER_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})
layer_kernel = numba.njit(**_LAYER_OPTIONS)


@numba.njit(cache=True, parallel=True)
def _probe(out):  # pragma: no cover  (compiled)
    for i in prange(len(out)):
        out[i] = i


_layer_lock = threading.Lock()
_threading_layer = []  # numba's, once known


def threading_layer() -> str:
    """numba's threading layer, learnt once, from one thread at a time: numba picks it at its
    first parallel launch, and its workqueue aborts the process when two threads launch at once."""
    if not _threading_layer:
        with _layer_lock:
            if not _threading_layer:
                _probe(np.zeros(2))
                _threading_layer.append(numba.threading_layer())
    return _threading_layer[0]


class parallel_kernel:
    """A layer kernel whose prange loops are shared out among the calling thread's numba threads
    (numba.set_num_threads, per thread: the game's worker leaves the render thread a core).
    Even on one thread it runs compiled for parallel: LLVM vectorises the outlined loop body
    better (the Winograd tiles 2.8× faster) for 2–3 µs a launch. Where numba has neither
    OpenMP nor TBB, its workqueue costs tens of µs a launch: there the same function
    compiled serially runs instead."""

    def __init__(self, fn):
        serial = FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
        serial.__qualname__ = fn.__qualname__ + "_serial"  # numba keys its cache by name, not by options
        self.serial = numba.njit(**_LAYER_OPTIONS)(serial)
        self.parallel = numba.njit(parallel=True, **_LAYER_OPTIONS)(fn)
        functools.update_wrapper(self, fn)

    def __call__(self, *args):
        return (self.serial if threading_layer() == "workqueue" else self.parallel)(*args)
