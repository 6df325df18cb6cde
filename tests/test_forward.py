import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler
from hypothesis import given, settings
from hypothesis import strategies as st

from sim_core.forward import (
    q_posterior_mean_variance,
    q_sample,
    q_step,
    scaled_sum,
    scaled_sum_reference,
)
from sim_core.samplers import make_sampler
from sim_core.schedules import DIFFUSERS_NAMES, KINDS, make_schedule

RNG = np.random.default_rng(0)


def randn(*shape, rng=RNG):
    return rng.standard_normal(shape, dtype=np.float32)


@pytest.mark.parametrize("kind", ["linear", "scaled_linear", "cosine"])
def test_q_sample_matches_diffusers_add_noise(kind):
    x0, noise = randn(4, 3, 8, 8), randn(4, 3, 8, 8)
    t = np.array([0, 10, 500, 999])
    ours = q_sample(x0, t, noise, make_schedule(kind))
    scheduler = DDPMScheduler(beta_schedule=DIFFUSERS_NAMES[kind])
    theirs = scheduler.add_noise(torch.from_numpy(x0), torch.from_numpy(noise), torch.from_numpy(t))
    np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-6)


def test_numba_kernel_equals_numpy_reference():
    a, b = randn(5), randn(5)
    x, y = randn(5, 3, 16, 16), randn(5, 3, 16, 16)
    np.testing.assert_array_equal(scaled_sum(a, x, b, y), scaled_sum_reference(a, x, b, y))


def test_scalar_t_is_per_batch_t_broadcast():
    s = make_schedule("linear")
    x0, noise = randn(3, 1, 4, 4), randn(3, 1, 4, 4)
    np.testing.assert_array_equal(q_sample(x0, 200, noise, s), q_sample(x0, np.full(3, 200), noise, s))


def test_q_step_is_one_markov_step():
    s = make_schedule("cosine")
    x, noise = randn(2, 3, 4, 4), randn(2, 3, 4, 4)
    expected = np.sqrt(1 - s.betas[7]) * x + np.sqrt(s.betas[7]) * noise
    np.testing.assert_allclose(q_step(x, 7, noise, s), expected, rtol=1e-6)


def test_first_step_from_x0_equals_closed_form_at_t0():
    s = make_schedule("linear")
    x0, noise = randn(2, 3, 4, 4), randn(2, 3, 4, 4)
    # q_sample uses √(1 − ᾱ_0) from float32 ᾱ_0 = 0.9999 (as diffusers' add_noise), which
    # keeps ~3 digits of 1 − ᾱ_0; q_step uses √β_0 directly.
    np.testing.assert_allclose(q_step(x0, 0, noise, s), q_sample(x0, 0, noise, s), atol=5e-4)


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    t=st.integers(0, 199),
    pixel=st.floats(-1, 1, width=32),
    seed=st.integers(0, 2**32 - 1),
)
def test_chained_markov_steps_match_closed_form_moments(kind, t, pixel, seed):
    """Walking t+1 Markov steps and jumping with the closed form reach the same Gaussian:
    mean √ᾱ_t x_0 and variance 1 − ᾱ_t (checked on 20,000 independent chains)."""
    s = make_schedule(kind, num_steps=200)
    rng = np.random.default_rng(seed)
    x = np.full((20_000, 1, 1, 1), pixel, dtype=np.float32)
    for step in range(t + 1):
        x = q_step(x, step, rng.standard_normal(x.shape, dtype=np.float32), s)
    mean, var = float(x.mean()), float(x.var())
    expected_mean = float(s.sqrt_alphas_cumprod[t]) * pixel
    expected_var = 1 - float(s.alphas_cumprod[t])
    # tolerances: 5 standard errors of the sample mean and variance
    n = x.size
    assert abs(mean - expected_mean) < 5 * np.sqrt(expected_var / n) + 1e-6
    assert abs(var - expected_var) < 5 * expected_var * np.sqrt(2 / n) + 1e-6


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 4),
    c=st.integers(1, 3),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    t=st.integers(0, 999),
)
def test_shapes_and_dtype_are_kept(n, c, h, w, t):
    s = make_schedule("linear")
    x0, noise = randn(n, c, h, w), randn(n, c, h, w)
    for out in (q_sample(x0, t, noise, s), q_step(x0, t, noise, s)):
        assert out.shape == (n, c, h, w) and out.dtype == np.float32
    mean, var = q_posterior_mean_variance(x0, noise, t, s)
    assert mean.shape == (n, c, h, w) and var.shape == (n,)


def test_posterior_mean_is_ddpm_step_with_true_x0():
    """DDPM's reverse step with the true x_0 plugged in is the posterior mean (eq. 7); its
    noise scale is the posterior standard deviation."""
    s = make_schedule("linear")
    x0, x_t = randn(2, 3, 4, 4), randn(2, 3, 4, 4)
    t = 500
    mean, var = q_posterior_mean_variance(x0, x_t, t, s)
    eps = (x_t - s.sqrt_alphas_cumprod[t] * x0) / s.sqrt_one_minus_alphas_cumprod[t]
    smp = make_sampler("ddpm", s, steps=1000)
    zero = np.zeros_like(x_t)
    np.testing.assert_allclose(smp.step(eps, t, x_t, noise=zero).prev_sample, mean, atol=1e-5)
    one = np.ones_like(x_t)
    shifted = smp.step(eps, t, x_t, noise=one).prev_sample - mean
    np.testing.assert_allclose(shifted, np.sqrt(var[0]), rtol=1e-3)


def test_posterior_at_t0_is_x0_with_no_variance():
    s = make_schedule("linear")
    x0, x_t = randn(1, 1, 2, 2), randn(1, 1, 2, 2)
    mean, var = q_posterior_mean_variance(x0, x_t, 0, s)
    np.testing.assert_allclose(mean, x0, atol=1e-6)
    assert var[0] == 0
