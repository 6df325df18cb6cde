"""Be the denoiser: one image seen as training sees it at one t — x₀, the noise ε, x_t, the
network's ε̂, its error ε − ε̂ and x̂₀ — then, once the player has predicted where each error
is largest, both errors of the shipped model measured live against t over a batch of images.
Metric peaks_named: how many of the two peaks (the noise error, the image error) the player
placed in the right third of t (small, middle or large) before the curves were revealed."""

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIHorizontalSlider

from game.level_kinds import THIRDS
from game.scenes.base import Column
from game.scenes.level import LevelScene
from game.widgets.image_view import draw_image, image_surface
from game.widgets.plots import draw_curves
from game.worker import Job
from sim_core.loss import denoiser_view
from sim_core.worlds.shapes import render_batch, render_seed

CURVE_T = (0, 10, 25, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 950, 999)  # where the curves are measured
ERRORS = ("epsilon", "image")
IMAGES = ("x0", "epsilon", "x_t", "eps_hat", "error", "x0_hat")  # the row, left to right (their captions' keys)


def region(t: int, num_steps: int = 1000) -> str:
    return THIRDS[min(2, 3 * t // num_steps)]


def loss_curves(model, seeds, report, cancelled) -> None:
    """Both errors, averaged over the images of `seeds` (each with its own prompt and noise),
    at each t of CURVE_T: report((t, mean L_ε, mean L_x₀)) as each is measured."""
    x0, prompts = render_batch(seeds)
    noise = np.random.default_rng(int(seeds[0])).standard_normal(x0.shape, dtype=np.float32)
    cond = model.encode_prompt(prompts)
    for t in CURVE_T:
        if cancelled():
            return
        view = denoiser_view(model, x0, noise, t, cond)
        report((t, float(view.epsilon_loss.mean()), float(view.image_loss.mean())))


def one_view(model, seed: int, t: int):
    """(x₀, ε, DenoiserView) of the shapes-world image of `seed`, with its own noise, at t."""
    image = render_seed(seed)
    x0 = image.image[None]
    noise = np.random.default_rng(seed).standard_normal(x0.shape, dtype=np.float32)
    return x0, noise, denoiser_view(model, x0, noise, t, model.encode_prompt(image.prompt))


class DenoiserLevel(LevelScene):
    TRY_ON_CHECK = False  # measuring the curves locks the predictions

    def __init__(self, app, level, **hooks):
        super().__init__(app, level, **hooks)
        c = level.controls
        self.seed, self.t = int(level.target["seed"]), int(c["t_start"])
        self.batch = int(c["batch"])
        self.guess = dict.fromkeys(ERRORS)  # the region each error is predicted to peak in
        self.prediction = None  # the guesses as they stood when the curves were measured
        self.view, self.surfaces = None, []  # (seed, t, DenoiserView) shown, and its six images
        self.view_job = None  # the view of the latest (seed, t), computing
        self.settled = 0.0  # seconds t has stayed put: the network runs once the slider rests
        self.job, self.points = None, []  # the curves' measurement and its (t, L_ε, L_x₀) so far

    # controls -------------------------------------------------------------------------------
    IMAGE = 112  # px of each of the six images
    GAP = 24

    def build_controls(self):
        tr, ui, theme = self.app.tr, self.app.ui, self.app.theme
        captions = max(theme.text_height(tr(f"denoiser.{name}"), "small", self.IMAGE) for name in IMAGES)
        numbers = max(theme.text_height(tr("denoiser.numbers", t=999, alpha=0.5, epsilon=s, image=s), "small", 820)
                      for s in (tr.significant(0.00888, 3), tr.significant(8.88e-8, 3)))  # the widest it prints
        self.numbers_y = self.TOP + 10 + self.IMAGE + 10 + captions + 6
        top = self.numbers_y + numbers + 10
        self.slider = self.add(UIHorizontalSlider((30, top, 560, 32), self.t, (0, 999), ui))
        self.other = self.add(UIButton((606, top - 4, 200, 40), tr("denoiser.other_image"), ui))
        self.choice_buttons, self.question_y = {}, {}
        column = Column(30, top + 48, 388)  # each question above its three answers, as tall as its text
        for error in ERRORS:
            self.question_y[error] = column.take(theme.text_height(tr(f"denoiser.predict_{error}"), "small", 400), gap=6).y
            row = column.take(36, gap=14)
            for i, where in enumerate(THIRDS):
                mark = "● " if self.guess[error] == where else ""
                button = self.add(UIButton((30 + i * 132, row.y, 124, 36), mark + tr(f"denoiser.{where}"), ui))
                self.choice_buttons[button] = (error, where)
        self.measure = self.add(UIButton(column.take(44), tr("denoiser.measure"), ui, object_id="#primary"))
        self.chart = pygame.Rect(440, top + 48, 370, self.measure.rect.bottom - top - 48)

    def handle_activity_event(self, event):
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.slider:
            self.t, self.settled = int(event.value), 0.0
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element in self.choice_buttons:
            error, where = self.choice_buttons[event.ui_element]
            self.guess[error] = where
            self.rebuild()  # the mark moves to the chosen button
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.other:
            self.seed += 1
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.measure:
            self.start()
        else:
            return False
        return True

    # the one image at one t -----------------------------------------------------------------
    def update(self, dt):
        self.settled += dt
        self.collect()
        if self.view_job is not None and self.view_job.done:
            if self.view_job.error is not None:
                self.message = ("lab.failed", {"reason": str(self.view_job.error)})
            for seed, t, x0, noise, view in self.view_job.poll():
                self.show(seed, t, x0, noise, view)
            self.view_job = None
        wanted = (self.seed, self.t)
        if self.view_job is not None or self.view is not None and (self.view[:2] == wanted or self.settled < 0.15):
            return
        model = self.loaded_model()
        if model is not None:  # on a worker: the network never holds up a frame
            self.view_job = Job(lambda report, cancelled: report((*wanted, *one_view(model, *wanted))))

    def show(self, seed, t, x0, noise, view):
        """Keep the view and its six images as surfaces: the frames only blit them."""
        images = (x0, noise, view.x_t, view.pred_epsilon, noise - view.pred_epsilon, view.pred_original_sample)
        noises = ("epsilon", "eps_hat", "error")  # N(0, 1): halved into the colour range
        self.view = (seed, t, view)
        self.surfaces = [image_surface(np.clip(image[0] / (2 if name in noises else 1), -1, 1), self.IMAGE)
                         for image, name in zip(images, IMAGES)]

    # the curves -----------------------------------------------------------------------------
    def start(self):
        if self.job is not None and not self.job.done:
            return
        if None in self.guess.values():
            self.message = ("denoiser.predict_first", {})
            return
        model = self.loaded_model()
        if model is None:
            return
        self.count_try()
        self.prediction, self.points, self.result = dict(self.guess), [], None
        self.message = ("denoiser.measuring", {"n": self.batch})
        seeds = list(range(self.level.target["seed"], self.level.target["seed"] + self.batch))
        self.job = Job(lambda report, cancelled: loss_curves(model, seeds, report, cancelled))

    def collect(self):
        """The curves' points measured since the last frame."""
        if self.job is not None:
            self.points += self.job.poll()
            if self.job.done and self.job.error is not None:
                self.message, self.job = ("lab.failed", {"reason": str(self.job.error)}), None

    def workers(self):
        return [self.job, self.view_job]

    @property
    def measured(self) -> bool:
        return self.job is not None and self.job.done and len(self.points) == len(CURVE_T)

    def peaks(self) -> dict:
        """The t at which each measured error is largest."""
        ts = np.array([p[0] for p in self.points])
        return {error: int(ts[np.argmax([p[1 + i] for p in self.points])]) for i, error in enumerate(ERRORS)}

    def demo(self):
        self.guess = {"epsilon": "small", "image": "large"}
        self.start()
        return lambda: self.measured

    def score(self):
        self.collect()
        if not self.measured:
            self.message = ("denoiser.measure_first", {}) if self.job is None else ("denoiser.measuring", {"n": self.batch})
            return None
        return float(sum(region(t) == self.prediction[error] for error, t in self.peaks().items()))

    def measured_text(self) -> str:
        peaks = self.peaks()
        return self.app.tr("denoiser.measured", epsilon=peaks["epsilon"], image=peaks["image"])

    # drawing --------------------------------------------------------------------------------
    def draw_activity(self, surface, rect):
        theme, tr = self.app.theme, self.app.tr
        if self.view is not None:
            _, t, view = self.view
            for i, (image, name) in enumerate(zip(self.surfaces, IMAGES)):
                box = pygame.Rect(rect.x + i * (self.IMAGE + self.GAP), rect.y + 10, self.IMAGE, self.IMAGE)
                draw_image(surface, theme, image, box, tr(f"denoiser.{name}"))
            if self.measured:  # hidden until the curves reveal them: the prediction is judged by eye
                numbers = tr("denoiser.numbers", t=t, alpha=float(self.app.model.schedule.alphas_cumprod[t]),
                             epsilon=tr.significant(float(view.epsilon_loss[0]), 3),
                             image=tr.significant(float(view.image_loss[0]), 3))
                theme.text(surface, numbers, (rect.x, self.numbers_y), role="small", colour="accent", width=820)
        for error, y in self.question_y.items():
            theme.text(surface, tr(f"denoiser.predict_{error}"), (rect.x, y), role="small", width=400)
        self.draw_chart(surface)

    def draw_chart(self, surface):
        theme, tr = self.app.theme, self.app.tr
        box = self.chart
        if not self.points:
            pygame.draw.rect(surface, theme.colour("panel"), box, border_radius=6)
            theme.text(surface, tr("denoiser.chart_hidden", n=self.batch), (box.x + 14, box.y + 14), role="small", colour="muted",
                       width=box.width - 28)
            return
        ts = np.array([p[0] for p in self.points])
        dense = np.arange(ts[-1] + 1)
        curves = []
        for i, (error, colour) in enumerate(zip(ERRORS, ("accent", "accent2"))):
            logs = np.log10(np.maximum([p[1 + i] for p in self.points], 1e-6))  # 0.26 at t = 0 down to 0: a log scale
            values = np.full(1000, np.nan)
            values[dense] = np.interp(dense, ts, logs)
            curves.append((values, colour, tr(f"denoiser.curve_{error}")))
        draw_curves(surface, theme, box, curves, marker_t=self.t, labels=(tr("denoiser.chart_axis"), ""))

