"""Measure speed side by side in one run and write bench/results.md.

    python -m bench            (or: make bench)

(a) one U-Net evaluation at batch 1 and 2, numpy vs the torch twin, same weights and
    thread count, and at batch 2 with one thread each, as the game runs it on 2 cores;
(b) a 50-step guided DDIM sample and a 1000-step DDPM sample, ours vs
    torch + diffusers' scheduler, and the guided sample against the ε model it replaced;
(c) q_sample on a batch, numba vs plain numpy;
(d) the U-Net's achieved GFLOP/s against this machine's float32 matmul peak (counting a
    convolution's direct multiply-adds, whatever way it is computed), and the time of its
    convolutions' matrix products alone (the floor BLAS sets under Winograd and im2col);
(e) start-up: time to the first frame of the game with a warm and a cold numba cache.
Times are medians of repeated runs, ours and theirs in alternating blocks.
"""

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.frames import app_warmed, lab_sample

RESULTS = Path(__file__).with_name("results.md")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def side_by_side(ours, theirs, repeat=7, warmup=1, rounds=3):
    """Medians of `ours` and `theirs` timed in alternating blocks of `repeat` runs, so drift on
    this shared machine reaches both sides alike. Blocks, not single runs: each side's thread
    pool spins for a while after a call and would slow the other one down."""
    times = ([], [])
    for _ in range(rounds):
        for fn, out in zip((ours, theirs), times):
            for _ in range(warmup):
                fn()
            out.extend(timed(fn) for _ in range(repeat))
    return statistics.median(times[0]), statistics.median(times[1])


def matmul_peak(n=1024, repeat=9) -> float:
    """GFLOP/s of numpy's float32 matrix product (BLAS) on n×n matrices: the best of
    `repeat` runs, a peak (so the U-Net's share of it is not flattered by a slow run)."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    a @ a
    best = min(timed(lambda: a @ a) for _ in range(repeat))
    return 2 * n**3 / best / 1e9


def unet_flops(model, x, t, cond) -> float:
    """Multiply-adds ×2 of one evaluation, counted on the layers as they run; attention
    counted as written in the papers (projections, scores, weighted sum), whatever way it
    is computed."""
    from sim_core.model import layers, unet

    count = [0]
    conv_call, linear_call, attention_call = layers.Conv2d.__call__, layers.Linear.__call__, unet.Attention.__call__

    def conv(self, inp, **kwargs):
        out = conv_call(self, inp, **kwargs)
        count[0] += 2 * out.size * self.weight[0].size
        return out

    def linear(self, inp):
        count[0] += 2 * inp.size // inp.shape[-1] * self.weight.size
        return linear_call(self, inp)

    def attention(self, inp, context=None, *args, **kwargs):
        n, h, w, c = inp.shape  # channels-last inside the network
        keys, dim = (h * w, c) if context is None else context.shape[1:]
        before = count[0]
        out = attention_call(self, inp, context, *args, **kwargs)
        # q and output projections, k and v projections, q·k and the weighted sum of v
        count[0] = before + 2 * n * (2 * h * w * c * c + 2 * keys * dim * c + 2 * h * w * keys * c)
        return out

    layers.Conv2d.__call__, layers.Linear.__call__, unet.Attention.__call__ = conv, linear, attention
    try:
        model(x, t, cond)
    finally:
        layers.Conv2d.__call__, layers.Linear.__call__, unet.Attention.__call__ = conv_call, linear_call, attention_call
    return count[0]


def convolution_products(model, x, t, cond) -> list:
    """The (columns, kernels) pairs of every k×k convolution of one evaluation, as Conv2d
    multiplies them (Winograd's 16 or 36 products, or im2col's one per image): timing their
    products alone gives the floor that BLAS sets under this way of computing the U-Net."""
    from sim_core.model import layers

    pairs, conv_call = [], layers.Conv2d.__call__

    def conv(self, inp, norm=None, **kwargs):
        if self.k > 1:
            pairs.append((self.columns(inp if norm is None else norm(inp, silu=True)), self.matrix(layers.winograd_tile(*inp.shape[1:3]))))
        return conv_call(self, inp, norm=norm, **kwargs)

    layers.Conv2d.__call__ = conv
    try:
        model(x, t, cond)
    finally:
        layers.Conv2d.__call__ = conv_call
    return pairs


def first_frame_seconds(cache_dir: str) -> float:
    """A fresh process that starts the game headless and draws one frame of the lab."""
    code = (
        "import time; s = time.perf_counter()\n"
        "from game.app import App; from game.scenes.lab import LabScene\n"
        "import numpy as np\n"
        "app = App(lang='en'); app.push(LabScene(app)); app.frame(0.016)\n"
        "from sim_core.forward import q_sample; from sim_core.schedules import make_schedule\n"
        "x = np.zeros((1, 3, 32, 32), np.float32); q_sample(x, 1, x, make_schedule('linear'))\n"
        "print(time.perf_counter() - s)\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    import torch
    from diffusers import DDIMScheduler, DDPMScheduler
    from sim_core.forward import q_sample, scaled_sum_reference
    from sim_core.model import DEFAULT_MODEL, FLAWED_SCHEDULE_MODEL, load_model
    from sim_core.sampling import sample
    from sim_core.schedules import DIFFUSERS_NAMES
    from sim_core.threads import set_compute_threads
    from training.evaluate import TorchDenoiser

    threads = int(os.environ.get("BENCH_THREADS", "2"))
    torch.set_num_threads(threads)
    set_compute_threads(threads)
    model = load_model()
    twin = TorchDenoiser(DEFAULT_MODEL)
    rng = np.random.default_rng(0)
    cond = model.encode_prompt("red star")
    rows = []

    # (a) one U-Net evaluation
    peak = matmul_peak()
    for batch in (1, 2):
        x = rng.standard_normal((batch, 3, 32, 32), dtype=np.float32)
        c = np.repeat(cond, batch, axis=0)
        ours, theirs = side_by_side(lambda x=x, c=c: model(x, 500, c), lambda x=x, c=c: twin(x, 500, c), repeat=11)
        flops = unet_flops(model, x, 500, c)
        rows.append((f"U-Net, batch {batch}", ours, theirs, f"{flops / ours / 1e9:.1f} GFLOP/s ours = {flops / ours / 1e9 / peak:.0%} of peak, "
                     f"{flops / theirs / 1e9:.1f} torch; {flops / 1e9:.2f} GFLOP per call"))

    # as the game runs it on 2 cores: one thread each, the other core draws the window
    set_compute_threads(1)
    torch.set_num_threads(1)
    ours, theirs = side_by_side(lambda: model(x, 500, c), lambda: twin(x, 500, c), repeat=11)
    torch.set_num_threads(threads)
    set_compute_threads(threads)
    rows.append(("U-Net, batch 2, one thread each (the game's setting on 2 cores)", ours, theirs,
                 f"{flops / ours / 1e9:.1f} GFLOP/s ours, {flops / theirs / 1e9:.1f} torch"))

    # the floor that BLAS sets: the batch-2 convolutions' products alone
    pairs = convolution_products(model, x, 500, c)
    floor, theirs = side_by_side(lambda: [cols @ m for cols, m in pairs], lambda: twin(x, 500, c), repeat=11)
    products = sum(2 * (cols @ m).size * cols.shape[-1] for cols, m in pairs)
    rows.append(("the 3×3 convolutions' matrix products alone, batch 2 (BLAS floor)", floor, theirs,
                 f"{products / floor / 1e9:.1f} GFLOP/s; right column: torch's whole evaluation"))

    # (b) whole samples
    x_T = rng.standard_normal((1, 3, 32, 32), dtype=np.float32)
    s = model.schedule
    # diffusers configured as the model card says (prediction type, zero terminal SNR, spacing)
    diffusers_config = dict(beta_schedule=DIFFUSERS_NAMES[s.kind], rescale_betas_zero_snr=s.zero_terminal_snr,
                            prediction_type=model.prediction_type, timestep_spacing=model.spacing,
                            clip_sample=model.clip_sample is not None, clip_sample_range=model.clip_sample or 1.0)

    def ours_ddim():
        sample(model, x_T, s, sampler="ddim", steps=50, guidance=7.5, cond=cond)

    def torch_ddim():
        sched = DDIMScheduler(**diffusers_config)
        sched.set_timesteps(50)
        ctx = torch.from_numpy(np.concatenate([twin.encode_prompt(""), twin.encode_prompt("red star")]))
        x = torch.from_numpy(x_T)
        with torch.no_grad():
            for t in sched.timesteps:
                e = twin.net(torch.cat([x, x]), t.repeat(2), context=ctx)
                eps = e[:1] + 7.5 * (e[1:] - e[:1])
                x = sched.step(eps, t, x, use_clipped_model_output=model.clip_sample is not None).prev_sample

    rows.append(("DDIM 50 steps, guidance 7.5 (100 evaluations)", *side_by_side(ours_ddim, torch_ddim, 1), ""))

    # the same sample before v-prediction, zero terminal SNR and clipping: the earlier ε model
    # (its card: leading spacing, no clipping), same architecture, x_T and prompt
    earlier = load_model(FLAWED_SCHEDULE_MODEL)
    earlier_cond = earlier.encode_prompt("red star")
    rows.append(("DDIM 50 steps, guidance 7.5: v model vs the ε model before it",
                 *side_by_side(ours_ddim, lambda: sample(earlier, x_T, earlier.schedule, sampler="ddim", steps=50,
                                                         guidance=7.5, cond=earlier_cond), 1),
                 "right column: the ε model, leading spacing, unclipped (both ours)"))

    def ours_ddpm():
        sample(model, x_T, s, sampler="ddpm", steps=1000, guidance=1.0, cond=cond, rng=np.random.default_rng(0))

    def torch_ddpm():
        sched = DDPMScheduler(**diffusers_config)
        sched.set_timesteps(1000)
        ctx = torch.from_numpy(twin.encode_prompt("red star"))
        x = torch.from_numpy(x_T)
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for t in sched.timesteps:
                x = sched.step(twin.net(x, t.reshape(1), context=ctx), t, x, generator=gen).prev_sample

    rows.append(("DDPM 1000 steps, no guidance", *side_by_side(ours_ddpm, torch_ddpm, 1, 0, rounds=1), ""))

    # (c) q_sample
    xb = rng.standard_normal((256, 3, 32, 32), dtype=np.float32)
    nb = rng.standard_normal(xb.shape, dtype=np.float32)
    tb = rng.integers(0, 1000, 256)
    a, b = s.sqrt_alphas_cumprod[tb], s.noise_scale[tb]
    rows.append(("q_sample, batch 256 (numba vs numpy)",
                 *side_by_side(lambda: q_sample(xb, tb, nb, s), lambda: scaled_sum_reference(a, xb, b, nb), 7),
                 "right column: plain numpy"))

    # frame time of the game while sampling
    gaps = lab_sample(app_warmed())
    rows.append(("game frame time during three 50-step guided samples, 95th percentile", float(np.percentile(gaps, 95)),
                 float("nan"), f"median {np.median(gaps) * 1000:.1f} ms, worst {gaps.max() * 1000:.0f} ms over {len(gaps)} frames"))

    # (e) start-up
    with tempfile.TemporaryDirectory() as cold:
        cold_time = first_frame_seconds(cold)
        warm_time = first_frame_seconds(cold)
    rows.append(("game start to first frame, cold numba cache", cold_time, float("nan"), ""))
    rows.append(("game start to first frame, warm numba cache", warm_time, float("nan"), ""))

    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; {threads} threads for both sides; "
        f"numpy {np.__version__}, torch {torch.__version__}; float32 matmul peak {peak:.0f} GFLOP/s.",
        "",
        "| what | ours (s) | torch (s) | ours / torch | notes |",
        "|---|---|---|---|---|",
    ]
    for name, ours, theirs, note in rows:
        ratio = "" if theirs != theirs else f"{ours / theirs:.2f}×"
        theirs_s = "" if theirs != theirs else f"{theirs:.4f}"
        lines.append(f"| {name} | {ours:.4f} | {theirs_s} | {ratio} | {note} |")
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
