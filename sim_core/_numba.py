"""numba with a cache that works in an installed, read-only package.

numba's `cache=True` raises at import time when it finds no writable cache folder, so
NUMBA_CACHE_DIR is pointed at a per-user folder before numba is imported.
"""

import os
import sys
import tempfile
from pathlib import Path


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

# Every kernel: compiled once per machine (cache), releases the GIL so the game's render
# thread keeps drawing, and no fastmath (it breaks the ±inf logic of the samplers).
kernel = numba.njit(cache=True, nogil=True)
# The U-Net's layer kernels, for LLVM to vectorise: numpy's error model (x/0 gives inf, as in
# numpy) drops the ZeroDivisionError check that keeps divisions scalar, and "reassoc" lets
# sums be reordered and multiply-adds fused, without the no-NaN/no-inf assumptions that make full fastmath unsafe.
layer_kernel = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})
