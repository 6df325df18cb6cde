"""Trajectory parity with diffusers' schedulers: the same model outputs (a fixed, nonlinear
dummy model, as diffusers' own scheduler tests use) and the same injected noise give the
same x_t and x̂_0 at every step, to 1e-4."""

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler
from diffusers.schedulers import scheduling_ddpm

from sim_core.samplers import make_sampler
from sim_core.schedules import DIFFUSERS_NAMES, make_schedule

SHAPE = (2, 3, 8, 8)


LINEAR = make_schedule("linear")


def dummy_model(x: np.ndarray, t: int) -> np.ndarray:
    """A deterministic stand-in for ε_θ(x_t, t) that behaves like a denoiser: it believes
    the clean image is D(x) = tanh(x) + 0.1 cos(3x + t), so samples stay in range, as with
    a trained model (a model that ignored x would drive x̂_0 to hundreds, where float32
    rounding alone exceeds 1e-4)."""
    signal, noise = LINEAR.sqrt_alphas_cumprod[t], LINEAR.sqrt_one_minus_alphas_cumprod[t]
    guess = np.tanh(x) + 0.1 * np.cos(3 * x + t)
    return ((x - signal * guess) / noise).astype(np.float32)


def run_ours(kind, schedule, steps, spacing, eta=0.0, noises=None):
    smp = make_sampler(kind, schedule, steps, spacing, eta=eta)
    x = np.random.default_rng(0).standard_normal(SHAPE, dtype=np.float32)
    path = []
    for i, t in enumerate(smp.timesteps):
        noise = noises[i] if smp.needs_noise(int(t)) else None
        out = smp.step(dummy_model(x, int(t)), int(t), x, noise)
        path.append((out.prev_sample, out.pred_original_sample))
        x = out.prev_sample
    return smp.timesteps, path


def run_diffusers(scheduler, steps, noises=None, eta=None):
    scheduler.set_timesteps(steps)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(SHAPE, dtype=np.float32))
    path = []
    for i, t in enumerate(scheduler.timesteps):
        eps = torch.from_numpy(dummy_model(x.numpy(), int(t)))
        kwargs = {}
        if eta is not None:
            kwargs = {"eta": eta, "variance_noise": torch.from_numpy(noises[i]) if eta else None}
        out = scheduler.step(eps, t, x, **kwargs)
        # DPMSolverMultistep keeps its x̂_0 in its history instead of its output
        x0 = getattr(out, "pred_original_sample", None)
        x0 = scheduler.model_outputs[-1] if x0 is None else x0
        path.append((out.prev_sample.numpy(), x0.numpy()))
        x = out.prev_sample
    return scheduler.timesteps.numpy(), path


def assert_same_path(ours, theirs):
    (ts_a, path_a), (ts_b, path_b) = ours, theirs
    np.testing.assert_array_equal(ts_a, ts_b)
    for i, ((x_a, x0_a), (x_b, x0_b)) in enumerate(zip(path_a, path_b, strict=True)):
        np.testing.assert_allclose(x0_a, x0_b, atol=1e-4, err_msg=f"x̂_0 at step {i}")
        np.testing.assert_allclose(x_a, x_b, atol=1e-4, err_msg=f"x_t at step {i}")


def noise_list(steps):
    rng = np.random.default_rng(1)
    return [rng.standard_normal(SHAPE, dtype=np.float32) for _ in range(steps)]


# Cosine starts at ᾱ ≈ 4e-9 at t = 999, where x̂_0 is ill-conditioned in float32 (see
# NOTES-numerics): cosine cases start below it (leading spacing).
DDPM_CASES = [
    ("linear", 1000, "leading"),
    ("linear", 50, "trailing"),
    ("linear", 37, "linspace"),
    ("scaled_linear", 20, "linspace"),
    ("scaled_linear", 50, "leading"),
    ("cosine", 50, "leading"),
    ("cosine", 100, "leading"),
    ("sigmoid", 25, "trailing"),
]


@pytest.mark.parametrize("kind, steps, spacing", DDPM_CASES)
def test_ddpm_matches_diffusers(monkeypatch, kind, steps, spacing):
    noises = noise_list(steps)
    drawn = iter(noises)
    # diffusers draws its own noise; hand it ours, in step order
    monkeypatch.setattr(scheduling_ddpm, "randn_tensor", lambda *a, **k: torch.from_numpy(next(drawn)))
    scheduler = DDPMScheduler(beta_schedule=DIFFUSERS_NAMES[kind], timestep_spacing=spacing, clip_sample=False)
    schedule = make_schedule(kind)
    ours = run_ours("ddpm", schedule, steps, spacing, noises=noises)
    assert_same_path(ours, run_diffusers(scheduler, steps))


# DDIM in diffusers steps to t − T//N whatever the spacing: only leading spacing, and
# trailing with N dividing T, make that the next visited timestep (see ddim.py).
DDIM_CASES = [
    ("linear", 50, "leading", 0.0),
    ("linear", 10, "trailing", 0.0),
    ("linear", 33, "leading", 0.0),
    ("scaled_linear", 50, "leading", 0.0),
    ("scaled_linear", 20, "trailing", 0.5),
    ("scaled_linear", 250, "trailing", 0.0),
    ("cosine", 50, "leading", 0.0),
    ("cosine", 25, "leading", 1.0),
]


@pytest.mark.parametrize("kind, steps, spacing, eta", DDIM_CASES)
def test_ddim_matches_diffusers(kind, steps, spacing, eta):
    noises = noise_list(steps)
    scheduler = DDIMScheduler(beta_schedule=DIFFUSERS_NAMES[kind], timestep_spacing=spacing, clip_sample=False)
    schedule = make_schedule(kind)
    ours = run_ours("ddim", schedule, steps, spacing, eta=eta, noises=noises)
    assert_same_path(ours, run_diffusers(scheduler, steps, noises=noises, eta=eta))


DPM_CASES = [
    ("linear", 20, "linspace", False),
    ("linear", 10, "leading", False),
    ("linear", 7, "trailing", False),
    ("scaled_linear", 25, "linspace", False),
    ("scaled_linear", 15, "trailing", False),
    ("scaled_linear", 20, "leading", True),
    ("cosine", 20, "leading", False),
    ("cosine", 1, "leading", False),
]


@pytest.mark.parametrize("kind, steps, spacing, zero_snr", DPM_CASES)
def test_dpmsolver_matches_diffusers(kind, steps, spacing, zero_snr):
    scheduler = DPMSolverMultistepScheduler(
        beta_schedule=DIFFUSERS_NAMES[kind],
        timestep_spacing=spacing,
        algorithm_type="dpmsolver++",
        solver_order=2,
        rescale_betas_zero_snr=zero_snr,
    )
    schedule = make_schedule(kind, zero_terminal_snr=zero_snr)
    ours = run_ours("dpmsolver++", schedule, steps, spacing)
    assert_same_path(ours, run_diffusers(scheduler, steps))


def test_dpmsolver_last_step_returns_x0_exactly():
    _, path = run_ours("dpmsolver++", make_schedule("linear"), 10, "leading")
    prev_sample, x0 = path[-1]
    np.testing.assert_array_equal(prev_sample, x0)


def test_clip_sample_matches_diffusers():
    steps = 20
    scheduler = DDIMScheduler(clip_sample=True, clip_sample_range=1.0)
    smp = make_sampler("ddim", make_schedule("linear"), steps, clip_sample=1.0)
    x = np.random.default_rng(0).standard_normal(SHAPE, dtype=np.float32)
    scheduler.set_timesteps(steps)
    xt = torch.from_numpy(x)
    for t in smp.timesteps:
        out = smp.step(dummy_model(x, int(t)), int(t), x)
        ref = scheduler.step(torch.from_numpy(dummy_model(xt.numpy(), int(t))), int(t), xt)
        assert np.abs(out.pred_original_sample).max() <= 1.0
        np.testing.assert_allclose(out.prev_sample, ref.prev_sample.numpy(), atol=1e-4)
        x, xt = out.prev_sample, ref.prev_sample
