"""A flawed schedule (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps
are Flawed"): the same prompt drawn from the same noises by the earlier ε model, trained on
the plain cosine schedule, and by the shipped v model, trained with ᾱ_T = 0. The first can
only start where training left a trace of the image, so it reads the picture's brightness
from pure noise and stays near grey. Metric darkest_guess: how far the player's guess, made
before the run, lies from model A's darkest background, in percentage points of brightness."""

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIHorizontalSlider, UILabel

from game.run import RunQueue, SamplingRun
from game.scenes.level import LevelScene
from game.widgets.image_view import draw_image
from sim_core.images import background_brightness
from sim_core.sampling import sampler_for
from sim_core.worlds.shapes import render_seed

SIDES = {"a": "flawed", "b": "pixel"}  # the side's letter on screen → the app's model
TILE, GAP, COLS = 52, 6, 4


class FlawedScheduleLevel(LevelScene):
    TRY_ON_CHECK = False  # each run locks a guess

    def __init__(self, app, level, **hooks):
        super().__init__(app, level, **hooks)
        c, target = level.controls, level.target
        self.prompt, self.seeds = target["prompt"], int(c["seeds"])
        self.steps, self.guidance = int(c["steps"]), float(c["guidance"])
        guess = c["predict_darkest"]
        self.guess_range, self.guess = (guess["min"], guess["max"]), guess["start"]
        self.prediction = None  # the guess as it stood when the run began
        real = np.stack([render_seed(target["seed"] + i, self.prompt).image for i in range(self.seeds)])
        self.backgrounds = {"real": background_brightness(real)}
        self.queue = RunQueue(SIDES, self.make_run)
        self.final_score = None
        self.samplers = {}  # side → (model, its DDIM with its own card's spacing)
        for side, which in SIDES.items():
            model, error = app.try_model(which=which)
            if error:
                self.message = error
            else:
                self.samplers[side] = (model, sampler_for(model, "ddim", self.steps))

    # controls -------------------------------------------------------------------------------
    def build_controls(self):
        tr, ui = self.app.tr, self.app.ui
        self.guess_label = self.add(UILabel((30, 572, 700, 24), self.guess_text(), ui))
        self.guess_slider = self.add(UIHorizontalSlider((30, 600, 380, 36), self.guess, self.guess_range, ui))
        self.go = self.add(UIButton((430, 596, 300, 44), tr("flawed.generate"), ui, object_id="#primary"))

    def guess_text(self) -> str:
        return self.app.tr("flawed.predict", x=self.guess / 100)

    def handle_activity_event(self, event):
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.guess_slider:
            self.guess = int(event.value)
            self.guess_label.set_text(self.guess_text())
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.go:
            self.start()
        else:
            return False
        return True

    # running --------------------------------------------------------------------------------
    @property
    def runs(self) -> dict:
        return self.queue.runs

    def start(self):
        if self.queue.busy:
            return
        if len(self.samplers) < len(SIDES):  # a model could not be loaded: its message stays
            return
        self.backgrounds = {"real": self.backgrounds["real"]}
        self.final_score, self.prediction = None, self.guess
        self.count_try()
        self.result, self.message = None, ("sampling.running", {})
        self.queue.start()

    def make_run(self, side):
        model, sampler = self.samplers[side]
        rng = np.random.default_rng(self.level.target["seed"])
        x_T = rng.standard_normal((self.seeds, *model.sample_shape), dtype=np.float32)
        return SamplingRun(model, sampler, x_T, model.encode_prompt(self.prompt), self.guidance, rng)

    def demo(self):
        self.start()
        return lambda: self.final_score is not None

    def workers(self):
        return [self.queue]

    def update(self, dt):
        error = self.queue.poll()
        if error is not None:
            self.message = ("lab.failed", {"reason": str(error)})
            return
        for side, run in self.runs.items():
            if run is not None and run.complete and side not in self.backgrounds:
                self.backgrounds[side] = background_brightness(np.clip(run.final, -1, 1))
        if "b" in self.backgrounds and self.final_score is None:
            self.final_score = abs(self.prediction - 100 * float(self.backgrounds["a"].min()))
            self.message = ("flawed.done", self.ranges())

    def ranges(self) -> dict:
        """The darkest and lightest background of each row, as fractions (shown in %)."""
        out = {f"{row}_{end}": float(getattr(b, end)()) for row, b in self.backgrounds.items() for end in ("min", "max")}
        return {**out, "guess": self.prediction / 100}

    def measured_text(self) -> str | None:  # the reveal stays, won or not
        return self.app.tr("flawed.guessed", **self.ranges())

    def score(self):
        if self.final_score is None:
            self.message, self.result = ("sampling.run_first", {}), None
            return None
        return self.final_score

    # drawing --------------------------------------------------------------------------------
    def draw_activity(self, surface, rect):
        theme, tr = self.app.theme, self.app.tr
        top = theme.text(surface, tr("flawed.prompt", prompt=tr.phrase(self.prompt), n=self.seeds),
                         (rect.x, rect.y), role="heading", colour="accent", width=rect.width).bottom
        half = (rect.width - 10) // 2
        grid_top = top + 8 + 8 + max(self.header_height(side, half - 28) for side in SIDES) + 10
        for i, side in enumerate(SIDES):
            self.draw_side(surface, side, pygame.Rect(rect.x + i * (half + 10), top + 8, half, rect.y + 342 - top), grid_top)
        self.draw_ruler(surface, pygame.Rect(rect.x, rect.y + 356, rect.width - 10, 130))

    def header(self, side) -> tuple[str, str | None]:
        """The side's title, and its first step (t, ᾱ_t there, the share √ᾱ_t of the image left)."""
        tr = self.app.tr
        if side not in self.samplers:
            return tr(f"flawed.{side}_title"), None
        model, sampler = self.samplers[side]
        t = int(sampler.timesteps[0])
        alpha_bar = float(model.schedule.alphas_cumprod[t])
        return tr(f"flawed.{side}_title"), tr("flawed.first_step", t=t, alpha_bar=alpha_bar, signal=np.sqrt(alpha_bar))

    def header_height(self, side, width) -> int:
        theme = self.app.theme
        title, first = self.header(side)
        height = theme.text_height(title, "heading", width, bold=True)
        return height + (4 + theme.text_height(first, "small", width) if first else 0)

    def draw_side(self, surface, side, box, grid_top):
        """The side's header, then its drawings from `grid_top` (the same on both sides)."""
        theme, tr = self.app.theme, self.app.tr
        pygame.draw.rect(surface, theme.colour("panel"), box, border_radius=8)
        width = box.width - 28
        title, first = self.header(side)
        y = theme.text(surface, title, (box.x + 14, box.y + 8), role="heading", bold=True, width=width).bottom
        if first:
            theme.text(surface, first, (box.x + 14, y + 4), role="small", colour="muted", width=width)
        run = self.runs[side]
        shown = None if run is None or not run.steps else run.steps[-1].pred_original_sample
        if run is not None and run.complete:
            shown = run.final
        rows = -(-self.seeds // COLS)
        tile = max(8, min(TILE, (box.bottom - grid_top - 4) // rows - GAP))  # larger text leaves smaller tiles
        for i in range(self.seeds):
            r, c = divmod(i, COLS)
            rect = pygame.Rect(box.x + 14 + c * (tile + GAP), grid_top + r * (tile + GAP), tile, tile)
            draw_image(surface, theme, None if shown is None else shown[i], rect)
        if run is not None:
            theme.text(surface, tr("latent.progress", i=len(run.steps), n=run.total),
                       (box.x + 14 + COLS * (tile + GAP) + 8, grid_top), role="small",
                       colour="accent" if run.complete else "text")

    def draw_ruler(self, surface, box):
        """Brightness from black to white, and a dot for every background: the world's own
        renders, model A's, model B's; the player's guess as a line across the rows."""
        theme, tr = self.app.theme, self.app.tr
        left, width = box.x + 90, box.width - 110
        bar = pygame.Rect(left, box.y, width, 12)
        for x in range(width):
            grey = int(255 * x / (width - 1))
            pygame.draw.line(surface, (grey, grey, grey), (left + x, bar.y), (left + x, bar.bottom))
        theme.text(surface, tr("flawed.black", x=0), (left, bar.bottom + 2), role="small", colour="muted")
        theme.text(surface, tr("flawed.white", x=1), (left + width, bar.bottom + 2), role="small", colour="muted",
                   anchor="topright")
        for i, row in enumerate(("real", "a", "b")):
            y = box.y + 52 + i * 26
            theme.text(surface, tr(f"flawed.row_{row}"), (box.x, y), role="small", colour="muted", anchor="midleft")
            pygame.draw.line(surface, theme.colour("panel"), (left, y), (left + width, y))
            for b in self.backgrounds.get(row, ()):
                grey = int(round(255 * float(b)))
                centre = (left + int(round(float(b) * (width - 1))), y)
                pygame.draw.circle(surface, (grey, grey, grey), centre, 7)
                pygame.draw.circle(surface, theme.colour("accent2"), centre, 7, width=2)
        guess = self.prediction if self.prediction is not None else self.guess
        x = left + int(round(guess / 100 * (width - 1)))
        pygame.draw.line(surface, theme.colour("accent"), (x, box.y - 4), (x, box.y + 52 + 2 * 26 + 10), width=3)
