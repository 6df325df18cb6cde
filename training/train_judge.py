"""Train the judge (sim_core.judge): colour and shape of a 32×32 image, or "nothing".

    python -m training.train_judge --dest assets/models/judge

Every batch is rendered fresh and made harder (blur, noise, contrast up to oversaturation);
a share of each batch is "nothing": Gaussian or uniform noise, blank backgrounds, and
shapes drowned in noise (q_sample at t ≥ 850, cosine schedule).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from sim_core.forward import q_sample
from sim_core.schedules import make_schedule
from sim_core.worlds.shapes import VOCABULARY, render_seed
from training.export import write_model_folder

CONFIG = dict(steps=5000, batch_size=128, threads=1, lr=3e-3, p_nothing=0.15, seed=1, channels=[32, 48, 64, 96])


class JudgeNet(nn.Module):
    """Torch twin of sim_core.judge.JudgeNet."""

    def __init__(self, channels, num_colors, num_shapes):
        super().__init__()
        self.convs, cin = nn.ModuleList(), 3
        for i, ch in enumerate(channels):
            self.convs.append(nn.Conv2d(cin, ch, 3, stride=1 if i == 0 else 2, padding=1))
            cin = ch
        self.color_head = nn.Linear(cin, num_colors + 1)
        self.shape_head = nn.Linear(cin, num_shapes + 1)

    def forward(self, x):
        for conv in self.convs:
            x = F.silu(conv(x))
        features = x.mean(dim=(2, 3))
        return self.color_head(features), self.shape_head(features)


def harder(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What sampled images do to a clean render: blur, noise, contrast and saturation."""
    if rng.random() < 0.3:
        padded = np.pad(image, ((0, 0), (1, 1), (1, 1)), mode="edge")
        image = sum(padded[:, i:i + 32, j:j + 32] for i in range(3) for j in range(3)) / 9
    if rng.random() < 0.5:
        mean = image.mean(axis=0, keepdims=True)
        image = mean + (image - mean) * rng.uniform(0.8, 1.5)  # saturation
    image = image * rng.uniform(0.85, 1.4) + rng.uniform(-0.1, 0.1)  # contrast, brightness
    if rng.random() < 0.5:
        image = image + rng.normal(0, rng.uniform(0, 0.2), image.shape)
    return np.clip(image, -1, 1).astype(np.float32)


def nothing(rng: np.random.Generator, schedule) -> np.ndarray:
    kind = rng.integers(4)
    if kind == 0:
        return np.clip(rng.standard_normal((3, 32, 32)), -1, 1).astype(np.float32)
    if kind == 1:
        return rng.uniform(-1, 1, (3, 32, 32)).astype(np.float32)
    if kind == 2:
        blank = rng.uniform(-1, 1, (3, 1, 1)) + rng.normal(0, rng.uniform(0, 0.1), (3, 32, 32))
        return np.clip(blank, -1, 1).astype(np.float32)
    x0 = render_seed(int(rng.integers(2**62))).image[None]
    noise = rng.standard_normal(x0.shape, dtype=np.float32)
    return np.clip(q_sample(x0, int(rng.integers(850, 1000)), noise, schedule)[0], -1, 1)


def batch(rng, n, cfg, schedule):
    images, colors, shapes = [], [], []
    for _ in range(n):
        if rng.random() < cfg["p_nothing"]:
            images.append(nothing(rng, schedule))
            colors.append(len(VOCABULARY.colors))
            shapes.append(len(VOCABULARY.shapes))
        else:
            item = render_seed(int(rng.integers(2**62)))
            images.append(harder(item.image, rng))
            colors.append(VOCABULARY.colors.index(item.color))
            shapes.append(VOCABULARY.shapes.index(item.shape))
    return torch.from_numpy(np.stack(images)), torch.tensor(colors), torch.tensor(shapes)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dest", type=Path, default=Path("assets/models/judge"))
    parser.add_argument("--steps", type=int, default=CONFIG["steps"])
    parser.add_argument("--lr", type=float, default=CONFIG["lr"])
    parser.add_argument("--init-from", type=Path, metavar="JUDGE_DIR",
                        help="fine-tune an exported judge instead of starting from scratch")
    args = parser.parse_args(argv)
    cfg = dict(CONFIG, steps=args.steps, lr=args.lr)
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])
    schedule = make_schedule("cosine")
    net = JudgeNet(cfg["channels"], len(VOCABULARY.colors), len(VOCABULARY.shapes))
    history = []
    if args.init_from:
        card = json.loads((args.init_from / "model.json").read_text(encoding="utf-8"))
        with np.load(args.init_from / card["weights"]["file"]) as npz:
            net.load_state_dict({k: torch.from_numpy(npz[k]) for k in npz.files})
        history = card["training"].get("history", [{"command": card["training"]["command"]}])
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg["lr"], total_steps=cfg["steps"])
    start = time.perf_counter()
    for _ in (bar := tqdm(range(cfg["steps"]), desc="training the judge")):
        x, c, s = batch(rng, cfg["batch_size"], cfg, schedule)
        logits_c, logits_s = net(x)
        loss = F.cross_entropy(logits_c, c) + F.cross_entropy(logits_s, s)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{float(loss):.4f}")
    card = {
        "name": "judge",
        "kind": "judge",
        "description": "colour and shape classifier for 32×32 shapes-world images, with a 'nothing' class",
        "architecture": {"channels": cfg["channels"]},
        "classes": {"colors": list(VOCABULARY.colors), "shapes": list(VOCABULARY.shapes)},
        "training": {"command": " ".join(["python -m training.train_judge", *(argv if argv is not None else sys.argv[1:])]),
                     "seconds": round(time.perf_counter() - start), "config": cfg, "torch": torch.__version__,
                     # every run that led to these weights, oldest first
                     "history": history + [{"command": "python -m training.train_judge " + " ".join(argv if argv is not None else sys.argv[1:])}]},
    }
    write_model_folder(args.dest, card, net.state_dict())


if __name__ == "__main__":
    main()
