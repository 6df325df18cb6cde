"""DPM-Solver++(2M) (Lu et al. 2022, https://arxiv.org/abs/2211.01095), as diffusers'
DPMSolverMultistepScheduler(algorithm_type="dpmsolver++", solver_order=2,
solver_type="midpoint", final_sigmas_type="zero").

It solves the diffusion ODE in λ = log(α/σ) with data prediction x̂_0:

    σ_i = √((1 − ᾱ_t)/ᾱ_t),  α_i = 1/√(σ_i² + 1),  σ̂_i = σ_i α_i,  λ_i = log α_i − log σ̂_i
    h = λ_{i+1} − λ_i
    first order (= DDIM):   x_{i+1} = (σ̂_{i+1}/σ̂_i) x_i − α_{i+1}(e^{−h} − 1) · D0
    second order:           … − ½ α_{i+1}(e^{−h} − 1) · D1,                          (alg. 2)
                            D0 = x̂_0(i),  D1 = (x̂_0(i) − x̂_0(i−1)) · h / h_prev

The first step has no history (first order); the last goes to σ = 0 (first order, and it
returns x̂_0 exactly: λ = +∞ there, so e^{−h} = 0). x̂_0 comes from ε̂ or v̂ with these α_i, σ̂_i.
At zero terminal SNR (ᾱ_{T−1} = 0, σ = ∞) ᾱ_{T−1} is taken as 2⁻²⁴, as diffusers does.
clip_sample clips x̂_0 to [−clip_sample, clip_sample] before it enters the update — diffusers'
DPMSolverMultistepScheduler has no such option, only its dynamic thresholding, at the same
place (convert_model_output); the update takes nothing else from the model, so it stays
consistent with the clipped x̂_0.
"""

import numpy as np

from sim_core.samplers.base import Sampler, spaced_timesteps


def _alpha_sigma(sigma):
    alpha = 1 / (sigma**2 + 1) ** 0.5
    return alpha, sigma * alpha


class DPMSolverPlusPlusSampler(Sampler):
    kind = "dpmsolver++"

    def __init__(self, schedule, steps, spacing, clip_sample=None, prediction_type="epsilon"):
        super().__init__(schedule, steps, spacing, clip_sample, prediction_type)
        alphas_cumprod = schedule.alphas_cumprod.copy()
        if alphas_cumprod[-1] == 0:
            # zero terminal SNR: close to 0 but finite, so the first σ is not inf (as diffusers)
            alphas_cumprod[-1] = 2**-24
        sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
        sigmas = np.interp(self.timesteps, np.arange(len(sigmas)), sigmas)
        self.sigmas = np.append(sigmas, 0.0).astype(np.float32)

    @staticmethod
    def _make_timesteps(num_train_steps, steps, spacing):
        # diffusers spaces N+1 points and drops the smallest: the last step lands on σ = 0
        # rather than on t = 0 (trailing already ends at T/N − 1).
        if spacing == "trailing":
            return spaced_timesteps(num_train_steps, steps, spacing)
        if spacing == "leading":
            ts = np.arange(steps + 1) * (num_train_steps // (steps + 1))
            return ts[::-1][:-1].astype(np.int64)
        return spaced_timesteps(num_train_steps, steps + 1, spacing)[:-1]

    def reset(self):
        self._previous_x0 = None
        self._last_index = None
        self._start_index = 0  # where the trajectory began (img2img starts part-way down)

    def signal_noise_scales(self, t):
        """(α, σ̂) from the interpolated σ, as diffusers (not √ᾱ directly)."""
        return _alpha_sigma(self.sigmas[self.index_of(t)])

    def _point(self, i: int):
        """(α_i, σ̂_i, λ_i = log α_i − log σ̂_i) of the i-th point; λ = +∞ at the final σ = 0."""
        alpha, sigma = _alpha_sigma(self.sigmas[i])
        with np.errstate(divide="ignore"):  # σ = 0 at the end: λ = +∞ on purpose
            return alpha, sigma, np.log(alpha) - np.log(sigma)

    def ratio_and_h(self, t: int) -> tuple[float, float]:
        """(σ̂_{i+1}/σ̂_i, h = λ_{i+1} − λ_i) of the step at t: the numbers the update multiplies by
        (σ̂ = σ·α, the noise scale of x; h = +∞ on the last step, which returns x̂_0)."""
        i = self.index_of(t)
        _, sigma_t, lambda_t = self._point(i + 1)
        _, sigma_s, lambda_s = self._point(i)
        return float(sigma_t / sigma_s), float(lambda_t - lambda_s)

    def coefficients(self, t: int) -> dict:
        """The numbers of the step at t, as the panel writes the update:

            x_{t'} = a · x_t + b · D,   D = x̂_0 + c · (x̂_0 − x̂_0 of the step before)

        a = σ̂_{t'}/σ̂_t, b = α_{t'}(1 − e^{−h}), h (see ratio_and_h), and c = ½ h/h_prev on the
        second-order steps, 0 on the first step of a trajectory and on the last (which returns
        x̂_0: "last" is then true)."""
        i = self.index_of(t)
        ratio, h = self.ratio_and_h(t)
        alpha_next = self._point(i + 1)[0]
        last = i == len(self.timesteps) - 1
        c = 0.0
        if i > self._start_index and not last:
            h_prev = self._point(i)[2] - self._point(i - 1)[2]
            c = 0.5 * h / h_prev
        return {"a": ratio, "b": float(alpha_next * (1 - np.exp(-h))), "h": h, "c": float(c), "last": last}

    def _step(self, model_output, t, x, noise):
        i = self.index_of(t)
        # a fresh trajectory may start at any timestep (img2img starts part-way down)
        if self._last_index is not None and i != self._last_index + 1:
            raise ValueError(
                f"dpmsolver++ is multistep: visit its timesteps in order (expected "
                f"{self.timesteps[min(self._last_index + 1, len(self.timesteps) - 1)]}, got {t}); "
                "call reset() to start again"
            )
        if self._last_index is None:
            self._start_index = i
        x0 = self.pred_original_sample(model_output, t, x)
        alpha_t, sigma_t, lambda_t = self._point(i + 1)
        _, sigma_s0, lambda_s0 = self._point(i)
        h = lambda_t - lambda_s0
        phi = alpha_t * (np.exp(-h) - 1)
        prev_sample = (sigma_t / sigma_s0) * x - phi * x0
        is_last = i == len(self.timesteps) - 1
        if self._previous_x0 is not None and not is_last:
            lambda_s1 = self._point(i - 1)[2]
            r0 = (lambda_s0 - lambda_s1) / h
            d1 = (1 / r0) * (x0 - self._previous_x0)
            prev_sample = prev_sample - 0.5 * phi * d1
        self._previous_x0 = x0
        self._last_index = i
        return prev_sample, x0
