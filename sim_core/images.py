"""Between model space (NCHW float32 in [−1, 1]) and pictures (HWC uint8)."""

import numpy as np


def to_rgb8(image: np.ndarray) -> np.ndarray:
    """(3, H, W) in [−1, 1] → (H, W, 3) uint8; values outside are clipped."""
    return np.round((np.clip(image, -1, 1).transpose(1, 2, 0) + 1) * 127.5).astype(np.uint8)


def make_grid(images: np.ndarray, cols: int, pad: int = 2, scale: int = 1) -> np.ndarray:
    """Tile (N, 3, H, W) images into one HWC uint8 picture, `cols` per row, each enlarged
    `scale`× with crisp (nearest) pixels."""
    n, _, h, w = images.shape
    rows = -(-n // cols)
    hs, ws = h * scale, w * scale
    out = np.full((rows * (hs + pad) + pad, cols * (ws + pad) + pad, 3), 255, np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        tile = to_rgb8(image).repeat(scale, axis=0).repeat(scale, axis=1)
        out[pad + r * (hs + pad): pad + r * (hs + pad) + hs, pad + c * (ws + pad): pad + c * (ws + pad) + ws] = tile
    return out


def clipped_fraction(images: np.ndarray) -> float:
    """The fraction of values outside the data's range [−1, 1]: pixels burnt to pure colour,
    black or white once shown, as guidance far past 7.5 extrapolates out of the data."""
    return float(np.mean(np.abs(images) > 1))


def mean_saturation(images: np.ndarray) -> float:
    """Mean HSV saturation, (max − min)/max of each pixel's RGB in [0, 1]: how vivid the
    colours are; classifier-free guidance far past 7.5 drives it up."""
    rgb = (np.clip(images, -1, 1) + 1) / 2
    hi, lo = rgb.max(axis=1), rgb.min(axis=1)
    return float(np.mean(np.where(hi > 0, (hi - lo) / np.maximum(hi, 1e-8), 0)))


def background_brightness(images: np.ndarray) -> np.ndarray:
    """Each image's background brightness, 0 (black) to 1 (white): the mean of its four 3×3
    corners. The shapes world keeps every shape clear of them (its centre lies radius + 1.5
    from each edge), and averaging opposite corners cancels the background's slight ramp."""
    corners = [images[:, :, :3, :3], images[:, :, :3, -3:], images[:, :, -3:, :3], images[:, :, -3:, -3:]]
    mean = np.mean([c.mean(axis=(1, 2, 3)) for c in corners], axis=0)
    return (np.clip(mean, -1, 1) + 1) / 2
