"""The shipped denoiser: a U-Net with a text encoder, in numpy.

    m = load_model()                    # assets/models/shapes32
    cond = m.encode_prompt("red star")  # "" is the null prompt
    eps = m(x_t, t, cond)               # cond=None: unconditional
"""

from pathlib import Path

import numpy as np

from sim_core._checks import check_images, check_timesteps
from sim_core.model.text import tokenize
from sim_core.model.unet import UNet
from sim_core.model.weights import ModelLoadError, read_card, read_weights
from sim_core.schedules import make_schedule
from sim_core.worlds.shapes import Vocabulary

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "assets" / "models" / "shapes32"

__all__ = ["DEFAULT_MODEL", "ModelLoadError", "ShapesModel", "load_model"]


class ShapesModel:
    """ε_θ(x_t, t, prompt) with its schedule, tokens and vocabulary from the model card."""

    def __init__(self, card: dict, weights: dict, unet: UNet):
        self.card = card
        self.unet = unet
        self.tokens = list(card["tokens"])
        self._vocabulary = Vocabulary(tuple(card["vocabulary"]["colors"]), tuple(card["vocabulary"]["shapes"]))
        self.schedule = make_schedule(**card["schedule"])
        unet.assign(weights)
        self._null = self.encode_prompt("")

    @property
    def vocabulary(self) -> list[str]:
        """The words a prompt may use."""
        return list(self._vocabulary.words)

    def prompts(self) -> list[str]:
        return self._vocabulary.prompts()

    def encode_prompt(self, text) -> np.ndarray:
        """The text encoder's token vectors (1, 3, D) for a prompt, or (N, 3, D) for a list.
        Unknown words: ValueError naming the known ones."""
        return self.unet.text(tokenize(text, self.tokens, self._vocabulary)).astype(np.float32)

    def __call__(self, x, t, cond=None, use_skips=True, capture=None) -> np.ndarray:
        """Predicted noise for x_t (N, 3, 32, 32) at timestep t (int or (N,)); cond from
        encode_prompt (batch 1 or N) or None for the null prompt."""
        x = check_images(x, "x")
        t = check_timesteps(t, len(x), self.schedule.num_steps)
        cond = self._null if cond is None else np.asarray(cond, dtype=np.float32)
        if cond.ndim != 3 or cond.shape[0] not in (1, len(x)) or cond.shape[1:] != self._null.shape[1:]:
            raise ValueError(
                f"cond must come from encode_prompt: shape (1 or {len(x)}, {self._null.shape[1]}, "
                f"{self._null.shape[2]}); got {cond.shape}"
            )
        cond = np.broadcast_to(cond, (len(x),) + cond.shape[1:])
        return self.unet(x, t, cond, use_skips=use_skips, capture=capture).astype(np.float32)


def build_unet(card: dict) -> UNet:
    return UNet(num_tokens=len(card["tokens"]), **card["architecture"])


def load_model(path: str | Path | None = None) -> ShapesModel:
    """Load a model folder (model.json + weights.npz); the shipped one by default.
    Any problem raises ModelLoadError naming the file and what is wrong."""
    folder = Path(path) if path is not None else DEFAULT_MODEL
    card = read_card(folder)
    try:
        unet = build_unet(card)
    except (TypeError, ValueError, KeyError) as e:
        raise ModelLoadError(f"{folder / 'model.json'}: architecture cannot be built ({e})") from None
    weights = read_weights(folder, card, dict(unet.named_shapes()))
    return ShapesModel(card, weights, unet)
