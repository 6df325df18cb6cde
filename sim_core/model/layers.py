"""The U-Net's layers in numpy, each a few lines to compare with its torch twin
(training/unet_torch.py). Arrays are float32; images NCHW; token sequences (N, L, D).

A `Module` declares its parameters by name and shape and holds its children as
attributes, so a torch state_dict maps onto it name for name ("down.1.res.conv1.weight").
"""

import math
import operator
import threading

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from sim_core._numba import layer_kernel, parallel_kernel, prange
from sim_core.model.blas import HAVE_SGEMM, NO_TRANS, ROW_MAJOR, TRANS, matmul_into, sgemm


class Module:
    def __init__(self):
        self._shapes: dict[str, tuple[int, ...]] = {}
        self._kept: dict[str, tuple] = {}  # see kept()

    def param(self, name: str, *shape: int) -> None:
        self._shapes[name] = shape
        setattr(self, name, None)

    def children(self):
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_shapes(self, prefix: str = ""):
        """Every parameter's full name and shape, in the torch state_dict's naming."""
        for name, shape in self._shapes.items():
            yield prefix + name, shape
        for name, child in self.children():
            yield from child.named_shapes(f"{prefix}{name}.")

    def kept(self, name: str, make, weights: tuple, context=None):
        """make()'s arrays, derived from this module's `weights` (and `context`, when given),
        made once and kept under `name` until one of those weight arrays is replaced (new
        weights assigned) or the context's values change."""
        entry = self._kept.get(name)  # read once: another thread may replace it
        if entry is not None and all(map(operator.is_, weights, entry[0])) and (
                context is None or np.array_equal(entry[1], context)):
            return entry[2]
        value = make()
        self._kept[name] = (weights, None if context is None else context.copy(), value)
        return value

    def assign(self, weights: dict, prefix: str = "") -> None:
        """Take this module's arrays from `weights` (already checked by the loader)."""
        for name in self._shapes:
            setattr(self, name, weights[prefix + name])
        for name, child in self.children():
            child.assign(weights, f"{prefix}{name}.")


class Linear(Module):
    """y = x Wᵀ + b"""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.param("weight", cout, cin)
        self.param("bias", cout)

    def __call__(self, x):
        return x @ self.weight.T + self.bias


@layer_kernel
def _im2col_kernel(x, k, stride, pad, h, w, cols):  # pragma: no cover  (compiled)
    """cols[n, (di·k + dj)·C + c, i·W_out + j] = x[n, c, i·stride + di − pad, j·stride + dj − pad]
    (0 outside the image), x as (N, C·H·W) and cols as (N, k·k·C·H_out·W_out): one column per
    output pixel, so kernels @ cols is already NCHW. Rows are ordered by offset, then channel."""
    n_img = x.shape[0]
    channels = x.shape[1] // (h * w)
    w_out = (w + 2 * pad - k) // stride + 1
    h_out = (h + 2 * pad - k) // stride + 1
    block = channels * h_out * w_out
    for n in range(n_img):
        for di in range(k):
            for dj in range(k):
                dst = cols[n, (di * k + dj) * block:(di * k + dj + 1) * block]
                for c in range(channels):
                    for i in range(h_out):
                        for j in range(w_out):
                            y, xx = i * stride + di - pad, j * stride + dj - pad
                            inside = 0 <= y < h and 0 <= xx < w
                            dst[(c * h_out + i) * w_out + j] = x[n, (c * h + y) * w + xx] if inside else 0.0


def im2col(x, k: int, stride: int):
    """Every k×k patch of x (N, C, H, W), zero-padded by k//2, as a column:
    (N, k·k·C, H_out·W_out), rows ordered (di, dj, c)."""
    n, c, h, w = x.shape
    pad = k // 2
    h_out, w_out = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    cols = np.empty((n, k * k * c, h_out * w_out), dtype=np.float32)
    x = np.ascontiguousarray(x, dtype=np.float32)
    _im2col_kernel(x.reshape(n, -1), k, stride, pad, h, w, cols.reshape(n, -1))
    return cols, h_out, w_out


# Winograd's minimal filtering F(m×m, 3×3) (Lavin & Gray 2016): an m×m output tile of a 3×3
# convolution is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over the (m + 2)×(m + 2) input tile d around it:
# (m + 2)² multiplies instead of 9m². Summed over channels, the ⊙ becomes (m + 2)² matrix
# products, one per tile entry. m = 2: 16 products for 4 outputs; m = 4: 36 for 16, 1.8× fewer
# multiplies, used where the images are large enough for BLAS to run at speed on its
# fewer, narrower matrices (16×16 and up). G for each m (Bᵀ and Aᵀ are in the kernels):
WINOGRAD_G = {2: np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]),
              4: np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                           [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]])}


def winograd_kernels(weight, tile: int = 2):
    """U = G g Gᵀ for every (C_out, C_in) kernel g, as (tile + 2)² matrices ((tile + 2)², C_out, C_in)."""
    g = WINOGRAD_G[tile]
    u = np.einsum("ik,ockl,jl->ijoc", g, weight.astype(np.float64), g)
    return np.ascontiguousarray(u.reshape(len(g) ** 2, *weight.shape[:2]), dtype=np.float32)


_scratch = threading.local()


def scratch(name: str, shape: tuple) -> np.ndarray:
    """A float32 array of this thread's own, zeroed when made and reused by every later call
    with the same name and shape: the convolutions' working arrays cost no allocation and
    no page faults, and a padding border that is never written stays zero. It starts on a
    64-byte cache line, so that threads writing neighbouring blocks of it (one image each)
    do not share a line (numpy aligns to 16 bytes: a shared line at every block boundary
    made the Winograd tiles slower on two threads than on one)."""
    arrays = _scratch.__dict__.setdefault("arrays", {})
    if (name, shape) not in arrays:
        memory = np.zeros(math.prod(shape) + 16, dtype=np.float32)
        start = (-memory.ctypes.data % 64) // 4
        arrays[name, shape] = memory[start:start + math.prod(shape)].reshape(shape)
    return arrays[name, shape]


def _tile_stack(name, entries, rows, tiles_per_row):
    """A C-contiguous float32 (entries, rows + gap, tiles_per_row) scratch stack: rows of tiles
    for the transforms, [:, :rows] for the products. The gap: the transforms read or write all
    16 (or 36) matrices at once, and streams a power of two apart collide in the cache (4 KiB
    aliasing made them ten times slower). C-contiguous, so numba knows the inner stride
    and the output transform vectorises."""
    return scratch(name, (entries, rows - (-64 // tiles_per_row), tiles_per_row))


@parallel_kernel
def _winograd_tiles_kernel(xp, n_img, th, tw, v):  # pragma: no cover  (compiled)
    """v[4a + b, (c·N + n)·th + i, j] = (Bᵀ d B)[a, b], d the 4×4 tile at rows 2i…2i+3 and
    columns 2j…2j+3 of the zero-padded plane (c, n) of xp (C·N·(2th + 2), 2tw + 2).
    Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]: t = Bᵀ d, then t B.
    The planes are shared out image by image. (Scalar code: a version that vectorised over j,
    with even and odd columns apart, was slower.)"""
    channels = xp.shape[0] // (2 * th + 2) // n_img
    for item in prange(n_img * channels):
        plane = (item % channels) * n_img + item // channels
        for i in range(th):
            r, q = plane * (2 * th + 2) + 2 * i, plane * th + i
            for j in range(tw):
                x = 2 * j
                t00, t01, t02, t03 = xp[r, x] - xp[r + 2, x], xp[r, x + 1] - xp[r + 2, x + 1], xp[r, x + 2] - xp[r + 2, x + 2], xp[r, x + 3] - xp[r + 2, x + 3]
                t10, t11, t12, t13 = xp[r + 1, x] + xp[r + 2, x], xp[r + 1, x + 1] + xp[r + 2, x + 1], xp[r + 1, x + 2] + xp[r + 2, x + 2], xp[r + 1, x + 3] + xp[r + 2, x + 3]
                t20, t21, t22, t23 = xp[r + 2, x] - xp[r + 1, x], xp[r + 2, x + 1] - xp[r + 1, x + 1], xp[r + 2, x + 2] - xp[r + 1, x + 2], xp[r + 2, x + 3] - xp[r + 1, x + 3]
                t30, t31, t32, t33 = xp[r + 1, x] - xp[r + 3, x], xp[r + 1, x + 1] - xp[r + 3, x + 1], xp[r + 1, x + 2] - xp[r + 3, x + 2], xp[r + 1, x + 3] - xp[r + 3, x + 3]
                v[0, q, j], v[1, q, j], v[2, q, j], v[3, q, j] = t00 - t02, t01 + t02, t02 - t01, t01 - t03
                v[4, q, j], v[5, q, j], v[6, q, j], v[7, q, j] = t10 - t12, t11 + t12, t12 - t11, t11 - t13
                v[8, q, j], v[9, q, j], v[10, q, j], v[11, q, j] = t20 - t22, t21 + t22, t22 - t21, t21 - t23
                v[12, q, j], v[13, q, j], v[14, q, j], v[15, q, j] = t30 - t32, t31 + t32, t32 - t31, t31 - t33


def winograd_tiles(x, norm=None, tile: int = 2):
    """V = Bᵀ d B for every (tile + 2)² input tile d (stride `tile`, zero padding 1) of x (N, C, H, W),
    or of SiLU(norm(x)) when a GroupNorm is given (written straight into the padded copy), as
    (tile + 2)² matrices ((tile + 2)², C, N·th·tw) with th = ⌈H/tile⌉ and tw = ⌈W/tile⌉ tiles down
    and across (the images side by side), in this thread's scratch space (valid until its next call)."""
    n, c, h, w = x.shape
    th, tw = -(-h // tile), -(-w // tile)
    # one per image size, so its border stays zero: sizes that round to the same tiles (17 and
    # 20) would leave the larger image's last pixels where the smaller one's padding goes
    xp = scratch(f"winograd.padded.{h}x{w}", (c, n, tile * th + 2, tile * tw + 2))
    if norm is None:
        xp[:, :, 1:h + 1, 1:w + 1] = x.transpose(1, 0, 2, 3)
    else:
        norm(x, silu=True, padded_into=xp)
    entries = (tile + 2) ** 2
    v = _tile_stack("winograd.tiles", entries, c * n * th, tw)
    WINOGRAD_KERNELS[tile][0](xp.reshape(-1, tile * tw + 2), n, th, tw, v)
    return v[:, :c * n * th].reshape(entries, c, -1), th, tw


@parallel_kernel
def _winograd_output_kernel(m, bias, th, tw, residual, add_residual, out):  # pragma: no cover  (compiled)
    """out[(n·C_out + o)·2th + 2i + a, 2j + b] = (Aᵀ M A)[a, b] + bias[n, o] (+ the same entry of
    residual when asked), M the 4×4 values m[:, (o·N + n)·th + i, j], Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].
    The planes are shared out image by image."""
    n_img, cout = bias.shape
    for item in prange(n_img * cout):
        n, o = item // cout, item % cout
        b = bias[n, o]
        for i in range(th):
            q, r = (o * n_img + n) * th + i, (n * cout + o) * 2 * th + 2 * i
            for j in range(tw):
                a0 = m[0, q, j] + m[4, q, j] + m[8, q, j]
                a1 = m[1, q, j] + m[5, q, j] + m[9, q, j]
                a2 = m[2, q, j] + m[6, q, j] + m[10, q, j]
                a3 = m[3, q, j] + m[7, q, j] + m[11, q, j]
                b0 = m[4, q, j] - m[8, q, j] - m[12, q, j]
                b1 = m[5, q, j] - m[9, q, j] - m[13, q, j]
                b2 = m[6, q, j] - m[10, q, j] - m[14, q, j]
                b3 = m[7, q, j] - m[11, q, j] - m[15, q, j]
                y00, y01, y10, y11 = a0 + a1 + a2 + b, a1 - a2 - a3 + b, b0 + b1 + b2 + b, b1 - b2 - b3 + b
                if add_residual:
                    y00 += residual[r, 2 * j]
                    y01 += residual[r, 2 * j + 1]
                    y10 += residual[r + 1, 2 * j]
                    y11 += residual[r + 1, 2 * j + 1]
                out[r, 2 * j], out[r, 2 * j + 1], out[r + 1, 2 * j], out[r + 1, 2 * j + 1] = y00, y01, y10, y11


_2, _4, _5, _8 = np.float32(2), np.float32(4), np.float32(5), np.float32(8)  # float32 kernels stay float32


@layer_kernel
def _input_transform6(d0, d1, d2, d3, d4, d5):  # pragma: no cover  (compiled, inlined)
    """Bᵀd for F(4×4, 3×3): Bᵀ = [[4, 0, −5, 0, 1, 0], [0, −4, −4, 1, 1, 0], [0, 4, −4, −1, 1, 0],
    [0, −2, −1, 2, 1, 0], [0, 2, −1, −2, 1, 0], [0, 4, 0, −5, 0, 1]]."""
    return (_4 * d0 - _5 * d2 + d4, d3 + d4 - _4 * (d1 + d2), d4 - d3 + _4 * (d1 - d2),
            d4 - d2 + _2 * (d3 - d1), d4 - d2 + _2 * (d1 - d3), _4 * d1 - _5 * d3 + d5)


@layer_kernel
def _output_transform6(m0, m1, m2, m3, m4, m5):  # pragma: no cover  (compiled, inlined)
    """Aᵀm for F(4×4, 3×3): Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, −1, 2, −2, 0], [0, 1, 1, 4, 4, 0],
    [0, 1, −1, 8, −8, 1]]."""
    return (m0 + m1 + m2 + m3 + m4, m1 - m2 + _2 * (m3 - m4), m1 + m2 + _4 * (m3 + m4), m1 - m2 + _8 * (m3 - m4) + m5)


@parallel_kernel
def _winograd4_tiles_kernel(xp, n_img, th, tw, v):  # pragma: no cover  (compiled)
    """v[6a + b, (c·N + n)·th + i, j] = (Bᵀ d B)[a, b], d the 6×6 tile at rows 4i…4i+5 and
    columns 4j…4j+5 of the zero-padded plane (c, n) of xp (C·N·(4th + 2), 4tw + 2): Bᵀ down
    the columns of a row of tiles at once (a loop over contiguous columns, which vectorises),
    then along each tile's rows. The planes are shared out image by image."""
    rows, width = 4 * th + 2, 4 * tw + 2
    channels = xp.shape[0] // rows // n_img
    for item in prange(n_img * channels):
        plane = (item % channels) * n_img + item // channels
        t = np.empty((6, width), dtype=np.float32)
        for i in range(th):
            r, q = plane * rows + 4 * i, plane * th + i
            for x in range(width):
                t[0, x], t[1, x], t[2, x], t[3, x], t[4, x], t[5, x] = _input_transform6(
                    xp[r, x], xp[r + 1, x], xp[r + 2, x], xp[r + 3, x], xp[r + 4, x], xp[r + 5, x])
            for a in range(6):
                for j in range(tw):
                    x = 4 * j
                    v[6 * a, q, j], v[6 * a + 1, q, j], v[6 * a + 2, q, j], v[6 * a + 3, q, j], v[6 * a + 4, q, j], v[6 * a + 5, q, j] = \
                        _input_transform6(t[a, x], t[a, x + 1], t[a, x + 2], t[a, x + 3], t[a, x + 4], t[a, x + 5])


@parallel_kernel
def _winograd4_output_kernel(m, bias, th, tw, residual, add_residual, out):  # pragma: no cover  (compiled)
    """out[(n·C_out + o)·4th + 4i + a, 4j + b] = (Aᵀ M A)[a, b] + bias[n, o] (+ the same entry of
    residual when asked), M the 6×6 values m[:, (o·N + n)·th + i, j]: A along each tile's rows
    (S = M A), then Aᵀ down the columns of a row of tiles at once (Aᵀ S, over contiguous
    columns). The planes are shared out image by image."""
    n_img, cout = bias.shape
    for item in prange(n_img * cout):
        n, o = item // cout, item % cout
        bv = bias[n, o]
        s = np.empty((6, 4 * tw), dtype=np.float32)
        for i in range(th):
            q, r = (o * n_img + n) * th + i, (n * cout + o) * 4 * th + 4 * i
            for a in range(6):
                for j in range(tw):
                    s[a, 4 * j], s[a, 4 * j + 1], s[a, 4 * j + 2], s[a, 4 * j + 3] = _output_transform6(
                        m[6 * a, q, j], m[6 * a + 1, q, j], m[6 * a + 2, q, j], m[6 * a + 3, q, j], m[6 * a + 4, q, j], m[6 * a + 5, q, j])
            for x in range(4 * tw):
                y0, y1, y2, y3 = _output_transform6(s[0, x], s[1, x], s[2, x], s[3, x], s[4, x], s[5, x])
                if add_residual:
                    y0 += residual[r, x]
                    y1 += residual[r + 1, x]
                    y2 += residual[r + 2, x]
                    y3 += residual[r + 3, x]
                out[r, x], out[r + 1, x], out[r + 2, x], out[r + 3, x] = y0 + bv, y1 + bv, y2 + bv, y3 + bv


WINOGRAD_KERNELS = {2: (_winograd_tiles_kernel, _winograd_output_kernel), 4: (_winograd4_tiles_kernel, _winograd4_output_kernel)}


class Conv2d(Module):
    """2-D cross-correlation (zero padding k//2) as matrix products: 3×3 with stride 1 through
    Winograd's F(4×4, 3×3) or F(2×2, 3×3) (36 or 16 products, 4× or 2.25× fewer multiplies),
    any other as one product of the kernels (C_out, k·k·C_in) with every k×k patch as a column
    (im2col). Output NCHW."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1):
        super().__init__()
        self.k, self.stride = k, stride
        self.winograd = (k, stride) == (3, 1)
        self.param("weight", cout, cin, k, k)
        self.param("bias", cout)

    def matrix(self, tile: int = 2):
        """The kernels as the product's left side: Winograd's U ((tile + 2)², C_out, C_in), or
        (C_out, k·k·C_in) in im2col's row order; remade when the weight array changes."""
        w = self.weight
        return self.kept(f"matrix{tile}", lambda: winograd_kernels(w, tile) if self.winograd
                         else np.ascontiguousarray(w.transpose(0, 2, 3, 1).reshape(len(w), -1)), (w,))

    def columns(self, x):
        """The product's right side for input x: Winograd's V (for matrix(winograd_tile(H, W))),
        or im2col's columns."""
        x = np.asarray(x, dtype=np.float32)
        if not self.winograd:
            return im2col(x, self.k, self.stride)[0]
        return winograd_tiles(x, tile=winograd_tile(*x.shape[2:]))[0].copy()

    def __call__(self, x, shift=None, residual=None, norm=None):
        """conv(x) + bias, plus shift[n, o] for image n and output channel o (a ResBlock's
        timestep projection) and a residual of the output's shape, when given; with a
        GroupNorm, conv(SiLU(norm(x))). Winograd's passes take these on the way in and
        out: they make no arrays of their own."""
        n, _, h, w = x.shape
        bias = self.bias if shift is None else self.bias + shift  # (C_out,) or (N, C_out)
        if self.winograd:
            return self._winograd(x, bias, residual, norm)
        if norm is not None:
            x = norm(x, silu=True)
        if self.k == 1:  # a 1×1 convolution mixes channels only
            cols, h_out, w_out = np.ascontiguousarray(x, dtype=np.float32).reshape(n, x.shape[1], -1), h, w
        else:
            cols, h_out, w_out = im2col(x, self.k, self.stride)
        out = np.empty((n, len(self.bias), h_out * w_out), dtype=np.float32)
        matmul_into(self.matrix()[None], cols, out)
        out += bias[..., None]
        out = out.reshape(n, -1, h_out, w_out)
        if residual is not None:
            out += residual
        return out

    def _winograd(self, x, bias, residual, norm):
        n, _, h, w = x.shape
        tile = winograd_tile(h, w)
        v, th, tw = winograd_tiles(x, norm, tile)
        cout = len(self.bias)
        rows = cout * n * th
        m = _tile_stack("winograd.products", len(v), rows, tw)
        matmul_into(self.matrix(tile), v, m[:, :rows].reshape(len(v), cout, -1))
        out = np.empty((n, cout, tile * th, tile * tw), dtype=np.float32)
        whole = (tile * th, tile * tw) == (h, w)  # other sizes: the last tiles' extra rows or columns are cut
        add = whole and residual is not None  # else added after the cut
        added = np.ascontiguousarray(residual, dtype=np.float32) if add else out  # out: a placeholder, unread
        per_image = np.empty((n, cout), dtype=np.float32)  # writable and C-ordered: one compiled signature
        per_image[:] = bias
        WINOGRAD_KERNELS[tile][1](m, per_image, th, tw, added.reshape(-1, tile * tw), add, out.reshape(-1, tile * tw))
        if whole:
            return out
        out = np.ascontiguousarray(out[:, :, :h, :w])
        if residual is not None:
            out += residual
        return out


def winograd_tile(h: int, w: int) -> int:
    """The output tile, 4×4 from 16 pixels a side, else 2×2: on 8×8 images a batch has too few
    4×4 tiles (8 columns) for BLAS to gain from F(4×4)'s fewer multiplies (measured)."""
    return 4 if min(h, w) >= 16 else 2


def conv2d_reference(x, weight, bias, stride=1):
    """The same convolution with numpy's sliding windows, kept to test the kernel."""
    n, c, _, _ = x.shape
    k = weight.shape[-1]
    pad = k // 2
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    patches = sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    ho, wo = patches.shape[2:4]
    cols = patches.transpose(0, 2, 3, 1, 4, 5).reshape(n, ho * wo, c * k * k)
    out = cols @ weight.reshape(len(bias), -1).T + bias
    return out.transpose(0, 2, 1).reshape(n, -1, ho, wo)


@layer_kernel
def _sigmoid(x):  # pragma: no cover  (compiled)
    """σ(x) = ½ + ½·tanh(x/2), tanh as Eigen's rational approximation (max error a few ulp
    in float32): only multiplies, adds and one divide, so the loops that call it vectorise
    (numba's own exp is a scalar libm call per element)."""
    t = np.float32(0.5) * x
    t = np.float32(-9.0) if t < np.float32(-9.0) else (np.float32(9.0) if t > np.float32(9.0) else t)
    t2 = t * t
    p = np.float32(-2.76076847742355e-16)
    p = p * t2 + np.float32(2.00018790482477e-13)
    p = p * t2 + np.float32(-8.60467152213735e-11)
    p = p * t2 + np.float32(5.12229709037114e-08)
    p = p * t2 + np.float32(1.48572235717979e-05)
    p = p * t2 + np.float32(6.37261928875436e-04)
    p = p * t2 + np.float32(4.89352455891786e-03)
    q = np.float32(1.19825839466702e-06)
    q = q * t2 + np.float32(1.18534705686654e-04)
    q = q * t2 + np.float32(2.26843463243900e-03)
    q = q * t2 + np.float32(4.89352518554385e-03)
    return np.float32(0.5) + np.float32(0.5) * (t * p / q)


@layer_kernel
def _normalised(v, scale, shift, then_silu):  # pragma: no cover  (compiled, inlined)
    y = v * scale + shift
    return y * _sigmoid(y) if then_silu else y


@parallel_kernel
def _group_norm_kernel(x, h, groups, eps, weight, bias, then_silu, padded, out):  # pragma: no cover  (compiled)
    """out[n, c] = γ_c·(x[n, c] − μ)/√(σ² + ε) + β_c, μ and σ² over the group of c in image n
    (two passes, float64 sums); then SiLU(y) = y·σ(y) when asked, in the same pass.
    x (N, C, H·W); out (N, C, H, W), or when padded the inside of a zero-bordered
    channels-first copy (C, N, H + 2, W + 2), as the Winograd tiles read it. The groups are
    shared out image by image."""
    n_img, channels, size = x.shape
    w = size // h
    per = channels // groups
    count = per * size
    for item in prange(n_img * groups):
        n, g = item // groups, item % groups
        total = 0.0
        for c in range(g * per, (g + 1) * per):
            for p in range(size):
                total += x[n, c, p]
        mean = total / count
        total = 0.0
        for c in range(g * per, (g + 1) * per):
            for p in range(size):
                d = x[n, c, p] - mean
                total += d * d
        rstd = 1.0 / np.sqrt(total / count + eps)
        for c in range(g * per, (g + 1) * per):
            scale = np.float32(weight[c] * rstd)
            shift = np.float32(bias[c] - mean * weight[c] * rstd)
            for i in range(h):
                if padded:
                    for j in range(w):
                        out[c, n, i + 1, j + 1] = _normalised(x[n, c, i * w + j], scale, shift, then_silu)
                else:
                    for j in range(w):
                        out[n, c, i, j] = _normalised(x[n, c, i * w + j], scale, shift, then_silu)


class GroupNorm(Module):
    """Normalise each group of channels over (channels, H, W) to mean 0, variance 1, then
    scale and shift per channel (Wu & He 2018). silu=True applies SiLU in the same pass.
    padded_into, a zero-bordered channels-first array (C, N, H + 2, W + 2), receives the
    result inside its border instead of a new array (Winograd's padded input)."""

    def __init__(self, groups: int, channels: int, eps: float = 1e-5):
        super().__init__()
        self.groups, self.eps = groups, eps
        self.param("weight", channels)
        self.param("bias", channels)

    def __call__(self, x, silu: bool = False, padded_into=None):
        n, c, h, w = x.shape
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty_like(x) if padded_into is None else padded_into
        _group_norm_kernel(x.reshape(n, c, h * w), h, self.groups, self.eps, self.weight, self.bias, silu,
                           padded_into is not None, out)
        return out


class LayerNorm(Module):
    """Normalise the last axis to mean 0, variance 1, then scale and shift."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.param("weight", dim)
        self.param("bias", dim)

    def __call__(self, x):
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.weight + self.bias


class Embedding(Module):
    def __init__(self, num: int, dim: int):
        super().__init__()
        self.param("weight", num, dim)

    def __call__(self, ids):
        return self.weight[ids]


def silu(x):
    """SiLU(x) = x · σ(x)"""
    return x * (0.5 + 0.5 * np.tanh(0.5 * x))  # σ(x) via tanh: no overflow for x ≪ 0


def softmax(x, axis=-1):
    """exp(x − max x) / Σ exp(x − max x) along `axis`, in one new array (no temporaries)."""
    e = x - x.max(axis=axis, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


_LOG2E, _LN2 = np.float32(1 / math.log(2)), np.float32(math.log(2))


@layer_kernel
def _exp_parts(x):  # pragma: no cover  (compiled, inlined)
    """e^x = p·2^n for x ≤ 0 (x below −87 taken as −87: e^−87 ≈ 1.6e−38, the float32 floor):
    n = round(x·log₂e), r = x − n·ln 2 (|r| ≤ ½ln 2), p = e^r by its Taylor series to r⁷
    (relative error < 2e−7). Only multiplies and adds, so the loops that call it vectorise
    (numba's own exp is a scalar libm call per element)."""
    x = np.float32(-87.0) if x < np.float32(-87.0) else x
    n = np.floor(x * _LOG2E + np.float32(0.5))
    r = x - n * _LN2
    p = np.float32(1 / 5040)
    for c in (1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1.0, 1.0):
        p = p * r + np.float32(c)
    return p, np.int32(n)


@layer_kernel
def _softmax_columns(s, work):  # pragma: no cover  (compiled, inlined)
    """s (K, Q) in place: softmax down each column, exp(s − max) / Σ exp(s − max) over the K
    rows (the keys), each pass a loop along a row (the queries) that vectorises. work: float32
    (3, Q) scratch (the column maxima, then the sums; the powers of two as int32 bits)."""
    peak, total, bits = work[0], work[1], work[2].view(np.int32)
    scale = work[2]  # 2^n: the float32 whose exponent bits are n + 127
    peak[:] = s[0]
    for j in range(1, s.shape[0]):
        for i in range(s.shape[1]):
            peak[i] = s[j, i] if s[j, i] > peak[i] else peak[i]
    total[:] = 0
    for j in range(s.shape[0]):
        for i in range(s.shape[1]):
            p, n = _exp_parts(s[j, i] - peak[i])
            bits[i] = (n + 127) << 23
            s[j, i] = p * scale[i]
            total[i] += s[j, i]
    for j in range(s.shape[0]):
        for i in range(s.shape[1]):
            s[j, i] /= total[i]


@parallel_kernel
def _softmax_columns_kernel(s, work):  # pragma: no cover  (compiled)
    """_softmax_columns for each matrix of the stack s (S, K, Q), shared out among the threads."""
    for item in prange(s.shape[0]):
        _softmax_columns(s[item], work[item])


def softmax_columns(s):
    """softmax(s, axis=1) of a float32 stack (S, K, Q), in place: over each column's K entries."""
    _softmax_columns_kernel(s, scratch("softmax.work", (len(s), 3, s.shape[2])))
    return s


@parallel_kernel
def _attend_kernel(qkv, heads, scores, work, out):  # pragma: no cover  (compiled)
    """out[n, hd:(h+1)d] = v_h softmax(k_hᵀ q_h) for image n and head h, softmax down each column:
    q_h, k_h, v_h the (d, P) rows hd…(h+1)d of the q, k and v thirds of qkv[n] (3C, P). The
    (P, P) scores, keys down and queries across, in scores[n·heads + h]; images and heads
    shared out among the threads, each with its two products (BLAS) and its softmax."""
    n_img, c3, p = qkv.shape
    c = c3 // 3
    d = c // heads
    for item in prange(n_img * heads):
        n, h = item // heads, item % heads
        q, k, v = qkv[n, h * d:(h + 1) * d], qkv[n, c + h * d:c + (h + 1) * d], qkv[n, 2 * c + h * d:2 * c + (h + 1) * d]
        st = scores[item]
        sgemm(ROW_MAJOR, TRANS, NO_TRANS, p, p, d, np.float32(1.0), k.ctypes, p, q.ctypes, p, np.float32(0.0), st.ctypes, p)
        _softmax_columns(st, work[item])
        sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, d, p, p, np.float32(1.0), v.ctypes, p, st.ctypes, p, np.float32(0.0),
              out[n, h * d:(h + 1) * d].ctypes, p)


def attend(qkv, heads: int):
    """Multi-head attention of P positions to themselves, channels first: qkv (N, 3C, P) holds
    q (already divided by √d), k and v; returns (N, C, P) with head h's rows v_h softmax(k_hᵀ q_h).
    One kernel per call where numpy's BLAS can be called from numba (else attend_reference)."""
    if not HAVE_SGEMM:
        return attend_reference(qkv, heads)
    n, c3, p = qkv.shape
    out = np.empty((n, c3 // 3, p), dtype=np.float32)
    _attend_kernel(np.ascontiguousarray(qkv, dtype=np.float32), heads, scratch("attend.scores", (n * heads, p, p)),
                   scratch("attend.work", (n * heads, 3, p)), out)
    return out


def attend_reference(qkv, heads: int):
    """attend in numpy: the products per head through matmul, softmax along the keys."""
    n, c3, p = qkv.shape
    q, k, v = (part.reshape(n, heads, -1, p) for part in np.split(qkv, 3, axis=1))
    weights = softmax(np.swapaxes(q, -1, -2) @ k)  # (N, heads, queries, keys)
    return (v @ np.swapaxes(weights, -1, -2)).reshape(n, -1, p)


def attention(q, k, v):
    """softmax(q kᵀ / √d) v over (…, heads, tokens, d); returns the output and the weights."""
    weights = softmax(q @ np.swapaxes(k, -1, -2) / np.float32(math.sqrt(q.shape[-1])))
    return weights @ v, weights


def split_heads(x, heads: int):
    n, length, c = x.shape
    return x.reshape(n, length, heads, c // heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    n, heads, length, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(n, length, heads * d)


def timestep_embedding(t, dim: int):
    """[sin(t·f_i), cos(t·f_i)] with f_i = 10000^(−i/(dim/2)) (Vaswani et al. 2017)."""
    half = dim // 2
    freqs = np.exp(-math.log(10000.0) * np.arange(half, dtype=np.float32) / half).astype(np.float32)
    args = np.asarray(t, dtype=np.float32)[:, None] * freqs[None]
    return np.concatenate([np.sin(args), np.cos(args)], axis=1)


@parallel_kernel
def _upsample_kernel(x, out):  # pragma: no cover  (compiled)
    """out[n, c, 2i + a, 2j + b] = x[n, c, i, j] for a, b in {0, 1}, plane by plane."""
    n_img, channels, h, w = x.shape
    for item in prange(n_img * channels):
        n, c = item // channels, item % channels
        for i in range(h):
            for j in range(w):
                out[n, c, 2 * i, 2 * j] = out[n, c, 2 * i, 2 * j + 1] = x[n, c, i, j]
            out[n, c, 2 * i + 1] = out[n, c, 2 * i]


def upsample_nearest(x, out=None):
    """Each pixel becomes 2×2 (one copy, written into `out` when given). (numpy's broadcast
    copy, with its inner loops of 2, took 0.37 ms of a 12 ms U-Net evaluation per call.)"""
    n, c, h, w = x.shape
    out = np.empty((n, c, 2 * h, 2 * w), dtype=np.float32) if out is None else out
    _upsample_kernel(np.ascontiguousarray(x, dtype=np.float32), out)
    return out
