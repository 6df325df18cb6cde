"""Matrix products from numba kernels, on numpy's own BLAS, split over the caller's numba threads.

numpy's matmul calls BLAS once per matrix of a stack, one thread each (these matrices are too
small for BLAS's own threads), and only between Python statements. A numba kernel can call
the same BLAS routine by its symbol, from each of its threads at once, without the GIL: the
U-Net's stacks of small products (Winograd's 16 per convolution) then use every core.

numpy's wheels ship OpenBLAS built with 64-bit integers, its symbols prefixed `scipy_` and
suffixed `64_`. Where numpy's BLAS is another one (Accelerate, MKL), `matmul_into` is numpy's
matmul: the same numbers, on one thread.
"""

import ctypes

import numpy as np

from sim_core._numba import numba, parallel_kernel, prange

SGEMM = "scipy_cblas_sgemm64_"
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def _numpy_openblas():
    """numpy's OpenBLAS as a ctypes library, or None where numpy uses another BLAS."""
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if info.get("internal_api") == "openblas":
            try:
                lib = ctypes.CDLL(info["filepath"])
            except OSError:
                continue
            if hasattr(lib, SGEMM) and hasattr(lib, "scipy_openblas_set_num_threads64_"):
                import llvmlite.binding

                llvmlite.binding.load_library_permanently(info["filepath"])  # numba's kernels link to it by name
                return lib
    return None


_lib = _numpy_openblas()
HAVE_SGEMM = _lib is not None  # kernels may call `sgemm` (else they must not be compiled)
if _lib is not None:
    _get_blas_threads, _set_blas_threads = _lib.scipy_openblas_get_num_threads64_, _lib.scipy_openblas_set_num_threads64_
types = numba.types
_i64 = types.int64
# cblas_sgemm(order, trans_a, trans_b, M, N, K, α, A, lda, B, ldb, β, C, ldc): C = α·op(A) op(B) + β·C,
# callable from numba kernels (pointers: array.ctypes)
sgemm = types.ExternalFunction(SGEMM, types.void(types.int32, types.int32, types.int32, _i64, _i64, _i64, types.float32,
                                                  types.voidptr, _i64, types.voidptr, _i64, types.float32, types.voidptr, _i64))


@parallel_kernel
def _matmul_kernel(a, b, transpose_a, transpose_b, beta, out):  # pragma: no cover  (compiled)
    """out[s] = op(a[s or 0]) @ op(b[s or 0]) + β·out[s] for each s of the stack (an operand of
    one matrix serves them all), op a matrix or, when asked, its transpose; the products
    shared out among the threads."""
    count, m, n = out.shape
    k = a.shape[1] if transpose_a else a.shape[2]
    op_a, op_b = TRANS if transpose_a else NO_TRANS, TRANS if transpose_b else NO_TRANS
    for item in prange(count):
        ai, bi = item % a.shape[0], item % b.shape[0]  # an operand of one matrix: 0
        sgemm(ROW_MAJOR, op_a, op_b, m, n, k, np.float32(1.0), a[ai].ctypes, a.shape[2],
              b[bi].ctypes, b.shape[2], beta, out[item].ctypes, n)


def _matrices_contiguous(stack) -> bool:
    """Whether each matrix of a 3-D float32 stack is C-contiguous: the stack itself may have
    gaps between them, as the Winograd scratch stacks do."""
    return stack.dtype == np.float32 and stack.strides[2] == 4 and stack.strides[1] == 4 * stack.shape[2]


def _as_stored(stack):
    """The C-contiguous matrices BLAS reads for an operand, and whether it reads them
    transposed: a transposed view (np.swapaxes) costs no copy."""
    if _matrices_contiguous(stack):
        return stack, False
    if _matrices_contiguous(np.swapaxes(stack, 1, 2)):
        return np.swapaxes(stack, 1, 2), True
    return np.ascontiguousarray(stack, dtype=np.float32), False


def matmul_into(a, b, out, accumulate: bool = False) -> np.ndarray:
    """np.matmul(a, b, out=out) for float32 stacks (S or 1, M, K) @ (S or 1, K, N) → (S, M, N), on
    the calling thread's numba threads when numpy's BLAS is OpenBLAS (else numpy's matmul).
    An operand may be a transposed view. accumulate: out += a @ b instead (a bias or a
    residual already in out costs no pass of its own). Fewer products than threads (one
    image's 1×1 convolution) have their rows shared out instead."""
    stacks = {len(a), len(b)} - {1}
    if not (a.ndim == b.ndim == out.ndim == 3 and a.shape[2] == b.shape[1] and len(stacks) <= 1
            and out.shape == (max(len(a), len(b)), a.shape[1], b.shape[2]) and out.dtype == np.float32):
        raise ValueError(f"matmul_into: {a.shape} @ {b.shape} does not make float32 {out.shape}")
    if not HAVE_SGEMM:
        if accumulate:
            out += np.matmul(a, b)
            return out
        return np.matmul(a, b, out=out)
    if not _matrices_contiguous(out):
        raise ValueError("out's matrices must be C-contiguous")
    (a, transpose_a), (b, transpose_b) = _as_stored(a), _as_stored(b)
    products = out
    split, rows = numba.get_num_threads() // len(out), out.shape[1]  # fewer products than threads: split their rows
    if split > 1 and len(b) == 1 and not transpose_a and rows % split == 0 and rows // split >= 8 and out.flags.c_contiguous:
        a, products = a.reshape(len(a) * split, rows // split, -1), out.reshape(len(out) * split, rows // split, -1)
    with one_blas_thread():
        _matmul_kernel(a, b, transpose_a, transpose_b, np.float32(accumulate), products)
    return out


class one_blas_thread:
    """numpy's OpenBLAS on one thread inside the block (other BLAS libraries are left as they
    are: matmul_into does not call them from numba's threads): the parallelism is numba's then. BLAS's own
    threads, inside numba's or beside them, would fight them for the cores (and both kinds
    spin a while after each call): a U-Net evaluation took 5× longer on 2 cores."""

    def __enter__(self):
        self.threads = _get_blas_threads() if _lib is not None else 1
        if self.threads != 1:
            _set_blas_threads(1)

    def __exit__(self, *exc):
        if self.threads != 1:
            _set_blas_threads(self.threads)
