"""Small multiples: one prompt drawn across a grid of settings from shared noises, each cell
timed and judged — the guidance row × seeds, the sampler race, the same prompt with new
seeds. Pygame-free: the comparison scene shows what `fill` reports."""

import time
from dataclasses import dataclass

import numpy as np

from sim_core.sampling import sample, sampler_for

MODES = ("guidance", "race", "seeds")
GUIDANCE_ROW = (0.0, 1.0, 3.0, 7.5, 15.0)
GUIDANCE_SEEDS = 6
RACE_SAMPLERS = ("ddpm", "ddim", "dpmsolver++")
RACE_STEPS = (5, 10, 20, 50)
SEED_GRID = (2, 8)  # rows × columns of new seeds
GRID_STEPS, GRID_GUIDANCE = 20, 3.0  # DDIM steps and w wherever a grid does not vary them


@dataclass(frozen=True)
class Task:
    """One sampling run: a batch of x_T (one per seed) whose images fill `cells`."""

    cells: tuple  # (row, column) of each image
    seeds: tuple  # each image's x_T is N(0, I) drawn from its seed
    sampler: str = "ddim"
    steps: int = GRID_STEPS
    guidance: float = GRID_GUIDANCE


@dataclass(frozen=True)
class Cell:
    where: tuple  # (row, column)
    image: np.ndarray  # (3, 32, 32)
    seconds: float  # the run that drew it (its whole batch)
    verdict: object  # the judge's Verdict
    out_of_range: float  # the fraction of its values outside [−1, 1] (burnt colours)


def grid(mode: str, seed: int) -> tuple[tuple, tuple, list[Task]]:
    """(row labels, column labels, the tasks that fill the grid) of `mode`, its noises drawn
    from `seed` on: the guidance rows share their seeds' x_T, the race shares one x_T."""
    if mode == "guidance":
        seeds = tuple(range(seed, seed + GUIDANCE_SEEDS))
        return GUIDANCE_ROW, seeds, [Task(tuple((r, c) for c in range(len(seeds))), seeds, guidance=w)
                                     for r, w in enumerate(GUIDANCE_ROW)]
    if mode == "race":  # the cheapest column first, for every sampler: a race step by step
        return RACE_SAMPLERS, RACE_STEPS, [Task(((r, c),), (seed,), sampler, steps)
                                           for c, steps in enumerate(RACE_STEPS) for r, sampler in enumerate(RACE_SAMPLERS)]
    if mode == "seeds":  # four images a run, so the grid fills as it goes
        rows, columns = SEED_GRID
        cells = [divmod(i, columns) for i in range(rows * columns)]
        return tuple(range(rows)), tuple(range(columns)), [
            Task(tuple(cells[i:i + 4]), tuple(range(seed + i, seed + i + 4))) for i in range(0, len(cells), 4)]
    raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")


def fill(model, judge, prompt: str, tasks, report, cancelled) -> None:
    """Run each task (on a worker) and report each of its Cells as the task ends."""
    cond = model.encode_prompt(prompt)
    for task in tasks:
        if cancelled():
            return
        x_T = np.stack([np.random.default_rng(s).standard_normal(model.sample_shape, dtype=np.float32) for s in task.seeds])
        started = time.perf_counter()
        images = sample(model, x_T, model.schedule, sampler=sampler_for(model, task.sampler, task.steps),
                        guidance=task.guidance, cond=cond, rng=np.random.default_rng(task.seeds[0] + 1))
        seconds = time.perf_counter() - started
        for where, image, verdict in zip(task.cells, images, judge(images)):
            report(Cell(where, image, seconds, verdict, float(np.mean(np.abs(image) > 1))))
