"""Image quality metrics for scoring: PSNR and SSIM.

Images are (C, H, W) or (N, C, H, W) arrays; values in [−1, 1] by default (data_range 2).
"""

import numpy as np


def _pair(a, b, name="images"):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim not in (3, 4) or a.dtype.kind != "f" or b.dtype.kind != "f":
        raise ValueError(
            f"{name} must be two float arrays of one shape (C, H, W) or (N, C, H, W); "
            f"got {a.dtype} {a.shape} and {b.dtype} {b.shape}"
        )
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError(f"{name} contain NaN or infinite values")
    return a.astype(np.float64), b.astype(np.float64)


def psnr(a, b, data_range: float = 2.0):
    """PSNR = 10 · log10(R² / MSE) in dB, per image (inf for identical images)."""
    a, b = _pair(a, b)
    mse = ((a - b) ** 2).mean(axis=(-3, -2, -1))
    with np.errstate(divide="ignore"):
        return 10 * np.log10(data_range**2 / mse)


def _box_mean(x: np.ndarray, size: int) -> np.ndarray:
    """Mean over size×size windows of the last two axes, edges mirrored as
    scipy.ndimage.uniform_filter(mode="reflect") does."""
    r = size // 2
    pad = [(0, 0)] * (x.ndim - 2) + [(r, size - 1 - r)] * 2
    p = np.pad(x, pad, mode="symmetric")
    c = p.cumsum(-1).cumsum(-2)
    c = np.pad(c, [(0, 0)] * (x.ndim - 2) + [(1, 0), (1, 0)])
    s = c[..., size:, size:] - c[..., :-size, size:] - c[..., size:, :-size] + c[..., :-size, :-size]
    return s / size**2


def ssim(a, b, data_range: float = 2.0, win_size: int = 7):
    """Mean structural similarity (Wang et al. 2004), per image, averaged over channels:

        SSIM = (2 μ_a μ_b + C1)(2 σ_ab + C2) / ((μ_a² + μ_b² + C1)(σ_a² + σ_b² + C2))
        C1 = (0.01 R)², C2 = (0.03 R)²

    with local statistics over win_size×win_size windows (sample covariance), averaged
    away from a (win_size−1)/2 border: scikit-image's structural_similarity defaults."""
    a, b = _pair(a, b)
    if win_size % 2 != 1 or win_size > min(a.shape[-2:]):
        raise ValueError(f"win_size must be odd and at most the image side; got {win_size}")
    n = win_size**2
    cov_norm = n / (n - 1)
    mu_a, mu_b = _box_mean(a, win_size), _box_mean(b, win_size)
    var_a = cov_norm * (_box_mean(a * a, win_size) - mu_a**2)
    var_b = cov_norm * (_box_mean(b * b, win_size) - mu_b**2)
    cov = cov_norm * (_box_mean(a * b, win_size) - mu_a * mu_b)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    pad = (win_size - 1) // 2
    return s[..., pad:-pad, pad:-pad].mean(axis=(-3, -2, -1))
