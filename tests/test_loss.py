"""The denoiser's view (sim_core/loss.py) against diffusers' training targets, and the
facts level "Be the denoiser" stands on, measured on the shipped model."""

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler

from sim_core.loss import denoiser_view
from sim_core.model import load_model
from sim_core.worlds.shapes import render_batch


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def batch(model):
    x0, prompts = render_batch(range(100, 108))
    noise = np.random.default_rng(100).standard_normal(x0.shape, dtype=np.float32)
    return x0, noise, model.encode_prompt(prompts)


@pytest.mark.parametrize("t", [0, 10, 400, 900, 999])
def test_the_view_matches_diffusers_noising_and_velocity(model, batch, t):
    """x_t is diffusers' add_noise; the loss is ‖ε − ε̂‖² with ε̂ read back from the network's
    v̂ through diffusers' own v target: ε − ε̂ = √ᾱ_t (v − v̂) on the same x_t."""
    x0, noise, cond = batch
    scheduler = DDPMScheduler(beta_schedule="squaredcos_cap_v2", rescale_betas_zero_snr=True, prediction_type="v_prediction")
    view = denoiser_view(model, x0, noise, t, cond)
    steps = torch.full((len(x0),), t)
    x_t = scheduler.add_noise(torch.from_numpy(x0), torch.from_numpy(noise), steps).numpy()
    # ᾱ_0 = 0.99996 in float32 keeps 1 − ᾱ_0 to about three digits, rounded differently by the two
    # zero-SNR rescales (σ_0 = 0.006422 here, 0.006413 there): 4·10⁻⁵ at t = 0, 10⁻⁵ at t = 10
    np.testing.assert_allclose(view.x_t, x_t, atol=5e-5 if t == 0 else 2e-5 if t < 50 else 2e-6)
    v = scheduler.get_velocity(torch.from_numpy(x0), torch.from_numpy(noise), steps).numpy()
    v_hat = model(view.x_t, t, cond)
    alpha = float(np.sqrt(scheduler.alphas_cumprod.numpy()[t]))
    np.testing.assert_allclose(noise - view.pred_epsilon, alpha * (v - v_hat), atol=5e-5)  # float32 x_t
    np.testing.assert_allclose(view.epsilon_loss, np.mean((noise - view.pred_epsilon) ** 2, axis=(1, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(view.image_loss, np.mean((x0 - view.pred_original_sample) ** 2, axis=(1, 2, 3)), rtol=1e-6)


def test_estimates_split_x_t_as_the_truth_does(model, batch):
    """x_t = √ᾱ_t x̂₀ + √(1 − ᾱ_t) ε̂, as x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε: both errors are one error."""
    x0, noise, cond = batch
    s = model.schedule
    for t in (50, 500, 950):
        view = denoiser_view(model, x0, noise, t, cond)
        np.testing.assert_allclose(s.signal_scale[t] * view.pred_original_sample + s.noise_scale[t] * view.pred_epsilon,
                                   view.x_t, atol=1e-5)


def test_the_noise_error_peaks_at_small_t_and_the_image_error_at_large_t(model, batch):
    """What the level asks the player to predict: ε̂ is hardest when little noise hides in the
    image, x̂₀ when little image is left in the noise (it is then the blurred average)."""
    x0, noise, cond = batch
    views = {t: denoiser_view(model, x0, noise, t, cond) for t in (0, 100, 500, 900, 999)}
    eps = [views[t].epsilon_loss.mean() for t in views]
    image = [views[t].image_loss.mean() for t in views]
    assert eps == sorted(eps, reverse=True) and eps[0] > 100 * eps[-1]
    assert image == sorted(image) and image[-1] > 100 * image[0]


def test_be_the_denoiser_is_lost_by_the_wrong_prediction_and_says_where_the_peaks_were():
    from conftest import running_app
    from game.levels import load_explore
    from game.tour import play_level

    level = next(lv for lv in load_explore()[0] if lv.kind == "denoiser")
    for app in running_app("en"):
        scene = play_level(app, level, {"epsilon": "large", "image": "small"})  # the intuition: noise is hardest at large t
        assert scene.result == (0.0, 0)
        assert scene.peaks() == {"epsilon": 0, "image": 999}
        assert "The noise error is largest at t = 0; the image error at t = 999." in app.tr(scene.message[0], **scene.message[1])
