"""Every choice a kiosk visitor can make, measured with the judge at the kiosk's own
settings: each colour × shape picked (DDIM 25 steps from noise, at each of the three
guidance buttons) and drawn (a rough flat sketch of it turned into a picture by SDEdit at
w = 3, with the strength slider at its start and at both ends). Prints the share of seeds
the judge agrees with, per pair.

    python -m bench.kiosk_quality [--seeds 8]
"""

import argparse
import time

import numpy as np

from game.scenes.kiosk import GUIDANCE, SAMPLER, STEPS, STRENGTH
from game.widgets.canvas import BACKGROUND
from sim_core.judge import load_judge
from sim_core.model import load_model
from sim_core.sampling import img2img_start, sample, sampler_for
from sim_core.worlds.shapes import COLORS, SIZE, VOCABULARY, shape_sdf


def sketch(color: str, shape: str, rng: np.random.Generator) -> np.ndarray:
    """A visitor's drawing of it: the shape filled flat in the swatch's colour on the canvas
    grey, placed and sized at random, its outline wobbling as a finger's does. (3, 32, 32)."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5
    cx, cy = rng.uniform(11, 21, size=2)
    radius = rng.uniform(7, 11)
    angle = np.arctan2(y - cy, x - cx)
    wobble = sum(rng.normal(0, 0.6) * np.sin(k * angle + rng.uniform(0, 2 * np.pi)) for k in (2, 3, 5))
    inside = shape_sdf(shape, x - cx, y - cy, radius) + wobble < 0
    rgb = np.where(inside, np.array(COLORS[color], np.float32)[:, None, None],
                   np.array(BACKGROUND, np.float32)[:, None, None])
    return rgb * 2 - 1


def agreement(judge, images, prompt) -> float:
    return float(np.mean([v.agrees_with(prompt) for v in judge(images)]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args(argv)
    model, judge = load_model(), load_judge()
    sampler = sampler_for(model, SAMPLER, STEPS)
    prompts = VOCABULARY.prompts()
    rows, began = {}, time.perf_counter()
    for prompt in prompts:
        color, shape = prompt.split()
        seeds = range(args.seeds)
        noise = np.stack([np.random.default_rng(s).standard_normal((3, SIZE, SIZE), dtype=np.float32) for s in seeds])
        cond = model.encode_prompt(prompt)
        row = {}
        for w in GUIDANCE.values():
            row[f"pick w={w:g}"] = agreement(judge, sample(model, noise, model.schedule, sampler=sampler,
                                                           guidance=w, cond=cond), prompt)
        drawings = np.stack([sketch(color, shape, np.random.default_rng(1000 + s)) for s in seeds])
        for t in (STRENGTH["min"], STRENGTH["start"], STRENGTH["max"]):
            x_t, start = img2img_start(drawings, sampler, t, noise)
            row[f"draw t={t}"] = agreement(judge, sample(model, x_t, model.schedule, sampler=sampler,
                                                         guidance=GUIDANCE["some"], cond=cond, start_index=start),
                                           prompt)
        row["sketch itself"] = agreement(judge, drawings, prompt)
        rows[prompt] = row
        print(f"{prompt:16s} " + "  ".join(f"{k} {v:4.0%}" for k, v in row.items()), flush=True)
    columns = list(next(iter(rows.values())))
    print(f"\n{args.seeds} seeds per pair, {time.perf_counter() - began:.0f} s\n")
    print("| pair | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for prompt, row in rows.items():
        print(f"| {prompt} | " + " | ".join(f"{row[c]:.0%}" for c in columns) + " |")
    means = {c: np.mean([r[c] for r in rows.values()]) for c in columns}
    print("| **all pairs** | " + " | ".join(f"**{means[c]:.0%}**" for c in columns) + " |")
    weak = {c: [p for p, r in rows.items() if r[c] <= 0.5] for c in columns}
    for c, pairs in weak.items():
        print(f"weak (≤ half the seeds) at {c}: {', '.join(pairs) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
