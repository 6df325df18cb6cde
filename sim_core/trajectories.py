"""Paths of points under the samplers, and Langevin dynamics on a learned score."""

import numpy as np


def straightness(path: np.ndarray) -> np.ndarray:
    """Per point of a path (K+1, N, D): chord / length = ‖x_K − x_0‖ / Σ_k ‖x_{k+1} − x_k‖,
    1 for a straight path (2/π for a half circle), near 0 for one that wanders."""
    length = np.linalg.norm(np.diff(path, axis=0), axis=-1).sum(0)
    return np.linalg.norm(path[-1] - path[0], axis=-1) / np.maximum(length, 1e-12)


def langevin(score, x: np.ndarray, step_size: float, steps: int, rng: np.random.Generator):
    """Unadjusted Langevin dynamics (Welling & Teh 2011; Song & Ermon 2019):

        x ← x + (δ/2) ∇ log p(x) + √δ z,   z ~ N(0, I)

    which, for a small δ and many steps, draws samples of p from any start. `score(x)` is
    ∇ log p; yields x after each step."""
    x = np.asarray(x, np.float32)
    for _ in range(steps):
        x = x + 0.5 * step_size * score(x) + np.sqrt(step_size) * rng.standard_normal(x.shape).astype(np.float32)
        yield x
