"""The U-Net's layers in numpy, each a few lines to compare with its torch twin
(training/unet_torch.py). Arrays are float32; token sequences (N, L, D); images inside the
networks channels-last, (N, H, W, C), as CPU inference engines lay them out: the loops of the
Winograd transforms, GroupNorm and attention then run along contiguous channels and
vectorise (3–5× faster than along the rows of channels-first planes, measured). The
networks take and return NCHW, as torch does; weights keep torch's shapes.

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


@parallel_kernel
def _im2col_kernel(x, k, stride, pad, cols):  # pragma: no cover  (compiled)
    """cols[n, i·W_out + j, (di·k + dj)·C + c] = x[n, i·stride + di − pad, j·stride + dj − pad, c]
    (0 outside the image): one row per output pixel, so cols @ kernels is already channels-last.
    Columns are ordered by offset, then channel; rows are shared out among the threads."""
    n_img, h, w, channels = x.shape
    h_out, w_out = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    for item in prange(n_img * h_out):
        n, i = item // h_out, item % h_out
        for j in range(w_out):
            row = cols[n, i * w_out + j]
            for di in range(k):
                y = i * stride + di - pad
                for dj in range(k):
                    xx, start = j * stride + dj - pad, (di * k + dj) * channels
                    if 0 <= y < h and 0 <= xx < w:
                        for c in range(channels):
                            row[start + c] = x[n, y, xx, c]
                    else:
                        for c in range(channels):
                            row[start + c] = 0.0


def im2col(x, k: int, stride: int):
    """Every k×k patch of x (N, H, W, C), zero-padded by k//2, as a row:
    (N, H_out·W_out, k·k·C), columns ordered (di, dj, c)."""
    n, h, w, c = x.shape
    pad = k // 2
    h_out, w_out = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    cols = np.empty((n, h_out * w_out, k * k * c), dtype=np.float32)
    _im2col_kernel(np.ascontiguousarray(x, dtype=np.float32), k, stride, pad, cols)
    return cols, h_out, w_out


# Winograd's minimal filtering F(m×m, 3×3) (Lavin & Gray 2016): an m×m output tile of a 3×3
# convolution is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over the (m + 2)×(m + 2) input tile d around it:
# (m + 2)² multiplies instead of 9m². Summed over channels, the ⊙ becomes (m + 2)² matrix
# products, one per tile entry. m = 2: 16 products for 4 outputs; m = 4: 36 for 16, 1.8× fewer
# multiplies, where it pays (winograd_tile). G for each m (Bᵀ and Aᵀ are in the kernels):
WINOGRAD_G = {2: np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]),
              4: np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                           [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]])}


def winograd_kernels(weight, tile: int = 2):
    """U = G g Gᵀ for every (C_out, C_in) kernel g, as (tile + 2)² matrices ((tile + 2)², C_in, C_out)
    (the right side of the products: tiles × channels in, times channels in × channels out)."""
    g = WINOGRAD_G[tile]
    u = np.einsum("ik,ockl,jl->ijco", g, weight.astype(np.float64), g)
    return np.ascontiguousarray(u.reshape(len(g) ** 2, weight.shape[1], weight.shape[0]), dtype=np.float32)


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


def _tile_stack(name, entries, rows, channels):
    """A C-contiguous float32 (entries, rows + gap, channels) scratch stack for the Winograd
    transforms, which read or write all 16 or 36 matrices at once, and [:, :rows] for the
    products. The gap, at least 64 floats: streams a power of two apart collide in the cache
    (4 KiB aliasing made the transforms ten times slower). C-contiguous, so numba knows the
    inner stride and the transforms vectorise."""
    return scratch(name, (entries, rows - (-64 // channels), channels))


@parallel_kernel
def _winograd_tiles_kernel(xp, th, tw, v):  # pragma: no cover  (compiled)
    """v[4a + b, (n·th + i)·tw + j, c] = (Bᵀ d B)[a, b], d the 4×4 tile at rows 2i…2i+3 and
    columns 2j…2j+3 of channel c of image n in the zero-padded xp (N, 2th + 2, 2tw + 2, C).
    Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]: t = Bᵀ d, then t B, for a
    run of channels at once (they are contiguous: the loop vectorises). Rows of tiles are
    shared out among the threads."""
    n_img, _, _, channels = xp.shape
    for item in prange(n_img * th):
        n, r = item // th, 2 * (item % th)
        for j in range(tw):
            x, col = 2 * j, item * tw + j
            for c in range(channels):
                t00, t01, t02, t03 = xp[n, r, x, c] - xp[n, r + 2, x, c], xp[n, r, x + 1, c] - xp[n, r + 2, x + 1, c], xp[n, r, x + 2, c] - xp[n, r + 2, x + 2, c], xp[n, r, x + 3, c] - xp[n, r + 2, x + 3, c]
                t10, t11, t12, t13 = xp[n, r + 1, x, c] + xp[n, r + 2, x, c], xp[n, r + 1, x + 1, c] + xp[n, r + 2, x + 1, c], xp[n, r + 1, x + 2, c] + xp[n, r + 2, x + 2, c], xp[n, r + 1, x + 3, c] + xp[n, r + 2, x + 3, c]
                t20, t21, t22, t23 = xp[n, r + 2, x, c] - xp[n, r + 1, x, c], xp[n, r + 2, x + 1, c] - xp[n, r + 1, x + 1, c], xp[n, r + 2, x + 2, c] - xp[n, r + 1, x + 2, c], xp[n, r + 2, x + 3, c] - xp[n, r + 1, x + 3, c]
                t30, t31, t32, t33 = xp[n, r + 1, x, c] - xp[n, r + 3, x, c], xp[n, r + 1, x + 1, c] - xp[n, r + 3, x + 1, c], xp[n, r + 1, x + 2, c] - xp[n, r + 3, x + 2, c], xp[n, r + 1, x + 3, c] - xp[n, r + 3, x + 3, c]
                v[0, col, c], v[1, col, c], v[2, col, c], v[3, col, c] = t00 - t02, t01 + t02, t02 - t01, t01 - t03
                v[4, col, c], v[5, col, c], v[6, col, c], v[7, col, c] = t10 - t12, t11 + t12, t12 - t11, t11 - t13
                v[8, col, c], v[9, col, c], v[10, col, c], v[11, col, c] = t20 - t22, t21 + t22, t22 - t21, t21 - t23
                v[12, col, c], v[13, col, c], v[14, col, c], v[15, col, c] = t30 - t32, t31 + t32, t32 - t31, t31 - t33


@parallel_kernel
def _winograd_output_kernel(m, bias, th, tw, residual, add_residual, out):  # pragma: no cover  (compiled)
    """out[n, 2i + a, 2j + b, o] = (Aᵀ M A)[a, b] + bias[n, o] (+ the same entry of residual when
    asked), M the 4×4 values m[:, (n·th + i)·tw + j, o], Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]],
    for a run of output channels at once. Rows of tiles are shared out among the threads."""
    n_img, cout = bias.shape
    for item in prange(n_img * th):
        n, r = item // th, 2 * (item % th)
        for j in range(tw):
            x, col = 2 * j, item * tw + j
            for o in range(cout):
                a0 = m[0, col, o] + m[4, col, o] + m[8, col, o]
                a1 = m[1, col, o] + m[5, col, o] + m[9, col, o]
                a2 = m[2, col, o] + m[6, col, o] + m[10, col, o]
                a3 = m[3, col, o] + m[7, col, o] + m[11, col, o]
                b0 = m[4, col, o] - m[8, col, o] - m[12, col, o]
                b1 = m[5, col, o] - m[9, col, o] - m[13, col, o]
                b2 = m[6, col, o] - m[10, col, o] - m[14, col, o]
                b3 = m[7, col, o] - m[11, col, o] - m[15, col, o]
                b = bias[n, o]
                y00, y01, y10, y11 = a0 + a1 + a2 + b, a1 - a2 - a3 + b, b0 + b1 + b2 + b, b1 - b2 - b3 + b
                if add_residual:
                    y00 += residual[n, r, x, o]
                    y01 += residual[n, r, x + 1, o]
                    y10 += residual[n, r + 1, x, o]
                    y11 += residual[n, r + 1, x + 1, o]
                out[n, r, x, o], out[n, r, x + 1, o], out[n, r + 1, x, o], out[n, r + 1, x + 1, o] = y00, y01, y10, y11


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
def _winograd4_tiles_kernel(xp, th, tw, v):  # pragma: no cover  (compiled)
    """v[6a + b, (n·th + i)·tw + j, c] = (Bᵀ d B)[a, b], d the 6×6 tile at rows 4i…4i+5 and
    columns 4j…4j+5 of channel c of image n in the zero-padded xp (N, 4th + 2, 4tw + 2, C): Bᵀ
    down the columns of a row of tiles (t), then along each tile's rows, for a run of channels
    at once. Rows of tiles are shared out among the threads."""
    n_img, _, width, channels = xp.shape
    for item in prange(n_img * th):
        n, r = item // th, 4 * (item % th)
        t = np.empty((6, width, channels), dtype=np.float32)
        for x in range(width):
            for c in range(channels):
                t[0, x, c], t[1, x, c], t[2, x, c], t[3, x, c], t[4, x, c], t[5, x, c] = _input_transform6(
                    xp[n, r, x, c], xp[n, r + 1, x, c], xp[n, r + 2, x, c], xp[n, r + 3, x, c], xp[n, r + 4, x, c], xp[n, r + 5, x, c])
        for a in range(6):
            for j in range(tw):
                x, col = 4 * j, item * tw + j
                for c in range(channels):
                    v[6 * a, col, c], v[6 * a + 1, col, c], v[6 * a + 2, col, c], v[6 * a + 3, col, c], v[6 * a + 4, col, c], v[6 * a + 5, col, c] = \
                        _input_transform6(t[a, x, c], t[a, x + 1, c], t[a, x + 2, c], t[a, x + 3, c], t[a, x + 4, c], t[a, x + 5, c])


@parallel_kernel
def _winograd4_output_kernel(m, bias, th, tw, residual, add_residual, out):  # pragma: no cover  (compiled)
    """out[n, 4i + a, 4j + b, o] = (Aᵀ M A)[a, b] + bias[n, o] (+ the same entry of residual when
    asked), M the 6×6 values m[:, (n·th + i)·tw + j, o]: A along each tile's rows (S = M A),
    then Aᵀ down the columns of the row of tiles (Aᵀ S), for a run of output channels at once.
    Rows of tiles are shared out among the threads."""
    n_img, cout = bias.shape
    for item in prange(n_img * th):
        n, r = item // th, 4 * (item % th)
        s = np.empty((6, 4 * tw, cout), dtype=np.float32)
        for a in range(6):
            for j in range(tw):
                x, col = 4 * j, item * tw + j
                for o in range(cout):
                    s[a, x, o], s[a, x + 1, o], s[a, x + 2, o], s[a, x + 3, o] = _output_transform6(
                        m[6 * a, col, o], m[6 * a + 1, col, o], m[6 * a + 2, col, o], m[6 * a + 3, col, o], m[6 * a + 4, col, o], m[6 * a + 5, col, o])
        for x in range(4 * tw):
            for o in range(cout):
                y0, y1, y2, y3 = _output_transform6(s[0, x, o], s[1, x, o], s[2, x, o], s[3, x, o], s[4, x, o], s[5, x, o])
                b = bias[n, o]
                y0, y1, y2, y3 = y0 + b, y1 + b, y2 + b, y3 + b
                if add_residual:
                    y0 += residual[n, r, x, o]
                    y1 += residual[n, r + 1, x, o]
                    y2 += residual[n, r + 2, x, o]
                    y3 += residual[n, r + 3, x, o]
                out[n, r, x, o], out[n, r + 1, x, o], out[n, r + 2, x, o], out[n, r + 3, x, o] = y0, y1, y2, y3


WINOGRAD_KERNELS = {2: (_winograd_tiles_kernel, _winograd_output_kernel), 4: (_winograd4_tiles_kernel, _winograd4_output_kernel)}


def winograd_tiles(x, norm=None, tile: int = 2):
    """V = Bᵀ d B for every (tile + 2)² input tile d (stride `tile`, zero padding 1) of x (N, H, W, C),
    or of SiLU(norm(x)) when a GroupNorm is given (written straight into the padded copy), as
    (tile + 2)² matrices ((tile + 2)², N·th·tw, C) with th = ⌈H/tile⌉ and tw = ⌈W/tile⌉ tiles down
    and across, in this thread's scratch space (valid until its next call)."""
    n, h, w, c = x.shape
    th, tw = -(-h // tile), -(-w // tile)
    # one per image size, so its border stays zero: sizes that round to the same tiles (17 and
    # 20) would leave the larger image's last pixels where the smaller one's padding goes
    xp = scratch(f"winograd.padded.{h}x{w}", (n, tile * th + 2, tile * tw + 2, c))
    if norm is None:
        xp[:, 1:h + 1, 1:w + 1] = x
    else:
        norm(x, silu=True, padded_into=xp)
    v = _tile_stack("winograd.tiles", (tile + 2) ** 2, n * th * tw, c)
    WINOGRAD_KERNELS[tile][0](xp, th, tw, v)
    return v[:, :n * th * tw], th, tw


class Conv2d(Module):
    """2-D cross-correlation (zero padding k//2) of channels-last images as matrix products: 3×3
    with stride 1 through Winograd's F(4×4, 3×3) or F(2×2, 3×3) (36 or 16 products, 4× or 2.25×
    fewer multiplies), any other as one product of every k×k patch as a row (im2col) with the
    kernels (k·k·C_in, C_out). Output (N, H_out, W_out, C_out). The weight is torch's
    (C_out, C_in, k, k)."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1):
        super().__init__()
        self.k, self.stride = k, stride
        self.winograd = (k, stride) == (3, 1)
        self.param("weight", cout, cin, k, k)
        self.param("bias", cout)

    def matrix(self, tile: int = 2):
        """The kernels as the products' right side: Winograd's U ((tile + 2)², C_in, C_out), or
        (k·k·C_in, C_out) in im2col's column order; remade when the weight array changes."""
        w = self.weight
        return self.kept(f"matrix{tile}", lambda: winograd_kernels(w, tile) if self.winograd
                         else np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(-1, len(w))), (w,))

    def columns(self, x):
        """The products' left side for input x: Winograd's V (for matrix(winograd_tile(H, W))),
        or im2col's rows."""
        x = np.asarray(x, dtype=np.float32)
        if not self.winograd:
            return im2col(x, self.k, self.stride)[0]
        return winograd_tiles(x, tile=winograd_tile(*x.shape[1:3]))[0].copy()

    def __call__(self, x, shift=None, residual=None, norm=None):
        """conv(x) + bias, plus shift[n, o] for image n and output channel o (a ResBlock's
        timestep projection) and a residual of the output's shape, when given; with a
        GroupNorm, conv(SiLU(norm(x))). Winograd's passes take these on the way in and
        out; im2col's product starts from them."""
        bias = self.bias if shift is None else self.bias + shift  # (C_out,) or (N, C_out)
        if self.winograd:
            return self._winograd(x, bias, residual, norm)
        if norm is not None:
            x = norm(x, silu=True)
        n, h, w, cin = x.shape
        if self.k == 1:  # a 1×1 convolution mixes channels only
            cols, h_out, w_out = np.ascontiguousarray(x, dtype=np.float32).reshape(n, h * w, cin), h, w
        else:
            cols, h_out, w_out = im2col(x, self.k, self.stride)
        out = np.empty((n, h_out * w_out, len(self.bias)), dtype=np.float32)
        out[:] = bias[:, None] if bias.ndim == 2 else bias
        if residual is not None:
            out += residual.reshape(out.shape)
        matmul_into(cols, self.matrix()[None], out, accumulate=True)
        return out.reshape(n, h_out, w_out, -1)

    def _winograd(self, x, bias, residual, norm):
        n, h, w, _ = x.shape
        tile = winograd_tile(h, w)
        v, th, tw = winograd_tiles(x, norm, tile)
        cout = len(self.bias)
        m = _tile_stack("winograd.products", len(v), v.shape[1], cout)
        matmul_into(v, self.matrix(tile), m[:, :v.shape[1]])
        out = np.empty((n, tile * th, tile * tw, cout), dtype=np.float32)
        whole = (tile * th, tile * tw) == (h, w)  # other sizes: the last tiles' extra rows or columns are cut
        add = whole and residual is not None  # else added after the cut
        added = np.ascontiguousarray(residual, dtype=np.float32) if add else out  # out: a placeholder, unread
        per_image = np.empty((n, cout), dtype=np.float32)  # writable and C-ordered: one compiled signature
        per_image[:] = bias
        WINOGRAD_KERNELS[tile][1](m, per_image, th, tw, added, add, out)
        if whole:
            return out
        out = np.ascontiguousarray(out[:, :h, :w])
        if residual is not None:
            out += residual
        return out


def winograd_tile(h: int, w: int) -> int:
    """The output tile, 4×4 from 16 pixels a side, else 2×2. F(4×4)'s kernels take 36/16 of
    F(2×2)'s memory, and on 8×8 images (128 and 256 channels) they are most of the U-Net's
    weights: alone, an 8×8 convolution ran in 0.5–0.7× F(2×2)'s time, but inside the U-Net,
    whose transformed kernels then outgrow the cache (24 MB, against 13), an evaluation took
    1.1× longer on two threads (measured, in one process)."""
    return 4 if min(h, w) >= 16 else 2


def conv2d_reference(x, weight, bias, stride=1):
    """The same convolution of channels-last x with numpy's sliding windows, kept to test the kernels."""
    k = weight.shape[-1]
    pad = k // 2
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    patches = sliding_window_view(x, (k, k), axis=(1, 2))[:, ::stride, ::stride]  # (N, H_out, W_out, C, k, k)
    return np.einsum("nijcab,ocab->nijo", patches, weight) + bias


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
def _group_norm_kernel(x, groups, eps, weight, bias, then_silu, pad, out):  # pragma: no cover  (compiled)
    """out[n, i + pad, j + pad, c] = γ_c·(x[n, i, j, c] − μ)/√(σ² + ε) + β_c, μ and σ² over the
    group of c in image n; then SiLU(y) = y·σ(y) when asked, in the same pass. x (N, H, W, C);
    out (N, H + 2·pad, W + 2·pad, C), its border left as it is (pad = 1: the zero-bordered copy
    the Winograd tiles read). First every channel's sums of x and x² (float64) over a quarter
    of an image's rows to a task; then each group's μ and σ² = E[x²] − μ² from them; then the
    rows are shared out. Every inner loop runs along the channels, which vectorises."""
    # (plain loops outside prange: numba would make each array expression there a parallel
    # region of its own, tens of µs of launches)
    n_img, h, w, channels = x.shape
    per, chunks = channels // groups, min(h, 4)
    sums = np.empty((n_img * chunks, 2, channels))
    for item in prange(n_img * chunks):
        n, r = item // chunks, item % chunks
        total, squares = sums[item, 0], sums[item, 1]
        for c in range(channels):
            total[c] = squares[c] = 0.0
        for i in range(r * h // chunks, (r + 1) * h // chunks):
            for j in range(w):
                for c in range(channels):
                    value = np.float64(x[n, i, j, c])
                    total[c] += value
                    squares[c] += value * value
    scale, shift = np.empty((n_img, channels), np.float32), np.empty((n_img, channels), np.float32)
    count = per * h * w
    for n in range(n_img):
        for g in range(groups):
            total = squares = 0.0
            for r in range(n * chunks, (n + 1) * chunks):
                for c in range(g * per, (g + 1) * per):
                    total += sums[r, 0, c]
                    squares += sums[r, 1, c]
            mean = total / count
            rstd = 1.0 / np.sqrt(max(squares / count - mean * mean, 0.0) + eps)
            for c in range(g * per, (g + 1) * per):
                scale[n, c] = weight[c] * rstd
                shift[n, c] = bias[c] - mean * weight[c] * rstd
    for item in prange(n_img * h):
        n, i = item // h, item % h
        for j in range(w):
            for c in range(channels):
                out[n, i + pad, j + pad, c] = _normalised(x[n, i, j, c], scale[n, c], shift[n, c], then_silu)


class GroupNorm(Module):
    """Normalise each group of channels over (channels, H, W) to mean 0, variance 1, then
    scale and shift per channel (Wu & He 2018); channels-last x (N, H, W, C). silu=True
    applies SiLU in the same pass. padded_into, a zero-bordered (N, H + 2, W + 2, C) array,
    receives the result inside its border instead of a new array (Winograd's padded input)."""

    def __init__(self, groups: int, channels: int, eps: float = 1e-5):
        super().__init__()
        self.groups, self.eps = groups, eps
        self.param("weight", channels)
        self.param("bias", channels)

    def __call__(self, x, silu: bool = False, padded_into=None):
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty_like(x) if padded_into is None else padded_into
        _group_norm_kernel(x, self.groups, self.eps, self.weight, self.bias, silu, int(padded_into is not None), out)
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
    """out[n, :, hd:(h+1)d] = softmax(q_h k_hᵀ) v_h for image n and head h, the softmax along each
    query's keys: q_h, k_h, v_h the (P, d) columns hd…(h+1)d of the q, k and v thirds of qkv[n]
    (P, 3C). The scores are made transposed, k_h q_hᵀ (keys down, queries across), in
    scores[n·heads + h], so that the softmax runs down their columns; images and heads are
    shared out among the threads, each with its two products (BLAS) and its softmax."""
    n_img, p, c3 = qkv.shape
    c = c3 // 3
    d = c // heads
    for item in prange(n_img * heads):
        n, h = item // heads, item % heads
        row = qkv[n, 0]
        st = scores[item]
        sgemm(ROW_MAJOR, NO_TRANS, TRANS, p, p, d, np.float32(1.0), row[c + h * d:].ctypes, c3, row[h * d:].ctypes, c3,
              np.float32(0.0), st.ctypes, p)
        _softmax_columns(st, work[item])
        sgemm(ROW_MAJOR, TRANS, NO_TRANS, p, d, p, np.float32(1.0), st.ctypes, p, row[2 * c + h * d:].ctypes, c3,
              np.float32(0.0), out[n, 0, h * d:].ctypes, c)


def attend(qkv, heads: int):
    """Multi-head attention of P positions to themselves: qkv (N, P, 3C) holds q (already
    divided by √d), k and v side by side; returns (N, P, C), head h's columns softmax(q_h k_hᵀ) v_h.
    One kernel per call where numpy's BLAS can be called from numba (else attend_reference)."""
    if not HAVE_SGEMM:
        return attend_reference(qkv, heads)
    n, p, c3 = qkv.shape
    out = np.empty((n, p, c3 // 3), dtype=np.float32)
    _attend_kernel(np.ascontiguousarray(qkv, dtype=np.float32), heads, scratch("attend.scores", (n * heads, p, p)),
                   scratch("attend.work", (n * heads, 3, p)), out)
    return out


def attend_reference(qkv, heads: int):
    """attend in numpy: attention() per head, on the heads split off the channels."""
    q, k, v = (split_heads(part, heads) for part in np.split(qkv, 3, axis=-1))
    return merge_heads(attention(q, k, v, scale=1.0)[0])


def attention(q, k, v, scale=None):
    """softmax(q kᵀ·scale) v over (…, heads, tokens, d), scale 1/√d unless given; returns the
    output and the weights."""
    scale = np.float32(1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    weights = softmax(q @ np.swapaxes(k, -1, -2) * scale)
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


def channels_last(x):
    """(N, C, H, W) → (N, H, W, C), contiguous float32: how the networks hold images inside."""
    return np.ascontiguousarray(np.asarray(x, dtype=np.float32).transpose(0, 2, 3, 1))


def channels_first(x):
    """(N, H, W, C) → (N, C, H, W), contiguous: how the networks hand images out."""
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


@parallel_kernel
def _upsample_kernel(x, out):  # pragma: no cover  (compiled)
    """out[n, 2i + a, 2j + b, c] = x[n, i, j, c] for a, b in {0, 1} and c < C, x's channels (out may
    have more), a row of pixels to a task."""
    n_img, h, w, channels = x.shape
    for item in prange(n_img * h):
        n, i = item // h, item % h
        for j in range(w):
            for c in range(channels):
                out[n, 2 * i, 2 * j, c] = out[n, 2 * i, 2 * j + 1, c] = x[n, i, j, c]
                out[n, 2 * i + 1, 2 * j, c] = out[n, 2 * i + 1, 2 * j + 1, c] = x[n, i, j, c]


def upsample_nearest(x, out=None):
    """Each pixel of channels-last x becomes 2×2: a new array, or the first C channels of `out`
    when given (the decoder's input, whose other channels are the skip; whole and C-contiguous,
    so the copy vectorises)."""
    n, h, w, c = x.shape
    out = np.empty((n, 2 * h, 2 * w, c), dtype=np.float32) if out is None else out
    _upsample_kernel(np.ascontiguousarray(x, dtype=np.float32), out)
    return out
