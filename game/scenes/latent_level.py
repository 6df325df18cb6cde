"""Latent diffusion: the memory one step of each network holds measured first (MemoryProbe),
then the same prompt drawn in pixel space and in the autoencoder's latent space, one after
the other, then one step of each network timed in turn while the window holds still
(StepTimer). Metric
judge_confidence: the judge's confidence in the latent drawing; speedup_guess: how far the
player's guess, made before the run, lies from the measured speed-up, |log₂(guess / measured)|
(1 = off by a factor of 2), counted when the judge recognises the latent drawing."""

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIHorizontalSlider, UILabel

from game.run import MemoryProbe, RunQueue, SamplingRun, StepTimer
from game.worker import jobs_alive
from game.scenes.level import LevelScene
from game.scenes.sampling_level import heat
from game.widgets.image_view import draw_image
from sim_core.sampling import sample_progressive, sampler_for

SIDES = ("pixel", "latent")
TIMED_ROUNDS = 8  # one step of each side per round


class LatentLevel(LevelScene):
    TRY_ON_CHECK = False  # each run locks a guess

    def __init__(self, app, level, **hooks):
        super().__init__(app, level, **hooks)
        self.prompt = level.target["prompt"]
        steps = level.controls.get("steps", {})
        self.steps = int(steps.get("start", 30))
        self.steps_range = (int(steps.get("min", 10)), int(steps.get("max", 50)))
        self.guidance = float(level.controls.get("guidance", 7.5))
        guess = level.controls.get("predict_faster")
        self.guess_range = (guess["min"], guess["max"]) if guess else None
        self.guess = guess["start"] if guess else None
        self.prediction = None  # the guess as it stood when the run began
        self.run_steps = self.steps  # the steps as they stood then
        self.queue = RunQueue(SIDES, self.make_run)
        self.probe, self.probe_due = None, False  # MemoryProbe, before the runs
        self.memory = None  # {side: bytes one step held at once} once probed
        self.decoded = None  # (step index, x̂₀ decoded from the latent side's latest step)
        self.timer = None  # StepTimer once both runs are done
        self.final_score = None
        self.comparison = None  # {"faster": ×, "smaller": ×} once both sides have run

    # controls -------------------------------------------------------------------------------
    def build_controls(self):
        tr, ui = self.app.tr, self.app.ui
        self.steps_label = self.add(UILabel((30, 572, 190, 24), tr("lab.steps", steps=self.steps), ui))
        self.slider = self.add(UIHorizontalSlider((30, 600, 190, 36), self.steps, self.steps_range, ui))
        self.go = self.add(UIButton((235, 596, 305, 44), tr("latent.generate"), ui, object_id="#primary"))
        self.guess_slider = None
        if self.guess_range:
            self.guess_label = self.add(UILabel((555, 572, 295, 24), tr("latent.predict", x=self.guess), ui))
            self.guess_slider = self.add(UIHorizontalSlider((555, 600, 295, 36), self.guess, self.guess_range, ui,
                                                            click_increment=0.5))

    def handle_activity_event(self, event):
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.slider:
            self.steps = int(event.value)
            self.steps_label.set_text(self.app.tr("lab.steps", steps=self.steps))
        elif event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.guess_slider:
            self.guess = round(float(event.value) * 2) / 2
            self.guess_label.set_text(self.app.tr("latent.predict", x=self.guess))
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
        if self.queue.busy or self.holds_still or self.probing:
            return
        for side in SIDES:
            model, error = self.app.try_model(latent=side == "latent")
            if error:
                self.message = error
                return
        latent = self.app.latent_model  # its first decode's one-off costs (loading kernels) before the live run
        latent.decode(np.zeros((1, *latent.sample_shape), np.float32))
        self.decoded = self.final_score = self.comparison = self.timer = self.memory = self.probe = None
        self.queue = RunQueue(SIDES, self.make_run)
        self.prediction, self.run_steps = self.guess, self.steps  # both sides, and the timer, take these
        self.count_try()
        self.result, self.message = None, ("latent.probing", {})
        self.probe_due = True  # update() starts the probe once no worker runs

    @property
    def probing(self) -> bool:
        return self.probe_due or (self.probe is not None and self.memory is None)

    def failed(self, error):
        """A try that measured nothing: its message, and the try given back."""
        self.message = ("lab.failed", {"reason": str(error)})
        self.tries -= 1

    def sampling(self, side):
        """(model, sampler, x_T, the prompt's encoding, rng) for one side's run."""
        model, _ = self.app.try_model(latent=side == "latent")
        rng = np.random.default_rng(self.level.target["seed"])
        x_T = rng.standard_normal((1, *model.sample_shape), dtype=np.float32)
        return model, sampler_for(model, "ddim", self.run_steps), x_T, model.encode_prompt(self.prompt), rng

    def make_run(self, side):
        model, sampler, x_T, cond, rng = self.sampling(side)
        return SamplingRun(model, sampler, x_T, cond, self.guidance, rng)

    def timed_steps(self, side):
        model, sampler, x_T, cond, rng = self.sampling(side)
        return sample_progressive(model, x_T, model.schedule, sampler=sampler, guidance=self.guidance, cond=cond, rng=rng)

    @property
    def holds_still(self) -> bool:
        """While a worker measures: the render thread's own allocations stay out of the probe's
        peak, and its drawing out of the timer's steps."""
        return any(work is not None and work.running for work in (self.probe, self.timer))

    def demo(self):
        self.start()
        return lambda: self.final_score is not None

    def workers(self):
        return [self.probe, self.queue, self.timer]

    def update(self, dt):
        if self.probe_due:
            if not jobs_alive():  # tracing switches only while no worker runs (MemoryTracing): a
                # scene left a moment ago may still end its last step
                self.probe, self.probe_due = MemoryProbe({side: self.timed_steps(side) for side in SIDES}), False
            return
        if self.probing:
            self.memory = self.probe.poll()
            if self.probe.error is not None:
                self.failed(self.probe.error)
                self.probe = None
            elif self.memory is not None:
                self.queue.start()
                self.message = ("sampling.running", {})
            return
        error = self.queue.poll()
        if error is not None:
            self.message = ("lab.failed", {"reason": str(error)})
        latent = self.runs["latent"]
        if latent is not None and latent.steps and (self.decoded is None or self.decoded[0] != len(latent.steps)):
            self.decoded = (len(latent.steps), self.app.latent_model.decode(latent.steps[-1].pred_original_sample))
        if latent is None or not latent.complete or self.final_score is not None:
            return
        if self.timer is None:
            if self.message == ("latent.timing", {}):  # drawn: now the window may hold still
                self.timer = StepTimer({side: self.timed_steps(side) for side in SIDES},
                                       rounds=min(TIMED_ROUNDS, self.run_steps - 1))
            else:
                self.message = ("latent.timing", {})
        elif self.timer.error is not None:
            self.failed(self.timer.error)
            self.final_score = float("nan")
        elif not self.timer.running:
            self.finish(latent)

    def finish(self, latent):
        """Both runs drawn and both networks timed: judge the latent drawing, score the guess."""
        image = self.app.latent_model.decode(latent.final)
        judge, error = self.app.try_judge()
        if error is not None:
            self.message, self.final_score = error, float("nan")
            return
        verdict = judge(image)[0]
        agrees = verdict.agrees_with(self.prompt)
        seconds = self.timer.seconds
        self.comparison = {"faster": seconds["pixel"] / max(seconds["latent"], 1e-9),
                           "smaller": self.memory["pixel"] / max(self.memory["latent"], 1)}
        if self.level.objective["metric"] == "speedup_guess":
            miss = abs(float(np.log2(self.prediction / self.comparison["faster"])))
            self.final_score = miss if agrees else float("inf")
        else:
            self.final_score = verdict.confidence if agrees else 0.0
        self.message = ("latent.guessed", {"guess": self.prediction, "x": self.comparison["faster"]}) \
            if self.prediction is not None else ("latent.done", self.comparison_phrases())

    def measured_text(self) -> str | None:  # the reveal stays, won or not
        if self.prediction is None:
            return None
        return self.app.tr("latent.guessed_short", guess=self.prediction, x=self.comparison["faster"])

    def score(self):
        if self.final_score is None:
            self.message, self.result = ("sampling.run_first", {}), None
            return None
        if np.isnan(self.final_score):  # could not be judged: its message stays
            self.result = None
            return None
        return self.final_score

    def comparison_phrases(self) -> dict:
        """The measured ratios in words: "3.2 times faster", or "about as fast" within 10 %
        (a ratio of 1.0 once read "1.0 times less memory")."""
        tr = self.app.tr

        def phrase(ratio, what):
            if ratio >= 1.1:
                return tr(f"latent.{what}_less", x=ratio)
            if ratio <= 1 / 1.1:
                return tr(f"latent.{what}_more", x=1 / ratio)
            return tr(f"latent.{what}_same")

        return {"time": phrase(self.comparison["faster"], "time"), "memory": phrase(self.comparison["smaller"], "memory")}

    # drawing --------------------------------------------------------------------------------
    def draw_activity(self, surface, rect):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("sampling.prompt", prompt=tr.phrase(self.prompt)),
                   (rect.x, rect.y), role="heading", colour="accent")
        for i, side in enumerate(SIDES):
            self.draw_side(surface, side, pygame.Rect(rect.x + i * 400, rect.y + 40, 380, 420))
        if self.comparison is not None:  # stays on screen after Check replaces the message
            theme.text(surface, tr("latent.done", **self.comparison_phrases()), (rect.x, rect.y + 466), role="small",
                       colour="accent2", width=780)

    def draw_side(self, surface, side, box):
        theme, tr = self.app.theme, self.app.tr
        pygame.draw.rect(surface, theme.colour("panel"), box, border_radius=8)
        theme.text(surface, tr(f"latent.{side}_title"), (box.x + 14, box.y + 10), role="heading", bold=True)
        theme.text(surface, tr(f"latent.{side}_numbers"), (box.x + 14, box.y + 40), role="small", colour="muted")
        run = self.runs[side]
        last = run.steps[-1] if run is not None and run.steps else None
        image_box = pygame.Rect(box.x + 14, box.y + 74, 170, 170)
        if side == "pixel":
            draw_image(surface, theme, None if last is None else last.pred_original_sample[0], image_box, tr("sampling.x0"))
        else:
            draw_image(surface, theme, None if self.decoded is None else self.decoded[1][0], image_box, tr("latent.decoded"))
            for c in range(4):  # the latent itself: its 4 channels of 8×8
                tile = pygame.Rect(box.x + 200 + (c % 2) * 84, box.y + 74 + (c // 2) * 84, 76, 76)
                draw_image(surface, theme, None if last is None else heat(last.prev_sample[0, c]), tile)
            theme.text(surface, tr("latent.channels"), (box.x + 200, box.y + 250), role="small", colour="muted", width=170)
        if run is None:
            return
        drawn = tr("latent.seconds", seconds=run.elapsed)
        if self.timer is not None and self.timer.seconds is not None:  # then the network alone, the window held still
            step = self.timer.seconds[side]  # its "× 30" says the steps
            lines = [drawn, tr("latent.step", ms=step * 1000, n=run.total, seconds=step * run.total)]
        else:
            lines = [tr("latent.progress", i=len(run.steps), n=run.total), drawn]
        if self.memory is not None:
            lines.append(tr("latent.memory", megabytes=self.memory[side] / 2**20))
        y, width = box.y + 300, box.width - 28
        role = next((r for r in ("body", "small") if sum(theme.text_height(line, r, width) + 6 for line in lines)
                     <= box.bottom - y), "small")  # large text: the four lines in smaller type
        for line in lines:
            y = theme.text(surface, line, (box.x + 14, y), role=role, colour="accent" if run.complete else "text",
                           width=width).bottom + 6
