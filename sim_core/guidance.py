"""Classifier-free guidance (Ho & Salimans 2022, https://arxiv.org/abs/2207.12598).

    ε̃ = ε_uncond + w · (ε_cond − ε_uncond)

w = 1 is the plain conditional model, w = 0 the unconditional one; larger w pushes
samples toward what the prompt makes likely (w ≈ 7.5 balanced, w ≈ 15 oversaturated).
The paper writes (1 + w')ε_cond − w'ε_uncond: the same thing with w = 1 + w'.
A v-prediction model is guided the same way, on v̂.

Rescaled guidance (Lin et al. 2023, §3.4) pulls the guided output's spread back to the
conditional one's, which keeps large w from burning the image:

    ε̃_rescaled = ε̃ · std(ε_cond) / std(ε̃),    ε̃ ← φ ε̃_rescaled + (1 − φ) ε̃
"""

import numpy as np

from sim_core._checks import check_images, check_same_shape


def cfg(eps_uncond: np.ndarray, eps_cond: np.ndarray, w: float) -> np.ndarray:
    """ε_uncond + w · (ε_cond − ε_uncond)."""
    eps_uncond = check_images(eps_uncond, "eps_uncond")
    eps_cond = check_same_shape(eps_uncond, eps_cond, "eps_uncond", "eps_cond")
    if not np.isfinite(w):
        raise ValueError(f"guidance scale w must be a finite number; got {w!r}")
    return (eps_uncond + np.float32(w) * (eps_cond - eps_uncond)).astype(np.float32)


def rescale_cfg(guided: np.ndarray, eps_cond: np.ndarray, phi: float) -> np.ndarray:
    """Mix φ of the guided output rescaled to the conditional output's standard deviation
    (per image, unbiased, as diffusers' rescale_noise_cfg) into it; φ = 0 changes nothing."""
    guided = check_images(guided, "guided")
    eps_cond = check_same_shape(guided, eps_cond, "guided", "eps_cond")
    if not np.isfinite(phi) or not 0.0 <= phi <= 1.0:
        raise ValueError(f"guidance_rescale φ must lie in [0, 1]; got {phi!r}")
    if phi == 0:
        return guided
    axes = tuple(range(1, guided.ndim))
    std_cond = eps_cond.std(axis=axes, ddof=1, keepdims=True)
    std_guided = guided.std(axis=axes, ddof=1, keepdims=True)
    rescaled = guided * (std_cond / std_guided)
    return (np.float32(phi) * rescaled + np.float32(1 - phi) * guided).astype(np.float32)
