"""The shipped denoisers: a U-Net with a text encoder, in numpy, on pixels or on latents.

    m = load_model()                    # assets/models/shapes32
    cond = m.encode_prompt("red star")  # "" is the null prompt
    out = m(x_t, t, cond)               # cond=None: unconditional; ε̂ or v̂ (m.prediction_type)

    ldm = load_latent_model()           # assets/models/latent8 (+ assets/models/autoencoder)
    z_0 = sample(ldm, z_T, ldm.schedule, ...)   # z_T: (N, 4, 8, 8)
    x_0 = ldm.decode(z_0)               # (N, 3, 32, 32)
"""

from pathlib import Path

import numpy as np

from sim_core._checks import check_images, check_timesteps
from sim_core.model.autoencoder import Autoencoder
from sim_core.model.text import tokenize
from sim_core.model.unet import UNet
from sim_core.resources import assets
from sim_core.model.weights import UNET_CARD_FIELDS, ModelLoadError, read_card, read_weights
from sim_core.samplers import PREDICTION_TYPES, SPACINGS
from sim_core.schedules import make_schedule
from sim_core.worlds.shapes import Vocabulary

MODELS = assets("models")
DEFAULT_MODEL = MODELS / "shapes32"
DEFAULT_LATENT_MODEL = MODELS / "latent8"
# the earlier ε model on the plain cosine schedule (ᾱ_T > 0), kept for the flawed-schedule level
FLAWED_SCHEDULE_MODEL = MODELS / "shapes32-eps"
# the skip-connection ablation: the same U-Net trained with zeros where the decoder's skips go
NO_SKIPS_MODEL = MODELS / "shapes32-noskips"

__all__ = ["DEFAULT_LATENT_MODEL", "DEFAULT_MODEL", "FLAWED_SCHEDULE_MODEL", "NO_SKIPS_MODEL", "LatentModel", "ModelLoadError", "ShapesModel", "sampling_settings",
           "load_autoencoder", "load_latent_model", "load_model"]


def sampling_settings(card: dict, path: str) -> dict:
    """The card's prediction_type and "sampling" block (spacing, clip_sample), checked;
    a card without them means ε-prediction, trailing spacing, no clipping."""
    sampling = card.get("sampling", {})
    settings = {"prediction_type": card.get("prediction_type", "epsilon"),
                "spacing": sampling.get("spacing", "trailing") if isinstance(sampling, dict) else None,
                "clip_sample": sampling.get("clip_sample") if isinstance(sampling, dict) else None}
    if settings["prediction_type"] not in PREDICTION_TYPES:
        raise ModelLoadError(f"{path}: prediction_type must be one of {', '.join(PREDICTION_TYPES)}; "
                             f"got {settings['prediction_type']!r}")
    if settings["spacing"] not in SPACINGS:
        raise ModelLoadError(f"{path}: sampling.spacing must be one of {', '.join(SPACINGS)}; got {settings['spacing']!r}")
    clip = settings["clip_sample"]
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, (int, float)) or not 0 < clip < 1e6):
        raise ModelLoadError(f"{path}: sampling.clip_sample must be a positive number or null; got {clip!r}")
    return settings


class ShapesModel:
    """The denoiser f_θ(x_t, t, prompt) — it predicts ε or v, as `prediction_type` says — with its
    schedule, tokens, vocabulary and sampling settings from the model card."""

    def __init__(self, card: dict, weights: dict, unet: UNet):
        self.card = card
        self.unet = unet
        self.tokens = list(card["tokens"])
        self._vocabulary = Vocabulary(tuple(card["vocabulary"]["colors"]), tuple(card["vocabulary"]["shapes"]))
        self.schedule = make_schedule(**card["schedule"])
        settings = sampling_settings(card, "model.json")
        self.prediction_type = settings["prediction_type"]  # "epsilon" or "v_prediction"
        self.spacing = settings["spacing"]  # the timestep spacing it samples best with
        self.clip_sample = settings["clip_sample"]  # x̂_0 clipped to ±this by DDPM/DDIM, or None
        self.sample_shape = (card["architecture"].get("in_channels", 3),) + (card.get("image_size", 32),) * 2
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
        """The prediction (ε̂ or v̂, as prediction_type says) for x_t (N, *sample_shape) at timestep
        t (int or (N,)); cond from encode_prompt (batch 1 or N) or None for the null prompt."""
        x = check_images(x, "x")
        if x.shape[1:] != self.sample_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.sample_shape))}); got {x.shape}")
        t = check_timesteps(t, len(x), self.schedule.num_steps)
        cond = self._null if cond is None else np.asarray(cond, dtype=np.float32)
        if cond.ndim != 3 or cond.shape[0] not in (1, len(x)) or cond.shape[1:] != self._null.shape[1:]:
            raise ValueError(
                f"cond must come from encode_prompt: shape (1 or {len(x)}, {self._null.shape[1]}, "
                f"{self._null.shape[2]}); got {cond.shape}"
            )
        cond = np.broadcast_to(cond, (len(x),) + cond.shape[1:])
        return self.unet(x, t, cond, use_skips=use_skips, capture=capture).astype(np.float32)


class AutoencoderModel:
    """encode (N, 3, 32, 32) → latents (N, 4, 8, 8) already times scaling_factor, the scale
    diffusion runs at; decode divides by it and returns images."""

    def __init__(self, card: dict, weights: dict, net: Autoencoder):
        self.card, self.net = card, net
        self.scaling_factor = np.float32(card["scaling_factor"])
        net.assign(weights)

    def encode(self, x) -> np.ndarray:
        return self.net.encode(check_images(x, "x")) * self.scaling_factor

    def decode(self, z) -> np.ndarray:
        return self.net.decode(check_images(z, "z") / self.scaling_factor)


class LatentModel(ShapesModel):
    """A ShapesModel whose samples are latents, with the autoencoder that decodes them."""

    def __init__(self, card: dict, weights: dict, unet: UNet, autoencoder: AutoencoderModel):
        super().__init__(card, weights, unet)
        self.autoencoder = autoencoder

    def decode(self, z) -> np.ndarray:
        return self.autoencoder.decode(z)


def build_unet(card: dict) -> UNet:
    return UNet(num_tokens=len(card["tokens"]), **card["architecture"])


def _load(folder: Path, build, required=UNET_CARD_FIELDS):
    card = read_card(folder, required)
    if required == UNET_CARD_FIELDS:
        sampling_settings(card, folder / "model.json")  # checked here, where the file's path is known
    try:
        net = build(card)
    except (TypeError, ValueError, KeyError) as e:
        raise ModelLoadError(f"{folder / 'model.json'}: architecture cannot be built ({e})") from None
    return card, read_weights(folder, card, dict(net.named_shapes())), net


def load_model(path: str | Path | None = None) -> ShapesModel:
    """Load a model folder (model.json + weights.npz); the shipped one by default.
    Any problem raises ModelLoadError naming the file and what is wrong."""
    return ShapesModel(*_load(Path(path) if path is not None else DEFAULT_MODEL, build_unet))


def load_autoencoder(path: str | Path) -> AutoencoderModel:
    return AutoencoderModel(*_load(Path(path), lambda card: Autoencoder(**card["architecture"]),
                                   ("architecture", "scaling_factor", "weights")))


def load_latent_model(path: str | Path | None = None) -> LatentModel:
    """The latent U-Net and, from the folder its card names beside it, its autoencoder."""
    folder = Path(path) if path is not None else DEFAULT_LATENT_MODEL
    card, weights, unet = _load(folder, build_unet)
    if "autoencoder" not in card:
        raise ModelLoadError(f"{folder / 'model.json'}: missing field autoencoder (a latent model names its decoder)")
    return LatentModel(card, weights, unet, load_autoencoder(folder.parent / card["autoencoder"]))
