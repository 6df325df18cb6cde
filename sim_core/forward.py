"""The forward (noising) process q of DDPM (Ho et al. 2020, https://arxiv.org/abs/2006.11239).

    one Markov step   q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t I)                  (eq. 2)
    closed form       q(x_t | x_0)     = N(√ᾱ_t x_0, (1 − ᾱ_t) I)                 (eq. 4)
    posterior         q(x_{t−1} | x_t, x_0) = N(μ̃_t, β̃_t I)                      (eqs. 6–7)
                      μ̃_t = √ᾱ_{t−1} β_t/(1 − ᾱ_t) · x_0 + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) · x_t
                      β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t

Images are NCHW float32 batches; t is one integer index in [0, T−1] or one per sample.
x_{−1} means x_0, so q_step(x_0, 0, ...) is the first step and chaining q_step for
t = 0..k reaches the distribution q_sample(x_0, k, ...) gives.
"""

import numpy as np

from sim_core._checks import check_images, check_same_shape, check_timesteps
from sim_core._numba import kernel
from sim_core.schedules import Schedule


@kernel
def _scaled_sum_kernel(a, x, b, y, out):  # pragma: no cover  (compiled)
    """out[n] = a[n]·x[n] + b[n]·y[n] over rows n: one pass, no temporaries."""
    for n in range(x.shape[0]):
        an, bn = a[n], b[n]
        for i in range(x.shape[1]):
            out[n, i] = an * x[n, i] + bn * y[n, i]


def scaled_sum(a: np.ndarray, x: np.ndarray, b: np.ndarray, y: np.ndarray) -> np.ndarray:
    """a[n]·x[n] + b[n]·y[n] for per-sample float32 coefficients a, b (numba)."""
    out = np.empty_like(x)
    n = x.shape[0]
    _scaled_sum_kernel(
        np.ascontiguousarray(a, np.float32),
        np.ascontiguousarray(x).reshape(n, -1),
        np.ascontiguousarray(b, np.float32),
        np.ascontiguousarray(y).reshape(n, -1),
        out.reshape(n, -1),
    )
    return out


def scaled_sum_reference(a, x, b, y) -> np.ndarray:
    """The plain numpy version of `scaled_sum`, kept for tests and the benchmark."""
    shape = (-1,) + (1,) * (x.ndim - 1)
    return (a.reshape(shape) * x + b.reshape(shape) * y).astype(np.float32)


def _inputs(x, t, noise, schedule: Schedule, name: str):
    x = check_images(x, name)
    noise = check_same_shape(x, noise, name, "noise")
    return x, check_timesteps(t, x.shape[0], schedule.num_steps), noise


def q_sample(x0, t, noise, schedule: Schedule) -> np.ndarray:
    """x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε   (closed form, eq. 4)."""
    x0, t, noise = _inputs(x0, t, noise, schedule, "x0")
    return scaled_sum(schedule.sqrt_alphas_cumprod[t], x0, schedule.noise_scale[t], noise)


def q_step(x_prev, t, noise, schedule: Schedule) -> np.ndarray:
    """x_t = √(1 − β_t) · x_{t−1} + √β_t · ε   (one Markov step t−1 → t, eq. 2)."""
    x_prev, t, noise = _inputs(x_prev, t, noise, schedule, "x_prev")
    return scaled_sum(np.sqrt(schedule.alphas[t]), x_prev, np.sqrt(schedule.betas[t]), noise)


def posterior_coefficients(alpha_prod_t, alpha_prod_t_prev):
    """(coef_x0, coef_xt, β̃) of q(x_{t'} | x_t, x_0) = N(coef_x0 · x_0 + coef_xt · x_t, β̃ I)
    for any earlier timestep t' (eqs. 6–7 with α'_t = ᾱ_t/ᾱ_{t'}, β'_t = 1 − α'_t):

        coef_x0 = √ᾱ_{t'} β'_t / (1 − ᾱ_t)
        coef_xt = √α'_t (1 − ᾱ_{t'}) / (1 − ᾱ_t)
        β̃      = (1 − ᾱ_{t'}) / (1 − ᾱ_t) · β'_t

    Scalars or arrays; the arithmetic of diffusers' DDPMScheduler, in the dtype given."""
    current_alpha_t = alpha_prod_t / alpha_prod_t_prev
    current_beta_t = 1 - current_alpha_t
    coef_x0 = alpha_prod_t_prev**0.5 * current_beta_t / (1 - alpha_prod_t)
    coef_xt = current_alpha_t**0.5 * (1 - alpha_prod_t_prev) / (1 - alpha_prod_t)
    return coef_x0, coef_xt, (1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * current_beta_t


def q_posterior_mean_variance(x0, x_t, t, schedule: Schedule):
    """Mean μ̃_t (NCHW) and variance β̃_t (per sample, shape (N,)) of q(x_{t−1} | x_t, x_0)
    (eqs. 6–7). At t = 0 the variance is 0: x_{−1} is x_0 itself."""
    x0 = check_images(x0, "x0")
    x_t = check_same_shape(x0, x_t, "x0", "x_t")
    t = check_timesteps(t, x0.shape[0], schedule.num_steps)
    ac = schedule.alphas_cumprod_f64[t]
    ac_prev = np.where(t > 0, schedule.alphas_cumprod_f64[t - 1], 1.0)
    coef_x0, coef_xt, variance = posterior_coefficients(ac, ac_prev)
    return scaled_sum(coef_x0, x0, coef_xt, x_t), variance.astype(np.float32)
