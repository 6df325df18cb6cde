"""Frame times of the headless game while each screen's heavy work runs on its worker: the
render thread must keep drawing (goal: 95th percentile ≤ 20 ms, DESIGN.md).

    python -m bench.frames

One row a screen: its work started as a player starts it, frames at most 60 a second until
it ends; median, 95th percentile and worst gap between frames. Written to bench/frames.md.
"""

import os
import platform
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).with_name("frames.md")


def frame_times(app, busy, each_frame=None) -> np.ndarray:
    """Seconds between frames while busy() holds; each_frame(seconds so far) runs before
    each frame (a player moving a slider)."""
    times, start = [], time.perf_counter()
    last = start
    while busy():
        if each_frame is not None:
            each_frame(last - start)
        app.frame(app.clock.tick(60) / 1000)
        now = time.perf_counter()
        times.append(now - last)
        last = now
    return np.array(times)


def app_warmed():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from game.app import App
    from game.scenes.warmup import WARMUPS

    for warm in WARMUPS:  # as the game does at launch, behind its progress bar
        warm()
    app = App(lang="en")
    app.try_model(), app.try_judge()  # loaded before the clock starts
    return app


def lab_sample(app, steps=50, runs=3) -> np.ndarray:
    """`runs` samples one after the other: one takes well under a second now, and its few
    dozen frames made the 95th percentile the second-slowest frame."""
    from game.scenes.lab import LabScene

    lab = LabScene(app, steps=steps)
    app.push(lab)
    app.frame(0.016)
    gaps = []
    try:
        for _ in range(runs):
            lab.toggle_run()
            gaps.append(frame_times(app, lambda: lab.running))
        return np.concatenate(gaps)
    finally:
        app.pop()


def denoiser_curves(app, move_slider: bool) -> np.ndarray:
    """Be the denoiser measuring its two curves; with move_slider, t also moves every 0.3 s
    (the one-image view is computed on the render thread once the slider rests 0.15 s)."""
    from game.levels import load_explore
    from game.scenes.campaign import level_scene

    level = next(lv for lv in load_explore()[0] if lv.kind == "denoiser")
    scene = level_scene(app, level)
    app.push(scene)
    app.frame(0.016)
    scene.guess = {"epsilon": "small", "image": "large"}
    scene.start()
    ts = iter(np.random.default_rng(0).integers(0, 1000, 1000))
    moved = [0.0]

    def move(seconds):
        if move_slider and seconds - moved[0] > 0.3:
            scene.t, scene.settled, moved[0] = int(next(ts)), 0.0, seconds

    try:
        return frame_times(app, lambda: not scene.measured and scene.job is not None, move)
    finally:
        app.pop()


def paths_2d(app) -> np.ndarray:
    """Paths in 2-D: both models trained side by side, then the three families' paths, then
    annealed Langevin — with the t slider moved every 0.3 s throughout (the score field drawn)."""
    from game.levels import load_explore
    from game.scenes.campaign import level_scene

    level = next(lv for lv in load_explore()[0] if lv.kind == "paths2d")
    scene = level_scene(app, level)
    app.push(scene)
    app.frame(0.016)
    scene.guess = "ddim"
    moved = [0.0]

    def move(seconds):
        if seconds - moved[0] > 0.3:
            scene.t, moved[0] = (scene.t + 37) % 200, seconds

    try:
        gaps = []
        for start in (scene.train, scene.draw_paths, scene.run_langevin):
            start()
            gaps.append(frame_times(app, lambda: scene.job is not None, move))
        return np.concatenate(gaps)
    finally:
        app.pop()


def compare_grid(app, mode: str) -> np.ndarray:
    from game.scenes.compare import CompareScene

    scene = CompareScene(app, mode)
    app.push(scene)
    app.frame(0.016)
    scene.start()
    try:
        return frame_times(app, lambda: scene.job is not None)
    finally:
        app.pop()


def main():
    app = app_warmed()
    screens = [
        ("lab: 50-step guided sample, three in a row", lambda: lab_sample(app)),
        ("be the denoiser: both curves (16 images × 15 t)", lambda: denoiser_curves(app, False)),
        ("be the denoiser: both curves, t slider moved every 0.3 s", lambda: denoiser_curves(app, True)),
        ("paths in 2-D: train both, draw paths, Langevin; t slider moving", lambda: paths_2d(app)),
        ("side by side: guidance × seeds (30 cells)", lambda: compare_grid(app, "guidance")),
        ("side by side: sampler race (12 cells)", lambda: compare_grid(app, "race")),
        ("side by side: new seeds (16 cells)", lambda: compare_grid(app, "seeds")),
    ]
    lines = ["# Frame times while a screen computes", "",
             f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; headless (SDL dummy driver), "
             "at most 60 frames a second. Goal: 95th percentile ≤ 20 ms.", "",
             "| screen | work (s) | frames | median (ms) | 95th percentile (ms) | worst (ms) |", "|---|---|---|---|---|---|"]
    for name, run in screens:
        gaps = run()
        lines.append(f"| {name} | {gaps.sum():.1f} | {len(gaps)} | {np.median(gaps) * 1000:.1f} | "
                     f"{np.percentile(gaps, 95) * 1000:.1f} | {gaps.max() * 1000:.0f} |")
        print(lines[-1], flush=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
