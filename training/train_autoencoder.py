"""Train the latent-diffusion autoencoder (32×32×3 ↔ 8×8×4) and export it.

    python -m training.train_autoencoder --run training/runs/autoencoder --dest assets/models/autoencoder

Loss: ‖x̂ − x‖² + λ·mean(z²) on shapes rendered on the fly (the penalty keeps the latents
bounded; no KL sampling). Resumable like training.train. The export measures the
scaling factor 1/std(z) over 2048 renders (Stable Diffusion's 0.18215 plays this role).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from sim_core.worlds.shapes import render_batch
from training.export import write_model_folder
from training.train import lr_at, save_checkpoint
from training.unet_torch import Autoencoder

CONFIG = dict(
    steps=2000,
    batch_size=64,
    lr=1e-3,
    warmup=100,
    final_lr_fraction=0.05,
    latent_penalty=1e-4,  # λ
    checkpoint_every=250,
    seed=1,
    threads=2,
    architecture=dict(channels=[16, 32], latent_channels=4),
)


def train(run: Path, cfg: dict) -> dict:
    torch.set_num_threads(cfg["threads"])
    run.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg["seed"])
    model = Autoencoder(**cfg["architecture"])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.0)
    state = dict(step=0, seconds=0.0, losses=[])
    if (run / "checkpoint.pt").exists():
        state = torch.load(run / "checkpoint.pt", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        print(f"resuming {run} at step {state['step']}")
    step, seconds, losses = state["step"], state["seconds"], state["losses"]
    bar = tqdm(total=cfg["steps"], initial=step, desc="autoencoder", unit="step")
    while step < cfg["steps"]:
        start = time.perf_counter()
        rng = np.random.default_rng([cfg["seed"], step])
        x = torch.from_numpy(render_batch(rng.integers(0, 2**63 - 1, cfg["batch_size"]))[0])
        x_hat, z = model(x)
        loss = torch.mean((x_hat - x) ** 2) + cfg["latent_penalty"] * torch.mean(z**2)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        seconds += time.perf_counter() - start
        losses.append(loss.item())
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses[-100:]):.5f}")
        if step % cfg["checkpoint_every"] == 0 or step == cfg["steps"]:
            save_checkpoint(run, dict(model=model.state_dict(), opt=opt.state_dict(), step=step,
                                      seconds=seconds, losses=losses, config=cfg))
    bar.close()
    return dict(model=model, step=step, seconds=seconds, losses=losses)


@torch.no_grad()
def export(run: Path, dest: Path, result: dict, cfg: dict) -> dict:
    model = result["model"].eval()
    images = torch.from_numpy(render_batch(np.arange(10**6, 10**6 + 2048))[0])  # seeds no training batch drew
    z = model.encoder(images)
    reconstruction = model.decoder(z)
    mse = float(torch.mean((reconstruction - images) ** 2))
    card = {
        "name": dest.name,
        "kind": "autoencoder",
        "description": "deterministic autoencoder for latent diffusion: 32×32×3 images ↔ 8×8×4 latents",
        "image_size": 32,
        "latent_size": 8,
        "architecture": cfg["architecture"],
        "scaling_factor": round(1.0 / float(z.std()), 5),
        "training": {
            "command": f"python -m training.train_autoencoder --run {run} --dest {dest}",
            "steps": result["step"],
            "seconds": round(result["seconds"]),
            "final_loss": round(float(np.mean(result["losses"][-200:])), 6),
            "config": {k: v for k, v in cfg.items() if k != "architecture"},
            "torch": torch.__version__,
        },
        "metrics": {"reconstruction_psnr_db": round(10 * np.log10(4.0 / mse), 2),  # images in [−1, 1]
                    "protocol": "2048 renders, seeds 1000000–1002047"},
    }
    return write_model_folder(dest, card, model.state_dict())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, default=Path("training/runs/autoencoder"))
    parser.add_argument("--dest", type=Path, default=Path("assets/models/autoencoder"))
    parser.add_argument("--steps", type=int, default=CONFIG["steps"])
    parser.add_argument("--threads", type=int, default=CONFIG["threads"])
    args = parser.parse_args(argv)
    cfg = dict(CONFIG, steps=args.steps, threads=args.threads)
    card = export(args.run, args.dest, train(args.run, cfg), cfg)
    print(f"wrote {args.dest}: reconstruction PSNR {card['metrics']['reconstruction_psnr_db']} dB, "
          f"scaling factor {card['scaling_factor']}", file=sys.stderr)


if __name__ == "__main__":
    main()
