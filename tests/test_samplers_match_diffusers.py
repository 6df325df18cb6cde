"""Trajectory parity with diffusers' schedulers over every combination the samplers take:
DDPM, DDIM (η = 0, ½, 1) and DPM-Solver++(2M) × linear / scaled_linear / cosine schedules,
with and without zero terminal SNR × leading / trailing / linspace spacing × clipping on or
off × ε- or v-prediction. The same model outputs (a fixed, nonlinear dummy model, as
diffusers' own scheduler tests use) and the same injected noise must give the same x_t
and x̂_0 at every step, to 1e-3."""

import itertools

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler
from diffusers.schedulers import scheduling_ddpm

from sim_core.samplers import make_sampler
from sim_core.schedules import DIFFUSERS_NAMES, make_schedule

SHAPE = (2, 3, 8, 8)
TOLERANCE = 1e-3
SCHEDULES = ("linear", "scaled_linear", "cosine")
SPACINGS = ("leading", "trailing", "linspace")
PREDICTIONS = ("epsilon", "v_prediction")


def dummy_model(x: np.ndarray, t: int, schedule, prediction_type: str) -> np.ndarray:
    """A deterministic stand-in for the network that behaves like a denoiser: it believes the
    clean image is D(x) = tanh(x) + 0.1 cos(3x + t), so samples stay in range as with a
    trained model, and returns the ε or v that belief implies at x_t:
    ε = (x − √ᾱ D)/√(1 − ᾱ),  v = √ᾱ ε − √(1 − ᾱ) D = (√ᾱ x − D)/√(1 − ᾱ)."""
    ac = np.float64(schedule.alphas_cumprod_f64[t])
    signal, noise = ac**0.5, (1 - ac) ** 0.5
    guess = np.tanh(x.astype(np.float64)) + 0.1 * np.cos(3 * x + t)
    out = (x - signal * guess) / noise if prediction_type == "epsilon" else (signal * x - guess) / noise
    return out.astype(np.float32)


def x_start(schedule, t: int) -> np.ndarray:
    """x_t as the forward process makes it from an image in [−1, 1] (a run that starts at a
    small t, as leading spacing's 1-step run does at t = 0, starts from a nearly clean image:
    pure noise there would ask the dummy for an ε of ~100 and turn 1-ulp differences of ᾱ
    between numpy's and torch's square roots into 1e-2)."""
    rng = np.random.default_rng(0)
    ac = schedule.alphas_cumprod_f64[t]
    x0 = np.tanh(rng.standard_normal(SHAPE))
    return (ac**0.5 * x0 + (1 - ac) ** 0.5 * rng.standard_normal(SHAPE)).astype(np.float32)


def run_ours(kind, schedule, steps, spacing, prediction_type="epsilon", clip=None, eta=0.0, noises=None,
             use_clipped_model_output=False):
    smp = make_sampler(kind, schedule, steps, spacing, eta=eta, clip_sample=clip, prediction_type=prediction_type,
                       use_clipped_model_output=use_clipped_model_output)
    x = x_start(schedule, int(smp.timesteps[0]))
    path = []
    for i, t in enumerate(smp.timesteps):
        noise = noises[i] if smp.needs_noise(int(t)) else None
        out = smp.step(dummy_model(x, int(t), schedule, prediction_type), int(t), x, noise)
        path.append((out.prev_sample, out.pred_original_sample))
        x = out.prev_sample
    return smp.timesteps, path


def run_diffusers(scheduler, steps, schedule, prediction_type, noises=None, eta=None, **step_options):
    scheduler.set_timesteps(steps)
    x = torch.from_numpy(x_start(schedule, int(scheduler.timesteps[0])))
    path = []
    for i, t in enumerate(scheduler.timesteps):
        out = torch.from_numpy(dummy_model(x.numpy(), int(t), schedule, prediction_type))
        kwargs = dict(step_options)
        if eta is not None:
            kwargs.update(eta=eta, variance_noise=torch.from_numpy(noises[i]) if eta else None)
        result = scheduler.step(out, t, x, **kwargs)
        # DPMSolverMultistep keeps its x̂_0 in its history instead of its output
        x0 = getattr(result, "pred_original_sample", None)
        x0 = scheduler.model_outputs[-1] if x0 is None else x0
        path.append((result.prev_sample.numpy(), x0.numpy()))
        x = result.prev_sample
    return scheduler.timesteps.numpy(), path


def assert_same_path(ours, theirs):
    (ts_a, path_a), (ts_b, path_b) = ours, theirs
    np.testing.assert_array_equal(ts_a, ts_b)
    for i, ((x_a, x0_a), (x_b, x0_b)) in enumerate(zip(path_a, path_b, strict=True)):
        np.testing.assert_allclose(x0_a, x0_b, atol=TOLERANCE, err_msg=f"x̂_0 at step {i}")
        np.testing.assert_allclose(x_a, x_b, atol=TOLERANCE, err_msg=f"x_t at step {i}")


def noise_list(steps):
    rng = np.random.default_rng(1)
    return [rng.standard_normal(SHAPE, dtype=np.float32) for _ in range(steps)]


def config(kind, zero_snr, spacing, prediction_type, clip=None):
    cfg = dict(beta_schedule=DIFFUSERS_NAMES[kind], rescale_betas_zero_snr=zero_snr, timestep_spacing=spacing,
               prediction_type=prediction_type)
    return dict(cfg, clip_sample=clip is not None, clip_sample_range=clip or 1.0)


def visits_pure_noise(schedule, timesteps) -> bool:
    return schedule.alphas_cumprod[int(timesteps[0])] == 0


def expect_undefined(schedule, kind, steps, spacing, prediction_type) -> bool:
    """ε-prediction cannot give x̂_0 where ᾱ = 0 (diffusers returns inf and NaN there): ours
    must say so instead."""
    if prediction_type != "epsilon" or not schedule.zero_terminal_snr:
        return False
    smp = make_sampler(kind, schedule, steps, spacing)
    if not visits_pure_noise(schedule, smp.timesteps):
        return False
    with pytest.raises(ValueError, match="zero terminal SNR"):
        run_ours(kind, schedule, steps, spacing, noises=noise_list(steps))
    return True


COMMON = list(itertools.product(SCHEDULES, (False, True), SPACINGS, PREDICTIONS))


@pytest.mark.parametrize("clip", (None, 1.0))
@pytest.mark.parametrize("steps", (1, 10, 37, 50))
@pytest.mark.parametrize("kind, zero_snr, spacing, prediction_type", COMMON)
def test_ddpm_matches_diffusers(monkeypatch, kind, zero_snr, spacing, prediction_type, steps, clip):
    schedule = make_schedule(kind, zero_terminal_snr=zero_snr)
    if expect_undefined(schedule, "ddpm", steps, spacing, prediction_type):
        return
    noises = noise_list(steps)
    drawn = iter(noises)
    # diffusers draws its own noise; hand it ours, in step order
    monkeypatch.setattr(scheduling_ddpm, "randn_tensor", lambda *a, **k: torch.from_numpy(next(drawn)))
    scheduler = DDPMScheduler(**config(kind, zero_snr, spacing, prediction_type, clip))
    ours = run_ours("ddpm", schedule, steps, spacing, prediction_type, clip, noises=noises)
    assert_same_path(ours, run_diffusers(scheduler, steps, schedule, prediction_type))


# diffusers' DDIM steps to t − T//N whatever the spacing: that is the next visited timestep
# for leading spacing and for trailing with N dividing T (1, 10, 50 here) — those cases
# compare with DDIMScheduler. Elsewhere (linspace; trailing with 37 steps) ours steps to the
# next visited timestep, as the paper does, and η = 1 is then checked against DDPMScheduler,
# which is the same update (without clipping: DDIM takes its direction from the unclipped ε̂);
# so is η = 1 from pure noise, where diffusers' DDIM gives NaN.
# clip 1.5 with the clipped x̂_0's own ε is how the game samples its model (sampling.sampler_for)
@pytest.mark.parametrize("clip, use_clipped_model_output", ((None, False), (1.0, False), (1.5, True)))
@pytest.mark.parametrize("eta", (0.0, 0.5, 1.0))
@pytest.mark.parametrize("steps", (1, 10, 37, 50))
@pytest.mark.parametrize("kind, zero_snr, spacing, prediction_type", COMMON)
def test_ddim_matches_diffusers(monkeypatch, kind, zero_snr, spacing, prediction_type, steps, eta, clip,
                                use_clipped_model_output):
    schedule = make_schedule(kind, zero_terminal_snr=zero_snr)
    if expect_undefined(schedule, "ddim", steps, spacing, prediction_type):
        return
    noises = noise_list(steps)
    ours = run_ours("ddim", schedule, steps, spacing, prediction_type, clip, eta=eta, noises=noises,
                    use_clipped_model_output=use_clipped_model_output)
    # at ᾱ_t = 0 with η = 1 diffusers' DDIM takes the square root of a rounding error below 0 (NaN)
    nan_in_diffusers = eta == 1.0 and visits_pure_noise(schedule, make_sampler("ddim", schedule, steps, spacing).timesteps)
    if (spacing == "leading" or (spacing == "trailing" and 1000 % steps == 0)) and not nan_in_diffusers:
        scheduler = DDIMScheduler(**config(kind, zero_snr, spacing, prediction_type, clip))
        assert_same_path(ours, run_diffusers(scheduler, steps, schedule, prediction_type, noises=noises, eta=eta,
                                             use_clipped_model_output=use_clipped_model_output))
    elif eta == 1.0 and clip is None:
        drawn = iter(noises)
        monkeypatch.setattr(scheduling_ddpm, "randn_tensor", lambda *a, **k: torch.from_numpy(next(drawn)))
        scheduler = DDPMScheduler(**config(kind, zero_snr, spacing, prediction_type, clip))
        assert_same_path(ours, run_diffusers(scheduler, steps, schedule, prediction_type))
    else:
        pytest.skip("no diffusers oracle: its DDIM steps to t − T//N here (see ddim.py), or clips")


@pytest.mark.parametrize("clip", (None, 1.5))
@pytest.mark.parametrize("steps", (1, 2, 7, 10, 50))
@pytest.mark.parametrize("kind, zero_snr, spacing, prediction_type", COMMON)
def test_dpmsolver_matches_diffusers(monkeypatch, kind, zero_snr, spacing, prediction_type, steps, clip):
    """Including zero terminal SNR, where diffusers (and ours) take ᾱ_{T−1} = 2⁻²⁴. diffusers
    cannot clip DPM-Solver++'s x̂_0; with clipping it is compared with its thresholding step
    (the same place in the update) made a clamp."""
    scheduler = DPMSolverMultistepScheduler(
        **{k: v for k, v in config(kind, zero_snr, spacing, prediction_type).items() if not k.startswith("clip")},
        algorithm_type="dpmsolver++", solver_order=2, thresholding=clip is not None,
    )
    if clip is not None:
        monkeypatch.setattr(scheduler, "_threshold_sample", lambda x0: x0.clamp(-clip, clip))
    schedule = make_schedule(kind, zero_terminal_snr=zero_snr)
    ours = run_ours("dpmsolver++", schedule, steps, spacing, prediction_type, clip)
    assert_same_path(ours, run_diffusers(scheduler, steps, schedule, prediction_type))


def test_dpmsolver_last_step_returns_x0_exactly():
    schedule = make_schedule("linear")
    _, path = run_ours("dpmsolver++", schedule, 10, "leading")
    prev_sample, x0 = path[-1]
    np.testing.assert_array_equal(prev_sample, x0)


@pytest.mark.parametrize("kind", ("ddpm", "ddim", "dpmsolver++"))
def test_clip_sample_bounds_pred_original_sample(kind):
    """The check the parity tests cannot make alone: clipping really bounds x̂_0 (the dummy
    model's x̂_0 leaves [−1, 1] without it)."""
    schedule = make_schedule("linear")
    _, clipped = run_ours(kind, schedule, 20, "trailing", clip=1.0, noises=noise_list(20))
    if kind == "dpmsolver++":  # it returns the last x̂_0 itself
        assert np.abs(clipped[-1][0]).max() <= 1.0
    _, free = run_ours(kind, schedule, 20, "trailing", noises=noise_list(20))
    assert max(np.abs(x0).max() for _, x0 in clipped) <= 1.0
    assert max(np.abs(x0).max() for _, x0 in free) > 1.05


def test_v_prediction_recovers_x0_at_pure_noise():
    """At ᾱ = 0 a v-model's x̂_0 is −v̂ exactly (x̂_0 = √ᾱ x_t − √(1 − ᾱ) v̂), with no division."""
    schedule = make_schedule("cosine", zero_terminal_snr=True)
    smp = make_sampler("ddim", schedule, 10, "trailing", prediction_type="v_prediction")
    x = np.random.default_rng(0).standard_normal(SHAPE, dtype=np.float32)
    v = np.random.default_rng(1).standard_normal(SHAPE, dtype=np.float32)
    out = smp.step(v, 999, x)
    np.testing.assert_array_equal(out.pred_original_sample, -v)


class DummyDenoiser:
    """dummy_model as sample_progressive drives a model (no prompts)."""

    def __init__(self, schedule, prediction_type):
        self.schedule, self.prediction_type = schedule, prediction_type

    def encode_prompt(self, text):
        return None

    def __call__(self, x, t, cond):
        return dummy_model(x, t, self.schedule, self.prediction_type)


@pytest.mark.parametrize("strength_t", (999, 600))
@pytest.mark.parametrize("prediction_type", PREDICTIONS)
def test_inpainting_and_img2img_match_diffusers_inpaint_pipeline(prediction_type, strength_t):
    """Inpainting (Inpaint) from an image noised part-way down (img2img_start) against the
    loop of diffusers' StableDiffusionInpaintPipeline for a 4-channel U-Net: the image noised
    to the start timestep, then after each step the kept part replaced by the image noised to
    the next timestep (the image itself after the last)."""
    from sim_core.sampling import Inpaint, img2img_start, sample_progressive

    zero_snr = prediction_type == "v_prediction"  # as the shipped model; ε cannot start from ᾱ = 0
    schedule = make_schedule("cosine", zero_terminal_snr=zero_snr)
    rng = np.random.default_rng(3)
    image = np.tanh(rng.standard_normal(SHAPE)).astype(np.float32)
    noise = rng.standard_normal(SHAPE, dtype=np.float32)
    mask = np.zeros((1, 1) + SHAPE[2:], np.float32)
    mask[..., 2:6, 1:5] = 1.0  # the part painted anew
    mask[..., 2, 1] = 0.5  # a soft edge blends

    smp = make_sampler("ddim", schedule, 20, "trailing", prediction_type=prediction_type)
    x, start = img2img_start(image, smp, strength_t, noise)
    ours = [s.prev_sample for s in sample_progressive(DummyDenoiser(schedule, prediction_type), x, schedule,
                                                      sampler=smp, inpaint=Inpaint(image, mask, noise),
                                                      start_index=start)]

    scheduler = DDIMScheduler(**config("cosine", zero_snr, "trailing", prediction_type, None))
    scheduler.set_timesteps(20)
    timesteps = scheduler.timesteps[start:]
    image_t, noise_t, mask_t = (torch.from_numpy(a) for a in (image, noise, mask))
    latents = scheduler.add_noise(image_t, noise_t, timesteps[:1])
    theirs = []
    for i, t in enumerate(timesteps):
        out = torch.from_numpy(dummy_model(latents.numpy(), int(t), schedule, prediction_type))
        latents = scheduler.step(out, t, latents).prev_sample
        init_latents_proper = image_t
        if i < len(timesteps) - 1:
            init_latents_proper = scheduler.add_noise(image_t, noise_t, timesteps[i + 1 : i + 2])
        latents = (1 - mask_t) * init_latents_proper + mask_t * latents
        theirs.append(latents.numpy())

    assert len(ours) == len(theirs) == 20 - start and (start > 0) == (strength_t < 999)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=TOLERANCE)
    kept = mask[0, 0] == 0
    np.testing.assert_array_equal(ours[-1][..., kept], image[..., kept])  # the kept part is the image, exactly
    assert np.abs(ours[-1] - image)[..., mask[0, 0] == 1].mean() > 0.05  # the masked part was painted anew
