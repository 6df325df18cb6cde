"""The score view: a tiny denoiser for 2-D points, trained live. The loss falls while you
watch, the learned score field (arrows toward the data) appears, and sampled points flow
onto the data. Metric chamfer: how far the samples lie from the data."""

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIDropDownMenu, UIHorizontalSlider, UILabel

from game.run import SamplingRun
from game.scenes.level import LevelScene
from game.widgets.plots import draw_curves, draw_score_field
from game.worker import Job
from sim_core.sampling import sampler_for
from sim_core.schedules import short_schedule
from sim_core.toy_mlp import ToyDenoiser
from sim_core.worlds.toy2d import KINDS, chamfer_distance, sample_points

NUM_STEPS = 200  # the toy world's T: short, so training takes seconds
CHUNK = 50  # training steps between two redraws of the loss curve
POINTS = 400


class ScoreLevel(LevelScene):
    def __init__(self, app, level, **hooks):
        super().__init__(app, level, **hooks)
        c = level.controls
        self.values = {"data": c.get("data", "moons"), "schedule": "linear", "hidden": int(c.get("hidden", 32)),
                       "train_steps": int(c.get("train_steps", 1500)), "steps": int(c.get("steps", 50))}
        self.model, self.training, self.run, self.final = None, None, None, None
        self.reset_data()

    def reset_data(self):
        rng = np.random.default_rng(self.level.target["seed"])
        self.data = sample_points(self.values["data"], 2000, rng)
        self.x_T = rng.standard_normal((POINTS, 2, 1, 1), dtype=np.float32)
        self.model, self.run, self.final = None, None, None

    def build_controls(self):
        tr, ui = self.app.tr, self.app.ui
        self.data_menu = self.add(UIDropDownMenu(tr.options(KINDS), tr.option(self.values["data"]), (30, 560, 150, 36), ui))
        self.schedule_menu = self.add(UIDropDownMenu(tr.options(("linear", "cosine")), tr.option(self.values["schedule"]),
                                                     (190, 560, 150, 36), ui))
        self.hidden_label = self.add(UILabel((350, 536, 240, 26), tr("score.hidden", n=self.values["hidden"]), ui))
        self.hidden = self.add(UIHorizontalSlider((350, 562, 240, 32), self.values["hidden"], (4, 128), ui))
        self.steps_label = self.add(UILabel((600, 536, 190, 26), tr("lab.steps", steps=self.values["steps"]), ui))
        self.steps = self.add(UIHorizontalSlider((600, 562, 190, 32), self.values["steps"], (2, 200), ui))
        self.train_button = self.add(UIButton((30, 610, 220, 44), tr("score.train"), ui, object_id="#primary"))
        self.sample_button = self.add(UIButton((260, 610, 220, 44), tr("score.sample"), ui))

    def handle_activity_event(self, event):
        v = self.values
        if event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED and event.ui_element is self.data_menu:
            v["data"] = event.selected_option_id
            self.reset_data()
        elif event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED and event.ui_element is self.schedule_menu:
            v["schedule"], self.model, self.run, self.final = event.selected_option_id, None, None, None
        elif event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.hidden:
            v["hidden"], self.model, self.run, self.final = int(event.value), None, None, None
            self.hidden_label.set_text(self.app.tr("score.hidden", n=v["hidden"]))
        elif event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.steps:
            v["steps"] = int(event.value)
            self.steps_label.set_text(self.app.tr("lab.steps", steps=v["steps"]))
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.train_button:
            self.train()
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.sample_button:
            self.sample()
        else:
            return False
        return True

    @property
    def busy(self) -> bool:
        return (self.training is not None and not self.training.done) or (self.run is not None and self.run.running)

    def train(self):
        if self.busy:
            return
        if self.model is None:
            schedule = short_schedule(self.values["schedule"], NUM_STEPS)
            self.model = ToyDenoiser(schedule, self.data, hidden=self.values["hidden"], seed=self.level.target["seed"])
        model, total = self.model, self.values["train_steps"]

        def work(report, cancelled):
            for _ in range(total // CHUNK):
                if cancelled():
                    return
                report(model.train(CHUNK))

        self.training = Job(work)
        self.message = ("score.training", {})

    def sample(self):
        if self.busy:
            return
        if self.model is None or not self.model.losses:
            self.message = ("score.train_first", {})
            return
        sampler = sampler_for(self.model, "ddim", min(self.values["steps"], NUM_STEPS))
        self.run = SamplingRun(self.model, sampler, self.x_T, None, 1.0, None)
        self.final = None

    def demo(self):
        self.train()

        def done():  # sample once training has ended
            if self.training is None and self.run is None and self.model is not None and self.model.losses:
                self.sample()
            return self.final is not None

        return done

    def workers(self):
        return [self.training, self.run]

    def update(self, dt):
        if self.training is not None:
            self.training.poll()  # losses land in the model; the queue only wakes us
            if self.training.done:
                error, self.training = self.training.error, None
                self.message = ("lab.failed", {"reason": str(error)}) if error is not None else \
                    ("score.trained", {"loss": float(np.mean(self.model.losses[-100:]))})
        if self.run is not None:
            self.run.poll()
            if self.run.complete and self.final is None:
                self.final = chamfer_distance(self.run.final.reshape(-1, 2), self.data[:POINTS])
                self.message = ("score.sampled", {"distance": self.final})

    def score(self):
        if self.final is None:
            self.message, self.result = ("score.sample_first", {}), None
            return None
        return self.final

    def measured_text(self) -> str:
        return self.app.tr("score.measured", value=self.final, hidden=self.values["hidden"],
                           schedule=self.app.tr.option(self.values["schedule"])[0])

    def draw_activity(self, surface, rect):
        theme, tr = self.app.theme, self.app.tr
        box = pygame.Rect(rect.x, rect.y + 10, 440, 440)
        pygame.draw.rect(surface, theme.colour("panel"), box, border_radius=6)

        def to_screen(p):  # data coordinates [−2, 2]² → pixels, as plain floats for pygame
            return (box.centerx + p[..., 0] * box.width / 4).tolist(), (box.centery - p[..., 1] * box.height / 4).tolist()

        xs, ys = to_screen(self.data[:800])
        for x, y in zip(xs, ys):
            surface.fill(theme.colour("muted"), (x, y, 2, 2))
        if self.model is not None and self.model.losses:
            draw_score_field(surface, to_screen, lambda points: self.model.score(points, NUM_STEPS // 5), 1.8, 0.1,
                             theme.colour("accent2"), heads=True)
        if self.run is not None and self.run.steps:
            px, py = to_screen(self.run.steps[-1].prev_sample.reshape(-1, 2))
            for x, y in zip(px, py):
                if box.collidepoint(x, y):
                    pygame.draw.circle(surface, theme.colour("accent"), (x, y), 2)
        theme.text(surface, tr("score.legend"), (rect.x + 470, rect.y + 270), role="small", colour="muted", width=300)
        losses = self.model.losses if self.model is not None else []
        curve = pygame.Rect(rect.x + 470, rect.y + 10, 300, 200)
        if len(losses) > 2:
            smooth = np.convolve(losses, np.ones(25) / 25, mode="valid") if len(losses) > 50 else np.array(losses)
            draw_curves(surface, theme, curve, [(smooth, "accent", tr("score.loss"))], x_max=len(smooth), labels=(tr("score.step"), ""))
        else:
            pygame.draw.rect(surface, theme.colour("panel"), curve, border_radius=6)
            theme.text(surface, tr("score.loss"), (curve.x + 10, curve.y + 8), role="small", colour="accent")
        theme.text(surface, r"$\nabla \log p_t(x) \approx -\epsilon_\theta(x, t) \,/\, \sqrt{1 - \bar\alpha_t}$", (rect.x + 470, rect.y + 230), role="small")
