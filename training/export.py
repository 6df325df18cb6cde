"""Writing a model folder the game loads: weights.npz + model.json with its sha256.

    python -m training.export --run training/runs/shapes32 --dest assets/models/shapes32
    python -m training.export --run training/runs/latent8 --dest assets/models/latent8
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from sim_core.model.text import token_list
from sim_core.model.weights import FORMAT, FORMAT_VERSION, read_weights, sha256_of
from sim_core.worlds.shapes import VOCABULARY


def write_model_folder(dest: Path, card: dict, state_dict: dict) -> dict:
    """Save float32 arrays and a card that records their sha256; returns the card."""
    dest.mkdir(parents=True, exist_ok=True)
    weights = dest / "weights.npz"
    np.savez(weights, **{k: v.detach().cpu().numpy().astype(np.float32) for k, v in state_dict.items()})
    card = {"format": FORMAT, "format_version": FORMAT_VERSION, **card,
            "weights": {"file": weights.name, "sha256": sha256_of(weights)}}
    (dest / "model.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return card


def load_into(net: torch.nn.Module, folder: Path, card: dict) -> torch.nn.Module:
    """The way back: a model folder's weights.npz into its torch twin, checked as the game
    checks them (sha256, names, shapes, finiteness)."""
    weights = read_weights(folder, card, {k: tuple(v.shape) for k, v in net.state_dict().items()})
    net.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    return net


def export_unet(run: Path, dest: Path) -> dict:
    ckpt = torch.load(run / "checkpoint.pt", weights_only=False, map_location="cpu")
    cfg = ckpt["config"]
    latent = "autoencoder" in cfg
    prediction_type = cfg.get("prediction_type", "epsilon")
    card = {
        "name": dest.name,
        "kind": "latent-unet" if latent else "unet",
        "description": ("v" if prediction_type == "v_prediction" else "ε") + "-prediction U-Net with a text encoder for the "
                       + ("8×8×4 latents of the shapes world's autoencoder" if latent else "32×32 shapes world"),
        "image_size": 8 if latent else 32,
        **({"autoencoder": Path(cfg["autoencoder"]).name} if latent else {}),
        "prediction_type": prediction_type,
        "architecture": cfg["architecture"],
        "tokens": token_list(),
        "vocabulary": {"colors": list(VOCABULARY.colors), "shapes": list(VOCABULARY.shapes)},
        "schedule": {"kind": cfg["schedule"], "num_steps": cfg["num_train_timesteps"],
                     "zero_terminal_snr": cfg.get("zero_terminal_snr", False)},
        # how to sample it, so that no caller needs to know: trailing starts every run at x_T
        # (Lin et al. 2023); a pixel model's x̂_0 is clipped to ±1.5 so that guidance, which
        # extrapolates past the data, burns colours but never leaves [−1.5, 1.5] (README);
        # latents have no such range
        "sampling": {"spacing": "trailing", "clip_sample": None if latent else 1.5},
        "training": {
            "command": ckpt.get("command", f"python -m training.train{' --config latent8' if latent else ''} --run {run} "
                                           f"--steps {cfg['steps']}") + f" && python -m training.export --run {run} --dest {dest}",
            "steps": ckpt["step"],
            "seconds": round(ckpt["seconds"]),
            "final_loss": round(float(np.mean(ckpt["losses"][-200:])), 5),
            "weights": "EMA",
            # each invocation of training.train: where it resumed and its --steps (the cosine
            # learning-rate decay follows --steps)
            "history": ckpt.get("history", []),
            "config": {k: v for k, v in cfg.items() if k != "architecture"},
            "torch": torch.__version__,
        },
        "metrics": {},
    }
    previous = dest / "model.json"
    if previous.exists():  # keep measured metrics of an earlier export of the same kind of model (training.evaluate)
        old = json.loads(previous.read_text(encoding="utf-8"))
        if (old.get("prediction_type"), old.get("schedule")) == (card["prediction_type"], card["schedule"]):
            card["metrics"] = old.get("metrics", {})
    return write_model_folder(dest, card, ckpt["ema"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, default=Path("training/runs/shapes32"))
    parser.add_argument("--dest", type=Path, default=Path("assets/models/shapes32"))
    args = parser.parse_args(argv)
    card = export_unet(args.run, args.dest)
    print(f"wrote {args.dest} (step {card['training']['steps']}, sha256 {card['weights']['sha256'][:12]}…)", file=sys.stderr)


if __name__ == "__main__":
    main()
