"""Measure the shipped model with the judge: every prompt × 8 seeds, DDIM 50 steps, at
guidance 1, 3, 7.5 and 15. Writes the numbers into the model card, sample grids next to
it, and prints the table for the README.

    python -m training.evaluate --model assets/models/shapes32
    python -m training.evaluate --model assets/models/latent8   (samples latents, then decodes)

The torch twin runs the pixel U-Net here (the numpy model equals it to 1e-4, see
tests/test_unet_matches_torch.py); the small latent U-Net runs in numpy. The schedule,
the sampler, guidance and the judge are sim_core's own.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from sim_core.images import clipped_fraction, make_grid, mean_saturation
from sim_core.judge import load_judge
from sim_core.model import load_latent_model, sampling_settings
from sim_core.model.text import tokenize
from sim_core.model.weights import read_card
from sim_core.sampling import sample
from sim_core.schedules import make_schedule
from sim_core.worlds.shapes import Vocabulary, render_batch
from training.export import load_into
from training.unet_torch import UNet as TorchUNet

GUIDANCE = (1.0, 3.0, 7.5, 15.0)
SEEDS = 8


class TorchDenoiser:
    """The model folder's weights in the torch twin, behind sim_core's model interface."""

    def __init__(self, folder: Path, device: str = "cpu"):
        self.card = read_card(folder)
        self.device = torch.device(device)
        self.net = load_into(TorchUNet(num_tokens=len(self.card["tokens"]), **self.card["architecture"]), folder,
                             self.card).eval().to(self.device)
        self.tokens = self.card["tokens"]
        vocab = self.card["vocabulary"]
        self.vocabulary = Vocabulary(tuple(vocab["colors"]), tuple(vocab["shapes"]))
        self.schedule = make_schedule(**self.card["schedule"])
        self.sample_shape = (3, 32, 32)
        # prediction_type, spacing, clip_sample: sampled as the game samples the numpy model
        self.__dict__.update(sampling_settings(self.card, folder / "model.json"))

    def prompts(self) -> list[str]:
        return self.vocabulary.prompts()

    @torch.no_grad()
    def encode_prompt(self, text):
        ids = torch.from_numpy(tokenize(text, self.tokens, self.vocabulary)).to(self.device)
        return self.net.text(ids).cpu().numpy()

    @torch.no_grad()
    def __call__(self, x, t, cond):
        x, cond = (torch.from_numpy(np.ascontiguousarray(a)).to(self.device) for a in (x, cond))
        t = torch.full((len(x),), int(t), device=self.device)
        return self.net(x, t, context=cond).cpu().numpy()


def noise_for(seeds, shape=(3, 32, 32)) -> np.ndarray:
    """x_T of each seed, as the game draws it."""
    return np.stack([np.random.default_rng(s).standard_normal(shape, dtype=np.float32) for s in seeds])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path("assets/models/shapes32"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                        help="where the torch twin runs")
    parser.add_argument("--seeds", type=int, default=SEEDS, help="seeds per prompt (a quick look: fewer; "
                        "the card and the grids are written only with the full protocol)")
    parser.add_argument("--guidance", type=float, nargs="+", default=list(GUIDANCE),
                        help="the guidance scales to measure (the card keeps the others' earlier numbers)")
    args = parser.parse_args(argv)
    full = args.seeds == SEEDS
    torch.set_num_threads(args.threads)
    if read_card(args.model).get("kind") == "latent-unet":
        model = load_latent_model(args.model)
        decode = model.decode
    else:
        model, decode = TorchDenoiser(args.model, args.device), (lambda x: x)
    judge = load_judge()
    prompts = [p for p in model.prompts() for _ in range(args.seeds)]
    seeds = list(range(args.seeds)) * len(model.prompts())
    cond = model.encode_prompt(prompts)
    x_T = noise_for(seeds, model.sample_shape)
    real, _ = render_batch(range(1000))
    results, grids = {}, []
    for w in args.guidance:
        start = time.perf_counter()
        x0 = decode(sample(model, x_T, model.schedule, sampler="ddim", steps=50, guidance=w, cond=cond))
        verdicts = judge(x0)
        results[str(w)] = {
            "judge_agreement": round(float(np.mean([v.agrees_with(p) for v, p in zip(verdicts, prompts)])), 4),
            "mean_saturation": round(mean_saturation(x0), 4),
            "clipped_pixels": round(clipped_fraction(x0), 4),
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(f"guidance {w}: {results[str(w)]}", flush=True)
        grids.append(x0)
        if full:
            Image.fromarray(make_grid(x0[::SEEDS // 2][:72], cols=12, scale=3)).save(args.model / f"samples_w{w:g}.png")
    if not full:
        return
    card_path = args.model / "model.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    earlier = card.get("metrics", {}).get("ddim50_by_guidance", {}) if len(args.guidance) < len(GUIDANCE) else {}
    results = {k: v for k, v in sorted({**earlier, **results}.items(), key=lambda kv: float(kv[0]))}
    card["metrics"] = {
        "protocol": f"every prompt × seeds 0–{SEEDS - 1}, DDIM 50 steps (the card's {model.spacing} spacing"
                    + (f" and x̂₀ clipped to ±{model.clip_sample}" if model.clip_sample else "") + "), x_T from the seed",
        "ddim50_by_guidance": results,
        "real_images_mean_saturation": round(mean_saturation(real), 4),
    }
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if len(args.guidance) < len(GUIDANCE):
        return
    # one row per guidance, the same prompts and seeds: the knob's effect at a glance
    picks = np.arange(0, len(prompts), SEEDS * 3)[:12]
    Image.fromarray(make_grid(np.concatenate([g[picks] for g in grids]), cols=len(picks), scale=3)).save(
        args.model / "guidance_rows.png")
    print("\n| guidance | judge agrees with prompt | mean saturation | clipped pixels |\n|---|---|---|---|")
    for w, r in results.items():
        print(f"| {w} | {r['judge_agreement']:.1%} | {r['mean_saturation']:.3f} | {r['clipped_pixels']:.2%} |")
    print(f"| real renders | – | {card['metrics']['real_images_mean_saturation']:.3f} | – |")


if __name__ == "__main__":
    main()
