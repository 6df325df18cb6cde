"""Running a sampler with a model: the reverse process from x_T to x_0, step by step.

`sample_progressive` is a generator (as improved-diffusion's p_sample_loop_progressive):
the game advances it one step per frame; `sample` runs it to the end. Both sample the way
the model's card says (its prediction_type, timestep spacing and clipping), unless told
otherwise, so a caller never needs to know them; `sampler_for` builds that sampler.
"""

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from sim_core._checks import check_images
from sim_core.forward import q_sample
from sim_core.guidance import cfg, rescale_cfg
from sim_core.samplers import Sampler, make_sampler
from sim_core.schedules import Schedule

# how to sample a model whose card says nothing (the defaults of the sim_core contract)
DEFAULT_SAMPLING = {"prediction_type": "epsilon", "spacing": "trailing", "clip_sample": None}
FROM_MODEL = "from the model's card"  # an option left to the model (clip_sample=None means off)


@runtime_checkable
class Denoiser(Protocol):
    """What the reverse process drives: the shipped U-Nets (pixels and latents), the toy 2-D
    MLP, the U-Net without its skips, the torch twin used to evaluate training runs."""

    schedule: Schedule  # the noise schedule it was trained on
    prediction_type: str  # "epsilon" or "v_prediction": what __call__ returns

    def encode_prompt(self, text):
        """The prompt's conditioning, or None for a model without prompts."""

    def __call__(self, x: np.ndarray, t, cond) -> np.ndarray:
        """ε̂ or v̂ at x_t (NCHW float32), timestep t, conditioning cond (None: unconditional)."""


@dataclass
class SampleStep:
    """One step of the reverse process, everything a learner may want to look at."""

    index: int  # 0 .. steps−1
    t: int  # the training timestep of x_t
    x_t: np.ndarray  # the sample entering this step
    model_output: np.ndarray  # the (guided) prediction: ε̂, or v̂ for a v-prediction model
    eps: np.ndarray  # the predicted noise ε̂ (the model's own, or the one its v̂ implies)
    pred_original_sample: np.ndarray  # x̂_0
    prev_sample: np.ndarray  # the sample leaving this step


@dataclass(frozen=True)
class Inpaint:
    """What inpainting keeps: `image` (x_0 of the picture, N or 1 × C × H × W) outside `mask`.

    mask is 1 where the model paints anew and 0 where the image is kept (diffusers'
    convention: white repaints), shaped (1 or N, 1 or C, H, W); values between blend. After
    every step the kept part of x_{t'} is replaced with the image noised to t' (RePaint,
    Lugmayr et al. 2022, eq. 8, without its resampling jumps; diffusers'
    StableDiffusionInpaintPipeline for a 4-channel U-Net):
        x_{t'} ← mask · x_{t'} + (1 − mask) · (√ᾱ_{t'} x_0 + √(1 − ᾱ_{t'}) ε),
    with one ε for the whole run (`noise`), and x_0 itself after the last step."""

    image: np.ndarray
    mask: np.ndarray
    noise: np.ndarray

    def __post_init__(self):
        image = check_images(self.image, "inpaint image")
        mask = np.asarray(self.mask, dtype=np.float32)
        if mask.ndim != 4 or mask.shape[2:] != image.shape[2:] or mask.shape[1] not in (1, image.shape[1]):
            raise ValueError(f"the inpainting mask must have shape (N, 1 or {image.shape[1]}, "
                             f"{image.shape[2]}, {image.shape[3]}); got {mask.shape}")
        if not np.all((mask >= 0) & (mask <= 1)):
            raise ValueError("the inpainting mask must lie in [0, 1] (1: paint anew, 0: keep)")
        object.__setattr__(self, "image", image)
        object.__setattr__(self, "mask", mask)

    def keep(self, x: np.ndarray, t_prev: int, schedule: Schedule) -> np.ndarray:
        """x_{t'} with its kept part replaced by the image noised to t' (t' = −1: the image)."""
        known = self.image if t_prev < 0 else q_sample(self.image, t_prev, self.noise, schedule)
        return (self.mask * x + (1 - self.mask) * known).astype(np.float32)


def img2img_start(image: np.ndarray, sampler: Sampler, t: int, noise: np.ndarray) -> tuple[np.ndarray, int]:
    """Where image-to-image (SDEdit, Meng et al. 2022) starts: the sampler's timestep nearest t
    and the image noised to it, x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε. Returns (x_t, start_index) for
    `sample_progressive`. (The nearest, not the first at or below t: with few steps every
    timestep may lie above a small t.)"""
    start_index = int(np.argmin(np.abs(sampler.timesteps - t)))
    return q_sample(image, int(sampler.timesteps[start_index]), noise, sampler.schedule), start_index


def model_sampling(model) -> dict:
    """The model card's prediction_type, spacing and clip_sample (defaults where it has none)."""
    return {key: getattr(model, key, default) for key, default in DEFAULT_SAMPLING.items()}


def sampler_for(model, kind: str = "ddim", steps: int = 50, schedule: Schedule | None = None,
                spacing: str | None = None, eta: float = 0.0, clip_sample=FROM_MODEL,
                prediction_type: str | None = None) -> Sampler:
    """make_sampler with the model's own settings for whatever is not given. A clipped DDIM
    takes its direction from the clipped x̂_0 (use_clipped_model_output; see ddim.py), so
    every sampler's step stays consistent with the x̂_0 it shows."""
    own = model_sampling(model)
    if clip_sample == FROM_MODEL:
        clip_sample = own["clip_sample"]
    return make_sampler(kind, model.schedule if schedule is None else schedule, steps,
                        spacing=spacing or own["spacing"], eta=eta, clip_sample=clip_sample,
                        prediction_type=prediction_type or own["prediction_type"],
                        use_clipped_model_output=kind == "ddim" and clip_sample is not None)


def predict(model, x: np.ndarray, t: int, cond, uncond, guidance: float, guidance_rescale: float = 0.0) -> np.ndarray:
    """The model's output at x_t (ε̂ or v̂) with classifier-free guidance: the conditional and
    unconditional branches go through the model as one batch of 2N. Without a prompt, or at
    w = 1 (where guidance changes nothing), one batch of N."""
    if cond is None:
        return model(x, t, None)
    if guidance == 1.0:
        return model(x, t, _batched(cond, len(x)))
    out = model(np.concatenate([x, x]), t, np.concatenate([_batched(uncond, len(x)), _batched(cond, len(x))]))
    guided = cfg(out[: len(x)], out[len(x) :], guidance)
    return rescale_cfg(guided, out[len(x) :], guidance_rescale)


def _batched(cond: np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(cond, (n,) + cond.shape[1:]) if cond.shape[0] == 1 else cond


def sample_progressive(
    model,
    x_T: np.ndarray,
    schedule: Schedule,
    sampler: str | Sampler = "ddim",
    steps: int = 50,
    spacing: str | None = None,
    eta: float = 0.0,
    guidance: float = 7.5,
    cond: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    start_index: int = 0,
    prediction_type: str | None = None,
    clip_sample=FROM_MODEL,
    guidance_rescale: float = 0.0,
    inpaint: Inpaint | None = None,
):
    """Yield a `SampleStep` per step from x_T (pure noise, NCHW float32) down to x_0.

    start_index > 0 starts part-way down (image-to-image, SDEdit): x_T is then the noisy
    sample at timesteps[start_index], e.g. q_sample of an image.

    model(x, t, cond) returns ε̂ or v̂ (model.prediction_type); cond is a prompt encoding from
    `model.encode_prompt` (batch 1 or N) or None for unconditional sampling; the empty prompt
    "" is the null prompt of classifier-free guidance. rng draws the noise of stochastic steps.
    spacing, prediction_type and clip_sample default to the model's card (`sampler_for`);
    guidance_rescale is φ of `rescale_cfg`. With `inpaint` only its mask is painted anew: each
    step's prev_sample keeps the image outside it (see `Inpaint`)."""
    x = check_images(x_T, "x_T")
    if not np.isfinite(guidance):
        raise ValueError(f"guidance must be a finite number; got {guidance!r}")
    if isinstance(sampler, Sampler):
        smp = sampler
    else:
        smp = sampler_for(model, sampler, steps, schedule=schedule, spacing=spacing, eta=eta,
                          clip_sample=clip_sample, prediction_type=prediction_type)
    smp.reset()
    if smp.stochastic and rng is None:
        raise ValueError(f"{smp.kind} is stochastic: pass rng=np.random.default_rng(seed)")
    uncond = model.encode_prompt("") if cond is not None and guidance != 1.0 else None
    if not 0 <= start_index < len(smp.timesteps):
        raise ValueError(f"start_index must lie in [0, {len(smp.timesteps) - 1}]; got {start_index}")
    for index in range(start_index, len(smp.timesteps)):
        t = int(smp.timesteps[index])
        model_output = predict(model, x, t, cond, uncond, guidance, guidance_rescale)
        noise = rng.standard_normal(x.shape, dtype=np.float32) if smp.needs_noise(t) else None
        out = smp.step(model_output, t, x, noise)
        eps = smp.pred_epsilon(model_output, t, x).astype(np.float32)
        prev_sample = out.prev_sample if inpaint is None else inpaint.keep(out.prev_sample, smp.prev_timestep(t), smp.schedule)
        yield SampleStep(index, t, x, model_output, eps, out.pred_original_sample, prev_sample)
        x = prev_sample


def sample(model, x_T, schedule, callback=None, **options) -> np.ndarray:
    """Run the reverse process to the end and return x_0; `callback(step)` sees every
    `SampleStep`. Options as `sample_progressive`."""
    x = x_T
    for step in sample_progressive(model, x_T, schedule, **options):
        if callback is not None:
            callback(step)
        x = step.prev_sample
    return x
