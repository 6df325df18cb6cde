"""Input checks shared by the core: each failure is a ValueError that says what was expected."""

import numpy as np


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"a {x.dtype} array of shape {x.shape}"
    return f"{type(x).__name__} {x!r}"[:120]


def check_images(x, name: str) -> np.ndarray:
    """An NCHW float32 batch of finite values."""
    if not isinstance(x, np.ndarray) or x.dtype != np.float32 or x.ndim != 4:
        raise ValueError(
            f"{name} must be a float32 array of shape (N, C, H, W); got {_describe(x)}"
        )
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def check_same_shape(x: np.ndarray, y, name_x: str, name_y: str) -> np.ndarray:
    y = check_images(y, name_y)
    if y.shape != x.shape:
        raise ValueError(f"{name_y} must have the shape of {name_x}, {x.shape}; got {y.shape}")
    return y


def check_timesteps(t, batch: int, num_steps: int) -> np.ndarray:
    """One integer timestep in [0, T-1], or one per sample (shape (N,)); returned as an int array
    of shape (N,)."""
    arr = np.asarray(t)
    if arr.dtype.kind not in "iu" or arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != batch):
        raise ValueError(
            f"t must be an integer or an integer array of shape ({batch},); got {_describe(t)}"
        )
    if arr.size and (arr.min() < 0 or arr.max() > num_steps - 1):
        raise ValueError(f"t must lie in [0, {num_steps - 1}]; got {t!r}")
    return np.broadcast_to(arr.astype(np.int64), (batch,))


def check_choice(value, choices, what: str) -> str:
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(choices)}")
    return value
