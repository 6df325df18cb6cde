"""The kiosk's scenes: the attract loop and the guided visit (big, touchable controls;
captions in both languages at once in the attract loop)."""

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton

from game.run import SamplingRun
from game.scenes.base import Scene
from game.widgets.image_view import draw_image
from sim_core.forward import q_sample
from sim_core.sampling import sampler_for
from sim_core.schedules import make_schedule
from sim_core.worlds.shapes import VOCABULARY, render_seed

FORWARD_SECONDS = 5.0
HOLD_SECONDS = 2.5
WATCHDOG_SECONDS = 20.0  # a 25-step sample takes about a second; no step for this long: abandoned
RETRY_SECONDS = 60.0  # the back-soon screen tries to start over this often


def run_failed(app, run) -> bool:
    """True (and logged, the run cancelled) when a run raised or stopped making progress."""
    if run.error is None and not run.stalled(WATCHDOG_SECONDS):
        return False
    run.cancel()
    app.log_error(run.error or TimeoutError(f"no sampling step for {WATCHDOG_SECONDS:g} s: the run was abandoned"))
    return True


def both(app, key: str) -> tuple[str, str]:
    """A caption in Spanish and in English."""
    return app.tr.catalogs["es"][key], app.tr.catalogs["en"][key]


class AttractScene(Scene):
    """Forward noise, then the model drawing a new shape from noise, over and over."""

    def __init__(self, app):
        super().__init__(app)
        self.cycle = 0
        self.schedule = make_schedule("cosine")
        self.start_cycle()

    def start_cycle(self):
        rng = np.random.default_rng(self.cycle)
        self.prompt = f"{rng.choice(VOCABULARY.colors)} {rng.choice(VOCABULARY.shapes)}"
        self.x0 = render_seed(self.cycle, self.prompt).image[None]
        self.noise = rng.standard_normal(self.x0.shape, dtype=np.float32)
        self.phase, self.clock, self.run = "forward", 0.0, None

    def update(self, dt):
        self.clock += dt
        if self.phase == "forward" and self.clock > FORWARD_SECONDS:
            model, error = self.app.try_model()
            if error:  # no model: the forward loop alone still teaches something
                self.cycle += 1
                self.start_cycle()
                return
            sampler = sampler_for(model, "ddim", 25)
            self.run = SamplingRun(model, sampler, self.noise, model.encode_prompt(self.prompt), 7.5, None)
            self.phase, self.clock = "reverse", 0.0
        elif self.phase == "reverse":
            self.run.poll()
            if run_failed(self.app, self.run):  # on with the next shape
                self.cycle += 1
                self.start_cycle()
            elif self.run.running:
                self.clock = 0.0
            elif self.clock > HOLD_SECONDS:
                self.cycle += 1
                self.start_cycle()

    def handle_event(self, event):
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.FINGERDOWN, pygame.KEYDOWN):
            self.app.replace(GuideScene(self.app))  # our exit cancels the run
            return True
        return False

    def workers(self):
        return [self.run]

    def draw(self, surface):
        theme = self.app.theme
        w, h = surface.get_size()
        size = min(h - 260, w // 2 - 80)
        box = pygame.Rect(w // 2 - size // 2, 150, size, size)
        if self.phase == "forward":
            t = int(999 * min(self.clock / FORWARD_SECONDS, 1.0))
            image = q_sample(self.x0, t, self.noise, self.schedule)[0]
            captions = both(self.app, "kiosk.forward")
        else:
            last = self.run.steps[-1] if self.run.steps else None
            image = None if last is None else last.prev_sample[0]
            captions = both(self.app, "kiosk.reverse")
        draw_image(surface, theme, image, box)
        theme.text(surface, captions[0], (w // 2, 40), role="subtitle", bold=True, anchor="midtop")
        theme.text(surface, captions[1], (w // 2, 90), role="body", colour="muted", anchor="midtop")
        touch = both(self.app, "kiosk.touch")
        theme.text(surface, f"{touch[0]} · {touch[1]}", (w // 2, h - 70), role="heading", colour="accent", anchor="midtop")


class GuideScene(Scene):
    """A visit in three steps: pick a shape, pick a colour, watch it drawn, then play with
    the guidance knob."""

    def __init__(self, app):
        super().__init__(app)
        self.step, self.shape, self.color = "shape", None, None
        self.run, self.guidance, self.verdict = None, 7.5, None
        self.failed = False  # the last run raised or hung (logged); the visitor may try again

    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        w, h = self.app.screen.get_size()
        self.choices = {}
        self.language = self.add(UIButton((w - 240, 20, 220, 70), tr("app.language"), ui, object_id="#menu"))
        if self.step in ("shape", "color"):
            words = VOCABULARY.shapes if self.step == "shape" else VOCABULARY.colors
            for i, word in enumerate(words):
                col, row = i % 3, i // 3
                rect = (w // 2 - 480 + col * 330, 260 + row * 150, 300, 120)
                self.choices[self.add(UIButton(rect, tr.word(word), ui, object_id="#menu"))] = word
        else:
            for i, g in enumerate((1.0, 7.5, 15.0)):
                rect = (w - 420, 200 + i * 130, 380, 110)
                self.choices[self.add(UIButton(rect, tr("kiosk.guidance", w=g), ui, object_id="#menu"))] = g
            self.again = self.add(UIButton((w - 420, 600, 380, 90), tr("kiosk.again"), ui, object_id="#menu"))

    def handle_event(self, event):
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if event.ui_element is self.language:
            self.app.switch_language()
        elif event.ui_element in self.choices:
            value = self.choices[event.ui_element]
            if self.step == "shape":
                self.shape, self.step = value, "color"
            elif self.step == "color":
                self.color, self.step = value, "draw"
                self.draw_it()
            else:
                self.guidance = value
                self.draw_it()
            self.rebuild()
        elif self.step == "draw" and event.ui_element is self.again:
            self.step, self.shape, self.color, self.run = "shape", None, None, None
            self.rebuild()
        else:
            return False
        return True

    def draw_it(self):
        model, error = self.app.try_model()
        if error:  # a kiosk without a model goes on showing the attract loop
            self.app.restart()
            return
        if self.run is not None:
            self.run.cancel()
        seed = VOCABULARY.shapes.index(self.shape) * len(VOCABULARY.colors) + VOCABULARY.colors.index(self.color)
        x_T = np.random.default_rng(seed).standard_normal((1, 3, 32, 32), dtype=np.float32)
        sampler = sampler_for(model, "ddim", 25)
        self.run = SamplingRun(model, sampler, x_T, model.encode_prompt(f"{self.color} {self.shape}"), self.guidance, None)
        self.verdict, self.failed = None, False

    def update(self, dt):
        if self.run is not None:
            self.run.poll()
            if not self.failed and run_failed(self.app, self.run):
                self.failed = True

    def workers(self):
        return [self.run]

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        w, h = surface.get_size()
        if self.step in ("shape", "color"):
            theme.text(surface, tr(f"kiosk.pick_{self.step}"), (w // 2, 120), role="title", bold=True, anchor="midtop")
            return
        last = self.run.steps[-1] if self.run is not None and self.run.steps else None
        size = min(h - 200, 480)
        draw_image(surface, theme, None if last is None else last.prev_sample[0], pygame.Rect(80, 140, size, size))
        title = tr("kiosk.drawing", prompt=tr.phrase(f"{self.color} {self.shape}"))
        theme.text(surface, title, (80, 40), role="subtitle", bold=True, width=w - 560)
        text = tr("kiosk.failed") if self.failed else \
            tr("kiosk.step_caption") if self.run is not None and self.run.running else tr("kiosk.done", w=self.guidance)
        theme.text(surface, text, (80, 150 + size), role="heading", colour="accent", width=w - 560)


class BackSoonScene(Scene):
    """Shown while the kiosk cannot start over (a fault that persists): a calm message in
    both languages; every RETRY_SECONDS it tries again."""

    def __init__(self, app):
        super().__init__(app)
        self.clock = 0.0

    def update(self, dt):
        self.clock += dt
        if self.clock > RETRY_SECONDS:
            self.clock = 0.0
            try:
                self.app.restart()
            except Exception as e:
                self.app.log_error(e)
                self.app.close_scenes()
                self.app.push(BackSoonScene(self.app))

    def draw(self, surface):
        w, h = surface.get_size()
        texts = both(self.app, "kiosk.back_soon")
        self.app.theme.text(surface, texts[0], (w // 2, h // 2 - 60), role="title", bold=True, anchor="midtop")
        self.app.theme.text(surface, texts[1], (w // 2, h // 2 + 20), role="subtitle", colour="muted", anchor="midtop")
