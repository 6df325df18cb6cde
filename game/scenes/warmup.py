"""First launch: numba compiles its kernels (seconds, once per machine; cached after).
That happens on a worker thread behind a progress bar instead of in a frozen window."""

import numpy as np
import pygame

from game.scenes.base import Scene
from game.worker import Job


def _conv():
    from sim_core.model.layers import Conv2d

    for stride in (1, 2):  # Winograd and im2col
        conv = Conv2d(1, 1, 3, stride)
        conv.weight, conv.bias = np.zeros((1, 1, 3, 3), np.float32), np.zeros(1, np.float32)
        conv(np.zeros((1, 1, 4, 4), np.float32))


def _norm():
    from sim_core.model.layers import GroupNorm

    norm = GroupNorm(1, 1)
    norm.weight, norm.bias = np.ones(1, np.float32), np.zeros(1, np.float32)
    norm(np.zeros((1, 1, 2, 2), np.float32), silu=True)


def _forward():
    from sim_core.forward import scaled_sum

    one, x = np.ones(1, np.float32), np.zeros((1, 3, 4, 4), np.float32)
    scaled_sum(one, x, one, x)


def _toy():
    from sim_core.schedules import make_schedule
    from sim_core.toy_mlp import ToyDenoiser

    ToyDenoiser(make_schedule("linear", 10), np.zeros((4, 2), np.float32), hidden=4).train(1, batch=2)


WARMUPS = (_conv, _norm, _forward, _toy)


class WarmupScene(Scene):
    """Compiles every kernel, then hands over to `then(app)` (the title screen)."""

    def __init__(self, app, then):
        super().__init__(app)
        self.then, self.done = then, 0

        def work(report, cancelled):
            for warm in WARMUPS:
                warm()
                report(1)

        self.job = Job(work)

    def update(self, dt):
        self.done += len(self.job.poll())
        if self.job.done:
            if self.job.error is not None:  # compiling failed: the game still runs, slower to start
                self.app.log_error(self.job.error)
            self.app.replace(self.then(self.app))

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        w, h = surface.get_size()
        theme.text(surface, tr("app.title"), (w // 2, h // 2 - 120), role="title", bold=True, anchor="midtop")
        theme.text(surface, tr("app.preparing"), (w // 2, h // 2), colour="muted", anchor="midtop")
        bar = pygame.Rect(w // 2 - 250, h // 2 + 40, 500, 16)
        pygame.draw.rect(surface, theme.colour("panel"), bar, border_radius=8)
        done = bar.copy()
        done.width = int(bar.width * self.done / len(WARMUPS))
        pygame.draw.rect(surface, theme.colour("accent2"), done, border_radius=8)
