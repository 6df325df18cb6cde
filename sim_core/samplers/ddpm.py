"""DDPM ancestral sampling (Ho et al. 2020, https://arxiv.org/abs/2006.11239), as diffusers'
DDPMScheduler with variance_type="fixed_small".

    x_{t'} = μ̃(x_t, x̂_0) + σ_t z,   z ~ N(0, I), no noise on the last step (t = 0)
    μ̃ = √ᾱ_{t'} β'_t/(1 − ᾱ_t) · x̂_0 + √α'_t (1 − ᾱ_{t'})/(1 − ᾱ_t) · x_t      (eq. 7)
    σ_t² = β̃_t = (1 − ᾱ_{t'})/(1 − ᾱ_t) · β'_t                          ("fixed small")

where t' is the next timestep visited and α'_t = ᾱ_t/ᾱ_{t'}, β'_t = 1 − α'_t, so that
skipping timesteps (fewer than T steps) stays a valid Markov chain.
"""

from sim_core.samplers.base import Sampler


class DDPMSampler(Sampler):
    kind = "ddpm"
    stochastic = True

    def needs_noise(self, t: int) -> bool:
        return t > 0

    def variance(self, t: int):
        """β̃_t, floored at 1e-20 as diffusers does (it is 0 at the first training step)."""
        alpha_prod_t = self.alpha_cumprod_at(t)
        alpha_prod_t_prev = self.alpha_cumprod_at(self.prev_timestep(t))
        current_beta_t = 1 - alpha_prod_t / alpha_prod_t_prev
        return max((1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * current_beta_t, 1e-20)

    def _step(self, model_output, t, x, noise):
        alpha_prod_t = self.alpha_cumprod_at(t)
        alpha_prod_t_prev = self.alpha_cumprod_at(self.prev_timestep(t))
        current_alpha_t = alpha_prod_t / alpha_prod_t_prev
        current_beta_t = 1 - current_alpha_t
        x0 = self.pred_original_sample(model_output, t, x)
        coef_x0 = alpha_prod_t_prev**0.5 * current_beta_t / (1 - alpha_prod_t)
        coef_xt = current_alpha_t**0.5 * (1 - alpha_prod_t_prev) / (1 - alpha_prod_t)
        mean = coef_x0 * x0 + coef_xt * x
        if t > 0:
            mean = mean + self.variance(t) ** 0.5 * noise
        return mean, x0
