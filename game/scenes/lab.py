"""The lab: every control unlocked. Prompt, sampler, steps, guidance, seed; the reverse
process animates x_t and x̂₀ step by step, the sampler's update is shown with the live
numbers, the judge says what it sees, and the run exports as PNG or GIF."""

import time

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIDropDownMenu, UIHorizontalSlider, UILabel, UITextEntryLine

from game import export
from game.scenes.base import Scene
from game.widgets.image_view import draw_image
from game.worker import Job
from sim_core.samplers import make_sampler
from sim_core.sampling import sample_progressive

SAMPLERS = ("ddim", "dpmsolver++", "ddpm")
STEP_CHOICES = (1, 2, 3, 5, 8, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000)
MAX_SEED = 999_999


class LabScene(Scene):
    def __init__(self, app, prompt=None, sampler="ddim", steps=50, guidance=7.5, seed=0):
        super().__init__(app)
        prompt = app.tr("lab.default_prompt") if prompt is None else prompt
        self.settings = dict(prompt=prompt, sampler=sampler, steps=steps, guidance=guidance, seed=seed)
        self.job = None
        self.steps_seen = []  # SampleStep records of the current run
        self.status = ("lab.idle", {})
        self.verdict = None
        self.started = self.elapsed = 0.0

    def enter(self):
        try:
            self.vocabulary = self.app.model.vocabulary
        except Exception as e:  # a broken model folder is a message, never a traceback
            self.vocabulary = []
            self.status = ("error.model", {"reason": str(e)})
        super().enter()

    # widgets --------------------------------------------------------------------------------
    def build_ui(self):
        tr, ui, s = self.app.tr, self.app.ui, self.settings
        x, w = 30, 330
        self.back = self.add(UIButton((x, 20, 120, 40), tr("app.back"), ui))
        self.language = self.add(UIButton((self.app.screen.get_width() - 180, 20, 160, 40), tr("app.language"), ui))
        self.add(UILabel((x, 80, w, 24), tr("lab.prompt"), ui))
        self.prompt = self.add(UITextEntryLine((x, 106, w, 40), ui))
        self.prompt.set_text(s["prompt"])
        self.add(UILabel((x, 200, w, 24), tr("lab.sampler"), ui))
        self.sampler = self.add(UIDropDownMenu(list(SAMPLERS), s["sampler"], (x, 226, w, 40), ui))
        self.steps_label = self.add(UILabel((x, 280, w, 24), tr("lab.steps", steps=s["steps"]), ui))
        self.steps = self.add(UIHorizontalSlider((x, 306, w, 32), STEP_CHOICES.index(s["steps"]), (0, len(STEP_CHOICES) - 1), ui))
        self.guidance_label = self.add(UILabel((x, 350, w, 24), tr("lab.guidance", w=s["guidance"]), ui))
        self.guidance = self.add(UIHorizontalSlider((x, 376, w, 32), s["guidance"], (0.0, 20.0), ui, click_increment=0.5))
        self.add(UILabel((x, 420, w, 24), tr("lab.seed"), ui))
        self.seed = self.add(UITextEntryLine((x, 446, w, 40), ui))
        self.seed.set_text(str(s["seed"]))
        self.generate = self.add(UIButton((x, 506, w, 56), tr("lab.generate"), ui, object_id="#primary"))
        self.export_png = self.add(UIButton((x, 576, 160, 44), tr("lab.export_png"), ui))
        self.export_gif = self.add(UIButton((x + 170, 576, 160, 44), tr("lab.export_gif"), ui))
        self._sync_generate_label()

    def _sync_generate_label(self):
        self.generate.set_text(self.app.tr("lab.stop" if self.running else "lab.generate"))

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.done

    # events -----------------------------------------------------------------------------------
    def handle_event(self, event):
        tr, s = self.app.tr, self.settings
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.steps:
            s["steps"] = STEP_CHOICES[int(round(event.value))]
            self.steps_label.set_text(tr("lab.steps", steps=s["steps"]))
        elif event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.guidance:
            s["guidance"] = round(float(event.value) * 2) / 2
            self.guidance_label.set_text(tr("lab.guidance", w=s["guidance"]))
        elif event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED and event.ui_element is self.sampler:
            s["sampler"] = event.text
        elif event.type == pygame_gui.UI_TEXT_ENTRY_CHANGED and event.ui_element is self.prompt:
            s["prompt"] = event.text
        elif event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED and event.ui_element in (self.prompt, self.seed):
            self.toggle_run()
        elif event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element is self.generate:
                self.toggle_run()
            elif event.ui_element is self.back:
                self.app.pop()
            elif event.ui_element is self.language:
                self.app.switch_language()
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
            self.job.cancel()
            return
        try:
            model = self.app.model
        except Exception as e:  # any loading failure becomes a message, never a traceback
            self.status = ("error.model", {"reason": str(e)})
            return
        settings = self.read_settings(model.vocabulary)
        if settings is None:
            return
        cond = model.encode_prompt(" ".join(settings["model_words"]))
        x_T = np.random.default_rng(settings["seed"]).standard_normal((1, 3, 32, 32), dtype=np.float32)
        rng = np.random.default_rng(settings["seed"] + 1)
        self.sampler_obj = make_sampler(settings["sampler"], model.schedule, settings["steps"])
        self.run_settings = settings
        self.steps_seen, self.verdict = [], None
        self.started, self.elapsed = time.perf_counter(), 0.0

        def work(report, cancelled):
            for step in sample_progressive(model, x_T, model.schedule, sampler=self.sampler_obj,
                                           guidance=settings["guidance"], cond=cond, rng=rng):
                report(step)
                if cancelled():
                    return

        self.job = Job(work)
        self._sync_generate_label()

    def read_settings(self, vocabulary):
        """The controls' values, or None with a message in the status line."""
        s = dict(self.settings)
        typed = s["prompt"].lower().split()
        s["model_words"] = self.app.tr.to_model_words(s["prompt"])
        unknown = [t for t, w in zip(typed, s["model_words"]) if w not in vocabulary]
        if unknown:
            self.status = ("lab.unknown_word", {"word": unknown[0], "words": self.known_words(vocabulary)})
            return None
        try:
            self.app.model.encode_prompt(" ".join(s["model_words"]))
        except ValueError:  # two colours or two shapes
            self.status = ("lab.one_of_each", {})
            return None
        try:
            s["seed"] = int(self.seed.get_text().strip())
            if not 0 <= s["seed"] <= MAX_SEED:
                raise ValueError
        except ValueError:
            self.status = ("lab.bad_seed", {})
            return None
        return s

    def known_words(self, vocabulary) -> str:
        return ", ".join(self.app.tr.word(w) for w in vocabulary)

    def update(self, dt):
        if self.job is None:
            return
        self.steps_seen.extend(self.job.poll())
        if not self.job.done:
            self.elapsed = time.perf_counter() - self.started
            self.status = ("lab.running", {"seconds": self.elapsed})
            return
        job, self.job = self.job, None
        self._sync_generate_label()
        if job.error is not None:
            self.status = ("lab.failed", {"reason": str(job.error)})
            return
        evals = len(self.steps_seen) * (1 if self.run_settings["guidance"] == 1.0 else 2)
        self.status = ("lab.done", {"seconds": self.elapsed, "evals": evals})
        if self.steps_seen and len(self.steps_seen) == len(self.sampler_obj.timesteps):
            try:
                self.verdict = self.app.judge(self.steps_seen[-1].prev_sample)[0]
            except Exception:
                self.verdict = None

    def export(self, kind):
        if not self.steps_seen:
            self.status = ("lab.nothing_to_export", {})
            return
        try:
            path = export.save_png(self.steps_seen[-1].prev_sample[0], self.run_settings) if kind == "png" \
                else export.save_gif(self.steps_seen, self.run_settings)
            self.status = ("lab.exported", {"path": str(path)})
        except OSError as e:
            self.status = ("lab.export_failed", {"reason": e.strerror or str(e)})

    # drawing ----------------------------------------------------------------------------------
    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("lab.title"), (400, 24), role="subtitle", bold=True)
        theme.text(surface, tr("lab.prompt_hint", words=self.known_words(self.vocabulary)), (30, 152),
                   role="small", colour="muted", width=330)
        last = self.steps_seen[-1] if self.steps_seen else None
        size = 300
        left = pygame.Rect(400, 90, size, size)
        right = pygame.Rect(400 + size + 60, 90, size, size)
        draw_image(surface, theme, None if last is None else last.prev_sample[0], left, tr("lab.x_t"))
        draw_image(surface, theme, None if last is None else last.pred_original_sample[0], right, tr("lab.x0"))
        self.draw_progress(surface, pygame.Rect(400, 470, 2 * size + 60, 18), last)
        self.draw_formula(surface, pygame.Rect(400, 510, 2 * size + 60, 110), last)
        key, values = self.status
        colour = "bad" if key.startswith(("error", "lab.unknown", "lab.bad", "lab.export_failed", "lab.failed")) else "text"
        theme.text(surface, tr(key, **values), (400, 640), colour=colour, width=800)
        if self.verdict is not None:
            text = tr("lab.judge", color=tr.word(self.verdict.color), shape=tr.word(self.verdict.shape),
                      confidence=self.verdict.confidence) \
                if self.verdict.sure else tr("lab.judge_unsure")
            theme.text(surface, text, (400, 670), colour="good" if self.verdict.sure else "accent")

    def draw_progress(self, surface, rect, last):
        theme = self.app.theme
        pygame.draw.rect(surface, theme.colour("panel"), rect, border_radius=9)
        if last is None:
            return
        n = len(self.sampler_obj.timesteps)
        done = rect.copy()
        done.width = int(rect.width * (last.index + 1) / n)
        pygame.draw.rect(surface, theme.colour("accent2"), done, border_radius=9)
        theme.text(surface, self.app.tr("lab.step", i=last.index + 1, n=n, t=last.t),
                   (rect.right, rect.y - 24), role="small", colour="muted", anchor="topright")

    def draw_formula(self, surface, rect, last):
        theme, tr = self.app.theme, self.app.tr
        pygame.draw.rect(surface, theme.colour("panel"), rect, border_radius=8)
        kind = self.settings["sampler"] if last is None else self.run_settings["sampler"]
        key = {"ddim": "ddim", "ddpm": "ddpm", "dpmsolver++": "dpm"}[kind]
        theme.text(surface, tr(f"formula.{key}"), (rect.x + 16, rect.y + 12), role="formula")
        if last is not None:
            theme.text(surface, tr(f"formula.{key}_numbers", **self.step_numbers(last)),
                       (rect.x + 16, rect.y + 44), role="formula", colour="accent")
        w = self.settings["guidance"] if last is None else self.run_settings["guidance"]
        theme.text(surface, tr("formula.guidance", w=w), (rect.x + 16, rect.y + 78), role="small", colour="muted")

    def step_numbers(self, step) -> dict:
        """The coefficients of this step's update, as the formula panel shows them."""
        smp, ac = self.sampler_obj, self.app.model.schedule.alphas_cumprod
        tp = smp.prev_timestep(step.t)
        a_t, a_p = float(ac[step.t]), (float(ac[tp]) if tp >= 0 else 1.0)
        tp_text = str(tp) if tp >= 0 else "−1: x₀"
        if smp.kind == "ddim":
            return dict(a=a_p**0.5, b=(1 - a_p) ** 0.5, t=step.t, tp=tp_text)
        if smp.kind == "ddpm":
            beta = 1 - a_t / a_p
            return dict(a=a_p**0.5 * beta / (1 - a_t), b=(1 - beta) ** 0.5 * (1 - a_p) / (1 - a_t),
                        s=((1 - a_p) / (1 - a_t) * beta) ** 0.5, t=step.t, tp=tp_text)
        sig = smp.sigmas[step.index: step.index + 2].astype(float)
        lam = [np.log(1 / np.sqrt(s * s + 1)) - np.log(s / np.sqrt(s * s + 1)) if s > 0 else np.inf for s in sig]
        return dict(a=sig[1] / sig[0], h=lam[1] - lam[0], t=step.t, tp=tp_text)
