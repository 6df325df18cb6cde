"""Levels played by running the reverse process: the level file unlocks controls (sampler,
steps, guidance, a start t for restoring a noised image, skip connections) and names the
metric that scores the final image."""

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIDropDownMenu, UIHorizontalSlider, UILabel, UITextEntryLine

from game.level_kinds import FIXED, TRAIN_TIMESTEPS
from game.prompts import read_prompt
from game.run import SamplingRun, draw_run
from game.scenes.level import LevelScene
from game.widgets.canvas import Canvas, paint_event
from game.widgets.image_view import draw_image
from game.widgets.plots import draw_curves
from sim_core.images import clipped_fraction
from sim_core.metrics import ssim
from sim_core.model.unet import attention_key
from sim_core.sampling import Inpaint, img2img_start, sampler_for
from sim_core.worlds.shapes import render_seed

SLIDERS = ("steps", "guidance", "start_t", "predict_t")


class SamplingLevel(LevelScene):
    TRY_ON_CHECK = False  # each run is a try (and locks the predicted t where one is asked)

    def __init__(self, app, level, **hooks):
        super().__init__(app, level, **hooks)
        c = level.controls
        self.samplers = list(c["samplers"])
        self.ranges = {k: c[k] for k in SLIDERS if c[k]}  # the sliders offered
        self.values = {"sampler": self.samplers[0], **FIXED, "skips": True}
        self.values.update({k: r["start"] for k, r in self.ranges.items()})
        self.prompt = c["prompt"]  # "" with editable_prompt: the player writes it
        self.target = render_seed(level.target["seed"], level.target["prompt"]).image[None]
        # restoration: the damaged image the start t noises (the target's geometry, other words)
        self.damaged = render_seed(level.target["seed"], c["start_from"]).image[None] if c["start_from"] else None
        self.canvas = Canvas(self.damaged[0]) if c["paint_mask"] else None  # the part to paint anew
        self.run = None
        self.reference_run, self.references = None, {}  # budget_steps: the reference image per guidance
        self.queued = None  # the player's run, waiting for its reference
        self.prediction = None  # settle_t: the guess as it stood when the run began
        self.settling = None  # settle_t: (each step's t, SSIM of its x̂₀ to the final image, the settled t)
        self.likeness = None  # restored, budget_steps: the final image's SSIM to the target or the reference
        self.final_score = None
        self.attention = None  # (t, {word: 16×16 map}) once a run with show_attention ends

    # controls -------------------------------------------------------------------------------
    def build_controls(self):
        tr, ui = self.app.tr, self.app.ui
        self.sliders, self.slider_labels = {}, {}
        for key in SLIDERS:
            if key not in self.ranges:
                continue
            r = self.ranges[key]
            x = self.slot_x(len(self.sliders))
            self.slider_labels[key] = self.add(UILabel((x, 548, 240, 24), self.slider_text(key), ui))
            self.sliders[key] = self.add(UIHorizontalSlider((x, 572, 240, 32), self.values[key], (r["min"], r["max"]), ui,
                                                            click_increment=0.5 if key == "guidance" else 1))
        self.menu = self.add(UIDropDownMenu(tr.options(self.samplers), tr.option(self.values["sampler"]), (30, 616, 200, 40), ui)) \
            if len(self.samplers) > 1 else None
        self.skips = self.add(UIButton((250, 616, 260, 40), self.skips_text(), ui)) \
            if self.level.controls.get("skips") else None
        self.go = self.add(UIButton((530, 616, 200, 40), tr("lab.generate"), ui, object_id="#primary"))
        self.clear_mask = None
        if self.canvas is not None:  # in the buttons' row, where the sampler menu or the skips button is not
            rect = (30, 616, 200, 40) if self.menu is None else (250, 616, 260, 40)
            self.clear_mask = self.add(UIButton(rect, tr("sampling.clear_mask"), ui))
        self.prompt_entry = None
        if self.level.controls.get("editable_prompt"):
            # a label, not a placeholder: this pygame_gui draws placeholders like typed text
            x = self.slot_x(len(self.sliders))  # in the sliders' row, after them
            self.add(UILabel((x, 548, 310, 24), tr("sampling.prompt_label"), ui))
            self.prompt_entry = self.add(UITextEntryLine((x, 570, 310, 40), ui))
            self.prompt_entry.set_text(self.shown_prompt() if self.prompt else "")

    @staticmethod
    def slot_x(index: int) -> int:
        """Where the index-th control of the sliders' row begins."""
        return 30 + 260 * index

    def slider_text(self, key):
        tr, v = self.app.tr, self.values[key]
        return {"steps": tr("lab.steps", steps=v), "guidance": tr("lab.guidance", w=v),
                "start_t": tr("sampling.start_t", t=v), "predict_t": tr("sampling.predict_t", t=v)}[key]

    def skips_text(self):
        return self.app.tr("sampling.skips_on" if self.values["skips"] else "sampling.skips_off")

    def handle_activity_event(self, event):
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element in self.sliders.values():
            key = next(k for k, s in self.sliders.items() if s is event.ui_element)
            self.values[key] = round(float(event.value) * 2) / 2 if key == "guidance" else int(event.value)
            self.slider_labels[key].set_text(self.slider_text(key))
        elif event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED and event.ui_element is self.menu:
            self.values["sampler"] = event.selected_option_id
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.skips and self.skips:
            self.values["skips"] = not self.values["skips"]
            self.skips.set_text(self.skips_text())
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.go:
            self.start()
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.clear_mask and self.clear_mask:
            self.canvas.clear_mask()
        elif event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED and event.ui_element is self.prompt_entry:
            self.start()  # Enter in the prompt box generates
        else:
            return self.paint_mask(event)
        return True

    # running --------------------------------------------------------------------------------
    def start(self):
        if self.running():
            return
        model = self.loaded_model()
        if model is None:
            return
        if self.prompt_entry is not None:
            prompt, problem = read_prompt(self.app.tr, self.prompt_entry.get_text(), model)
            if not problem and not prompt:  # the null prompt would let the unguided model play
                problem = ("sampling.write_prompt", {})
            if problem:
                self.message = problem
                return
            self.prompt = prompt
        v = self.values
        sampler = sampler_for(model, v["sampler"], v["steps"])
        rng = np.random.default_rng(self.level.target["seed"])
        noise = rng.standard_normal(self.target.shape, dtype=np.float32)
        inpaint = None
        if self.damaged is not None:  # restore: start from the damaged image noised to start_t
            x_start, start_index = img2img_start(self.damaged, sampler, v["start_t"], noise)
            mask = self.canvas.model_mask() if self.canvas is not None else None
            if mask is not None and mask.any():  # only the covered part is painted anew
                inpaint = Inpaint(self.damaged, mask, noise)
        else:
            x_start, start_index = noise, 0
        cond = model.encode_prompt(self.prompt)

        def run():
            return SamplingRun(model, sampler, x_start, cond, v["guidance"], rng, start_index, v["skips"],
                               inpaint=inpaint)

        self.final_score, self.result, self.message, self.settling = None, None, ("sampling.running", {}), None
        self.prediction = v.get("predict_t")
        self.count_try()
        if self.level.objective["metric"] == "budget_steps" and v["guidance"] not in self.references:
            # the reference first, from the same x_T (one worker at a time leaves the window a core)
            steps = self.level.controls["reference_steps"]
            self.run, self.queued = None, run
            self.reference_run = SamplingRun(model, sampler_for(model, "ddim", steps), noise, cond, v["guidance"], None)
            self.message = ("sampling.reference_running", {"steps": steps})
        else:
            self.run = run()

    def demo(self):
        if self.prompt_entry is not None and not self.prompt_entry.get_text().strip():
            self.prompt_entry.set_text(self.app.tr.phrase(self.level.target["prompt"]))  # the answer, typed
        self.start()
        started = self.run is not None or self.reference_run is not None  # refused: nothing to wait for
        return (lambda: self.final_score is not None) if started else None

    def workers(self):
        return [self.run, self.reference_run]

    def update(self, dt):
        if self.reference_run is not None:
            self.reference_run.poll()
            if self.reference_run.running:
                return
            if self.reference_run.error is not None:
                self.message, self.final_score = ("lab.failed", {"reason": str(self.reference_run.error)}), float("nan")
            else:
                self.references[self.reference_run.guidance] = self.reference_run.final
                self.run = self.queued()
                self.message = ("sampling.running", {})
            self.reference_run = self.queued = None
        if self.run is None or self.final_score is not None:
            return
        self.run.poll()
        if self.run.running:
            return
        if self.run.error is not None:
            self.message, self.final_score = ("lab.failed", {"reason": str(self.run.error)}), float("nan")
            return
        judge, error = (None, None) if self.level.objective["metric"] in ("ssim", "budget_steps") else self.app.try_judge()
        if error is not None:
            self.message, self.final_score = error, float("nan")
            return
        self.final_score = self.measure(self.run.final, judge)
        if self.level.controls.get("show_attention"):
            self.attention = self.attention_maps()
        self.message = ("sampling.done", {"seconds": self.run.elapsed, "score": self.score_text()})

    def measure(self, image, judge) -> float:
        metric = self.level.objective["metric"]
        if metric == "ssim":
            return float(ssim(image[0], self.target[0]))
        if metric == "settle_t":  # how far the guess made before the run lies from the measured t
            self.settling = self.settled()
            return float(abs(self.prediction - self.settling[2]))
        if metric == "budget_steps":
            self.likeness = float(ssim(image[0], self.reference[0]))
            return float(self.run.total) if self.likeness >= self.level.controls["reference_ssim"] else float("inf")
        verdict = judge(image)[0]
        agrees = verdict.agrees_with(self.level.target["prompt"])
        self.verdict = verdict
        if metric == "judge_confidence":
            return verdict.confidence if agrees else 0.0
        if metric == "restored":  # repaired (the judge sees the target's words) and faithful (SSIM)
            self.likeness = float(ssim(image[0], self.target[0]))
            return self.likeness if agrees else 0.0
        return verdict.confidence if agrees and clipped_fraction(image) <= self.clipped_limit else 0.0

    def settled(self) -> tuple[np.ndarray, np.ndarray, int]:
        """Each step's t, SSIM(x̂₀ at that step, the final image) (both clipped to [−1, 1]), and
        the t from which x̂₀ stays at least settle_ssim alike at every later step."""
        final = np.clip(self.run.final[0], -1, 1)
        ts = np.array([st.t for st in self.run.steps])
        likeness = np.array([float(ssim(np.clip(st.pred_original_sample[0], -1, 1), final)) for st in self.run.steps])
        alike = likeness >= self.level.controls["settle_ssim"]
        first = 0 if alike.all() else len(alike) - int(np.argmin(alike[::-1]))  # after the last unlike step
        return ts, likeness, int(ts[min(first, len(ts) - 1)])

    @property
    def reference(self) -> np.ndarray | None:
        """budget_steps: where reference_steps DDIM steps land from this x_T at this run's guidance."""
        return self.references.get(self.run.guidance if self.run is not None else self.values["guidance"])

    @property
    def clipped_limit(self) -> float:
        """The guided metric's ceiling on burnt pixels (values outside [−1, 1])."""
        return float(self.level.controls.get("clipped_limit", 1.0))

    def attention_maps(self):
        """Cross-attention of the 16×16 decoder level to each prompt word, at the step
        nearest t = 500: which pixels listen to which word."""
        step = min(self.run.steps, key=lambda st: abs(st.t - 500))
        model, capture = self.app.model, {}
        model(step.x_t, step.t, model.encode_prompt(self.prompt), capture=capture)
        weights = capture[attention_key("up.1")][0]  # (pixels, tokens): <bos>, colour, shape
        side = int(np.sqrt(weights.shape[0]))
        colors = model.card["vocabulary"]["colors"]
        slot = {w: 1 if w in colors else 2 for w in self.prompt.split()}  # token slots: colour 1, shape 2
        return step.t, {w: weights[:, i].reshape(side, side) for w, i in sorted(slot.items(), key=lambda kv: kv[1])}

    def score_text(self) -> str:
        metric = self.level.objective["metric"]
        key = f"sampling.metric_{metric}"
        if metric in ("guided", "restored"):  # both conditions, whichever failed
            # a verdict that names no colour or no shape once printed ⟨words.None⟩
            seen = self.app.tr.phrase(self.verdict.prompt) if self.verdict.prompt else self.app.tr("sampling.nothing_clear")
            if metric == "restored":
                return self.app.tr(key, seen=seen, value=self.likeness)
            return self.app.tr(key, seen=seen, value=self.verdict.confidence,
                               clipped=clipped_fraction(self.run.final), limit=self.clipped_limit)
        if metric == "settle_t":
            return self.app.tr(key, t=self.settling[2], predicted=self.prediction, value=self.final_score,
                               ssim=self.level.controls["settle_ssim"])
        if metric == "budget_steps":  # the likeness, met or not
            return self.app.tr(key, value=self.likeness, limit=self.level.controls["reference_ssim"], steps=self.run.total)
        return self.app.tr(key, value=self.final_score) if np.isfinite(self.final_score) \
            else self.app.tr("sampling.judge_disagrees")

    def measured_text(self) -> str:
        return self.score_text()

    def score(self):
        if self.final_score is None:
            self.message, self.result = ("sampling.run_first", {}), None
            return None
        if np.isnan(self.final_score):  # the run failed or could not be judged: its message stays
            self.result = None
            return None
        return self.final_score

    def paint_mask(self, event) -> bool:
        """A drag over the damaged image covers the part to paint anew (not while a run goes)."""
        return self.canvas is not None and not self.running() and \
            paint_event(self.canvas, event, self.canvas_rect(), self.app.screen.get_size(), mask=True)

    def running(self) -> bool:
        return any(r is not None and r.running for r in (self.run, self.reference_run))

    def canvas_rect(self) -> pygame.Rect:
        return pygame.Rect(30, self.TOP + 10, 220, 220)  # the activity's first image box

    # drawing --------------------------------------------------------------------------------
    def draw_activity(self, surface, rect):
        theme, tr = self.app.theme, self.app.tr
        last = self.run.steps[-1] if self.run is not None and self.run.steps else None
        size = 220
        if self.canvas is not None and not self.running():  # the damaged image, the part to paint anew over it
            box = self.canvas_rect()
            surface.blit(self.canvas.surface(box.width), box)
            theme.text(surface, tr("sampling.cover_part"), (box.x, box.bottom + 4), role="small", colour="muted",
                       width=box.width + 20)
        elif last is None and self.damaged is not None:  # before a run: what the player starts from
            draw_image(surface, theme, self.damaged[0], pygame.Rect(rect.x, rect.y + 10, size, size), tr("sampling.damaged"))
        else:
            draw_image(surface, theme, None if last is None else last.prev_sample[0], pygame.Rect(rect.x, rect.y + 10, size, size), tr("lab.x_t"))
        draw_image(surface, theme, None if last is None else last.pred_original_sample[0],
                   pygame.Rect(rect.x + 250, rect.y + 10, size, size), tr("sampling.x0"))
        if self.level.objective["metric"] in ("ssim", "restored"):
            draw_image(surface, theme, self.target[0], pygame.Rect(rect.x + 500, rect.y + 10, size, size), tr("sampling.target"))
        elif self.level.objective["metric"] == "budget_steps":
            reference = self.reference
            draw_image(surface, theme, None if reference is None else reference[0], pygame.Rect(rect.x + 500, rect.y + 10, size, size),
                       tr("sampling.reference"))
        elif self.prompt_entry is not None and self.attention is None:  # the image to describe, not its words
            draw_image(surface, theme, self.target[0], pygame.Rect(rect.x + 500, rect.y + 10, size, size), tr("sampling.describe"))
        elif self.attention is not None:
            t, maps = self.attention
            for i, (word, amap) in enumerate(maps.items()):
                box = pygame.Rect(rect.x + 500 + i * 105, rect.y + 10, 95, 95)
                draw_image(surface, theme, heat(amap), box, tr("sampling.attends", word=tr.word_in(word, self.prompt)))
            if self.prompt_entry is not None:  # the image the player described stays in view
                draw_image(surface, theme, self.target[0], pygame.Rect(rect.x + 710, rect.y + 10, 95, 95), tr("sampling.target"))
            theme.text(surface, tr("sampling.attention_at", t=t), (rect.x + 500, rect.y + 168), role="small", colour="muted", width=310)
        elif self.settling is not None and self.final_score is not None:
            ts, likeness, settled = self.settling
            curve = np.interp(np.arange(TRAIN_TIMESTEPS), ts[::-1], likeness[::-1])
            box = pygame.Rect(rect.x + 500, rect.y + 10, 300, 150)
            draw_curves(surface, theme, box, [(curve, "text", tr("sampling.likeness_curve"))],
                        markers=((self.prediction, "accent2"), (settled, "accent")))
            theme.text(surface, tr("sampling.likeness_legend"), (box.x, box.bottom + 12), role="small", colour="muted", width=box.width)
        elif self.prompt_entry is None:
            theme.text(surface, tr("sampling.prompt", prompt=self.shown_prompt()), (rect.x + 500, rect.y + 20), role="heading", colour="accent")
        draw_run(surface, self.app, self.run, pygame.Rect(rect.x, rect.y + 300, 730, 150),
                 self.values["sampler"] if self.run is None else self.run.sampler.kind, self.values["guidance"])

    def shown_prompt(self) -> str:
        return self.app.tr.phrase(self.prompt)


def heat(amap: np.ndarray) -> np.ndarray:
    """A map scaled to [0, 1] as a (3, H, W) image in [−1, 1] along a dark-blue → yellow ramp
    (cividis-like: ordered in lightness, readable with colour-blindness)."""
    v = (amap - amap.min()) / (np.ptp(amap) + 1e-8)
    rgb = np.stack([0.0 + 1.0 * v, 0.13 + 0.77 * v, 0.30 + 0.0 * v - 0.1 * v])
    return (np.clip(rgb, 0, 1) * 2 - 1).astype(np.float32)
