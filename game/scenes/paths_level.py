"""Paths in 2-D: the two moons as particles — noised forward by a t slider, with the learned
score field at that t — then, from the same starting noises, the paths of DDPM (a stochastic
differential equation), DDIM (the probability-flow ODE) and flow matching (a velocity field
trained live beside the denoiser), and Langevin steps on the learned score. Metric
straighter_named: 1 when the player, before the paths are drawn, named the family whose
paths come out straighter (chord / length, sim_core/trajectories.py), else 0."""

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIHorizontalSlider

from game.level_kinds import STRAIGHTER
from game.scenes.level import LevelScene
from game.widgets.plots import draw_curves, draw_score_field
from game.worker import Job
from sim_core.forward import q_sample
from sim_core.sampling import sample_progressive, sampler_for
from sim_core.schedules import short_schedule
from sim_core.toy_mlp import ToyDenoiser
from sim_core.trajectories import langevin, straightness
from sim_core.worlds.toy2d import chamfer_distance, sample_points

NUM_STEPS = 200  # the toy world's T, as in the score view
CHUNK = 100  # training steps of each model between two reports
POINTS, SHOWN = 400, 12  # points sampled (and measured), paths drawn
FAMILIES = ("ddpm", "ddim", "flow")  # drawn in this order
COLOURS = {"ddpm": "bad", "ddim": "accent", "flow": "good"}
SAME_WITHIN = 0.05  # straightness medians closer than this count as "the same"
STEP_CHOICES, CLOSE = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32), 0.1  # how many steps each family needs to land this close
# annealed Langevin (Song & Ermon 2019): 20 steps at each of 12 noise levels from t = 150 down to 4,
# each of size δ = 0.4 σ_t², from uniform points (0.10 from the data; one level alone, 0.15)
LANGEVIN_LEVELS, LANGEVIN_STEPS, LANGEVIN_SIZE = np.linspace(150, 4, 12).astype(int), 20, 0.4


def paths(diffusion, flow, x_T: np.ndarray, steps: int, seed: int) -> dict:
    """Each family's path (steps + 1, N, 2) from the same noises x_T (N, 2)."""
    out = {}
    for family in ("ddpm", "ddim"):
        run = sample_progressive(diffusion, x_T.reshape(-1, 2, 1, 1), diffusion.schedule,
                                 sampler=sampler_for(diffusion, family, steps), guidance=1.0, rng=np.random.default_rng(seed))
        out[family] = np.stack([x_T] + [step.prev_sample.reshape(-1, 2) for step in run])
    out["flow"] = flow.flow_paths(x_T, steps)
    return out


def steps_needed(diffusion, flow, x_T: np.ndarray, data: np.ndarray, seed: int) -> dict:
    """For DDIM and flow matching, the fewest steps of STEP_CHOICES whose samples land within
    CLOSE of the data (chamfer distance), or None when none does."""
    needed = {}
    for family in ("ddim", "flow"):
        needed[family] = next((n for n in STEP_CHOICES
                               if chamfer_distance(paths(diffusion, flow, x_T, n, seed)[family][-1], data) <= CLOSE), None)
    return needed


def straighter(medians: dict) -> str:
    """Which of DDIM and flow matching has the straighter paths ("same" within SAME_WITHIN)."""
    gap = medians["ddim"] - medians["flow"]
    return "same" if abs(gap) < SAME_WITHIN else "ddim" if gap > 0 else "flow"


class PathsLevel(LevelScene):
    TRY_ON_CHECK = False  # drawing the paths locks the prediction

    def __init__(self, app, level, **hooks):
        super().__init__(app, level, **hooks)
        c = level.controls
        rng = np.random.default_rng(level.target["seed"])
        self.data = sample_points(c["data"], 2000, rng)
        self.x_T = rng.standard_normal((POINTS, 2), dtype=np.float32)
        self.particle_noise = rng.standard_normal((POINTS, 2), dtype=np.float32)
        self.hidden, self.train_steps, self.steps = int(c["hidden"]), int(c["train_steps"]), int(c["steps"])
        self.schedule = short_schedule("cosine", NUM_STEPS)  # both models' t, and the particles' noising
        self.t = 0
        self.guess = self.prediction = None
        self.models = None  # (diffusion, flow) once training has begun
        self.job = None  # ("train" | "paths" | "langevin", Job)
        self.drawn = None  # {"paths": {family: path}, "straight": {family: median}, "needed": {family: steps}}
        self.walkers = None  # Langevin's points as they move

    # controls -------------------------------------------------------------------------------
    PLANE = 410  # px of the square the points move in

    def build_controls(self):
        tr, ui = self.app.tr, self.app.ui
        top = self.TOP + 10 + self.PLANE + 36  # under the plane and the slider's caption
        self.slider = self.add(UIHorizontalSlider((30, top, self.PLANE, 28), self.t, (0, NUM_STEPS - 1), ui))
        self.train_button = self.add(UIButton((30, top + 38, 120, 40), tr("paths.train"), ui))
        self.choices = {}
        for i, family in enumerate(STRAIGHTER):
            mark = "● " if self.guess == family else ""
            self.choices[self.add(UIButton((160 + i * 134, top + 38, 128, 40), mark + tr(f"paths.{family}"), ui))] = family
        self.go = self.add(UIButton((570, top - 6, 240, 40), tr("paths.draw"), ui, object_id="#primary"))
        self.langevin_button = self.add(UIButton((570, top + 38, 240, 40), tr("paths.langevin"), ui))

    def handle_activity_event(self, event):
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.slider:
            self.t = int(event.value)
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element in self.choices:
            self.guess = self.choices[event.ui_element]
            self.rebuild()
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.train_button:
            self.train()
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.go:
            self.draw_paths()
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.langevin_button:
            self.run_langevin()
        else:
            return False
        return True

    # work on the worker -----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.job is not None and not self.job[1].done

    @property
    def trained(self) -> bool:
        return self.models is not None and len(self.models[0].losses) >= self.train_steps and not self.busy

    def train(self):
        if self.busy:
            return
        seed = self.level.target["seed"]
        self.models = (ToyDenoiser(self.schedule, self.data, hidden=self.hidden, seed=seed),
                       ToyDenoiser(self.schedule, self.data, hidden=self.hidden, seed=seed, prediction_type="flow"))
        models, chunks = self.models, self.train_steps // CHUNK

        def work(report, cancelled):
            for _ in range(chunks):
                if cancelled():
                    return
                for model in models:  # side by side, so both curves grow together
                    model.train(CHUNK)
                report(len(models[0].losses))

        self.drawn = self.walkers = None
        self.job = ("train", Job(work))
        self.message = ("paths.training", {})

    def ready(self) -> bool:
        """Whether the trained models are free for new work (else the message says why)."""
        if not self.busy and not self.trained:
            self.message = ("paths.train_first", {})
        return self.trained

    def draw_paths(self):
        if not self.ready():
            return
        if self.guess is None:
            self.message = ("paths.predict_first", {})
            return
        self.count_try()
        self.prediction, self.result, self.drawn = self.guess, None, None
        diffusion, flow = self.models
        steps, seed, x_T, data = self.steps, self.level.target["seed"], self.x_T, self.data[:POINTS]

        def work(report, cancelled):
            drawn = paths(diffusion, flow, x_T, steps, seed)
            report({"paths": drawn, "straight": {f: float(np.median(straightness(p))) for f, p in drawn.items()},
                    "needed": steps_needed(diffusion, flow, x_T, data, seed)})

        self.job = ("paths", Job(work))

    def run_langevin(self):
        if not self.ready():
            return
        diffusion = self.models[0]
        start = np.random.default_rng(self.level.target["seed"]).uniform(-2, 2, (POINTS, 2)).astype(np.float32)

        def work(report, cancelled):
            x, rng = start, np.random.default_rng(0)
            for t in LANGEVIN_LEVELS:
                size = LANGEVIN_SIZE * float(diffusion.schedule.noise_scale[t]) ** 2
                walk = langevin(lambda p, t=t: diffusion.score(p, t), x, size, LANGEVIN_STEPS, rng)
                for k, x_k in enumerate(walk):
                    if cancelled():
                        return
                    if k % 5 == 4:
                        report(x_k)
                x = x_k  # the next, smaller noise level starts where this one ended

        self.walkers = start
        self.job = ("langevin", Job(work))
        self.message = ("paths.langevin_running", {"steps": LANGEVIN_STEPS * len(LANGEVIN_LEVELS),
                                                   "first": int(LANGEVIN_LEVELS[0]), "last": int(LANGEVIN_LEVELS[-1])})

    def demo(self):
        self.train()
        self.guess = self.level.answer["straighter"] if self.level.answer else "ddim"

        def done():
            if self.trained and self.drawn is None and not self.busy:
                self.draw_paths()
            return self.drawn is not None

        return done

    def workers(self):
        return [self.job[1]] if self.job else []

    def update(self, dt):
        if self.job is None:
            return
        kind, job = self.job
        items = job.poll()
        if kind == "langevin" and items:
            self.walkers = items[-1]
        if not job.done:
            return
        self.job = None
        if job.error is not None:
            self.message = ("lab.failed", {"reason": str(job.error)})
        elif kind == "train":
            self.message = ("paths.trained", {"diffusion": float(np.mean(self.models[0].losses[-200:])),
                                              "flow": float(np.mean(self.models[1].losses[-200:]))})
        elif kind == "paths":
            self.drawn = items[-1]
            self.message = ("paths.drawn", self.numbers())
        else:
            self.message = ("paths.langevin_done", {"distance": chamfer_distance(self.walkers, self.data[:POINTS])})

    def numbers(self) -> dict:
        tr, d = self.app.tr, self.drawn
        needed = {f"needed_{f}": "—" if n is None else n for f, n in d["needed"].items()}
        return {**{f"straight_{f}": d["straight"][f] for f in FAMILIES}, **needed, "close": CLOSE, "steps": self.steps, "answer": tr(f"paths.{straighter(d['straight'])}")}

    def score(self):
        if self.drawn is None:
            self.message = ("paths.draw_first", {})
            return None
        return float(straighter(self.drawn["straight"]) == self.prediction)

    def measured_text(self) -> str:
        return self.app.tr("paths.measured", **self.numbers())

    # drawing --------------------------------------------------------------------------------
    def draw_activity(self, surface, rect):
        theme, tr = self.app.theme, self.app.tr
        box = pygame.Rect(rect.x, rect.y + 10, self.PLANE, self.PLANE)
        pygame.draw.rect(surface, theme.colour("panel"), box, border_radius=6)
        surface.set_clip(box)
        try:
            self.draw_plane(surface, box)
        finally:  # an error screen must not be drawn inside the plane's clip
            surface.set_clip(None)
        theme.text(surface, tr("paths.slider", t=self.t), (rect.x, box.bottom + 8), role="small", colour="muted")
        self.draw_side(surface, pygame.Rect(rect.x + self.PLANE + 30, rect.y + 10, 800 - self.PLANE - 30, self.PLANE))

    def draw_plane(self, surface, box):
        theme = self.app.theme

        def to_screen(p):  # data coordinates [−2.2, 2.2]² → pixels
            return (box.centerx + p[..., 0] * box.width / 4.4).tolist(), (box.centery - p[..., 1] * box.height / 4.4).tolist()

        for x, y in zip(*to_screen(self.data[:800])):
            surface.fill(theme.colour("muted"), (x, y, 2, 2))
        if self.t > 0:  # the data's particles, noised to t: diffusion as physics
            noised = q_sample(self.data[:POINTS, :, None, None], self.t, self.particle_noise[:, :, None, None],
                              self.schedule)[..., 0, 0]
            for x, y in zip(*to_screen(noised)):
                pygame.draw.circle(surface, theme.colour("accent2"), (x, y), 2)
            if self.trained:
                # the learned score ∇ log p_t at the slider's t: arrows toward where noised data is likely
                draw_score_field(surface, to_screen, lambda points: self.models[0].score(points, self.t), 2, 0.12,
                                 self.app.theme.colour("text"))
        if self.drawn is not None:
            for family in FAMILIES:  # DDPM's noisy zigzags thin and fewer, under the two ODE families
                shown, width = (SHOWN // 2, 1) if family == "ddpm" else (SHOWN, 2)
                for path in self.drawn["paths"][family][:, :shown].transpose(1, 0, 2):
                    xs, ys = to_screen(path)
                    pygame.draw.lines(surface, theme.colour(COLOURS[family]), False, list(zip(xs, ys)), width)
                    pygame.draw.circle(surface, theme.colour(COLOURS[family]), (xs[-1], ys[-1]), 4)
        if self.walkers is not None:
            for x, y in zip(*to_screen(self.walkers)):
                pygame.draw.circle(surface, theme.colour("accent"), (x, y), 2)

    def draw_side(self, surface, box):
        theme, tr = self.app.theme, self.app.tr
        curve = pygame.Rect(box.x, box.y, box.width, 170)
        if self.models is not None and min(len(m.losses) for m in self.models) > 50:
            smooth = [np.convolve(m.losses, np.ones(50) / 50, mode="valid") for m in self.models]
            draw_curves(surface, theme, curve, [(smooth[0], "accent", tr("paths.loss_diffusion")),
                                                (smooth[1], "good", tr("paths.loss_flow"))],
                        x_max=len(smooth[0]), labels=(tr("score.step"), ""))
        else:
            pygame.draw.rect(surface, theme.colour("panel"), curve, border_radius=6)
            theme.text(surface, tr("paths.loss_hidden"), (curve.x + 12, curve.y + 10), role="small", colour="muted",
                       width=curve.width - 24)
        y = curve.bottom + 14
        for family in FAMILIES:
            pygame.draw.line(surface, theme.colour(COLOURS[family]), (box.x, y + 9), (box.x + 24, y + 9), 3)
            y = theme.text(surface, tr(f"paths.legend_{family}"), (box.x + 34, y), role="small", width=box.width - 34).bottom + 6
        # then the question, or once drawn what was measured (the message band says it too), where it fits
        text, bold, colour = (tr("paths.drawn", **self.numbers()), False, "accent2") if self.drawn is not None \
            else (tr("paths.predict"), True, "text")
        if y + 8 + theme.text_height(text, "small", box.width, bold=bold) <= box.bottom:
            theme.text(surface, text, (box.x, y + 8), role="small", bold=bold, colour=colour, width=box.width)
