"""Loading failures give one clear message naming the file and what is wrong."""

import json
import shutil

import numpy as np
import pytest
import torch

from sim_core.model import ModelLoadError, load_model
from sim_core.model.text import token_list
from sim_core.model.weights import sha256_of
from sim_core.worlds.shapes import VOCABULARY
from training.export import write_model_folder
from training.train import CONFIG
from training.unet_torch import UNet as TorchUNet


@pytest.fixture(scope="module")
def good_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model") / "tiny"
    torch.manual_seed(0)
    twin = TorchUNet(num_tokens=len(token_list()), **CONFIG["architecture"])
    card = {
        "name": "tiny",
        "architecture": CONFIG["architecture"],
        "tokens": token_list(),
        "vocabulary": {"colors": list(VOCABULARY.colors), "shapes": list(VOCABULARY.shapes)},
        "schedule": {"kind": "cosine", "num_steps": 1000, "zero_terminal_snr": False},
    }
    write_model_folder(folder, card, twin.state_dict())
    return folder


@pytest.fixture
def folder(good_folder, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(good_folder, copy)
    return copy


def rewrite_weights(folder, change):
    weights = dict(np.load(folder / "weights.npz"))
    change(weights)
    np.savez(folder / "weights.npz", **weights)
    card = json.loads((folder / "model.json").read_text())
    card["weights"]["sha256"] = sha256_of(folder / "weights.npz")
    (folder / "model.json").write_text(json.dumps(card))


def write_weights_file(folder, data: bytes):
    (folder / "weights.npz").write_bytes(data)
    edit_card(folder, lambda c: c["weights"].update(sha256=sha256_of(folder / "weights.npz")))


def claim_huge_array(folder):
    """Rewrite one array's .npy header to claim 4 TiB (the card's sha256 updated to match)."""
    import io
    import zipfile

    arrays = dict(np.load(folder / "weights.npz"))
    with zipfile.ZipFile(folder / "weights.npz", "w") as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array)
            data = buffer.getvalue()
            if name == "conv_in.bias":  # (32,) float32 → (2**40,) uint8, same header length
                header = repr({"descr": "|u1", "fortran_order": False, "shape": (2**42,)}).encode("latin1")
                start, length = 10, int.from_bytes(data[8:10], "little")
                data = data[:start] + header.ljust(length - 1) + b"\n" + data[start + length:]
            archive.writestr(name + ".npy", data)
    edit_card(folder, lambda c: c["weights"].update(sha256=sha256_of(folder / "weights.npz")))


def edit_card(folder, change):
    card = json.loads((folder / "model.json").read_text())
    change(card)
    (folder / "model.json").write_text(json.dumps(card))


def test_good_folder_loads_and_runs(folder):
    m = load_model(folder)
    assert m.vocabulary[:2] == ["red", "orange"]
    x = np.zeros((2, 3, 32, 32), np.float32)
    assert m(x, 10, m.encode_prompt("red star")).shape == (2, 3, 32, 32)


def test_unknown_prompt_word_names_the_known_ones(folder):
    with pytest.raises(ValueError, match="unknown word 'dragon'.*known words: red, orange, yellow"):
        load_model(folder).encode_prompt("red dragon")


@pytest.mark.parametrize(
    "damage, file, message",
    [
        (lambda f: shutil.rmtree(f), "model.json", "model card not found"),
        (lambda f: (f / "weights.npz").unlink(), "weights.npz", "weights file not found"),
        (lambda f: (f / "model.json").write_text("{not json"), "model.json", "not a readable JSON model card"),
        (lambda f: edit_card(f, lambda c: c.update(format_version=99)), "model.json", "format_version 99 is not supported"),
        (lambda f: edit_card(f, lambda c: c.pop("schedule")), "model.json", "missing field\\(s\\) schedule"),
        (lambda f: edit_card(f, lambda c: c["architecture"].update(channels="many")), "model.json", "architecture cannot be built"),
        (lambda f: (f / "weights.npz").open("ab").write(b"x"), "weights.npz", "sha256 is .*, the model card expects"),
        (lambda f: rewrite_weights(f, lambda w: w.pop("conv_in.bias")), "weights.npz", "missing: conv_in.bias"),
        (lambda f: rewrite_weights(f, lambda w: w.update(extra=np.zeros(1, np.float32))), "weights.npz", "unexpected: extra"),
        (lambda f: rewrite_weights(f, lambda w: w.update({"conv_in.bias": np.zeros(7, np.float32)})), "weights.npz", r"wrong shape: conv_in.bias \(7,\) \(expected \(32,\)\)"),
        (lambda f: rewrite_weights(f, lambda w: w.update({"conv_in.bias": np.full(32, np.nan, np.float32)})), "weights.npz", "not finite float32: conv_in.bias"),
        # fields of the wrong shape name the field, never an AttributeError or KeyError
        (lambda f: edit_card(f, lambda c: c.update(weights="weights.npz")), "model.json", "field weights must be"),
        (lambda f: edit_card(f, lambda c: c.update(schedule={"kind": "wobbly"})), "model.json", "field schedule must be"),
        (lambda f: edit_card(f, lambda c: c.update(schedule="cosine")), "model.json", "field schedule must be"),
        (lambda f: edit_card(f, lambda c: c["vocabulary"].update(colors=[])), "model.json", "field vocabulary must be"),
        (lambda f: edit_card(f, lambda c: c.update(tokens=[1, 2])), "model.json", "field tokens must be"),
        (lambda f: (f / "model.json").write_text((f / "model.json").read_text().replace('"num_steps": 1000', '"num_steps": ' + "9" * 5000)),
         "model.json", "not a readable JSON model card"),
        (lambda f: edit_card(f, lambda c: c["weights"].update(file="../../etc/hostname")), "model.json",
         "field weights must be .*a file name in the model's folder"),
        (lambda f: write_weights_file(f, b"\x80\x04not a zip"), "weights.npz", "not a .npz file"),
        (lambda f: claim_huge_array(f), "weights.npz", "claims 4,398,046,511,104 bytes"),
    ],
)
def test_load_errors_name_file_and_problem(folder, damage, file, message):
    damage(folder)
    with pytest.raises(ModelLoadError, match=message) as info:
        load_model(folder)
    assert file in str(info.value)
