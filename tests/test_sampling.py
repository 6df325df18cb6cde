import numpy as np
import pytest

from sim_core.guidance import cfg
from sim_core.sampling import sample, sample_progressive
from sim_core.samplers import make_sampler
from sim_core.schedules import make_schedule


class RecordingModel:
    """A fake model that predicts ε = 0.1·x + the prompt's value, and records its calls."""

    def __init__(self):
        self.calls = []

    def encode_prompt(self, text):
        return np.full((1, 2, 4), 0.0 if text == "" else 1.0, dtype=np.float32)

    def __call__(self, x, t, cond):
        self.calls.append((x.shape[0], t, None if cond is None else cond.shape[0]))
        shift = 0.0 if cond is None else cond[:, 0, 0].reshape(-1, 1, 1, 1)
        return (0.1 * x + shift).astype(np.float32)


def x_T(n=2):
    return np.random.default_rng(0).standard_normal((n, 3, 8, 8), dtype=np.float32)


def test_cfg_is_the_formula():
    u, c = np.zeros((1, 1, 2, 2), np.float32), np.ones((1, 1, 2, 2), np.float32)
    np.testing.assert_array_equal(cfg(u, c, 7.5), np.full((1, 1, 2, 2), 7.5, np.float32))
    np.testing.assert_array_equal(cfg(u, c, 0.0), u)
    np.testing.assert_array_equal(cfg(u, c, 1.0), c)


def test_guided_sampling_batches_both_branches_and_reports_every_step():
    model = RecordingModel()
    schedule = make_schedule("linear")
    cond = model.encode_prompt("red star")
    seen = []
    out = sample(model, x_T(), schedule, sampler="ddim", steps=10, guidance=7.5, cond=cond, callback=seen.append)
    assert model.calls == [(4, int(t), 4) for t in make_sampler("ddim", schedule, 10).timesteps]
    assert [s.index for s in seen] == list(range(10))
    assert out is seen[-1].prev_sample
    # each step's ε is the guided one: 0.1·x + 7.5·(1 − 0) and x̂_0 follows from it
    first = seen[0]
    np.testing.assert_allclose(first.eps, 0.1 * first.x_t + 7.5, rtol=1e-5)
    ac = schedule.alphas_cumprod[first.t]
    expected_x0 = (first.x_t - np.sqrt(1 - ac) * first.eps) / np.sqrt(ac)
    np.testing.assert_allclose(first.pred_original_sample, expected_x0, rtol=1e-4, atol=1e-4)
    assert seen[1].x_t is first.prev_sample


def test_guidance_one_and_unconditional_use_one_pass():
    model = RecordingModel()
    sample(model, x_T(), make_schedule("linear"), steps=3, guidance=1.0, cond=model.encode_prompt("a"))
    sample(model, x_T(), make_schedule("linear"), steps=3, cond=None)
    assert model.calls[:3] == [(2, t, 2) for t in (999, 666, 332)]
    assert [c[2] for c in model.calls[3:]] == [None] * 3


def test_stochastic_sampling_is_reproducible_from_the_generator():
    model, s = RecordingModel(), make_schedule("linear")
    a = sample(model, x_T(), s, sampler="ddpm", steps=20, rng=np.random.default_rng(3))
    b = sample(model, x_T(), s, sampler="ddpm", steps=20, rng=np.random.default_rng(3))
    c = sample(model, x_T(), s, sampler="ddpm", steps=20, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.1


def test_stochastic_sampler_without_rng_is_a_clear_error():
    with pytest.raises(ValueError, match="ddpm is stochastic: pass rng="):
        next(sample_progressive(RecordingModel(), x_T(), make_schedule("linear"), sampler="ddpm"))


def test_generator_can_be_advanced_one_step_at_a_time():
    gen = sample_progressive(RecordingModel(), x_T(), make_schedule("cosine"), sampler="dpmsolver++", steps=5)
    ts = [next(gen).t for _ in range(5)]
    assert ts == list(make_sampler("dpmsolver++", make_schedule("cosine"), 5).timesteps)
    with pytest.raises(StopIteration):
        next(gen)


@pytest.mark.parametrize("kind", ["ddim", "dpmsolver++"])
def test_starting_part_way_down_visits_the_remaining_timesteps(kind):
    model, s = RecordingModel(), make_schedule("linear")
    steps = list(sample_progressive(model, x_T(), s, sampler=kind, steps=10, start_index=4, guidance=1.0))
    assert [st.t for st in steps] == list(make_sampler(kind, s, 10).timesteps[4:])
    assert steps[0].index == 4
    with pytest.raises(ValueError, match=r"start_index must lie in \[0, 9\]"):
        next(sample_progressive(model, x_T(), s, steps=10, start_index=10))


@pytest.mark.parametrize("start_index", [0, 4])
def test_dpmsolver_panel_numbers_rebuild_every_step_it_takes(start_index):
    """x_t' = a · x_t + b · D, D = x̂₀ + c · (x̂₀ − the previous x̂₀), with the panel's a, b, c,
    reproduces each step of a 10-step trajectory, the second-order ones included (c = 0 on the
    first step it takes, also part-way down; the last returns x̂₀)."""
    smp = make_sampler("dpmsolver++", make_schedule("cosine", zero_terminal_snr=True), 10,
                       prediction_type="v_prediction")
    rng = np.random.default_rng(0)
    x, previous = rng.standard_normal((1, 3, 4, 4), dtype=np.float32), None
    seen_second_order = False
    for i, t in enumerate(smp.timesteps[start_index:], start=start_index):
        out = smp.step(rng.standard_normal(x.shape, dtype=np.float32), int(t), x)
        n = smp.coefficients(int(t))
        x0 = out.pred_original_sample
        if n["last"]:
            np.testing.assert_allclose(out.prev_sample, x0, atol=1e-6)
        else:
            D = x0 + n["c"] * (x0 - previous) if n["c"] else x0
            np.testing.assert_allclose(out.prev_sample, n["a"] * x + n["b"] * D, atol=1e-5)
        assert (n["c"] == 0) == (i == start_index or n["last"])
        seen_second_order |= n["c"] != 0
        x, previous = out.prev_sample, x0
    assert seen_second_order


def test_dpmsolver_shows_the_numbers_its_first_step_uses():
    """The formula panel's σ_t'/σ_t and h are the ones in x_t' = (σ_t'/σ_t) x_t + α_t'(1 − e^(−h)) x̂₀
    (σ the noise scale of x, α² + σ² = 1), not σ of the variance-exploding form."""
    smp = make_sampler("dpmsolver++", make_schedule("cosine", zero_terminal_snr=True), 10,
                       prediction_type="v_prediction")
    rng = np.random.default_rng(0)
    x, v = (rng.standard_normal((1, 3, 4, 4), dtype=np.float32) for _ in range(2))
    for t in smp.timesteps[:1]:
        ratio, h = smp.ratio_and_h(int(t))
        out = smp.step(v, int(t), x)
        sigma_next = ratio * smp.signal_noise_scales(int(t))[1]
        alpha_next = (1 - sigma_next**2) ** 0.5
        expected = ratio * x + alpha_next * (1 - np.exp(-h)) * out.pred_original_sample
        np.testing.assert_allclose(out.prev_sample, expected, atol=1e-5)
        assert 0.9 < ratio < 1  # the variance-exploding σ_t'/σ_t is 0.0016 here


def test_every_denoiser_meets_the_protocol_the_samplers_drive():
    from game.run import WithoutSkips
    from sim_core.model import load_latent_model, load_model
    from sim_core.sampling import Denoiser
    from sim_core.schedules import make_schedule
    from sim_core.toy_mlp import ToyDenoiser
    from training.evaluate import TorchDenoiser
    from sim_core.model import DEFAULT_MODEL

    model = load_model()
    toy = ToyDenoiser(make_schedule("linear", 10), np.zeros((4, 2), np.float32), hidden=4)
    for denoiser in (model, load_latent_model(), toy, WithoutSkips(model), TorchDenoiser(DEFAULT_MODEL)):
        assert isinstance(denoiser, Denoiser), type(denoiser).__name__
        assert denoiser.prediction_type in ("epsilon", "v_prediction")
    assert WithoutSkips(model).prediction_type == model.prediction_type == "v_prediction"
    assert not isinstance(object(), Denoiser)


def test_the_flawed_schedule_model_is_the_earlier_eps_model_on_the_plain_cosine_schedule():
    """Level 12's model A: ε-prediction, ᾱ_T > 0, sampled with leading spacing, so its first
    step is t = 960 at 25 steps (t = 999 would divide x̂₀ by √ᾱ_999 ≈ 5e-5), where √ᾱ ≈ 0.06
    of the image is still in x_t; the shipped v model starts at t = 999 with ᾱ = 0."""
    from sim_core.model import FLAWED_SCHEDULE_MODEL, load_model
    from sim_core.sampling import sampler_for

    a, b = load_model(FLAWED_SCHEDULE_MODEL), load_model()
    assert (a.prediction_type, a.spacing, b.prediction_type, b.spacing) == ("epsilon", "leading", "v_prediction", "trailing")
    assert 1e-9 < a.schedule.alphas_cumprod[999] < 1e-8 and b.schedule.alphas_cumprod[999] == 0
    first = int(sampler_for(a, "ddim", 25).timesteps[0])
    assert first == 960 and 0.05 < np.sqrt(a.schedule.alphas_cumprod[first]) < 0.07
    assert int(sampler_for(b, "ddim", 25).timesteps[0]) == 999


def test_inpainting_with_the_shipped_model_repaints_only_the_mask():
    """Level 7's damaged picture (the red heart painted yellow): with a mask over the heart and
    "red heart", the model repaints the heart red and the background outside the mask stays
    the damaged picture's to the bit; plain img2img from the same start changes it too."""
    from sim_core.judge import load_judge
    from sim_core.metrics import ssim
    from sim_core.model import load_model
    from sim_core.sampling import Inpaint, img2img_start, sampler_for
    from sim_core.worlds.shapes import render_seed

    model, judge = load_model(), load_judge()
    original, damaged = render_seed(21, "red heart"), render_seed(21, "yellow heart")
    ys, xs = np.mgrid[0:32, 0:32] + 0.5
    (cx, cy), reach = original.center, original.radius + 1.5
    mask = ((np.abs(xs - cx) < reach) & (np.abs(ys - cy) < reach)).astype(np.float32)[None, None]
    noise = np.random.default_rng(21).standard_normal((1, 3, 32, 32), dtype=np.float32)
    smp = sampler_for(model, "ddim", 25)
    x, start = img2img_start(damaged.image[None], smp, 700, noise)
    options = dict(sampler=smp, guidance=3.0, cond=model.encode_prompt("red heart"), start_index=start)
    inpainted = sample(model, x, model.schedule, inpaint=Inpaint(damaged.image[None], mask, noise), **options)
    img2img = sample(model, x, model.schedule, **options)
    kept = mask[0, 0] == 0
    assert judge(inpainted)[0].agrees_with("red heart")
    assert ssim(inpainted[0], original.image) > 0.6
    np.testing.assert_array_equal(inpainted[0][:, kept], damaged.image[:, kept])
    assert np.abs(img2img[0][:, kept] - damaged.image[:, kept]).max() > 0.1


def test_an_inpainting_mask_of_the_wrong_shape_or_range_is_a_clear_error():
    from sim_core.sampling import Inpaint

    image = np.zeros((1, 3, 8, 8), np.float32)
    with pytest.raises(ValueError, match="mask must have shape"):
        Inpaint(image, np.zeros((1, 1, 4, 4)), image)
    with pytest.raises(ValueError, match=r"lie in \[0, 1\]"):
        Inpaint(image, np.full((1, 1, 8, 8), 2.0), image)
