"""Reading a model folder: model.json (the model card) and weights.npz.

Loading is strict, as nanoGPT's from_pretrained: the card's format version, the weights'
sha256, and every array's name, shape, dtype and finiteness are checked, and any problem
is one ModelLoadError that names the file and what is wrong.
"""

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

FORMAT = "diffusion-quest-model"
FORMAT_VERSION = 1
CARD_NAME = "model.json"
UNET_CARD_FIELDS = ("architecture", "tokens", "vocabulary", "schedule", "weights")


class ModelLoadError(ValueError):
    """A model folder that cannot be used; the message says which file and why."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_card(folder: Path, required=UNET_CARD_FIELDS) -> dict:
    path = Path(folder) / CARD_NAME
    if not path.is_file():
        raise ModelLoadError(f"{path}: model card not found (is {folder} a model folder?)")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelLoadError(f"{path}: not a readable JSON model card ({e})") from None
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise ModelLoadError(f"{path}: not a Diffusion Quest model card (expected \"format\": \"{FORMAT}\")")
    if card.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(
            f"{path}: format_version {card.get('format_version')!r} is not supported; "
            f"this version of the game reads {FORMAT_VERSION}"
        )
    missing = [k for k in required if k not in card]
    if missing:
        raise ModelLoadError(f"{path}: missing field(s) {', '.join(missing)}")
    return card


def read_weights(folder: Path, card: dict, expected_shapes: dict) -> dict:
    """The arrays of weights.npz, checked against the card's sha256 and `expected_shapes`."""
    info = card["weights"]
    path = Path(folder) / info.get("file", "weights.npz")
    if not path.is_file():
        raise ModelLoadError(f"{path}: weights file not found")
    actual = sha256_of(path)
    if actual != info.get("sha256"):
        raise ModelLoadError(
            f"{path}: sha256 is {actual}, the model card expects {info.get('sha256')}; "
            "the file is corrupt or belongs to another model"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            weights = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise ModelLoadError(f"{path}: not a readable .npz file ({e})") from None
    missing = sorted(set(expected_shapes) - set(weights))
    unexpected = sorted(set(weights) - set(expected_shapes))
    wrong = [
        f"{name} {weights[name].shape} (expected {shape})"
        for name, shape in expected_shapes.items()
        if name in weights and weights[name].shape != tuple(shape)
    ]
    problems = []
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected: " + ", ".join(unexpected))
    if wrong:
        problems.append("wrong shape: " + ", ".join(wrong))
    bad = [n for n, a in weights.items() if a.dtype != np.float32 or not np.isfinite(a).all()]
    if bad:
        problems.append("not finite float32: " + ", ".join(sorted(bad)))
    if problems:
        raise ModelLoadError(f"{path}: weights do not fit the card's architecture; " + "; ".join(problems))
    return weights
