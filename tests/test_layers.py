import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sim_core._numba import numba
from sim_core.model.blas import matmul_into
from sim_core.model.layers import (
    Conv2d,
    GroupNorm,
    _group_norm_kernel,
    attend,
    attend_reference,
    channels_first,
    channels_last,
    conv2d_reference,
    softmax_columns,
    upsample_nearest,
)


# 3×3 stride 1 from 16 pixels a side: Winograd's 4×4 tiles (sizes that are and are not multiples of 4)
CONV_CASES = [(3, 1, (2, 5, 9, 7)), (3, 1, (2, 3, 1, 2)), (3, 2, (1, 4, 16, 16)), (1, 1, (3, 6, 8, 8)), (3, 2, (2, 3, 7, 9)),
              (3, 1, (2, 8, 8, 8)), (3, 1, (2, 6, 16, 16)), (3, 1, (1, 5, 17, 22)), (3, 1, (2, 3, 32, 32))]


def float_error(expected):
    """float32's agreement with torch: 1e-5 of the output's scale. Winograd's 4×4 tiles multiply
    rounding errors more than 2×2 ones (their points ±2: entries up to 8 in Aᵀ): 6e-5 on outputs
    up to 24 from a 6-channel convolution of unit normals."""
    return 1e-5 * max(1.0, float(np.abs(expected).max()))


def _conv(rng, cin, k, stride):
    conv = Conv2d(cin, 4, k, stride)
    conv.weight = rng.standard_normal((4, cin, k, k), dtype=np.float32)
    conv.bias = rng.standard_normal(4, dtype=np.float32)
    return conv


@pytest.mark.parametrize("k, stride, shape", CONV_CASES)
def test_conv2d_kernel_matches_reference_and_torch(k, stride, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)  # NCHW, as torch takes it; ours channels-last
    conv = _conv(rng, shape[1], k, stride)
    ours = channels_first(conv(channels_last(x)))
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(conv.weight), torch.from_numpy(conv.bias),
                        stride=stride, padding=k // 2).numpy()
    np.testing.assert_allclose(ours, expected, atol=float_error(expected))
    reference = conv2d_reference(channels_last(x), conv.weight, conv.bias, stride)
    np.testing.assert_allclose(channels_first(reference), expected, atol=1e-5)


@pytest.mark.parametrize("k, stride, shape", CONV_CASES)
def test_conv2d_fuses_norm_shift_and_residual_like_torch(k, stride, shape):
    """conv(x, norm=, shift=, residual=) = conv(SiLU(GN(x))) + shift[n, o] + residual: what a
    ResBlock's two convolutions do, on every path (Winograd whole and cut, 1×1, strided)."""
    rng = np.random.default_rng(2)
    n, cin = shape[:2]
    x = rng.standard_normal(shape, dtype=np.float32) * 3 + 1
    conv = _conv(rng, cin, k, stride)
    norm = GroupNorm(1, cin)
    norm.weight, norm.bias = rng.standard_normal((2, cin), dtype=np.float32)
    shift = rng.standard_normal((n, 4), dtype=np.float32)
    xt = F.silu(F.group_norm(torch.from_numpy(x), 1, torch.from_numpy(norm.weight), torch.from_numpy(norm.bias)))
    expected = F.conv2d(xt, torch.from_numpy(conv.weight), torch.from_numpy(conv.bias), stride=stride,
                        padding=k // 2).numpy() + shift[:, :, None, None]
    residual = rng.standard_normal(expected.shape, dtype=np.float32)
    x_last = channels_last(x)
    ours = channels_first(conv(x_last, norm=norm, shift=shift, residual=channels_last(residual)))
    np.testing.assert_allclose(ours, expected + residual, atol=float_error(expected + residual))
    np.testing.assert_array_equal(x_last, channels_last(x))


@pytest.mark.parametrize("silu", [False, True])
def test_group_norm_kernel_matches_torch(silu):
    """The fused kernel (one pass for the statistics, one to write) against torch's
    GroupNorm and SiLU, on channels far from zero mean and values past the clamp."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((2, 12, 5, 7)) * 8 + 3).astype(np.float32)
    norm = GroupNorm(4, 12)
    norm.weight = rng.standard_normal(12).astype(np.float32) * 8
    norm.bias = rng.standard_normal(12).astype(np.float32)
    expected = F.group_norm(torch.from_numpy(x), 4, torch.from_numpy(norm.weight), torch.from_numpy(norm.bias))
    assert expected.min() < -18 and expected.max() > 18  # past the sigmoid's clamp at |x| = 18
    if silu:
        expected = F.silu(expected)
    np.testing.assert_allclose(channels_first(norm(channels_last(x), silu=silu)), expected.numpy(), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("a_shape, b_shape", [((16, 5, 7), (16, 7, 9)), ((1, 6, 4), (3, 4, 10)), ((3, 2, 8), (1, 8, 3)),
                                              ((1, 32, 4), (1, 4, 5))])
def test_matmul_into_is_numpys_matmul_on_any_threads(threads, a_shape, b_shape):
    """The stacks of products the kernels share out (Winograd's 16, or one matrix for every image),
    and a lone product whose rows they share out."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(a_shape, dtype=np.float32), rng.standard_normal(b_shape, dtype=np.float32)
    out = np.full((max(len(a), len(b)), a_shape[1], b_shape[2]), np.nan, dtype=np.float32)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        matmul_into(a, b, out)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_allclose(out, a @ b, atol=1e-5)
    before = out.copy()
    matmul_into(a, b, out, accumulate=True)
    np.testing.assert_allclose(out, before + a @ b, atol=1e-5)
    # transposed views, as the attention layers pass them: read transposed, not copied
    transposed = np.full_like(out, np.nan)
    matmul_into(np.swapaxes(np.ascontiguousarray(np.swapaxes(a, 1, 2)), 1, 2),
                np.swapaxes(np.ascontiguousarray(np.swapaxes(b, 1, 2)), 1, 2), transposed)
    np.testing.assert_allclose(transposed, a @ b, atol=1e-5)


@pytest.mark.parametrize("shape, scale", [((3, 7, 21), 1.0), ((2, 64, 64), 30.0), ((4, 1, 5), 1.0)])
def test_softmax_columns_is_torchs_softmax_down_each_column(shape, scale):
    """Its exp is a polynomial: equal to torch's float64 softmax within 1e-6, with scores up to
    ±100 (differences past e^−87, float32's floor, included) and a column of one key."""
    s = (np.random.default_rng(5).standard_normal(shape) * scale).astype(np.float32)
    expected = torch.softmax(torch.from_numpy(s).double(), dim=1).numpy()
    np.testing.assert_allclose(softmax_columns(s.copy()), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("heads", [1, 4])
def test_attend_kernel_is_its_numpy_reference_and_torchs_attention(heads):
    rng = np.random.default_rng(6)
    qkv = rng.standard_normal((2, 20, 3 * 64), dtype=np.float32)  # (N, positions, [q k v])
    expected = attend_reference(qkv, heads)
    np.testing.assert_allclose(attend(qkv, heads), expected, atol=1e-5)
    q, k, v = (torch.from_numpy(part).reshape(2, 20, heads, -1).transpose(1, 2) for part in np.split(qkv, 3, axis=2))
    torch_out = F.scaled_dot_product_attention(q, k, v, scale=1.0).transpose(1, 2).reshape(2, 20, 64)
    np.testing.assert_allclose(expected, torch_out.numpy(), atol=1e-5)


def test_a_parallel_kernel_and_its_serial_twin_agree():
    """The serial compile (where numba has no OpenMP or TBB) is the same function."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 6, 32)).astype(np.float32)
    weight, bias = rng.standard_normal(32).astype(np.float32), rng.standard_normal(32).astype(np.float32)
    outs = [np.zeros((2, 8, 8, 32), np.float32) for _ in range(2)]
    for kernel, out in zip((_group_norm_kernel.parallel, _group_norm_kernel.serial), outs):
        kernel(x, 4, 1e-5, weight, bias, True, 1, out)
    assert np.abs(outs[0]).mean() > 0.1
    np.testing.assert_array_equal(outs[0], outs[1])


def test_a_smaller_image_after_a_larger_one_is_padded_with_zeros():
    """Sizes that share a scratch array (17 and 20 make the same 4×4 tiles): the rows and
    columns beyond the smaller image are padding again, not the larger image's pixels."""
    rng = np.random.default_rng(4)
    conv = _conv(rng, 2, 3, 1)
    for shape in ((1, 2, 20, 20), (1, 2, 17, 17), (1, 2, 8, 8), (1, 2, 7, 7)):
        x = rng.standard_normal(shape, dtype=np.float32)
        expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(conv.weight), torch.from_numpy(conv.bias), padding=1).numpy()
        np.testing.assert_allclose(channels_first(conv(channels_last(x))), expected, atol=float_error(expected))


def test_matmul_into_refuses_shapes_numpy_would():
    a, b = np.ones((2, 3, 4), np.float32), np.ones((2, 5, 6), np.float32)
    with pytest.raises(ValueError, match="does not make"):
        matmul_into(a, b, np.empty((2, 3, 6), np.float32))
    with pytest.raises(ValueError, match="does not make"):
        matmul_into(np.ones((2, 3, 4), np.float32), np.ones((3, 4, 6), np.float32), np.empty((3, 3, 6), np.float32))


@pytest.mark.parametrize("shape", [(2, 5, 3, 7), (1, 4, 8, 8)])
def test_upsample_nearest_is_torchs_into_the_first_channels_too(shape):
    """Into a fresh array, and into the first channels of a larger one (the decoder's input,
    whose other channels are the skip): the rest stays as it was."""
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    expected = F.interpolate(torch.from_numpy(x), scale_factor=2, mode="nearest").numpy()
    np.testing.assert_array_equal(channels_first(upsample_nearest(channels_last(x))), expected)
    n, c, h, w = shape
    out = np.full((n, 2 * h, 2 * w, c + 3), 7.0, np.float32)
    upsample_nearest(channels_last(x), out)
    np.testing.assert_array_equal(channels_first(out[..., :c]), expected)
    assert (out[..., c:] == 7.0).all()
