"""Reverse-process samplers: DDPM (ancestral), DDIM and DPM-Solver++(2M).

    smp = make_sampler("ddim", schedule, steps=50, spacing="trailing", eta=0.0,
                       prediction_type="v_prediction")
    for t in smp.timesteps:
        out = smp.step(model(x, t, cond), t, x)   # the model's ε̂ or v̂
        x = out.prev_sample
"""

from sim_core._checks import check_choice
from sim_core.samplers.base import PREDICTION_TYPES, SPACINGS, Sampler, SamplerOutput, spaced_timesteps
from sim_core.samplers.ddim import DDIMSampler
from sim_core.samplers.ddpm import DDPMSampler
from sim_core.samplers.dpmsolver import DPMSolverPlusPlusSampler
from sim_core.schedules import Schedule

KINDS = ("ddpm", "ddim", "dpmsolver++")

__all__ = ["KINDS", "PREDICTION_TYPES", "SPACINGS", "Sampler", "SamplerOutput", "make_sampler", "max_steps",
           "spaced_timesteps"]


def max_steps(kind: str, schedule: Schedule | int) -> int:
    """The most steps `kind` can take on `schedule` (or on any schedule of that many
    timesteps): every timestep, but one fewer for DPM-Solver++ (it spaces N + 1 points and
    ends on σ = 0)."""
    check_choice(kind, KINDS, "sampler")
    num_steps = schedule if isinstance(schedule, int) else schedule.num_steps
    return num_steps - (1 if kind == "dpmsolver++" else 0)


def make_sampler(
    kind: str,
    schedule: Schedule,
    steps: int = 50,
    spacing: str = "trailing",
    eta: float = 0.0,
    clip_sample: float | None = None,
    prediction_type: str = "epsilon",
    use_clipped_model_output: bool = False,
) -> Sampler:
    """A sampler of `kind` visiting `steps` timesteps of `schedule` with diffusers' `spacing`,
    for a model whose output is `prediction_type` ("epsilon" or "v_prediction").

    eta applies to DDIM only (0 deterministic, 1 as random as DDPM). clip_sample, when set,
    clips x̂_0 to [−clip_sample, clip_sample] (diffusers' clip_sample=True with that
    clip_sample_range; for DPM-Solver++, which diffusers cannot clip, at the place of its
    thresholding). use_clipped_model_output (DDIM only, diffusers' step argument) takes DDIM's
    direction ε from the clipped x̂_0."""
    check_choice(kind, KINDS, "sampler")
    check_choice(spacing, SPACINGS, "spacing")
    if not isinstance(schedule, Schedule):
        raise ValueError(f"schedule must come from make_schedule(); got {type(schedule).__name__}")
    limit = max_steps(kind, schedule)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= limit:
        raise ValueError(f"steps must be an integer in [1, {limit}] for {kind}; got {steps!r}")
    check_choice(prediction_type, PREDICTION_TYPES, "prediction_type")
    if clip_sample is not None and not clip_sample > 0:
        raise ValueError(f"clip_sample must be a positive number or None; got {clip_sample!r}")
    if kind == "ddim":
        return DDIMSampler(schedule, steps, spacing, eta=eta, clip_sample=clip_sample, prediction_type=prediction_type,
                           use_clipped_model_output=use_clipped_model_output)
    if eta != 0.0 or use_clipped_model_output:
        raise ValueError(f"eta and use_clipped_model_output apply to ddim only; {kind} got eta={eta!r}, "
                         f"use_clipped_model_output={use_clipped_model_output!r}")
    if kind == "ddpm":
        return DDPMSampler(schedule, steps, spacing, clip_sample=clip_sample, prediction_type=prediction_type)
    return DPMSolverPlusPlusSampler(schedule, steps, spacing, clip_sample=clip_sample, prediction_type=prediction_type)
