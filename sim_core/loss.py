"""The denoiser's view of training: one clean image noised to t, what the network predicts
from it, and how far off it is — the loss DDPM trains on, measured on the shipped model."""

from dataclasses import dataclass

import numpy as np

from sim_core.forward import q_sample
from sim_core.parameterization import pred_epsilon, pred_original_sample


@dataclass(frozen=True)
class DenoiserView:
    x_t: np.ndarray  # √ᾱ_t x₀ + √(1 − ᾱ_t) ε
    pred_epsilon: np.ndarray  # ε̂, from the network's output
    pred_original_sample: np.ndarray  # x̂₀ = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t, the same output read as an image
    epsilon_loss: np.ndarray  # (N,) (1/d) ‖ε − ε̂‖², per image
    image_loss: np.ndarray  # (N,) (1/d) ‖x₀ − x̂₀‖², per image


def denoiser_view(model, x0: np.ndarray, noise: np.ndarray, t: int, cond=None) -> DenoiserView:
    """Noise x₀ (N, C, H, W) with ε to timestep t, ask the model, and measure both errors:

        x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε
        L_ε  = (1/d) ‖ε − ε̂(x_t, t)‖²     (Ho et al. 2020, L_simple; d numbers per image)
        L_x₀ = (1/d) ‖x₀ − x̂₀(x_t, t)‖²

    ε̂ and x̂₀ come from one output (ε̂ or v̂, as model.prediction_type says), so
    x_t = √ᾱ_t x̂₀ + √(1 − ᾱ_t) ε̂ holds for them too: L_x₀ = (1 − ᾱ_t)/ᾱ_t · L_ε. The
    network's best guess of x₀ is the average of every image that could have made x_t,
    which at large t is many images: x̂₀ is blurred, L_x₀ large, while ε̂ ≈ x_t is easy."""
    x_t = q_sample(x0, t, noise, model.schedule)
    alpha_t, sigma_t = float(model.schedule.signal_scale[t]), float(model.schedule.noise_scale[t])
    output = model(x_t, t, cond)
    eps_hat = pred_epsilon(output, x_t, alpha_t, sigma_t, model.prediction_type)
    x0_hat = pred_original_sample(output, x_t, alpha_t, sigma_t, model.prediction_type)
    per_image = tuple(range(1, x0.ndim))
    return DenoiserView(x_t, eps_hat, x0_hat, np.mean((noise - eps_hat) ** 2, axis=per_image),
                        np.mean((x0 - x0_hat) ** 2, axis=per_image))
