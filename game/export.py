"""Exporting a run for slides: the final image as PNG, the whole run as an animated GIF."""

import time

import numpy as np
from PIL import Image

from game.paths import export_dir
from sim_core.images import make_grid, to_rgb8


def _name(settings: dict, ext: str) -> str:
    prompt = "-".join(settings["prompt"].split()) or "unconditional"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{prompt}-{settings['sampler']}-{settings['steps']}-w{settings['guidance']:g}-s{settings['seed']}.{ext}"


def save_png(image: np.ndarray, settings: dict, scale: int = 8):
    """The (3, 32, 32) image enlarged `scale`× with crisp pixels."""
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _name(settings, "png")
    Image.fromarray(to_rgb8(image).repeat(scale, 0).repeat(scale, 1)).save(path)
    return path


def save_gif(steps, settings: dict, scale: int = 6, max_frames: int = 60):
    """x_t and x̂₀ side by side for every step (at most `max_frames`, evenly picked), the
    last frame held."""
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _name(settings, "gif")
    picks = np.unique(np.linspace(0, len(steps) - 1, min(max_frames, len(steps))).round().astype(int))
    frames = [Image.fromarray(make_grid(np.stack([steps[i].prev_sample[0], steps[i].pred_original_sample[0]]),
                                        cols=2, pad=4, scale=scale)) for i in picks]
    durations = [80] * (len(frames) - 1) + [1500]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return path
