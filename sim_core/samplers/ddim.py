"""DDIM (Song et al. 2021, https://arxiv.org/abs/2010.02502), as diffusers' DDIMScheduler.

    x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'} − σ_t²) · ε + σ_t z                        (eq. 12)
    σ_t = η √((1 − ᾱ_{t'})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'})                             (eq. 16)

η = 0 is deterministic (an ODE solver: the same x_T always gives the same image); η = 1
is as random as DDPM. t' is the next timestep visited, ᾱ_{−1} = 1. ε is the model's ε̂ (or,
for a v-prediction model, the ε̂ its v̂ implies) — or, with use_clipped_model_output (diffusers'
step argument), the ε the clipped x̂_0 implies, ε = (x_t − √ᾱ_t x̂_0)/√(1 − ᾱ_t), as GLIDE does:
the step then stays on the line through x_t and the clipped x̂_0. Clipping x̂_0 while keeping
the unclipped ε sends a guided run elsewhere (at w = 7.5, x̂_0 clipped to ±1.5, DDIM 50: the
judge saw the prompt in 1 of 8 runs; with the clipped x̂_0's own ε, 8 of 8 — measured).

diffusers computes t' as t − T//N whatever the spacing; that equals "the next timestep"
for leading spacing and for trailing spacing when N divides T, and those are the cases
where this sampler and diffusers' agree. Elsewhere this sampler takes the step the paper
defines (η = 1 then equals DDPMScheduler, which does use the next timestep).
"""

import numpy as np

from sim_core.samplers.base import Sampler


class DDIMSampler(Sampler):
    kind = "ddim"

    def __init__(self, schedule, steps, spacing, eta=0.0, clip_sample=None, prediction_type="epsilon",
                 use_clipped_model_output=False):
        if not np.isfinite(eta) or not 0.0 <= eta <= 1.0:
            raise ValueError(f"eta must lie in [0, 1]; got {eta!r}")
        self.eta = float(eta)
        self.use_clipped_model_output = bool(use_clipped_model_output)
        self.stochastic = self.eta > 0
        super().__init__(schedule, steps, spacing, clip_sample, prediction_type)

    def needs_noise(self, t: int) -> bool:
        return self.stochastic

    def coefficients(self, t: int) -> dict:
        """The step's numbers: x_{t'} = a · x̂_0 + b · ε̂ + s · z, with a = √ᾱ_{t'},
        s = η √((1 − ᾱ_{t'})/(1 − ᾱ_t) · (1 − ᾱ_t/ᾱ_{t'})) and b = √(1 − ᾱ_{t'} − s²)
        (at ᾱ_t = 0 with η = 1 the root's argument is 0 up to rounding: clamped, where
        diffusers returns NaN)."""
        alpha_prod_t = self.alpha_cumprod_at(t)
        alpha_prod_t_prev = self.alpha_cumprod_at(self.prev_timestep(t))
        variance = (1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * (1 - alpha_prod_t / alpha_prod_t_prev)
        std_dev_t = np.float32(self.eta) * variance**0.5
        return {"a": alpha_prod_t_prev**0.5, "b": max(1 - alpha_prod_t_prev - std_dev_t**2, 0) ** 0.5, "s": std_dev_t}

    def _step(self, model_output, t, x, noise):
        c = self.coefficients(t)
        x0 = self.pred_original_sample(model_output, t, x)
        if self.use_clipped_model_output:
            signal, noise_scale = self.signal_noise_scales(t)
            eps = (x - signal * x0) / noise_scale
        else:
            eps = self.pred_epsilon(model_output, t, x)  # from the unclipped output (diffusers' default)
        prev_sample = c["a"] * x0 + c["b"] * eps
        if self.eta > 0:
            prev_sample = prev_sample + c["s"] * noise
        return prev_sample, x0
