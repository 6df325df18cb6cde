"""Context cards ("Saber más"): short texts on the topics of the course the levels do not
play — the physics behind the name, diffusion against GANs, VAEs and flows, … — each tied
to a number measured live in this game (`MEASURES`, run on a worker when the card opens).
Data in levels/cards.toml, checked like the levels; pygame-free."""

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from game.levels import LEVELS_DIR, LevelError, _texts, read_toml

CARDS_FILE = LEVELS_DIR / "cards.toml"
GUIDED_STEPS = 50  # the lab's default run: 50 guided DDIM steps, two evaluations each


def forward_end(model) -> dict:
    """x_T after the whole forward process: its pixels' mean and standard deviation, and √ᾱ_T."""
    from sim_core.forward import q_sample
    from sim_core.worlds.shapes import render_seed

    x0 = render_seed(0).image[None]
    T = model.schedule.num_steps - 1
    x_T = q_sample(x0, T, np.random.default_rng(0).standard_normal(x0.shape, dtype=np.float32), model.schedule)
    return {"mean": float(x_T.mean()), "std": float(x_T.std()), "signal": float(model.schedule.signal_scale[T])}


def step_time(model) -> dict:
    """One guided step's network evaluation (batch 2: with and without the prompt), the
    median of five, and what a 50-step run of them costs; a GAN draws with one evaluation."""
    x = np.random.default_rng(0).standard_normal((2, *model.sample_shape), dtype=np.float32)
    cond = np.concatenate([model.encode_prompt("red star"), model.encode_prompt("")])
    times = []
    for _ in range(5):
        started = time.perf_counter()
        model(x, 500, cond)
        times.append(time.perf_counter() - started)
    step = float(np.median(times))
    return {"step_ms": 1000 * step, "sample_s": GUIDED_STEPS * step, "evaluations": 2 * GUIDED_STEPS}


def unet_size(model) -> dict:
    """The U-Net's parameters — one network for every t — and the numbers of each x_t."""
    parameters = sum(int(np.prod(shape)) for _, shape in model.unet.named_shapes())
    return {"millions": parameters / 1e6, "numbers": int(np.prod(model.sample_shape)), "timesteps": model.schedule.num_steps}


def posterior_variance(model) -> dict:
    """β_t against the posterior's variance β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t, the two
    fixed choices of DDPM's Σ, at t = 1 and t = 500."""
    s = model.schedule
    out = {}
    for t in (1, 500):
        out[f"beta_{t}"] = float(s.betas[t])
        out[f"tilde_{t}"] = float((1 - s.alphas_cumprod[t - 1]) / (1 - s.alphas_cumprod[t]) * s.betas[t])
    return out


def text_encoder(model) -> dict:
    """The prompt's encoding here: tokens × numbers each (Stable Diffusion's CLIP: 77 × 768)."""
    _, tokens, width = model.encode_prompt("red star").shape
    return {"tokens": tokens, "width": width, "numbers": tokens * width, "clip": 77 * 768}


def data_size(model) -> dict:
    """The numbers of one image here against one second of audio at 16 kHz (DiffWave's rate)."""
    numbers = int(np.prod(model.sample_shape))
    return {"numbers": numbers, "audio": 16000, "ratio": 16000 / numbers}


def one_step(model) -> dict:
    """DDIM in one step against the same x_T in 50: their SSIM (what distillation and
    consistency models aim to close)."""
    from sim_core.metrics import ssim
    from sim_core.sampling import sample, sampler_for

    x_T = np.random.default_rng(4).standard_normal((1, *model.sample_shape), dtype=np.float32)
    cond = model.encode_prompt("blue star")
    images = [sample(model, x_T, model.schedule, sampler=sampler_for(model, "ddim", n), guidance=3.0, cond=cond)
              for n in (1, GUIDED_STEPS)]
    return {"ssim": float(ssim(np.clip(images[0][0], -1, 1), np.clip(images[1][0], -1, 1)))}


MEASURES = {f.__name__: f for f in (forward_end, step_time, unet_size, posterior_variance, text_encoder, data_size, one_step)}


@dataclass(frozen=True)
class Card:
    id: str
    chapter: int  # the campaign chapter after which it is offered
    title: dict
    text: dict
    measured: dict  # the sentence its measurement fills in, {es, en}
    measure: str  # a name in MEASURES


def load_cards(path: Path = CARDS_FILE) -> list[Card]:
    """Every card, in file order; LevelError naming the file and the field for a bad one."""
    path = Path(path)
    data = read_toml(path)
    cards = data.get("cards")
    if not isinstance(cards, list) or not cards:
        raise LevelError(f"{path.name}: field 'cards' must be a list of [[cards]] tables")
    out = []
    for i, card in enumerate(cards):
        where = f"cards[{i}]."
        if not isinstance(card, dict):
            raise LevelError(f"{path.name}: field 'cards[{i}]' must be a table")
        measure, chapter, card_id = card.get("measure"), card.get("chapter"), card.get("id")
        if measure not in MEASURES:
            raise LevelError(f"{path.name}: field '{where}measure' must be one of {', '.join(MEASURES)}; got {measure!r}")
        if not isinstance(chapter, int) or isinstance(chapter, bool) or not 1 <= chapter <= 999:
            raise LevelError(f"{path.name}: field '{where}chapter' must be a whole number from 1 to 999; got {chapter!r}")
        if not isinstance(card_id, str) or not card_id.strip():
            raise LevelError(f"{path.name}: field '{where}id' must be a text such as \"physics\"; got {card_id!r}")
        out.append(Card(card_id, chapter, *(_texts(card, key, path, where) for key in ("title", "text", "measured")), measure))
    return out
