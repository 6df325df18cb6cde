"""The forward-process activities (chapter 1), one class per level `kind`."""

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIDropDownMenu, UIHorizontalSlider, UILabel

from game.scenes.level import LevelScene
from game.widgets.image_view import draw_image
from game.widgets.plots import draw_curves, draw_histogram
from sim_core.forward import q_sample, q_step
from sim_core.metrics import ssim
from sim_core.parameterization import pred_original_sample
from sim_core.schedules import make_schedule
from sim_core.worlds.shapes import render_seed


class ForwardLevel(LevelScene):
    """Scrub t and watch x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε dissolve; the pixel histogram turns
    into N(0, 1). Metric t_error: distance from the first t where √ᾱ_t < signal_below. The
    coefficients stay hidden while t moves (the player judges by eye, then checks): each Check
    shows them for the t it judged, and which way the first t below the threshold lies."""

    def __init__(self, app, level, **hooks):
        super().__init__(app, level, **hooks)
        c = level.controls
        self.schedule = make_schedule(c.get("schedule", "cosine"))
        self.x0 = render_seed(level.target["seed"], level.target["prompt"]).image[None]
        self.noise = np.random.default_rng(level.target["seed"]).standard_normal(self.x0.shape, dtype=np.float32)
        self.t = int(c.get("t_start", 0))
        self.signal_below = float(c.get("signal_below", 0.1))
        self.checked = None  # the t of the last Check: its coefficients are shown

    def build_controls(self):
        self.slider = self.add(UIHorizontalSlider((30, 560, 700, 36), self.t, (0, self.schedule.num_steps - 1), self.app.ui))

    def handle_activity_event(self, event):
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.slider:
            self.t = int(event.value)
            return True
        return False

    def target(self) -> int:
        return int(np.argmax(self.schedule.signal_scale < self.signal_below))

    def score(self):
        self.checked = self.t
        return abs(self.t - self.target())

    def measured_text(self) -> str:
        return self.app.tr("forward.measured", t=self.checked, signal=float(self.schedule.signal_scale[self.checked]),
                           below=self.signal_below, target=self.target())

    def check_score(self):
        super().check_score()
        if self.level.stars(self.result[0]) < 3:  # which way: the signal left at the judged t against the threshold
            signal = float(self.schedule.signal_scale[self.checked])
            self.message = ("forward.more_t" if signal >= self.signal_below else "forward.less_t",
                            {"t": self.checked, "signal": signal, "below": self.signal_below})

    def draw_activity(self, surface, rect):
        theme, tr = self.app.theme, self.app.tr
        x_t = q_sample(self.x0, self.t, self.noise, self.schedule)
        draw_image(surface, theme, x_t[0], pygame.Rect(rect.x, rect.y + 10, 300, 300), tr("forward.caption", t=self.t))
        draw_histogram(surface, theme, pygame.Rect(rect.x + 340, rect.y + 10, 420, 300), x_t)
        y = theme.text(surface, tr("formula.forward"), (rect.x, rect.y + 380), role="formula").bottom + 4
        if self.checked is None:
            theme.text(surface, tr("forward.hidden"), (rect.x, y), role="small", colour="muted", width=rect.width - 20)
            return
        a, b = float(self.schedule.signal_scale[self.checked]), float(self.schedule.noise_scale[self.checked])
        theme.text(surface, tr("formula.forward_numbers", a=a, b=b, t=self.checked), (rect.x + 40, y),
                   role="formula", colour="accent")


class WalkJumpLevel(LevelScene):
    """Walk the Markov chain one step at a time, or jump with the closed form: both land on
    the same distribution. Metric variance_gap: |Var_walk − Var_jump| / (1 − ᾱ_t) of
    x_t − √ᾱ_t x₀ over the pixels, once the walk reaches target_t; jump_guess: the player
    predicts Var_jump before jumping (from the walk's), scored |guess − Var_jump| / (1 − ᾱ_t),
    and 1 − ᾱ_t is shown only after the jump."""

    TRY_ON_CHECK = False  # the jump locks the guess

    def __init__(self, app, level, **hooks):
        super().__init__(app, level, **hooks)
        self.schedule = make_schedule(level.controls.get("schedule", "linear"))
        self.target_t = int(level.controls.get("target_t", 300))
        self.x0 = render_seed(level.target["seed"], level.target["prompt"]).image[None]
        self.rng = np.random.default_rng(level.target["seed"])
        self.walk, self.walk_t = self.x0, -1  # x_{−1} is x₀
        self.jump = None
        guess = level.controls.get("predict_variance")
        self.guess = guess["start"] if guess else None
        self.prediction = None  # jump_guess: the guess as it stood at the jump

    def build_controls(self):
        tr, ui = self.app.tr, self.app.ui
        self.step_buttons = {self.add(UIButton((30 + i * 130, 560, 120, 44), tr("walk.steps" if n > 1 else "walk.step_one", n=n), ui)): n
                             for i, n in enumerate((1, 10, 100))}
        self.jump_button = self.add(UIButton((430, 560, 160, 44), tr("walk.jump"), ui))
        self.reset_button = self.add(UIButton((600, 560, 130, 44), tr("walk.reset"), ui))
        self.guess_slider = None
        if self.guess is not None:
            r = self.level.controls["predict_variance"]
            self.guess_label = self.add(UILabel((30, 612, 400, 24), tr("walk.guess", var=self.guess), ui))
            self.guess_slider = self.add(UIHorizontalSlider((430, 608, 300, 32), self.guess, (r["min"], r["max"]), ui,
                                                            click_increment=0.01))

    def handle_activity_event(self, event):
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.guess_slider:
            self.guess = round(float(event.value), 2)
            self.guess_label.set_text(self.app.tr("walk.guess", var=self.guess))
            return True
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if event.ui_element in self.step_buttons:
            for _ in range(min(self.step_buttons[event.ui_element], self.schedule.num_steps - 1 - self.walk_t)):
                self.walk_t += 1
                self.walk = q_step(self.walk, self.walk_t, self.rng.standard_normal(self.x0.shape, dtype=np.float32), self.schedule)
        elif event.ui_element is self.jump_button and self.walk_t >= 0:
            self.jump = (self.walk_t, q_sample(self.x0, self.walk_t, self.rng.standard_normal(self.x0.shape, dtype=np.float32), self.schedule))
            self.prediction = self.guess
            self.count_try()
        elif event.ui_element is self.reset_button:
            self.walk, self.walk_t, self.jump, self.result, self.prediction = self.x0, -1, None, None, None
        else:
            return False
        return True

    def stats(self, x, t):
        residual = x - self.schedule.signal_scale[t] * self.x0
        return float(residual.mean()), float(residual.var())

    def score(self):
        if self.walk_t != self.target_t or self.jump is None or self.jump[0] != self.target_t:
            self.message, self.result = ("walk.not_ready", {"t": self.target_t + 1}), None
            return None
        var_walk, var_jump = self.stats(self.walk, self.walk_t)[1], self.stats(self.jump[1], self.target_t)[1]
        reference = var_walk if self.level.objective["metric"] == "variance_gap" else self.prediction
        return abs(reference - var_jump) / (1 - float(self.schedule.alphas_cumprod[self.target_t]))

    def measured_text(self) -> str:
        var_walk, var_jump = self.stats(self.walk, self.walk_t)[1], self.stats(self.jump[1], self.target_t)[1]
        expected = 1 - float(self.schedule.alphas_cumprod[self.target_t])
        if self.level.objective["metric"] == "jump_guess":
            return self.app.tr("walk.measured_guess", guess=self.prediction, jump=var_jump, expected=expected)
        return self.app.tr("walk.measured_both", walk=var_walk, jump=var_jump, expected=expected)

    def draw_activity(self, surface, rect):
        theme, tr = self.app.theme, self.app.tr
        t = max(self.walk_t, 0)
        draw_image(surface, theme, self.walk[0], pygame.Rect(rect.x, rect.y + 10, 260, 260), tr("walk.walk_caption", t=self.walk_t + 1))
        jump = None if self.jump is None else self.jump[1][0]
        draw_image(surface, theme, jump, pygame.Rect(rect.x + 300, rect.y + 10, 260, 260), tr("walk.jump_caption"))
        expected = 1 - float(self.schedule.alphas_cumprod[t]) if self.walk_t >= 0 else 0.0
        y = rect.y + 330
        if self.guess is None or self.jump is not None:  # with a guess to make, the formula's value comes after the jump
            theme.text(surface, tr("walk.expected", var=expected), (rect.x, y), role="formula")
        else:
            theme.text(surface, tr("walk.predict_first"), (rect.x, y), role="small", colour="muted", width=rect.width - 20)
        if self.walk_t >= 0:
            theme.text(surface, tr("walk.measured", which=tr("walk.walk_name"), var=self.stats(self.walk, self.walk_t)[1]),
                       (rect.x, y + 34), role="formula", colour="accent2")
        if self.jump is not None:
            theme.text(surface, tr("walk.measured", which=tr("walk.jump_name"), var=self.stats(self.jump[1], self.jump[0])[1]),
                       (rect.x, y + 68), role="formula", colour="accent")


class SchedulesLevel(LevelScene):
    """Compare noise schedules on β_t, ᾱ_t and log-SNR; find t where SNR = 1 (as much signal
    as noise) on the required schedule. Metric snr_error: |log SNR(t)|. As in level 1 the
    numbers stay hidden while t moves (the curves, with the other schedules' ᾱ_t beside and
    a guide at half height, are to be read): each Check prints them for the t it judged."""

    def __init__(self, app, level, **hooks):
        super().__init__(app, level, **hooks)
        self.kinds = list(level.controls.get("schedules", ["linear", "cosine"]))
        self.required = level.controls.get("required_schedule", self.kinds[-1])
        self.kind, self.t = self.kinds[0], int(level.controls.get("t_start", 0))
        self.zero_snr = False
        self.checked = None  # the t of the last valid Check: its numbers are shown
        # predict_noisier: the player's pick (a schedule, or "same") of the one that spends more
        # steps with √ᾱ_t < NEAR_NOISE; the counts are shown once it is made
        self.noisier = None
        self.schedules = {(k, z): make_schedule(k, zero_terminal_snr=z) for k in self.kinds for z in (False, True)}
        self.x0 = render_seed(level.target["seed"], level.target["prompt"]).image[None]
        self.noise = np.random.default_rng(level.target["seed"]).standard_normal(self.x0.shape, dtype=np.float32)

    def build_controls(self):
        ui = self.app.ui
        self.add(UILabel((30, 520, 200, 30), self.app.tr("schedules.schedule"), ui))
        self.menu = self.add(UIDropDownMenu(self.app.tr.options(self.kinds), self.app.tr.option(self.kind), (230, 520, 200, 36), ui))
        self.zero_button = self.add(UIButton((450, 520, 280, 36), self.zero_text(), ui))
        self.slider = self.add(UIHorizontalSlider((30, 564, 700, 36), self.t, (0, 999), ui))
        self.noisier_buttons = {}
        if self.level.controls["predict_noisier"]:
            options = [*self.kinds, "same"]
            for i, option in enumerate(options):
                label = self.app.tr("schedules.same") if option == "same" else self.app.tr.option(option)[0]
                button = self.add(UIButton((30 + i * 130, 470, 120, 36), label, ui))
                if self.noisier is not None:
                    button.disable()
                self.noisier_buttons[button] = option

    NEAR_NOISE = 0.1  # √ᾱ_t below this: less than a tenth of the signal left

    def noisy_steps(self, kind: str) -> int:
        """How many of the schedule's steps keep less than NEAR_NOISE of the signal."""
        return int(np.sum(self.schedules[kind, False].signal_scale < self.NEAR_NOISE))

    def noisier_text(self) -> str:
        counts = {kind: self.noisy_steps(kind) for kind in self.kinds}
        truth = "same" if len(set(counts.values())) == 1 else max(counts, key=counts.get)
        tr = self.app.tr
        return tr("schedules.noisier_reveal", counts=", ".join(f"{tr.option(k)[0]} {n}" for k, n in counts.items()),
                  verdict=tr("schedules.noisier_right" if self.noisier == truth else "schedules.noisier_wrong"))

    def zero_text(self):
        return self.app.tr("schedules.zero_on" if self.zero_snr else "schedules.zero_off")

    def handle_activity_event(self, event):
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.slider:
            self.t = int(event.value)
        elif event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED and event.ui_element is self.menu:
            self.kind, self.checked = event.selected_option_id, None  # the numbers were another schedule's
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.zero_button:
            self.zero_snr, self.checked = not self.zero_snr, None
            self.zero_button.set_text(self.zero_text())
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element in self.noisier_buttons:
            if self.noisier is None:  # the first pick is the prediction: then the counts show
                self.noisier = self.noisier_buttons[event.ui_element]
                for button in self.noisier_buttons:
                    button.disable()
        else:
            return False
        return True

    @property
    def schedule(self):
        return self.schedules[self.kind, self.zero_snr]

    def score(self):
        if self.level.controls["predict_noisier"] and self.noisier is None:
            self.message, self.result = ("schedules.predict_first", {}), None
            return None
        if self.kind != self.required or self.zero_snr:
            self.message, self.result = ("schedules.use", {"kind": self.app.tr.option(self.required)[0]}), None
            return None
        self.checked = self.t
        return abs(float(self.schedule.log_snr[self.t]))

    def measured_text(self) -> str:
        return self.app.tr("schedules.measured", t=self.checked, value=float(self.schedule.log_snr[self.checked]),
                           target=int(np.argmin(np.abs(self.schedule.log_snr))))

    def check_score(self):
        super().check_score()
        if self.result is not None and self.result[1] < 3:  # which way SNR = 1 lies from the judged t
            log_snr = float(self.schedule.log_snr[self.checked])
            self.message = ("schedules.more_t" if log_snr > 0 else "schedules.less_t", {"t": self.checked, "value": log_snr})

    def draw_activity(self, surface, rect):
        theme, tr = self.app.theme, self.app.tr
        s = self.schedule
        others = [(self.schedules[k, self.zero_snr].alphas_cumprod, "muted", tr("schedules.other", kind=tr.option(k)[0]))
                  for k in self.kinds if k != self.kind]
        draw_curves(surface, theme, pygame.Rect(rect.x, rect.y + 10, 500, 200),
                    [(s.betas, "accent2", r"$\beta_t$"), (s.alphas_cumprod, "accent", r"$\bar\alpha_t$"), (s.log_snr, "text", r"$\log \mathrm{SNR}$"), *others],
                    marker_t=self.t, guides=(0.5,))
        x_t = q_sample(self.x0, self.t, self.noise, s)
        draw_image(surface, theme, x_t[0], pygame.Rect(rect.x + 530, rect.y + 10, 200, 200), f"t = {self.t}")
        y = theme.text(surface, tr("formula.snr"), (rect.x, rect.y + 250), role="formula").bottom + 4
        if self.checked is None:
            theme.text(surface, tr("schedules.hidden"), (rect.x, y), role="small", colour="muted", width=rect.width - 20)
        else:
            t = self.checked
            snr, ac, n = float(s.snr[t]), float(s.alphas_cumprod[t]), tr.significant
            y = theme.text(surface, tr("formula.snr_numbers", a=n(ac), b=n(1 - ac), snr=n(snr), t=t),
                           (rect.x + 40, y), role="formula", colour="accent").bottom + 2
            theme.text(surface, tr("schedules.log_snr", value=float(s.log_snr[t])), (rect.x, y), role="formula", colour="text")
        if self.zero_snr:
            theme.text(surface, tr("schedules.zero_note"), (rect.x, rect.y + 360), role="small", colour="muted", width=rect.width - 20)
        if self.noisier_buttons:  # the prediction, and once made, the counts
            top = min(b.rect.top for b in self.noisier_buttons)
            theme.text(surface, tr("schedules.noisier_question", below=self.NEAR_NOISE), (rect.x, top - 4), role="small",
                       anchor="bottomleft")  # a root sign makes the line taller than the font
            if self.noisier is not None:
                right = max(b.rect.right for b in self.noisier_buttons)
                theme.text(surface, self.noisier_text(), (right + 14, top), role="small", colour="accent2",
                           width=rect.right - right - 14)



class UNetLevel(LevelScene):
    """Look inside the U-Net: its feature maps at every level for the target noised to t,
    and its one-shot estimate x̂₀ beside that of its twin trained without skip connections
    (assets/models/shapes32-noskips). Metric t_with_ssim: the chosen t if x̂₀ (with skips)
    reaches ssim_min against the clean image, else 0. The SSIMs stay hidden while t moves
    (the player judges x̂₀ by eye): each Check shows both for the t it judged, and which way
    to go."""

    def __init__(self, app, level, **hooks):
        super().__init__(app, level, **hooks)
        self.x0 = render_seed(level.target["seed"], level.target["prompt"]).image[None]
        self.noise = np.random.default_rng(level.target["seed"]).standard_normal(self.x0.shape, dtype=np.float32)
        self.t = int(level.controls.get("t_start", 300))
        self.ssim_min = float(level.controls.get("ssim_min", 0.6))
        self.view = None  # (t, x_t, x̂₀ with skips, the twin's x̂₀, feature maps, their two SSIMs)
        self.settled = 0.0  # seconds t has stayed put: the U-Net runs once the slider rests
        self.checked = None  # (t, SSIM) of the last Check: shown while t stays there

    IMAGE = 160  # px of each of the three images

    def caption_bottom(self) -> int:
        """Where the images' captions end: the tallest caption wrapped to an image's width,
        at the values that make it longest."""
        tr, theme = self.app.tr, self.app.theme
        captions = (tr("forward.caption", t=999), tr("unet.with_skips", ssim=0.99), tr("unet.with_skips_hidden"),
                    tr("unet.without_skips", ssim=0.99), tr("unet.without_skips_hidden"))
        return self.TOP + 10 + self.IMAGE + 10 + max(theme.text_height(c, "small", width=self.IMAGE) for c in captions)

    def build_controls(self):
        # the t slider under the images it changes; the U below it
        self.slider = self.add(UIHorizontalSlider((30, self.caption_bottom() + 8, 700, 32), self.t, (0, 999), self.app.ui))

    def handle_activity_event(self, event):
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.slider:
            self.t, self.settled = int(event.value), 0.0
            return True
        return False

    def update(self, dt):
        self.settled += dt
        if self.view is not None and (self.view[0] == self.t or self.settled < 0.15):
            return
        model = self.loaded_model()
        twin = self.loaded_model("noskips") if model is not None else None
        if twin is None:
            return

        s = model.schedule
        x_t = q_sample(self.x0, self.t, self.noise, s)
        cond = model.encode_prompt(self.level.target["prompt"])
        capture = {}
        scales = float(s.signal_scale[self.t]), float(s.noise_scale[self.t])
        x0_skips = pred_original_sample(model(x_t, self.t, cond, capture=capture), x_t, *scales, model.prediction_type)
        x0_twin = pred_original_sample(twin(x_t, self.t, cond), x_t, *scales, twin.prediction_type)
        likeness = tuple(float(ssim(np.clip(x0[0], -1, 1), self.x0[0])) for x0 in (x0_skips, x0_twin))
        self.view = (self.t, x_t, x0_skips, x0_twin, capture, likeness)

    def score(self):
        if self.view is None or self.view[0] != self.t:  # checked before the slider rested: x̂₀ of this t now
            self.settled = 1.0
            self.update(0.0)
        if self.view is None:  # no model: its message says why
            return None
        shown = round(self.view[5][0], 2)  # judged as the message prints it: "SSIM 0.60" passes 0.6
        self.checked = (self.t, shown, round(self.view[5][1], 2))
        return float(self.view[0]) if shown >= self.ssim_min else 0.0

    def measured_text(self) -> str:
        t, value, twin = self.checked
        return self.app.tr("unet.measured", t=t, ssim=value, least=self.ssim_min, twin=twin)

    def check_score(self):
        super().check_score()
        if self.result is not None and self.level.stars(self.result[0]) < 3:  # which way to go
            t, value, _ = self.checked
            self.message = ("unet.less_t" if value < self.ssim_min else "unet.more_t",
                            {"t": t, "ssim": value, "least": self.ssim_min})

    def draw_activity(self, surface, rect):
        if self.view is None:
            return
        theme, tr = self.app.theme, self.app.tr
        t, x_t, with_skips, without, capture, _ = self.view
        checked = self.checked is not None and self.checked[0] == t
        skips_caption = tr("unet.with_skips", ssim=self.checked[1]) if checked else tr("unet.with_skips_hidden")
        twin_caption = tr("unet.without_skips", ssim=self.checked[2]) if checked else tr("unet.without_skips_hidden")
        for i, (image, caption) in enumerate(((x_t, tr("forward.caption", t=t)), (with_skips, skips_caption),
                                              (without, twin_caption))):
            draw_image(surface, theme, np.clip(image[0], -1, 1),
                       pygame.Rect(rect.x + i * 250, rect.y + 10, self.IMAGE, self.IMAGE), caption)
        self.draw_diagram(surface, rect.x, self.slider.rect.bottom + 12, capture, bottom=surface.get_height() - 70)

    # encoder down the left arm of the U, the middle at the bottom, the decoder up the right
    LAYOUT = {"down.0": (0, 0), "down.1": (1, 1), "down.2": (2, 2), "mid": (3, 2.6),
              "up.0": (4, 2), "up.1": (5, 1), "up.2": (6, 0)}
    SKIPS = (("down.0", "up.2"), ("down.1", "up.1"), ("down.2", "up.0"))

    def stage_name(self, stage: str) -> str:
        """"down.0" as the player reads it: "bajada 1" (the code's names read as English)."""
        kind, _, index = stage.partition(".")
        return self.app.tr(f"unet.stage_{kind}", **({"i": int(index) + 1} if index else {}))

    def draw_diagram(self, surface, x0, y0, capture, bottom):
        """The U-Net as a U between y0 and bottom: each level a box of four of its feature
        maps, arrows along the U and the skip connections across it."""
        theme = self.app.theme
        label = theme.text(surface, self.app.tr("unet.features"), (x0, y0), role="small", colour="muted", width=720)
        caption = 2 * theme.font("small").get_linesize()  # stage name, then map size
        top = label.bottom + 8
        box = min(84, int((bottom - top - caption - 6) / 3.6))  # rows 0 … 2.6, a box tall
        captions = box >= 48  # where large text leaves no room for them, the boxes alone (the label says the sizes)
        if not captions:
            box = max(24, min(48, int((bottom - top - 6) / 3.6)))
        pos = {k: (x0 + col * (box + 20), round(top + row * box)) for k, (col, row) in self.LAYOUT.items()}
        centre = {k: (x + box // 2, y + box // 2) for k, (x, y) in pos.items()}
        for a, b in self.SKIPS:
            (ax, ay), (bx, by) = centre[a], centre[b]
            pygame.draw.line(surface, theme.colour("accent"), (ax + box // 2, ay), (bx - box // 2, by), 2)
        order = list(self.LAYOUT)
        for a, b in zip(order, order[1:]):
            pygame.draw.line(surface, theme.colour("muted"), centre[a], centre[b], 2)
        for stage, (x, y) in pos.items():
            fmap = capture[stage][0]
            pygame.draw.rect(surface, theme.colour("panel"), (x - 2, y - 2, box + 4, box + 4), border_radius=4)
            half = box // 2
            for j in range(4):
                tile = fmap[j]
                tile = (tile - tile.min()) / (np.ptp(tile) + 1e-6) * 2 - 1
                draw_image(surface, theme, np.repeat(tile[None], 3, axis=0),
                           pygame.Rect(x + (j % 2) * half, y + (j // 2) * half, half - 2, half - 2))
            if captions:
                theme.text(surface, f"{self.stage_name(stage)}\n{fmap.shape[1]}×{fmap.shape[2]}", (x + box // 2, y + box + 4),
                           role="small", colour="muted", anchor="midtop", width=box + 16)
