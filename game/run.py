"""One reverse-process run on a worker thread, and what scenes show of it."""

import time
import tracemalloc

import numpy as np

from game.worker import Job
from sim_core.sampling import sample_progressive


class WithoutSkips:
    """The model with its skip connections cut: the decoder gets zeros instead. Everything
    else (schedule, prediction_type, encode_prompt, …) is the model's own."""

    def __init__(self, model):
        self.model = model

    def __getattr__(self, name):
        return getattr(self.model, name)

    def __call__(self, x, t, cond):
        return self.model(x, t, cond, use_skips=False)


class PeakMemory:
    """`with PeakMemory() as m:` then m.bytes: the most memory (tracemalloc) the block held
    at once beyond what was held when it began. Tracing must be on already (MemoryTracing):
    a worker never switches it."""

    def __enter__(self):
        if not tracemalloc.is_tracing():
            raise RuntimeError("PeakMemory needs tracemalloc on (MemoryTracing, from the render thread)")
        tracemalloc.reset_peak()
        self.base, self.bytes = tracemalloc.get_traced_memory()[0], None
        return self

    def __exit__(self, *exc):
        self.bytes = tracemalloc.get_traced_memory()[1] - self.base


class MemoryTracing:
    """tracemalloc switched on and off by the render thread while no worker runs. Switching
    swaps Python's allocators, and a thread allocating without the GIL at that moment crashes
    (numba's kernels allocate through PyMem_RawMalloc; on Python 3.11 each worker switching
    tracing round its own run segfaulted the render thread's decoder about once in 30 plays
    of the latent level). Someone else's tracing (a soak test) is left on."""

    def __init__(self):
        self.own = False

    def start(self) -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start()
            self.own = True

    def stop(self) -> None:
        if self.own:
            tracemalloc.stop()
            self.own = False


class OnAWorker:
    """What is computed by `self.job` (a Job): whether it runs, the error it ended on, cancel."""

    @property
    def running(self) -> bool:
        """The work goes on, or what it reported still waits for poll(): a caller that stops
        once this is False has every report (a lab run once read as ended with its last step
        still queued, and showed 4 of 5)."""
        return not self.job.drained

    @property
    def error(self):
        return self.job.error

    def cancel(self) -> None:
        self.job.cancel()


class SamplingRun(OnAWorker):
    """Sample from x_start at sampler.timesteps[start_index] down to x_0 on a worker; the
    render thread calls poll() each frame and reads `steps` (SampleStep records) and
    `elapsed`, the seconds from the start to the latest step, clocked on the worker (read
    at each frame, a 1-step run once showed "done in 0.0 s")."""

    def __init__(self, model, sampler, x_start, cond, guidance, rng, start_index=0, use_skips=True, inpaint=None):
        self.model, self.sampler, self.guidance = model, sampler, guidance
        self.steps = []
        self.elapsed = 0.0
        self.progressed = time.perf_counter()  # when the last step arrived (for watchdogs)
        denoiser = model if use_skips else WithoutSkips(model)

        def work(report, cancelled):
            started = time.perf_counter()
            for step in sample_progressive(denoiser, x_start, model.schedule, sampler=sampler, guidance=guidance,
                                           cond=cond, rng=rng, start_index=start_index, inpaint=inpaint):
                self.elapsed = time.perf_counter() - started
                report(step)
                if cancelled():
                    return

        self.total = len(sampler.timesteps) - start_index
        self.job = Job(work)

    @property
    def complete(self) -> bool:
        return self.job.done and self.job.error is None and len(self.steps) == self.total

    @property
    def final(self) -> np.ndarray | None:
        return self.steps[-1].prev_sample if self.complete else None

    @property
    def evaluations(self) -> int:
        return len(self.steps) * (1 if self.guidance == 1.0 else 2)

    def poll(self) -> None:
        new = self.job.poll()
        if new:
            self.steps.extend(new)
            self.progressed = time.perf_counter()

    def stalled(self, seconds: float) -> bool:
        """Still running, but no step for `seconds` (a hung model call)."""
        return self.running and time.perf_counter() - self.progressed > seconds

    def step_numbers(self, step) -> dict:
        """The coefficients of this step's update, as the formula panel shows them."""
        tp = self.sampler.prev_timestep(step.t)
        numbers = {key: float(value) for key, value in self.sampler.coefficients(step.t).items()}
        # where the step lands: the next timestep, or after the last one the clean image x₀
        # (diffusers' index −1, which read "t' = −1" on screen)
        return {**numbers, "t": step.t, "tp": f"t' = {tp}" if tp >= 0 else "$x_0$"}


class StepTimer(OnAWorker):
    """What one sampling step of each side costs: on a worker, one step of each side in turn,
    `rounds` times (after an untimed one each: a first call's one-off costs); `seconds[side]`
    is its fastest step (timeit's advice, the minimum). Taking turns gives every side the same
    share of whatever else the machine does. The scene holds the window still meanwhile: a
    live sampling run's own steps, timed beside a 60 fps window, took 7 to 34 ms for the same
    network, and their ratio ranged 1.1–4.2× between runs where the turns measure 2.5×."""

    def __init__(self, steps: dict, rounds: int = 8):
        self.seconds = None

        def work(report, cancelled):  # each side's steps: an iterator of at least rounds + 1
            for side_steps in steps.values():
                next(side_steps)
            times = {side: [] for side in steps}
            for _ in range(rounds):
                for side, side_steps in steps.items():
                    if cancelled():
                        return
                    start = time.perf_counter()
                    next(side_steps)
                    times[side].append(time.perf_counter() - start)
            self.seconds = {side: min(seconds) for side, seconds in times.items()}

        self.job = Job(work)


class MemoryProbe(OnAWorker):
    """What one sampling step of each side holds at once: on a worker, one step of each side
    untraced by PeakMemory (a first call's one-off costs: loading compiled kernels, caches,
    once 48 MB), then one under it; `bytes[side]` once done. tracemalloc is on from here until
    the job has ended and poll() (or cancel()) saw it (MemoryTracing says why the render thread
    switches it). A probe of its own, before the runs: measured over a whole run, tracing
    doubled the latent side's time, and the peak counted the steps the run keeps (it grew with
    the step count)."""

    def __init__(self, steps: dict):
        self.bytes = None
        self.tracing = MemoryTracing()
        self.tracing.start()

        def work(report, cancelled):  # each side's steps: an iterator of at least 2
            peaks = {}
            for side, side_steps in steps.items():
                next(side_steps)
                if cancelled():
                    return
                with PeakMemory() as memory:
                    next(side_steps)
                peaks[side] = memory.bytes
            self.bytes = peaks

        self.job = Job(work)

    def poll(self) -> dict | None:
        """`bytes` once the job has ended and tracing is off again, else None."""
        if not self.job.done:
            return None
        self._stop_tracing()
        return self.bytes

    def cancel(self) -> None:
        super().cancel()
        self._stop_tracing()

    def _stop_tracing(self) -> None:
        if self.tracing.own:
            self.job.join()  # its thread gone, down to its last free()
            self.tracing.stop()


class RunQueue:
    """Runs that go one after the other, never two at once (each one's time is its own and the
    window keeps a core): `start()` queues one per side, `poll()` each frame starts the next
    when the last is done. `make(side)` builds a side's SamplingRun."""

    def __init__(self, sides, make):
        self.sides, self.make = tuple(sides), make
        self.runs = dict.fromkeys(self.sides)
        self.pending = []  # the sides still to run, in order

    @property
    def busy(self) -> bool:
        return bool(self.pending) or any(run is not None and run.running for run in self.runs.values())

    def start(self) -> None:
        """Queue every side."""
        self.runs, self.pending = dict.fromkeys(self.sides), list(self.sides)
        self._next()

    def _next(self) -> None:
        side = self.pending.pop(0)
        self.runs[side] = self.make(side)

    def poll(self):
        """Poll every run and start the next side when none runs; the first error a run hit
        (the queue then stops), or None."""
        runs = [run for run in self.runs.values() if run is not None]
        for run in runs:
            run.poll()
        error = next((run.error for run in runs if run.error is not None), None)
        if error is not None:
            self.pending = []
        elif self.pending and not any(run.running for run in runs):
            self._next()
        return error

    def cancel(self) -> None:
        for run in self.runs.values():
            if run is not None:
                run.cancel()


FORMULA_KEYS = {"ddim": "ddim", "ddpm": "ddpm", "dpmsolver++": "dpm"}


def draw_run(surface, app, run, rect, sampler_kind, guidance, shown=None, bar=True):
    """The progress bar (unless `bar` is False: a scrubber stands there) and the sampler's
    update with today's numbers for the `shown` step (the latest by default)."""
    import pygame

    theme, tr = app.theme, app.tr
    last = shown if shown is not None else run.steps[-1] if run is not None and run.steps else None
    bar_rect = pygame.Rect(rect.x, rect.y, rect.width, 18)
    if bar:
        pygame.draw.rect(surface, theme.colour("panel"), bar_rect, border_radius=9)
    if last is not None and bar:
        bar = bar_rect
        done = bar.copy()
        done.width = int(bar.width * len(run.steps) / run.total)
        pygame.draw.rect(surface, theme.colour("accent2"), done, border_radius=9)
    if last is not None:
        n = len(run.sampler.timesteps)
        theme.text(surface, tr("lab.step", i=last.index + 1, n=n, t=last.t), (bar_rect.right, bar_rect.y - 24),
                   role="small", colour="muted", anchor="topright")
    key = FORMULA_KEYS[sampler_kind]
    lines = [(tr(f"formula.{key}"), "formula", "text")]
    if last is not None:
        numbers = run.step_numbers(last)
        shown = f"formula.{key}_last_numbers" if numbers.get("last") else f"formula.{key}_numbers"
        lines.append((tr(shown, **numbers), "formula", "accent"))
    else:
        lines.append(("", "formula", "accent"))  # the numbers' place, kept
    # DPM-Solver++ says there what D is and its second-order term; the others, the guidance
    detail = tr(f"formula.{key}_detail") if key == "dpm" else tr("formula.guidance", w=guidance)
    lines.append((detail, "small", "muted"))
    # each line as tall as its typeset formulas; the panel as tall as its lines
    heights = [theme.text_height(text, role) for text, role, _ in lines]
    panel = pygame.Rect(rect.x, rect.y + 40, rect.width, max(110, sum(heights) + 4 * len(lines) + 12))
    pygame.draw.rect(surface, theme.colour("panel"), panel, border_radius=8)
    y = panel.y + 8
    for (text, role, colour), height in zip(lines, heights):
        theme.text(surface, text, (panel.x + 16, y), role=role, colour=colour)
        y += height + 4
