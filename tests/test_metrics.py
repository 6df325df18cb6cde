import numpy as np
import pytest
from skimage import data, transform
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from sim_core.metrics import psnr, ssim


def skimage_ssim(a, b, data_range=2.0):
    return structural_similarity(a, b, data_range=data_range, channel_axis=0)


def astronaut_chw(size):
    img = transform.resize(data.astronaut(), (size, size), anti_aliasing=True)  # [0, 1]
    return (img.transpose(2, 0, 1) * 2 - 1).astype(np.float32)


def test_ssim_matches_skimage_on_random_images():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a = rng.uniform(-1, 1, (3, 32, 32)).astype(np.float32)
        b = np.clip(a + rng.normal(0, 0.3, a.shape), -1, 1).astype(np.float32)
        assert ssim(a, b) == pytest.approx(skimage_ssim(a, b), abs=1e-5)


@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("sigma", [0.05, 0.2, 0.6])
def test_ssim_matches_skimage_on_a_real_photo(size, sigma):
    a = astronaut_chw(size)
    b = np.clip(a + np.random.default_rng(1).normal(0, sigma, a.shape), -1, 1).astype(np.float32)
    ours = ssim(a, b)
    assert ours == pytest.approx(skimage_ssim(a, b), abs=1e-5)
    assert 0 < ours < 1


def test_ssim_batch_and_identity():
    a = np.stack([astronaut_chw(32), -astronaut_chw(32)])
    b = a + np.float32(0.1)
    scores = ssim(a, b)
    assert scores.shape == (2,)
    for i in range(2):
        assert scores[i] == pytest.approx(skimage_ssim(a[i], b[i]), abs=1e-5)
    assert ssim(a[0], a[0]) == pytest.approx(1.0)


def test_psnr_matches_skimage():
    a = astronaut_chw(32)
    b = np.clip(a + np.random.default_rng(2).normal(0, 0.1, a.shape), -1, 1).astype(np.float32)
    assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=2.0), rel=1e-6)
    assert psnr(a, a) == np.inf


def test_bad_metric_inputs():
    with pytest.raises(ValueError, match="two float arrays of one shape"):
        ssim(np.zeros((3, 8, 8)), np.zeros((3, 8, 9)))
    with pytest.raises(ValueError, match="NaN"):
        psnr(np.full((1, 4, 4), np.nan), np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match="win_size"):
        ssim(np.zeros((1, 4, 4)), np.zeros((1, 4, 4)))
