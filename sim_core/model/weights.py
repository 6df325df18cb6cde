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
    except (OSError, ValueError, RecursionError) as e:  # ValueError: bad UTF-8, bad JSON, a huge integer
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
    for name, (ok, what) in CARD_FIELDS.items():
        if name in card and not ok(card[name]):
            raise ModelLoadError(f"{path}: field {name} must be {what}; got {_short(card[name])}")
    return card


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _texts(value) -> bool:
    return isinstance(value, list) and len(value) > 0 and all(isinstance(v, str) and v for v in value)


def _plain_name(value) -> bool:
    """A file or folder name with no path in it: the card may not point outside its folder."""
    return isinstance(value, str) and value not in ("", ".", "..") and "/" not in value and "\\" not in value \
        and ":" not in value and "\0" not in value


def _schedule(value) -> bool:
    from sim_core.schedules import KINDS, MAX_NUM_STEPS

    return isinstance(value, dict) and set(value) <= {"kind", "num_steps", "zero_terminal_snr"} \
        and value.get("kind") in KINDS and type(value.get("num_steps", 1000)) is int \
        and 2 <= value.get("num_steps", 1000) <= MAX_NUM_STEPS and type(value.get("zero_terminal_snr", False)) is bool


CARD_FIELDS = {  # field → (check, what it must be); `required` says which a card must have
    "architecture": (lambda v: isinstance(v, dict), "a table of the network's sizes"),
    "tokens": (_texts, "a non-empty list of words"),
    "vocabulary": (lambda v: isinstance(v, dict) and set(v) == {"colors", "shapes"} and _texts(v["colors"])
                   and _texts(v["shapes"]), "{\"colors\": [words], \"shapes\": [words]}"),
    "classes": (lambda v: isinstance(v, dict) and set(v) == {"colors", "shapes"} and _texts(v["colors"])
                and _texts(v["shapes"]), "{\"colors\": [words], \"shapes\": [words]}"),
    "schedule": (_schedule, "{\"kind\": a schedule name, \"num_steps\": 2 or more, \"zero_terminal_snr\": true/false}"),
    "weights": (lambda v: isinstance(v, dict) and _plain_name(v.get("file", "weights.npz"))
                and isinstance(v.get("sha256"), str), "{\"file\": a file name in the model's folder, \"sha256\": text}"),
    "image_size": (lambda v: type(v) is int and 8 <= v <= 1024, "a whole number from 8 to 1024"),
    "scaling_factor": (lambda v: type(v) in (int, float) and 0 < v < 1e6, "a positive number"),
    "autoencoder": (_plain_name, "the name of a model folder beside this one"),
}


def check_array_sizes(path: Path) -> None:
    """Each array's header against the bytes stored for it, before numpy allocates what a
    damaged header claims (a 4 TiB shape would be a MemoryError, or worse, a long wait)."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            with archive.open(member) as f:
                version = np.lib.format.read_magic(f)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, _, dtype = read(f)
                claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
                if claimed > member.file_size:
                    raise ValueError(f"{member.filename} claims {claimed:,} bytes but holds {member.file_size:,}")


def read_weights(folder: Path, card: dict, expected_shapes: dict) -> dict:
    """The arrays of weights.npz, checked against the card's sha256 and `expected_shapes`."""
    info = card["weights"]
    path = Path(folder) / info.get("file", "weights.npz")  # a plain name (read_card checked it)
    if not path.is_file():
        raise ModelLoadError(f"{path}: weights file not found")
    actual = sha256_of(path)
    if actual != info.get("sha256"):
        raise ModelLoadError(
            f"{path}: sha256 is {actual}, the model card expects {info.get('sha256')}; "
            "the file is corrupt or belongs to another model"
        )
    if not zipfile.is_zipfile(path):
        raise ModelLoadError(f"{path}: not a .npz file (an .npz is a zip archive of .npy arrays)")
    try:
        check_array_sizes(path)
        with np.load(path, allow_pickle=False) as npz:
            weights = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, MemoryError) as e:
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
