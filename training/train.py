"""Train the shapes-world U-Net (v-prediction on a zero-terminal-SNR schedule, classifier-free
guidance dropout, EMA).

    python -m training.train --run training/runs/shapes32 --steps 6000
    python -m training.train --run training/runs/shapes32 --steps 6000   # resumes
    python -m training.train --config latent8 --run training/runs/latent8   # on the autoencoder's latents
    python -m training.train --steps 30000 --batch-size 256 --workers 12   # on a GPU, when there is one
    python -m training.train --run training/runs/shapes32-v --init-from assets/models/shapes32 \
        --steps 21000 --lr-restart   # fine-tune an exported model into the config's objective
    python -m training.train --run training/runs/noskips --init-from assets/models/shapes32 \
        --steps 21300 --lr-restart --no-skips   # the skip-connection ablation twin

Resumes from the run folder's checkpoint when there is one. Training data is rendered on
the fly by sim_core.worlds.shapes, so every batch is new. Export with training.export.
"""

import argparse
import json
import multiprocessing
import shlex
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from sim_core.model.text import token_list, tokenize
from sim_core.model.weights import read_card
from sim_core.schedules import make_schedule
from sim_core.worlds.shapes import VOCABULARY, render_batch
from training.export import load_into
from training.unet_torch import Autoencoder, UNet

# ---- configuration (nanoGPT style: the defaults are the shipped run) -------------------
CONFIG = dict(
    steps=6000,
    batch_size=64,
    lr=5e-4,
    warmup=200,
    final_lr_fraction=0.1,  # cosine decay to this fraction of lr
    ema_decay=0.999,
    p_null=0.10,  # condition dropout: the null prompt, for classifier-free guidance
    p_one_word=0.10,  # "red" or "star" alone
    schedule="cosine",
    num_train_timesteps=1000,
    # Lin et al. 2023: x_{T−1} is pure noise (ᾱ = 0), so the model must predict
    # v = √ᾱ ε − √(1−ᾱ) x_0 (ε says nothing about x_0 where there is no signal)
    zero_terminal_snr=True,
    prediction_type="v_prediction",
    lr_from_step=0,  # the warm-up and cosine decay start here (a fine-tune restarts them)
    checkpoint_minutes=2,
    seed=0,
    threads=2,
    architecture=dict(channels=[32, 64, 128], self_attn=[False, False, True],
                      cross_attn=[False, True, True], time_dim=128, context_dim=64),
)
# Latent diffusion: the same recipe on the 8×8×4 latents of the shipped autoencoder
# (training.train_autoencoder), times its scaling factor.
LATENT_CONFIG = dict(
    CONFIG,
    steps=4000,
    autoencoder="assets/models/autoencoder",
    architecture=dict(channels=[64, 128], self_attn=[False, True], cross_attn=[True, True],
                      time_dim=128, context_dim=64, in_channels=4),
)
CONFIGS = {"shapes32": CONFIG, "latent8": LATENT_CONFIG}


def load_encoder(folder: Path):
    """The exported autoencoder's encoder in torch, and its scaling factor."""
    card = read_card(folder, ("architecture", "scaling_factor", "weights"))
    net = load_into(Autoencoder(**card["architecture"]), folder, card)
    return net.encoder.eval(), float(card["scaling_factor"])


def make_model(cfg) -> UNet:
    arch = cfg["architecture"]
    return UNet(num_tokens=len(token_list()), **arch)


def training_prompts(prompts: list[str], rng: np.random.Generator, cfg) -> list[str]:
    """Drop the whole prompt (p_null) or one of its two words (p_one_word)."""
    out = []
    for p in prompts:
        u = rng.random()
        color, shape = p.split()
        if u < cfg["p_null"]:
            out.append("")
        elif u < cfg["p_null"] + cfg["p_one_word"]:
            out.append(color if rng.random() < 0.5 else shape)
        else:
            out.append(p)
    return out


def make_batch(step: int, cfg, tokens: list[str]):
    """The batch of step k, fixed by (seed, k): x_0, prompt token ids, t and ε, as numpy."""
    rng = np.random.default_rng([cfg["seed"], step])
    images, prompts = render_batch(rng.integers(0, 2**63 - 1, cfg["batch_size"]))
    ids = tokenize(training_prompts(prompts, rng, cfg), tokens, VOCABULARY)
    t = rng.integers(0, cfg["num_train_timesteps"], cfg["batch_size"])
    return images, ids, t, rng


def batches(first: int, cfg, tokens: list[str], workers: int):
    """make_batch for steps first, first+1, … in order, rendered by `workers` processes
    ahead of the step that uses them (0: in this process)."""
    steps = range(first, cfg["steps"])
    make = partial(make_batch, cfg=cfg, tokens=tokens)
    if workers == 0:
        yield from map(make, steps)
        return
    with multiprocessing.Pool(workers) as pool:
        yield from pool.imap(make, steps, chunksize=4)


def training_target(x0, noise, ac, cfg):
    """What the network learns to output: ε, or v = √ᾱ ε − √(1−ᾱ) x_0 (Salimans & Ho 2022, eq. 5)."""
    if cfg["prediction_type"] == "epsilon":
        return noise
    return ac.sqrt() * noise - (1 - ac).sqrt() * x0


def lr_at(step: int, cfg) -> float:
    step, steps = step - cfg.get("lr_from_step", 0), cfg["steps"] - cfg.get("lr_from_step", 0)
    if step < cfg["warmup"]:
        return cfg["lr"] * (step + 1) / cfg["warmup"]
    progress = (step - cfg["warmup"]) / max(1, steps - cfg["warmup"])
    floor = cfg["final_lr_fraction"]
    return cfg["lr"] * (floor + (1 - floor) * 0.5 * (1 + np.cos(np.pi * min(progress, 1.0))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", choices=CONFIGS, default="shapes32")
    parser.add_argument("--run", type=Path, default=Path("training/runs/shapes32"))
    parser.add_argument("--steps", type=int, help="default: the config's")
    parser.add_argument("--batch-size", type=int, default=CONFIG["batch_size"])
    parser.add_argument("--threads", type=int, default=CONFIG["threads"])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--workers", type=int, default=0, help="processes that render batches ahead (0: none)")
    parser.add_argument("--init-from", type=Path, metavar="MODEL_DIR",
                        help="with no checkpoint in --run: start from an exported model's weights "
                             "(model and EMA; the optimizer starts fresh)")
    parser.add_argument("--lr-restart", action="store_true",
                        help="with --init-from: warm up and decay the learning rate again from the model's step")
    parser.add_argument("--prediction-type", choices=("epsilon", "v_prediction"), help="default: the config's")
    parser.add_argument("--no-skips", action="store_true",
                        help="train the ablation twin: the decoder gets zeros instead of the skip connections")
    args = parser.parse_args(argv)
    base = CONFIGS[args.config]
    cfg = dict(base, steps=args.steps or base["steps"], batch_size=args.batch_size, threads=args.threads,
               device=args.device, prediction_type=args.prediction_type or base["prediction_type"])
    if args.no_skips:
        cfg["architecture"] = dict(base["architecture"], skips=False)
    command = shlex.join(["python", "-m", "training.train", *(sys.argv[1:] if argv is None else argv)])
    device = torch.device(args.device)
    torch.set_num_threads(cfg["threads"])
    args.run.mkdir(parents=True, exist_ok=True)
    ckpt_path = args.run / "checkpoint.pt"

    torch.manual_seed(cfg["seed"])
    model = make_model(cfg).to(device)
    ema = make_model(cfg).to(device)
    ema.load_state_dict(model.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.0)
    step, seconds, losses, history = 0, 0.0, [], []
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, weights_only=False, map_location=device)
        model.load_state_dict(ckpt["model"])
        ema.load_state_dict(ckpt["ema"])
        opt.load_state_dict(ckpt["opt"])
        cfg["lr_from_step"] = ckpt["config"].get("lr_from_step", 0)
        step, seconds, losses = ckpt["step"], ckpt["seconds"], ckpt["losses"]
        history = ckpt.get("history", [])
        print(f"resuming {ckpt_path} at step {step}")
    elif args.init_from:
        card = read_card(args.init_from)
        ema.load_state_dict(load_into(model, args.init_from, card).state_dict())
        step, seconds = card["training"]["steps"], float(card["training"]["seconds"])
        history = list(card["training"].get("history", []))
        if args.lr_restart:
            cfg["lr_from_step"] = step
        print(f"starting from {args.init_from} (step {step})")
    # each invocation, for the model card
    history.append({"from_step": step, "steps": cfg["steps"], "batch_size": cfg["batch_size"], "device": device.type,
                    "prediction_type": cfg["prediction_type"], "zero_terminal_snr": cfg["zero_terminal_snr"],
                    "lr_from_step": cfg["lr_from_step"]})

    tokens = token_list()
    schedule = make_schedule(cfg["schedule"], cfg["num_train_timesteps"], zero_terminal_snr=cfg["zero_terminal_snr"])
    alphas_cumprod = torch.from_numpy(schedule.alphas_cumprod.copy()).to(device)
    encoder, scale = load_encoder(Path(cfg["autoencoder"])) if "autoencoder" in cfg else (None, 1.0)
    if encoder is not None:
        encoder.to(device)
    bar = tqdm(total=cfg["steps"], initial=step, desc="training", unit="step")
    last_save = tick = time.perf_counter()
    for images, ids, t, rng in batches(step, cfg, tokens, args.workers):
        x0 = torch.from_numpy(images).to(device)
        if encoder is not None:
            with torch.no_grad():
                x0 = encoder(x0) * scale  # z_0, at unit variance
        # ε comes from the batch's generator after the encoder gives its shape
        noise = torch.from_numpy(rng.standard_normal(tuple(x0.shape), dtype=np.float32)).to(device)
        ids, t = torch.from_numpy(ids).to(device), torch.from_numpy(t).to(device)
        ac = alphas_cumprod[t][:, None, None, None]
        x_t = ac.sqrt() * x0 + (1 - ac).sqrt() * noise  # q_sample, eq. 4
        loss = torch.mean((model(x_t, t, ids) - training_target(x0, noise, ac, cfg)) ** 2)  # ‖target − net(x_t, t)‖²
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        k = step - cfg["lr_from_step"]  # a fine-tune's EMA forgets the old objective's weights
        decay = min(cfg["ema_decay"], (1 + k) / (10 + k))
        with torch.no_grad():
            torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1 - decay)
        step += 1
        losses.append(loss.item())
        now = time.perf_counter()
        seconds, tick = seconds + now - tick, now  # wall time, batch rendering included
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses[-100:]):.4f}")
        if now - last_save > 60 * cfg["checkpoint_minutes"] or step == cfg["steps"]:
            last_save = now
            save_checkpoint(args.run, dict(model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(),
                                           step=step, seconds=seconds, losses=losses, config=cfg, history=history,
                                           command=command))
    bar.close()


def save_checkpoint(run: Path, state: dict) -> None:
    """checkpoint.pt (atomic: a kill never corrupts it) and a one-line progress.json."""
    torch.save(state, run / "checkpoint.tmp")
    (run / "checkpoint.tmp").replace(run / "checkpoint.pt")
    (run / "progress.json").write_text(json.dumps(
        dict(step=state["step"], seconds=round(state["seconds"]), loss=float(np.mean(state["losses"][-100:])))))


if __name__ == "__main__":
    main()
