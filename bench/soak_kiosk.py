"""Soak the kiosk: drive it headless with random visitors for a given time and record its
memory, the errors it logged and the visits it completed.

    python -m bench.soak_kiosk --minutes 60 [--seed 0]

Visitors touch random buttons (real mouse-button events at the buttons' centres, as a touch
screen sends them), draw random strokes on the canvas (finger events), touch anywhere, and
now and then walk away mid-visit (the "are you still there?" countdown and the return to
the attract loop). The kiosk runs in real time at up to 60 frames per second, its sampling
on its worker thread, exactly as on the exhibit floor. tests/test_kiosk.py runs 75 s of it.
"""

import argparse
import logging
import os
import resource
import threading
import time
import tracemalloc

import numpy as np

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc), or its peak elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(self.format(record))


def soak(seconds: float, seed: int = 0, idle_seconds: float = 20.0, tracemalloc_halves: bool = False,
         progress=None) -> dict:
    import pygame
    from pygame_gui.elements import UIButton

    from game.kiosk import KioskApp
    from game.scenes.kiosk import DrawScene, FixScene, StillThereScene, WatchScene
    from game.worker import JOB_THREAD

    rng = np.random.default_rng(seed)
    app = KioskApp(idle_seconds=idle_seconds, fullscreen=False)
    errors = Counter()
    app.log.addHandler(errors)
    w, h = app.screen.get_size()
    visits, seen, touches, walkaways = 0, set(), 0, 0
    next_action, away_until = 0.0, 0.0
    began = time.perf_counter()
    rss_start = rss_mb()
    samples = [(0.0, rss_start)]
    half_traced = None
    if tracemalloc_halves:
        tracemalloc.start()

    def post_touch(pos):
        for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            pygame.event.post(pygame.event.Event(kind, pos=pos, button=1, touch=True))

    def post_stroke(rect):
        points = rng.uniform([rect.left, rect.top], [rect.right, rect.bottom], size=(int(rng.integers(2, 6)), 2))
        path = np.concatenate([np.linspace(a, b, 8) for a, b in zip(points[:-1], points[1:])])
        for i, (x, y) in enumerate(path):
            kind = pygame.FINGERDOWN if i == 0 else pygame.FINGERMOTION
            pygame.event.post(pygame.event.Event(kind, x=x / w, y=y / h, dx=0, dy=0, finger_id=0, touch_id=0, pressure=1))
        pygame.event.post(pygame.event.Event(pygame.FINGERUP, x=x / w, y=y / h, dx=0, dy=0, finger_id=0, touch_id=0,
                                             pressure=0))

    while (now := time.perf_counter() - began) < seconds:
        app.frame(app.clock.tick(60) / 1000)
        top = app.top
        if isinstance(top, WatchScene) and top.verdict is not None and id(top.run) not in seen:
            seen.add(id(top.run))
            visits += 1
        if now >= next_action and now >= away_until:
            roll = rng.random()
            buttons = [e for e in getattr(top, "elements", []) if isinstance(e, UIButton) and e.visible]
            if roll < 0.02 and not isinstance(top, StillThereScene):
                away_until = now + idle_seconds + 12  # walks away: the countdown, then the attract loop
                walkaways += 1
            elif roll < 0.45 and isinstance(top, (DrawScene, FixScene)):
                post_stroke(top.canvas_rect())
            elif roll < 0.92 and buttons:
                post_touch(buttons[int(rng.integers(len(buttons)))].rect.center)
            else:
                post_touch((float(rng.uniform(0, w)), float(rng.uniform(0, h))))
            touches += 1
            next_action = now + float(rng.uniform(0.3, 2.0))
        if samples[-1][0] + 60 <= now:
            samples.append((now, rss_mb()))
            if progress:
                progress(now, visits, rss_mb(), len(errors.records))
        if tracemalloc_halves and half_traced is None and now > seconds / 2:
            half_traced = tracemalloc.get_traced_memory()[0]
    traced_growth = tracemalloc.get_traced_memory()[0] - half_traced if tracemalloc_halves else None
    app.log.removeHandler(errors)
    app.close_scenes()
    if tracemalloc_halves:  # once no worker runs (game.run.MemoryTracing says why)
        for thread in threading.enumerate():
            if thread.name == JOB_THREAD:
                thread.join()
        tracemalloc.stop()
    report = {"seconds": round(time.perf_counter() - began), "visits_completed": visits, "touches": touches,
              "walkaways": walkaways, "errors": len(errors.records), "restarts": app.restarts,
              "rss_start_mb": round(rss_start, 1), "rss_end_mb": round(rss_mb(), 1),
              "rss_samples_mb": [round(m, 1) for _, m in samples], "traced_growth_bytes": traced_growth,
              "first_errors": errors.records[:3]}
    pygame.quit()
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    args = parser.parse_args(argv)

    def progress(now, visits, rss, errors):
        print(f"{now / 60:5.1f} min  visits {visits:4d}  rss {rss:7.1f} MB  errors {errors}", flush=True)

    report = soak(args.minutes * 60, args.seed, args.idle_seconds, progress=progress)
    for key, value in report.items():
        print(f"{key}: {value}")
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
