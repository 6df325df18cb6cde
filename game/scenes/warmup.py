"""First launch: numba compiles its kernels (seconds, once per machine; cached after).
That happens on a worker thread behind a progress bar instead of in a frozen window."""

import pygame

from game.scenes.base import Scene
from game.worker import Job
from sim_core.warmup import WARMUPS, compile_kernels


class WarmupScene(Scene):
    """Compiles every kernel, then hands over to `then(app)` (the title screen)."""

    def __init__(self, app, then):
        super().__init__(app)
        self.then, self.done = then, 0

        self.job = Job(lambda report, cancelled: compile_kernels(lambda: report(1)))

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
