"""Compiling numba's kernels ahead of use: the first launch on a machine takes seconds (cached
after), and a caller (the game's warm-up screen) can show a progress bar meanwhile."""

import numpy as np


def _conv():
    from sim_core.model.layers import Conv2d, upsample_nearest

    for stride, size in ((1, 4), (1, 16), (2, 4)):  # Winograd's 2×2 and 4×4 tiles, and im2col
        conv = Conv2d(1, 1, 3, stride)
        conv.weight, conv.bias = np.zeros((1, 1, 3, 3), np.float32), np.zeros(1, np.float32)
        conv(np.zeros((1, size, size, 1), np.float32))  # channels-last, as inside the networks
    x = np.zeros((2, 2, 2, 2), np.float32)
    upsample_nearest(x)  # into a new array (the autoencoder) and into channels of one (the U-Net's decoder)
    upsample_nearest(x, np.zeros((2, 4, 4, 3), np.float32))


def _norm():
    from sim_core.model.layers import GroupNorm

    norm = GroupNorm(1, 1)
    norm.weight, norm.bias = np.ones(1, np.float32), np.zeros(1, np.float32)
    norm(np.zeros((1, 2, 2, 1), np.float32), silu=True)


def _attention():
    from sim_core.model.layers import attend, softmax_columns

    attend(np.zeros((1, 4, 6), np.float32), 2)
    softmax_columns(np.zeros((1, 2, 4), np.float32))


def _forward():
    from sim_core.forward import scaled_sum

    one, x = np.ones(1, np.float32), np.zeros((1, 3, 4, 4), np.float32)
    scaled_sum(one, x, one, x)


def _toy():
    from sim_core.schedules import make_schedule
    from sim_core.toy_mlp import ToyDenoiser

    ToyDenoiser(make_schedule("linear", 10), np.zeros((4, 2), np.float32), hidden=4).train(1, batch=2)


WARMUPS = (_conv, _norm, _attention, _forward, _toy)  # every kernel signature the models use


def compile_kernels(report=None) -> None:
    """Compile every kernel, calling report() after each of the len(WARMUPS) groups."""
    for warm in WARMUPS:
        warm()
        if report is not None:
            report()
