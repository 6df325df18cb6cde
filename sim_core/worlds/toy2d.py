"""Two-dimensional toy data for the score view: points on a spiral, two moons, or a few
clusters, scaled to about unit spread. Each point is one "image" of two pixels."""

import numpy as np

KINDS = ("spiral", "moons", "clusters")


def sample_points(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points (n, 2) float32 of the named data set."""
    if kind == "spiral":
        u = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi
        pts = np.stack([u * np.cos(u), u * np.sin(u)], axis=1) / (3 * np.pi)
        pts += rng.normal(0, 0.02, pts.shape)
    elif kind == "moons":
        u = rng.uniform(0, np.pi, n)
        upper = rng.random(n) < 0.5
        pts = np.where(upper[:, None], np.stack([np.cos(u), np.sin(u)], 1),
                       np.stack([1 - np.cos(u), 0.5 - np.sin(u)], 1))
        pts = (pts - [0.5, 0.25]) / 1.2 + rng.normal(0, 0.04, (n, 2))
    elif kind == "clusters":
        centres = np.array([[-0.7, -0.7], [0.7, -0.7], [0.0, 0.75], [0.0, 0.0]])
        pts = centres[rng.integers(0, len(centres), n)] + rng.normal(0, 0.08, (n, 2))
    else:
        raise ValueError(f"unknown toy data {kind!r}; expected one of {', '.join(KINDS)}")
    return pts.astype(np.float32)


def chamfer_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance from each point of a to its nearest point of b, and back, averaged:
    how well two point clouds cover each other."""
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    return float((d.min(1).mean() + d.min(0).mean()) / 2)
