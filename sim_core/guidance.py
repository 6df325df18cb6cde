"""Classifier-free guidance (Ho & Salimans 2022, https://arxiv.org/abs/2207.12598).

    ε̃ = ε_uncond + w · (ε_cond − ε_uncond)

w = 1 is the plain conditional model, w = 0 the unconditional one; larger w pushes
samples toward what the prompt makes likely (w ≈ 7.5 balanced, w ≈ 15 oversaturated).
The paper writes (1 + w')ε_cond − w'ε_uncond: the same thing with w = 1 + w'.
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
