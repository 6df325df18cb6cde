"""What the network predicts, and the clean image and noise it implies.

A diffusion model sees x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε and predicts either the noise ε
("epsilon", Ho et al. 2020) or the velocity v = √ᾱ_t ε − √(1 − ᾱ_t) x_0 ("v_prediction",
Salimans & Ho 2022). Either output gives x̂_0 and ε̂ — the samplers and the game's panels
all get them here.
"""

import numpy as np

PREDICTION_TYPES = ("epsilon", "v_prediction")


def pred_original_sample(model_output: np.ndarray, x_t: np.ndarray, alpha_t, sigma_t, prediction_type: str) -> np.ndarray:
    """x̂_0 from the model's output at x_t, where α_t = √ᾱ_t and σ_t = √(1 − ᾱ_t):

        epsilon:       x̂_0 = (x_t − σ_t ε̂) / α_t     (Ho et al. 2020, eq. 15)
        v_prediction:  x̂_0 = α_t x_t − σ_t v̂        (Salimans & Ho 2022, §4)

    The first divides by α_t: near ᾱ = 0 it multiplies every error of ε̂ (≈ 3·10⁴ at the
    cosine schedule's t = 999), and at ᾱ = 0 (zero terminal SNR) it is undefined."""
    if prediction_type == "v_prediction":
        return alpha_t * x_t - sigma_t * model_output
    if prediction_type != "epsilon":
        raise ValueError(f"unknown prediction_type {prediction_type!r}; expected one of {', '.join(PREDICTION_TYPES)}")
    if alpha_t == 0:
        raise ValueError(
            "ᾱ_t is 0 (zero terminal SNR): a model that predicts ε cannot recover x̂_0 from pure "
            "noise; use a v-prediction model, 'leading' spacing or a schedule without zero terminal SNR"
        )
    return (x_t - sigma_t * model_output) / alpha_t


def pred_epsilon(model_output: np.ndarray, x_t: np.ndarray, alpha_t, sigma_t, prediction_type: str) -> np.ndarray:
    """ε̂: the model's output itself, or from v̂: ε̂ = α_t v̂ + σ_t x_t."""
    if prediction_type == "epsilon":
        return model_output
    return alpha_t * model_output + sigma_t * x_t
