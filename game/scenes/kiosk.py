"""The kiosk's scenes: a visit of 60–90 s for someone who has never read a paper.

attract (the model drawing, captions in both languages) → start (draw, or pick a shape)
→ draw / pick → watch (x_t and x̂₀ side by side, paced to be seen) → the result with one
sentence of why → again (a new seed), fix a part (inpainting), how closely it follows the
description (guidance), or start again. Every visitor gets a fresh `Visit`: nothing the
last one chose carries over. Screens are laid out on a 1280×720 grid scaled to the window
(`KioskScene.box`), so touch targets and text keep their size on a 1080p screen.
"""

from dataclasses import dataclass, field

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIHorizontalSlider

from game.i18n import Catalogs
from game.run import SamplingRun
from game.scenes.base import Scene
from game.widgets.canvas import Canvas, paint_event
from game.widgets.image_view import draw_image, image_surface
from sim_core.forward import q_sample
from sim_core.sampling import Inpaint, img2img_start, sampler_for
from sim_core.schedules import make_schedule
from sim_core.worlds.shapes import COLORS, SIZE, VOCABULARY, render_seed

SAMPLER, STEPS = "ddim", 25  # about a second of work: the pace below makes it watchable
WATCH_SECONDS = 4.5  # a run is shown over this long, whatever its steps (3–6 s: seen, not waited for)
HOLD_SECONDS = 3.0  # the attract loop's finished picture stays up this long
DISSOLVE_SECONDS = 2.5  # then noise takes it back to the x_T the next one starts from
GUIDANCE = {"little": 1.0, "some": 3.0, "much": 7.5}  # how closely it follows the description
STRENGTH = {"min": 300, "max": 900, "start": 650}  # SDEdit's start t: close to the drawing ↔ invented
MASK_MOST = 0.9  # a mask over more than this is a new picture, not a fix
WATCHDOG_SECONDS = 20.0  # no step for this long: the run is abandoned
RETRY_SECONDS = 60.0  # the back-soon screen tries to start over this often
STILL_THERE_SECONDS = 10  # the "are you still there?" countdown before the kiosk starts over
GRID = (1280, 720)  # the layout grid, scaled to the window


def run_failed(app, run) -> bool:
    """True (and logged, the run cancelled) when a run raised or stopped making progress."""
    if run.error is None and not run.stalled(WATCHDOG_SECONDS):
        return False
    run.cancel()
    app.log_error(run.error or TimeoutError(f"no sampling step for {WATCHDOG_SECONDS:g} s: the run was abandoned"))
    return True


def noise_left(schedule, t: int) -> float:
    """The share of x_t's variance that is noise, 1 − ᾱ_t (0 at a clean picture, 1 at x_T)."""
    return float(1 - schedule.alphas_cumprod[t]) if t >= 0 else 0.0


@dataclass
class Visit:
    """One visitor's choices. A new visitor gets a new Visit (and a new seed)."""

    seed: int = field(default_factory=lambda: int(np.random.default_rng().integers(2**31)))
    color: str | None = None
    shape: str | None = None
    drawing: np.ndarray | None = None  # (1, 3, 32, 32): the visitor's drawing, SDEdit's start
    strength: int = STRENGTH["start"]
    guidance: float = GUIDANCE["some"]
    result: np.ndarray | None = None  # the last finished picture

    @property
    def prompt(self) -> str:
        return " ".join(w for w in (self.color, self.shape) if w)

    def next_seed(self) -> None:
        self.seed = int(np.random.default_rng(self.seed).integers(2**31))


class KioskScene(Scene):
    """A kiosk screen: rectangles on the 1280×720 grid scaled to the window, the language
    switch top right, and "start again" where a visit is under way."""

    def box(self, x, y, w, h) -> pygame.Rect:
        sw, sh = self.app.screen.get_size()
        u = min(sw / GRID[0], sh / GRID[1])
        ox, oy = (sw - GRID[0] * u) / 2, (sh - GRID[1] * u) / 2
        return pygame.Rect(round(ox + x * u), round(oy + y * u), round(w * u), round(h * u))

    def button(self, rect, key_or_text, primary=False, big=False, **values):
        """A button on the grid: primary (the next step), big (the menu's large text) or plain."""
        text = self.app.tr(key_or_text, **values) if key_or_text.startswith("kiosk.") else key_or_text
        object_id = "#primary" if primary else "#menu" if big else None
        return self.add(UIButton(self.box(*rect), text, self.app.ui, object_id=object_id))

    def add_corner(self, start_over=True) -> None:
        self.language = self.button((1060, 16, 200, 64), self.app.tr("app.language"))
        self.start_over = self.button((824, 16, 220, 64), "kiosk.new_visit") if start_over else None

    def handle_corner(self, event) -> bool:
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if event.ui_element is self.language:
            self.app.switch_language()
        elif event.ui_element is getattr(self, "start_over", None):
            self.app.replace(StartScene(self.app, Visit()))
        else:
            return False
        return True

    def heading(self, surface, text, y=24, role="subtitle", width=780):
        r = self.box(40, y, width, 60)
        self.app.theme.text(surface, text, r.topleft, role=role, bold=True, width=r.width)

    def swatch(self, surface, rect, color, chosen=False):
        """A colour choice: a big swatch of the colour the model paints, its name below; the
        chosen one ringed (a blue button's own highlight would hide a blue swatch's)."""
        r, theme = self.box(*rect), self.app.theme
        if chosen:
            pygame.draw.rect(surface, theme.colour("accent"), r, width=max(3, r.height // 20), border_radius=8)
        pad = round(r.height * 0.1)
        name = theme.text(surface, self.app.tr.word(color), (r.centerx, r.bottom - pad), role="body",
                          anchor="midbottom")
        inner = pygame.Rect(r.x + 2 * pad, r.y + pad, r.width - 4 * pad, name.top - 4 - (r.y + pad))
        pygame.draw.rect(surface, [round(255 * c) for c in COLORS[color]], inner, border_radius=8)


class AttractScene(KioskScene):
    """The model at work, over and over: a prompt drawn from pure noise (each step shown),
    held, then dissolved by the forward process back into noise — the very x_T the next
    prompt starts from (with ᾱ_T = 0, x_T is the noise itself)."""

    def __init__(self, app):
        super().__init__(app)
        self.cycle, self.catalogs = 0, (Catalogs("es"), Catalogs("en"))
        self.noise = np.random.default_rng(0).standard_normal((1, 3, SIZE, SIZE), dtype=np.float32)
        self.schedule = make_schedule("cosine", zero_terminal_snr=True)  # the model's, once it loads
        self.start_cycle()

    def start_cycle(self):
        rng = np.random.default_rng(self.cycle)
        self.prompt = f"{rng.choice(VOCABULARY.colors)} {rng.choice(VOCABULARY.shapes)}"
        self.phase, self.clock, self.run, self.shown, self.guess = "reverse", 0.0, None, None, None
        model, error = self.app.try_model()
        if error:  # no model: the forward process alone, on the world's own pictures
            self.phase = "dissolve"
            self.shown = self.guess = render_seed(self.cycle, self.prompt).image[None]
            return
        self.schedule = model.schedule
        sampler = sampler_for(model, SAMPLER, STEPS)
        self.run = SamplingRun(model, sampler, self.noise, model.encode_prompt(self.prompt), GUIDANCE["some"], None)

    def update(self, dt):
        self.clock += dt
        if self.phase == "reverse":
            self.run.poll()
            if run_failed(self.app, self.run):
                self.next_cycle()
                return
            shown = min(len(self.run.steps), int(self.clock / (WATCH_SECONDS / self.run.total)) + 1)
            if self.run.steps:
                step = self.run.steps[shown - 1]
                self.shown, self.guess = step.prev_sample, step.pred_original_sample
            if self.run.complete and shown == self.run.total and self.clock > WATCH_SECONDS + HOLD_SECONDS:
                self.phase, self.clock = "dissolve", 0.0
                self.noise = np.random.default_rng(10_000 + self.cycle).standard_normal(self.noise.shape, dtype=np.float32)
        elif self.phase == "dissolve" and self.clock > DISSOLVE_SECONDS:
            self.next_cycle()

    def next_cycle(self):
        self.cycle += 1
        self.start_cycle()

    def handle_event(self, event):
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.FINGERDOWN, pygame.KEYDOWN):
            self.app.replace(StartScene(self.app, Visit()))  # our exit cancels the run
            return True
        return False

    def workers(self):
        return [self.run]

    def draw(self, surface):
        theme = self.app.theme
        w, h = surface.get_size()
        image, right = self.shown, "kiosk.guess"
        if self.phase == "dissolve" and image is not None:
            t = int(999 * min(self.clock / DISSOLVE_SECONDS, 1.0))
            image, right = q_sample(image, t, self.noise, self.schedule), "kiosk.before"
            captions = [c("kiosk.dissolve") for c in self.catalogs]
        else:
            captions = [c("kiosk.reverse", prompt=c.phrase(self.prompt)) for c in self.catalogs]
        for (x, picture, key) in ((200, image, "kiosk.now"), (680, self.guess, right)):
            box = self.box(x, 150, 400, 400)
            draw_image(surface, theme, None if picture is None else picture[0], box)
            label = " · ".join(c(key) for c in self.catalogs)
            theme.text(surface, label, (box.x, box.bottom + 8), role="small", colour="muted", width=box.width)
        top = self.box(40, 24, 1200, 60)
        theme.text(surface, captions[0], (w // 2, top.y), role="subtitle", bold=True, anchor="midtop")
        theme.text(surface, captions[1], (w // 2, top.y + theme.font("subtitle").get_linesize() + 8), role="body",
                   colour="muted", anchor="midtop")
        touch = [c("kiosk.touch") for c in self.catalogs]
        theme.text(surface, f"{touch[0]} · {touch[1]}", (w // 2, self.box(0, 640, 0, 0).y), role="heading",
                   colour="accent", bold=True, anchor="midtop")


class StartScene(KioskScene):
    """Two big choices: draw it yourself, or pick a shape."""

    def __init__(self, app, visit: Visit):
        super().__init__(app)
        self.visit = visit

    def build_ui(self):
        self.add_corner(start_over=False)
        self.draw_choice = self.button((140, 200, 460, 260), "kiosk.start_draw", big=True)
        self.pick_choice = self.button((680, 200, 460, 260), "kiosk.start_pick", big=True)

    def handle_event(self, event):
        if self.handle_corner(event):
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.draw_choice:
            self.app.replace(DrawScene(self.app, self.visit))
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.pick_choice:
            self.app.replace(PickScene(self.app, self.visit))
        else:
            return False
        return True

    def draw(self, surface):
        self.heading(surface, self.app.tr("kiosk.start_title"), y=150, width=1000)
        for key, x in (("kiosk.start_draw_note", 140), ("kiosk.start_pick_note", 680)):
            r = self.box(x, 480, 460, 120)
            self.app.theme.text(surface, self.app.tr(key), r.topleft, role="body", colour="muted", width=r.width)


class CanvasScene(KioskScene):
    """A kiosk screen with a finger canvas on its left (self.canvas)."""

    def canvas_rect(self) -> pygame.Rect:
        return self.box(40, 100, 500, 500)

    def draw_canvas(self, surface) -> None:
        r = self.canvas_rect()
        pygame.draw.rect(surface, self.app.theme.colour("panel"), r.inflate(8, 8), border_radius=6)
        surface.blit(self.canvas.surface(r.width), r)


class DrawScene(CanvasScene):
    """A canvas, six colour swatches, an eraser; what it is (or not sure); how much the
    model may invent; then SDEdit turns it into a picture."""

    COLOR_CELLS = [(580 + (i % 2) * 166, 100 + (i // 2) * 96, 150, 84) for i in range(len(VOCABULARY.colors))]
    SHAPE_CELLS = [(930 + (i % 2) * 166, 140 + (i // 2) * 86, 150, 72) for i in range(len(VOCABULARY.shapes) + 1)]

    def __init__(self, app, visit: Visit):
        super().__init__(app)
        self.visit, self.canvas = visit, Canvas()
        self.brush, self.message = visit.color or "red", None

    def build_ui(self):
        tr = self.app.tr
        self.add_corner()
        self.colors = {self.button(cell, ""): c for cell, c in zip(self.COLOR_CELLS, VOCABULARY.colors)}
        self.eraser = self.button((580, 388, 150, 72), "kiosk.eraser")
        self.clear = self.button((746, 388, 150, 72), "kiosk.clear")
        words = list(VOCABULARY.shapes) + [None]
        self.shapes = {self.button(cell, tr.word(s) if s else tr("kiosk.surprise")): s
                       for cell, s in zip(self.SHAPE_CELLS, words)}
        r = self.box(40, 640, 500, 56)
        self.strength = self.add(UIHorizontalSlider(r, self.visit.strength, (STRENGTH["min"], STRENGTH["max"]),
                                                    self.app.ui, click_increment=50, object_id="#touch_slider"))
        self.go = self.button((930, 520, 316, 110), "kiosk.convert", primary=True)
        self.show_choices()

    def show_choices(self):
        for button, color in self.colors.items():
            button.select() if color == self.brush else button.unselect()
        self.eraser.select() if self.brush is None else self.eraser.unselect()
        for button, shape in self.shapes.items():
            button.select() if shape == self.visit.shape else button.unselect()

    def handle_event(self, event):
        if self.handle_corner(event):
            return True
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.strength:
            self.visit.strength = int(event.value)
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element in self.colors:
                self.brush = self.colors[event.ui_element]
            elif event.ui_element is self.eraser:
                self.brush = None
            elif event.ui_element is self.clear:
                self.canvas.clear()
            elif event.ui_element in self.shapes:
                self.visit.shape = self.shapes[event.ui_element]
            elif event.ui_element is self.go:
                self.convert()
            else:
                return False
            self.show_choices()
            return True
        return paint(self, event, mask=False)

    def convert(self):
        if self.canvas.painted < 0.01:
            self.message = "kiosk.draw_first"
            return
        self.visit.drawing, self.visit.color = self.canvas.image(), self.dominant_colour()
        self.app.replace(WatchScene(self.app, self.visit, "draw"))

    def dominant_colour(self) -> str | None:
        """The colour the visitor drew with most (the prompt's colour word)."""
        rgb = self.canvas.rgb.reshape(3, -1).T
        names = list(COLORS)
        palette = np.array([COLORS[c] for c in names])
        far = np.abs(rgb[:, None, :] - palette[None]).max(axis=2)
        nearest = far.argmin(axis=1)
        counts = np.bincount(nearest[far.min(axis=1) < 0.2], minlength=len(names))
        return names[int(counts.argmax())] if counts.max() > 0 else None

    def draw(self, surface):
        tr, theme = self.app.tr, self.app.theme
        self.heading(surface, tr("kiosk.draw_title"))
        self.draw_canvas(surface)
        q = self.box(930, 100, 316, 36)
        theme.text(surface, tr("kiosk.what_is_it"), q.topleft, role="heading", bold=True)
        labels = self.box(40, 608, 500, 30)
        theme.text(surface, "← " + tr("kiosk.strength_low"), labels.topleft, role="small", colour="muted")
        theme.text(surface, tr("kiosk.strength_high") + " →", labels.topright, role="small", colour="muted",
                   anchor="topright")
        if self.message:
            m = self.box(580, 490, 320, 120)
            theme.text(surface, tr(self.message), m.topleft, role="heading", colour="accent", width=m.width)

    def draw_over_widgets(self, surface):
        for cell, color in zip(self.COLOR_CELLS, VOCABULARY.colors):
            self.swatch(surface, cell, color, chosen=color == self.brush)


def paint(scene, event, mask: bool) -> bool:
    """A touch or a drag over the scene's canvas paints it: a drawing in the scene's brush
    (None being the eraser), or the mask."""
    stroke = {"mask": True} if mask else \
        {"colour": None if scene.brush is None else COLORS[scene.brush], "erase": scene.brush is None}
    if not paint_event(scene.canvas, event, scene.canvas_rect(), scene.app.screen.get_size(), **stroke):
        return False
    scene.message = None
    return True


class PickScene(KioskScene):
    """A shape (each button shows one), then a colour (each a swatch)."""

    CELLS = [(160 + (i % 3) * 330, 150 + (i // 3) * 230, 300, 200) for i in range(6)]

    def __init__(self, app, visit: Visit):
        super().__init__(app)
        self.visit, self.step = visit, "shape"
        self.icons = {s: render_seed(3, f"yellow {s}").image for s in VOCABULARY.shapes}

    def build_ui(self):
        self.add_corner()
        words = VOCABULARY.shapes if self.step == "shape" else VOCABULARY.colors
        self.choices = {self.button(cell, ""): word for cell, word in zip(self.CELLS, words)}

    def handle_event(self, event):
        if self.handle_corner(event):
            return True
        if event.type != pygame_gui.UI_BUTTON_PRESSED or event.ui_element not in self.choices:
            return False
        word = self.choices[event.ui_element]
        if self.step == "shape":
            self.visit.shape, self.step = word, "color"
            self.rebuild()
        else:
            self.visit.color, self.visit.drawing = word, None
            self.app.replace(WatchScene(self.app, self.visit, "pick"))
        return True

    def draw(self, surface):
        self.heading(surface, self.app.tr(f"kiosk.pick_{self.step}"))

    def draw_over_widgets(self, surface):
        theme = self.app.theme
        for cell, word in zip(self.CELLS, VOCABULARY.shapes if self.step == "shape" else VOCABULARY.colors):
            if self.step == "color":
                self.swatch(surface, cell, word)
                continue
            r = self.box(*cell)
            side = round(r.height * 0.62)
            surface.blit(image_surface(self.icons[word], side), (r.centerx - side // 2, r.y + r.height * 0.08))
            theme.text(surface, self.app.tr.word(word), (r.centerx, r.y + r.height * 0.74), role="body", anchor="midtop")


class WatchScene(KioskScene):
    """The model at work on the visitor's choice, x_t and x̂₀ side by side, paced over
    WATCH_SECONDS; then the result, a sentence of why, and what to try next."""

    def __init__(self, app, visit: Visit, mode: str, mask: np.ndarray | None = None):
        super().__init__(app)
        self.visit, self.mode, self.mask = visit, mode, mask  # mode: pick, draw, fix
        self.run, self.failed, self.clock, self.verdict = None, False, 0.0, None
        self.before = visit.result  # fix: the picture being repaired
        self.start()

    # running ------------------------------------------------------------------------------
    def start(self):
        model, error = self.app.try_model()
        if error:  # a kiosk without a model goes on showing the attract loop
            self.app.restart()
            return
        if self.run is not None:
            self.run.cancel()
        v = self.visit
        sampler = sampler_for(model, SAMPLER, STEPS)
        noise = np.random.default_rng(v.seed).standard_normal((1, 3, SIZE, SIZE), dtype=np.float32)
        inpaint, start_index, x_start = None, 0, noise
        if self.mode == "draw":
            x_start, start_index = img2img_start(v.drawing, sampler, v.strength, noise)
        elif self.mode == "fix":
            inpaint = Inpaint(self.before, self.mask, noise)
        cond = model.encode_prompt(v.prompt)
        self.run = SamplingRun(model, sampler, x_start, cond, v.guidance if v.prompt else 1.0, None, start_index,
                               inpaint=inpaint)
        self.failed, self.clock, self.verdict = False, 0.0, None

    @property
    def shown(self) -> int:
        """How many steps are on screen: the run's, revealed at the watching pace."""
        if self.run is None:
            return 0
        return min(len(self.run.steps), int(self.clock / (WATCH_SECONDS / self.run.total)) + 1)

    @property
    def finished(self) -> bool:
        return self.run is not None and self.run.complete and self.shown == self.run.total

    def update(self, dt):
        if self.run is None:
            return
        self.clock += dt
        self.run.poll()
        if not self.failed and run_failed(self.app, self.run):
            self.failed = True
            self.rebuild()  # "try again" appears
        if self.finished and self.verdict is None:
            self.visit.result = self.run.final
            judge, error = self.app.try_judge()
            self.verdict = judge(self.run.final)[0] if judge else False
            self.rebuild()

    def workers(self):
        return [self.run]

    # controls -------------------------------------------------------------------------------
    def build_ui(self):
        self.add_corner()
        self.again = self.fix = None
        self.listens = {}
        if not (self.finished or self.failed):
            return
        self.again = self.button((900, 110, 340, 84), "kiosk.again", primary=True)
        self.fix = self.button((900, 210, 340, 84), "kiosk.fix", big=True) if not self.failed else None
        if self.visit.prompt:
            for i, (name, w) in enumerate(GUIDANCE.items()):
                b = self.button((900 + i * 116, 380, 108, 72), f"kiosk.listens_{name}")
                b.select() if w == self.visit.guidance else b.unselect()
                self.listens[b] = w

    def handle_event(self, event):
        if self.handle_corner(event):
            return True
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if event.ui_element is self.again:
            self.visit.next_seed()  # the same choices, another starting noise
            self.start()
        elif event.ui_element is self.fix:
            self.app.replace(FixScene(self.app, self.visit))
            return True
        elif event.ui_element in self.listens:
            self.visit.guidance = self.listens[event.ui_element]
            self.start()  # the same seed: only the guidance changes
        else:
            return False
        self.rebuild()
        return True

    # drawing ---------------------------------------------------------------------------------
    def title(self) -> str:
        tr, prompt = self.app.tr, self.visit.prompt
        if self.mode == "fix":
            return tr("kiosk.fixing", prompt=tr.phrase(prompt) if prompt else "—")
        if self.mode == "draw":
            return tr("kiosk.converting", prompt=tr.phrase(prompt)) if prompt else tr("kiosk.converting_free")
        return tr("kiosk.drawing", prompt=tr.phrase(prompt))

    def why(self) -> str:
        tr, v = self.app.tr, self.visit
        if self.mode == "fix":
            text = tr("kiosk.why_fix")
        elif self.mode == "draw":
            noise = noise_left(self.run.sampler.schedule, self.run.steps[0].t)
            text = tr("kiosk.why_draw", noise=noise, prompt=tr.phrase(v.prompt)) if v.prompt else \
                tr("kiosk.why_draw_free", noise=noise)
        else:
            text = tr("kiosk.why_pick", n=self.run.total, prompt=tr.phrase(v.prompt))
        if self.verdict:
            seen = self.verdict.prompt if self.verdict.sure else None
            text += " " + (tr("kiosk.judge_sees", prompt=tr.phrase(seen)) if seen else tr("kiosk.judge_unsure"))
        return text

    def draw(self, surface):
        tr, theme = self.app.tr, self.app.theme
        self.heading(surface, self.title())
        left, right = self.box(40, 130, 400, 400), self.box(470, 130, 400, 400)
        step = self.run.steps[self.shown - 1] if self.run is not None and self.shown else None
        if self.finished:
            first = self.before if self.mode == "fix" else self.visit.drawing
            draw_image(surface, theme, self.visit.result[0], left)
            labels = [tr("kiosk.result")]
            if first is not None:
                draw_image(surface, theme, first[0], right)
                labels.append(tr("kiosk.your_drawing") if self.mode == "draw" else tr("kiosk.before"))
            w = self.box(40, 570, 830, 140)
            theme.text(surface, self.why(), w.topleft, role="body", width=w.width)
        else:
            draw_image(surface, theme, None if step is None else step.prev_sample[0], left)
            draw_image(surface, theme, None if step is None else step.pred_original_sample[0], right)
            labels = [tr("kiosk.now"), tr("kiosk.guess")]
            if self.failed:
                text = tr("kiosk.failed")
            else:
                t = -1 if step is None else self.run.sampler.prev_timestep(step.t)
                text = tr("kiosk.progress", i=self.shown, n=self.run.total if self.run else 0,
                          noise=noise_left(self.app.model.schedule, t) if step else 1.0)
            p = self.box(40, 580, 830, 60)
            theme.text(surface, text, p.topleft, role="heading", colour="accent", width=p.width)
        for label, r in zip(labels, (left, right)):
            theme.text(surface, label, (r.x, r.bottom + 8), role="small", colour="muted")
        if self.listens:
            q = self.box(900, 320, 340, 50)
            theme.text(surface, tr("kiosk.listens"), q.topleft, role="small", bold=True, width=q.width)

    def draw_over_widgets(self, surface):
        for button, w in self.listens.items():
            r = button.rect
            self.app.theme.text(surface, self.app.tr("kiosk.guidance_value", w=w), (r.centerx, r.bottom + 4),
                                role="small", colour="muted", anchor="midtop")


class FixScene(CanvasScene):
    """Cover the part to change with a finger; only that part is painted anew."""

    def __init__(self, app, visit: Visit):
        super().__init__(app)
        self.visit, self.canvas = visit, Canvas(visit.result[0])
        self.message = None

    def build_ui(self):
        self.add_corner()
        self.go = self.button((600, 300, 400, 100), "kiosk.fix_go", primary=True)
        self.clear = self.button((600, 420, 400, 84), "kiosk.uncover")

    def handle_event(self, event):
        if self.handle_corner(event):
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.clear:
            self.canvas.clear_mask()
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.go:
            mask = self.canvas.model_mask()
            if mask.mean() < 0.01:
                self.message = "kiosk.fix_first"
            elif mask.mean() > MASK_MOST:
                self.message = "kiosk.fix_all"
            else:
                self.visit.next_seed()  # the picture's own noise would paint the covered part back as it was
                self.app.replace(WatchScene(self.app, self.visit, "fix", mask))
            return True
        return paint(self, event, mask=True)

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        self.heading(surface, tr("kiosk.fix_title"))
        self.draw_canvas(surface)
        if self.message:
            m = self.box(600, 540, 640, 80)
            theme.text(surface, tr(self.message), m.topleft, role="heading", colour="accent", width=m.width)


class StillThereScene(KioskScene):
    """Over a visit left alone: "are you still there?" and a countdown; a touch goes back to
    the visit, the end of the countdown to the attract loop."""

    opaque = False

    def __init__(self, app):
        super().__init__(app)
        self.left = float(STILL_THERE_SECONDS)

    def update(self, dt):
        self.left -= dt
        if self.left <= 0:
            self.app.restart()

    def handle_event(self, event):
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.FINGERDOWN, pygame.KEYDOWN):
            self.app.idle = 0.0
            self.app.pop()
        return True  # nothing below sees the touch that only said "yes"

    def draw_over_widgets(self, surface):  # over the paused visit's own drawings too
        veil = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
        veil.fill((10, 12, 20, 215))
        surface.blit(veil, (0, 0))
        theme, tr, w = self.app.theme, self.app.tr, surface.get_width()
        r = self.box(0, 220, 0, 0)
        theme.text(surface, tr("kiosk.still_there"), (w // 2, r.y), role="title", bold=True, anchor="midtop")
        theme.text(surface, tr("kiosk.still_there_touch"), (w // 2, self.box(0, 330, 0, 0).y), role="subtitle",
                   anchor="midtop")
        theme.text(surface, tr("kiosk.countdown", s=max(0, int(np.ceil(self.left)))), (w // 2, self.box(0, 400, 0, 0).y),
                   role="heading", colour="accent", anchor="midtop")


class BackSoonScene(KioskScene):
    """Shown while the kiosk cannot start over (a fault that persists): a calm message in
    both languages; every RETRY_SECONDS it tries again."""

    def __init__(self, app):
        super().__init__(app)
        self.clock = 0.0
        self.texts = [Catalogs(lang)("kiosk.back_soon") for lang in ("es", "en")]

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
        texts = self.texts
        self.app.theme.text(surface, texts[0], (w // 2, h // 2 - 60), role="title", bold=True, anchor="midtop")
        self.app.theme.text(surface, texts[1], (w // 2, h // 2 + 20), role="subtitle", colour="muted", anchor="midtop")
