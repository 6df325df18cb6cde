"""DDPM ancestral sampling (Ho et al. 2020, https://arxiv.org/abs/2006.11239), as diffusers'
DDPMScheduler with variance_type="fixed_small".

    x_{t'} = μ̃(x_t, x̂_0) + σ_t z,   z ~ N(0, I), no noise on the last step (t = 0)
    μ̃ = √ᾱ_{t'} β'_t/(1 − ᾱ_t) · x̂_0 + √α'_t (1 − ᾱ_{t'})/(1 − ᾱ_t) · x_t      (eq. 7)
    σ_t² = β̃_t = (1 − ᾱ_{t'})/(1 − ᾱ_t) · β'_t                          ("fixed small")

where t' is the next timestep visited and α'_t = ᾱ_t/ᾱ_{t'}, β'_t = 1 − α'_t, so that
skipping timesteps (fewer than T steps) stays a valid Markov chain.
"""

from sim_core.forward import posterior_coefficients
from sim_core.samplers.base import Sampler


class DDPMSampler(Sampler):
    kind = "ddpm"
    stochastic = True

    def needs_noise(self, t: int) -> bool:
        return t > 0

    def coefficients(self, t: int) -> dict:
        """The step's numbers: x_{t'} = a · x̂_0 + b · x_t + s · z (sim_core.forward's posterior;
        s = √β̃_t with β̃ floored at 1e-20 as diffusers does, and 0 on the last step)."""
        a, b, variance = posterior_coefficients(self.alpha_cumprod_at(t), self.alpha_cumprod_at(self.prev_timestep(t)))
        return {"a": a, "b": b, "s": max(variance, 1e-20) ** 0.5 if self.needs_noise(t) else 0.0}

    def _step(self, model_output, t, x, noise):
        c = self.coefficients(t)
        x0 = self.pred_original_sample(model_output, t, x)
        mean = c["a"] * x0 + c["b"] * x
        if self.needs_noise(t):
            mean = mean + c["s"] * noise
        return mean, x0
