"""The lab: every control unlocked. Prompt, sampler, steps, guidance, seed; the reverse
process animates x_t and x̂₀ step by step, the sampler's update is shown with the live
numbers, the judge says what it sees, and the run exports as PNG or GIF."""

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIDropDownMenu, UIHorizontalSlider, UILabel, UITextEntryLine

from game import export
from game.scenes.base import Column, Scene
from game.widgets.image_view import draw_image
from game.prompts import known_words, read_prompt
from game.run import SamplingRun, draw_run
from sim_core.samplers import max_steps
from sim_core.sampling import sampler_for

SAMPLERS = ("ddim", "dpmsolver++", "ddpm")
STEP_CHOICES = (1, 2, 3, 5, 8, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000)
MAX_SEED = 999_999


class LabScene(Scene):
    def __init__(self, app, prompt=None, sampler="ddim", steps=50, guidance=7.5, seed=0):
        super().__init__(app)
        prompt = app.tr("lab.default_prompt") if prompt is None else prompt
        self.settings = dict(prompt=prompt, sampler=sampler, steps=steps, guidance=guidance, seed=seed)
        self.run = None  # the current SamplingRun
        self.scrubber = None  # a timeline over the finished run's steps
        self.view_index = None  # the step the scrubber shows; None: the latest
        self.status = ("lab.idle", {})
        self.verdict = None

    def enter(self):
        model, error = self.app.try_model()
        self.vocabulary = model.vocabulary if model else []
        self.status = error or self.status
        super().enter()

    # widgets --------------------------------------------------------------------------------
    def build_ui(self):
        tr, ui, s, theme = self.app.tr, self.app.ui, self.settings, self.app.theme
        x, w = 30, 330
        self.add_navigation()
        column = Column(x, 80, w)
        self.add(UILabel(column.take(24), tr("lab.prompt"), ui))
        self.prompt = self.add(UITextEntryLine(column.take(40), ui))
        self.prompt.set_text(s["prompt"])
        self.hint_rect = column.take(theme.text_height(self.prompt_hint(), "small", w), gap=16)
        self.add(UILabel(column.take(24), tr("lab.sampler"), ui))
        self.sampler = self.add(UIDropDownMenu(tr.options(SAMPLERS), tr.option(s["sampler"]), column.take(40, gap=14), ui))
        choices = self.step_choices()
        s["steps"] = min(choices, key=lambda n: abs(n - s["steps"]))  # the nearest the slider offers
        self.steps_label = self.add(UILabel(column.take(24), tr("lab.steps", steps=s["steps"]), ui))
        self.steps = self.add(UIHorizontalSlider(column.take(32, gap=12), choices.index(s["steps"]), (0, len(choices) - 1), ui))
        self.guidance_label = self.add(UILabel(column.take(24), tr("lab.guidance", w=s["guidance"]), ui))
        self.guidance = self.add(UIHorizontalSlider(column.take(32, gap=12), s["guidance"], (0.0, 20.0), ui, click_increment=0.5))
        self.add(UILabel(column.take(24), tr("lab.seed"), ui))
        self.seed = self.add(UITextEntryLine(column.take(40, gap=20), ui))
        self.seed.set_text(str(s["seed"]))
        self.generate = self.add(UIButton(column.take(56, gap=14), tr("lab.generate"), ui, object_id="#primary"))
        row = column.take(44)
        self.export_png = self.add(UIButton((row.x, row.y, 160, row.h), tr("lab.export_png"), ui))
        self.export_gif = self.add(UIButton((row.x + 170, row.y, 160, row.h), tr("lab.export_gif"), ui))
        self._sync_generate_label()
        self.scrubber = None
        if self.run is not None and self.run.complete and len(self.run.steps) > 1:
            self.add_scrubber()

    def prompt_hint(self) -> str:
        return self.app.tr("lab.prompt_hint", words=known_words(self.app.tr, self.vocabulary))

    def add_scrubber(self):
        if self.scrubber is not None and self.scrubber.alive():
            return
        n = len(self.run.steps)
        start = n - 1 if self.view_index is None else self.view_index
        self.scrubber = self.add(UIHorizontalSlider((400, 468, 660, 30), start, (0, n - 1), self.app.ui))  # where the bar was

    def step_choices(self) -> tuple:
        """The step counts the sampler chosen can take on the model's schedule."""
        model, _ = self.app.try_model()
        if model is None:
            return STEP_CHOICES
        limit = max_steps(self.settings["sampler"], model.schedule)
        return tuple(n for n in STEP_CHOICES if n <= limit)

    def _sync_generate_label(self):
        self.generate.set_text(self.app.tr("lab.stop" if self.running else "lab.generate"))

    @property
    def running(self) -> bool:
        return self.run is not None and self.run.running

    # events -----------------------------------------------------------------------------------
    def handle_event(self, event):
        if self.handle_navigation(event):
            return True
        tr, s = self.app.tr, self.settings
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.steps:
            s["steps"] = self.step_choices()[int(round(event.value))]
            self.steps_label.set_text(tr("lab.steps", steps=s["steps"]))
        elif event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.scrubber:
            self.view_index = int(event.value)
        elif event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.guidance:
            s["guidance"] = round(float(event.value) * 2) / 2
            self.guidance_label.set_text(tr("lab.guidance", w=s["guidance"]))
        elif event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED and event.ui_element is self.sampler:
            s["sampler"] = event.selected_option_id
            if s["steps"] not in self.step_choices():  # DPM-Solver++ cannot take all 1000
                s["steps"] = self.step_choices()[-1]
                self.rebuild()
        elif event.type == pygame_gui.UI_TEXT_ENTRY_CHANGED and event.ui_element is self.prompt:
            s["prompt"] = event.text
        elif event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED and event.ui_element in (self.prompt, self.seed):
            self.toggle_run()
        elif event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element is self.generate:
                self.toggle_run()
            elif event.ui_element is self.export_png:
                self.export("png")
            elif event.ui_element is self.export_gif:
                self.export("gif")
            else:
                return False
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_RETURN:
            self.toggle_run()
        else:
            return False
        return True

    # running the reverse process ----------------------------------------------------------------
    def toggle_run(self):
        if self.running:
            self.run.cancel()
            return
        model, error = self.app.try_model()
        settings = None if error else self.read_settings(model)
        if settings is None:
            self.status = error or self.status
            return
        cond = model.encode_prompt(settings["model_prompt"])
        x_T = np.random.default_rng(settings["seed"]).standard_normal((1, 3, 32, 32), dtype=np.float32)
        sampler = sampler_for(model, settings["sampler"], settings["steps"])
        self.run_settings, self.verdict, self.view_index = settings, None, None
        if self.scrubber is not None:
            self.elements.remove(self.scrubber)
            self.scrubber.kill()
            self.scrubber = None
        self.run = SamplingRun(model, sampler, x_T, cond, settings["guidance"], np.random.default_rng(settings["seed"] + 1))
        self.run_reported = False
        self._sync_generate_label()

    def read_settings(self, model):
        """The controls' values, or None with a message in the status line."""
        s = dict(self.settings)
        s["model_prompt"], problem = read_prompt(self.app.tr, s["prompt"], model)
        if problem:
            self.status = problem
            return None
        try:
            s["seed"] = int(self.seed.get_text().strip())
            if not 0 <= s["seed"] <= MAX_SEED:
                raise ValueError
        except ValueError:
            self.status = ("lab.bad_seed", {})
            return None
        return s

    def workers(self):
        return [self.run]

    def update(self, dt):
        if self.run is None or self.run_reported:
            return
        self.run.poll()
        if self.run.running:
            self.status = ("lab.running", {"seconds": self.run.elapsed})
            return
        self.run_reported = True
        self._sync_generate_label()
        if self.run.error is not None:
            self.status = ("lab.failed", {"reason": str(self.run.error)})
            return
        self.status = ("lab.done", {"seconds": self.run.elapsed, "evals": self.run.evaluations})
        if self.run.complete and len(self.run.steps) > 1:
            self.add_scrubber()
        if self.run.complete:
            judge, error = self.app.try_judge()  # the judge is a bonus: without it the lab says why
            self.verdict = judge(self.run.final)[0] if judge is not None else None
            if error is not None:
                self.status = error

    def export(self, kind):
        if self.run is None or not self.run.steps:
            self.status = ("lab.nothing_to_export", {})
            return
        try:
            path = export.save_png(self.run.steps[-1].prev_sample[0], self.run_settings) if kind == "png" \
                else export.save_gif(self.run.steps, self.run_settings)
            self.status = ("lab.exported", {"path": str(path)})
        except OSError as e:
            self.status = ("lab.export_failed", {"reason": e.strerror or str(e)})

    # drawing ----------------------------------------------------------------------------------
    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("lab.title"), (400, 24), role="subtitle", bold=True)
        theme.text(surface, self.prompt_hint(), self.hint_rect.topleft, role="small", colour="muted", width=self.hint_rect.w)
        steps = self.run.steps if self.run is not None else []
        last = steps[self.view_index] if steps and self.view_index is not None else steps[-1] if steps else None
        size = 300
        left = pygame.Rect(400, 90, size, size)
        right = pygame.Rect(400 + size + 60, 90, size, size)
        draw_image(surface, theme, None if last is None else last.prev_sample[0], left, tr("lab.x_t"))
        draw_image(surface, theme, None if last is None else last.pred_original_sample[0], right, tr("lab.x0"))
        settings = self.settings if self.run is None else self.run_settings
        draw_run(surface, self.app, self.run, pygame.Rect(400, 470, 2 * size + 60, 150), settings["sampler"],
                 settings["guidance"], shown=last, bar=self.scrubber is None)
        key, values = self.status
        colour = "bad" if key.startswith(("error", "lab.unknown", "lab.bad", "lab.export_failed", "lab.failed")) else "text"
        y = theme.text(surface, tr(key, **values), (400, 630), colour=colour, width=surface.get_width() - 430).bottom
        if self.verdict is not None:  # below the status, however many lines it took
            text = tr("lab.judge", what=tr.phrase(self.verdict.prompt), confidence=self.verdict.confidence) \
                if self.verdict.sure else tr("lab.judge_unsure")
            theme.text(surface, text, (400, y + 6), colour="good" if self.verdict.sure else "accent",
                       width=surface.get_width() - 430)
