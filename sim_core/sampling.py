"""Running a sampler with a model: the reverse process from x_T to x_0, step by step.

`sample_progressive` is a generator (as improved-diffusion's p_sample_loop_progressive):
the game advances it one step per frame; `sample` runs it to the end.
"""

from dataclasses import dataclass

import numpy as np

from sim_core._checks import check_images
from sim_core.guidance import cfg
from sim_core.samplers import Sampler, make_sampler
from sim_core.schedules import Schedule


@dataclass
class SampleStep:
    """One step of the reverse process, everything a learner may want to look at."""

    index: int  # 0 .. steps−1
    t: int  # the training timestep of x_t
    x_t: np.ndarray  # the sample entering this step
    eps: np.ndarray  # the (guided) predicted noise ε_θ(x_t, t)
    pred_original_sample: np.ndarray  # x̂_0
    prev_sample: np.ndarray  # the sample leaving this step


def predict_noise(model, x: np.ndarray, t: int, cond, uncond, guidance: float) -> np.ndarray:
    """ε_θ(x_t, t) with classifier-free guidance: the conditional and unconditional branches
    go through the model as one batch of 2N. Without a prompt, or at w = 1 (where guidance
    changes nothing), one batch of N."""
    if cond is None:
        return model(x, t, None)
    if guidance == 1.0:
        return model(x, t, _batched(cond, len(x)))
    eps = model(np.concatenate([x, x]), t, np.concatenate([_batched(uncond, len(x)), _batched(cond, len(x))]))
    return cfg(eps[: len(x)], eps[len(x) :], guidance)


def _batched(cond: np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(cond, (n,) + cond.shape[1:]) if cond.shape[0] == 1 else cond


def sample_progressive(
    model,
    x_T: np.ndarray,
    schedule: Schedule,
    sampler: str | Sampler = "ddim",
    steps: int = 50,
    spacing: str = "leading",
    eta: float = 0.0,
    guidance: float = 7.5,
    cond: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    start_index: int = 0,
):
    """Yield a `SampleStep` per step from x_T (pure noise, NCHW float32) down to x_0.

    start_index > 0 starts part-way down (image-to-image, SDEdit): x_T is then the noisy
    sample at timesteps[start_index], e.g. q_sample of an image.

    model(x, t, cond) returns ε_θ; cond is a prompt encoding from `model.encode_prompt`
    (batch 1 or N) or None for unconditional sampling; the empty prompt "" is the null
    prompt of classifier-free guidance. rng draws the noise of stochastic steps."""
    x = check_images(x_T, "x_T")
    if not np.isfinite(guidance):
        raise ValueError(f"guidance must be a finite number; got {guidance!r}")
    smp = sampler if isinstance(sampler, Sampler) else make_sampler(sampler, schedule, steps, spacing, eta)
    smp.reset()
    if smp.stochastic and rng is None:
        raise ValueError(f"{smp.kind} is stochastic: pass rng=np.random.default_rng(seed)")
    uncond = model.encode_prompt("") if cond is not None and guidance != 1.0 else None
    if not 0 <= start_index < len(smp.timesteps):
        raise ValueError(f"start_index must lie in [0, {len(smp.timesteps) - 1}]; got {start_index}")
    for index in range(start_index, len(smp.timesteps)):
        t = int(smp.timesteps[index])
        eps = predict_noise(model, x, t, cond, uncond, guidance)
        noise = rng.standard_normal(x.shape, dtype=np.float32) if smp.needs_noise(t) else None
        out = smp.step(eps, t, x, noise)
        yield SampleStep(index, t, x, eps, out.pred_original_sample, out.prev_sample)
        x = out.prev_sample


def sample(model, x_T, schedule, callback=None, **options) -> np.ndarray:
    """Run the reverse process to the end and return x_0; `callback(step)` sees every
    `SampleStep`. Options as `sample_progressive`."""
    x = x_T
    for step in sample_progressive(model, x_T, schedule, **options):
        if callback is not None:
            callback(step)
        x = step.prev_sample
    return x
