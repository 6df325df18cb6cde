"""What the three samplers share: timestep spacing, x̂_0 and ε̂ from the model's output, and
the step record."""

from dataclasses import dataclass

import numpy as np

from sim_core import parameterization
from sim_core._checks import check_choice, check_images, check_same_shape
from sim_core.parameterization import PREDICTION_TYPES
from sim_core.schedules import Schedule

SPACINGS = ("leading", "trailing", "linspace")


def spaced_timesteps(num_train_steps: int, steps: int, spacing: str) -> np.ndarray:
    """The `steps` timesteps a sampler visits, descending, as diffusers' `set_timesteps`.

    leading   0, k, 2k, …  with k = T // N   (DDIM paper; Stable Diffusion 1.x): never visits
              T−1, so a run with few steps does not start from pure noise (1 step: t = 0 only)
    trailing  T−1, T−1−T/N, …  (always starts at x_{T−1}; Lin et al. 2023, table 2)
    linspace  round(linspace(0, T−1, N))
    """
    check_choice(spacing, SPACINGS, "spacing")
    if spacing == "leading":
        ts = np.arange(steps) * (num_train_steps // steps)
    elif spacing == "trailing":
        return np.round(np.arange(num_train_steps, 0, -num_train_steps / steps)).astype(np.int64) - 1
    else:
        ts = np.linspace(0, num_train_steps - 1, steps).round()
    return ts[::-1].astype(np.int64)


@dataclass
class SamplerOutput:
    prev_sample: np.ndarray  # x_{t_prev}
    pred_original_sample: np.ndarray  # x̂_0, the current guess of the clean image


class Sampler:
    """A reverse-process sampler over a subset of the training timesteps.

    `step(model_output, t, x, noise)` takes what the model predicts at x_t — the noise ε̂
    (prediction_type "epsilon") or the velocity v̂ = √ᾱ_t ε̂ − √(1 − ᾱ_t) x̂_0 ("v_prediction",
    Salimans & Ho 2022) — and returns x at the next (smaller) timestep and x̂_0. Call
    `reset()` before a new trajectory.
    """

    kind = ""
    stochastic = False

    def __init__(self, schedule: Schedule, steps: int, spacing: str, clip_sample=None, prediction_type="epsilon"):
        check_choice(prediction_type, PREDICTION_TYPES, "prediction_type")
        self.schedule = schedule
        self.spacing = spacing
        self.clip_sample = clip_sample
        self.prediction_type = prediction_type
        self.timesteps = self._make_timesteps(schedule.num_steps, steps, spacing)
        if len(np.unique(self.timesteps)) != steps or self.timesteps.min() < 0:
            raise ValueError(
                f"{steps} steps with {spacing} spacing do not give {steps} distinct timesteps "
                f"in [0, {schedule.num_steps - 1}]; use fewer steps"
            )
        self.timesteps.flags.writeable = False
        self.reset()

    @staticmethod
    def _make_timesteps(num_train_steps: int, steps: int, spacing: str) -> np.ndarray:
        return spaced_timesteps(num_train_steps, steps, spacing)

    def reset(self) -> None:
        """Forget any history (multistep samplers keep some)."""

    def needs_noise(self, t: int) -> bool:
        """Whether `step` at timestep t draws fresh noise (then `noise` is required)."""
        return False

    def index_of(self, t) -> int:
        is_int = isinstance(t, (int, np.integer)) and not isinstance(t, bool)
        hits = np.flatnonzero(self.timesteps == t) if is_int else []
        if not len(hits):
            raise ValueError(f"t must be one of this sampler's timesteps; got {t!r}")
        return int(hits[0])

    def prev_timestep(self, t: int) -> int:
        """The timestep after t in `timesteps`, or −1 after the last (meaning x_0)."""
        i = self.index_of(t)
        return int(self.timesteps[i + 1]) if i + 1 < len(self.timesteps) else -1

    def alpha_cumprod_at(self, t: int) -> np.float32:
        """ᾱ_t, with ᾱ_{−1} = 1."""
        return self.schedule.alphas_cumprod[t] if t >= 0 else np.float32(1.0)

    def signal_noise_scales(self, t: int):
        """(√ᾱ_t, √(1 − ᾱ_t)): how much signal and how much noise x_t holds."""
        alpha_prod_t = self.schedule.alphas_cumprod[t]
        return alpha_prod_t**0.5, (1 - alpha_prod_t) ** 0.5

    def pred_original_sample(self, model_output: np.ndarray, t: int, x: np.ndarray) -> np.ndarray:
        """x̂_0 (sim_core.parameterization) at timestep t, clipped to [−clip_sample, clip_sample]
        when that is set."""
        signal, noise = self.signal_noise_scales(t)
        x0 = parameterization.pred_original_sample(model_output, x, signal, noise, self.prediction_type)
        if self.clip_sample is not None:
            x0 = np.clip(x0, -self.clip_sample, self.clip_sample)
        return x0

    def pred_epsilon(self, model_output: np.ndarray, t: int, x: np.ndarray) -> np.ndarray:
        """ε̂ (sim_core.parameterization) at timestep t."""
        signal, noise = self.signal_noise_scales(t)
        return parameterization.pred_epsilon(model_output, x, signal, noise, self.prediction_type)

    def coefficients(self, t: int) -> dict:
        """The numbers of this sampler's update at timestep t, by the names its formula uses."""
        raise NotImplementedError

    def step(self, model_output, t, x, noise=None) -> SamplerOutput:
        x = check_images(x, "x")
        model_output = check_same_shape(x, model_output, "x", "model_output")
        t = int(self.timesteps[self.index_of(t)])
        if self.needs_noise(t):
            if noise is None:
                raise ValueError(
                    f"the {self.kind} step at t={t} is stochastic: pass noise, e.g. "
                    "rng.standard_normal(x.shape, dtype=np.float32)"
                )
            noise = check_same_shape(x, noise, "x", "noise")
        prev_sample, x0 = self._step(model_output, t, x, noise)
        return SamplerOutput(prev_sample.astype(np.float32), x0.astype(np.float32))

    def _step(self, model_output, t, x, noise):
        raise NotImplementedError

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(steps={len(self.timesteps)}, spacing={self.spacing!r}, "
                f"prediction_type={self.prediction_type!r})")
