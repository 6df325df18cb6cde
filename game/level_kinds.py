"""Each level kind: the metrics its activity measures and the schema of its [controls].

One table, read by the level loader (and so by `diffusion-quest validate`): a file that
passes it plays. A control left out takes the schema's default; an unknown control, a
value of the wrong type, a range with min > start or start > max, a sampler the core does
not know or a step count it cannot do, a word outside the model's vocabulary, are errors
that name the file and the field. Pygame-free, like the loader.
"""

import math
from dataclasses import dataclass

from sim_core.samplers import KINDS as SAMPLERS
from sim_core.samplers import max_steps
from sim_core.schedules import KINDS as SCHEDULES
from sim_core.worlds.shapes import VOCABULARY
from sim_core.worlds.toy2d import KINDS as TOY_DATA

# every shipped model's schedule has this many timesteps (tests/test_level_kinds.py checks
# the model cards), so a level's t and step ranges are checked against it
TRAIN_TIMESTEPS = 1000
MAX_SEED = 2**32 - 1


class ControlError(ValueError):
    """A control that does not fit its schema; the loader adds the file name."""


def is_number(value) -> bool:
    """A finite int or float (not a bool; an int too large for a float is not finite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value) < 1e300 if isinstance(value, int) else math.isfinite(value)


@dataclass(frozen=True)
class Number:
    """A finite number in [lo, hi] (a whole one when `whole`)."""

    lo: float
    hi: float
    default: float
    whole: bool = False

    def describe(self) -> str:
        return f"a {'whole ' if self.whole else ''}number from {self.lo} to {self.hi}"

    def check(self, value, name: str):
        if not is_number(value) or (self.whole and not isinstance(value, int)) or not self.lo <= value <= self.hi:
            raise ControlError(f"field '{name}' must be {self.describe()}; got {value!r}")
        return value


@dataclass(frozen=True)
class Range:
    """A slider: {min, max, start} with lo ≤ min ≤ start ≤ max ≤ hi."""

    lo: float
    hi: float
    default: dict
    whole: bool = False

    def check(self, value, name: str) -> dict:
        what = (f"a table {{min, max, start}} of {'whole ' if self.whole else ''}numbers with "
                f"{self.lo} ≤ min ≤ start ≤ max ≤ {self.hi}")
        if not isinstance(value, dict) or set(value) != {"min", "max", "start"}:
            raise ControlError(f"field '{name}' must be {what}; got {value!r}")
        bound = Number(self.lo, self.hi, 0, self.whole)
        for key in ("min", "max", "start"):
            bound.check(value[key], f"{name}.{key}")
        if not value["min"] <= value["start"] <= value["max"] or value["min"] == value["max"]:
            raise ControlError(f"field '{name}' must be {what} (and min < max); got {value!r}")
        return value


@dataclass(frozen=True)
class Choice:
    options: tuple
    default: str

    def check(self, value, name: str) -> str:
        if value not in self.options:
            raise ControlError(f"field '{name}' must be one of {', '.join(self.options)}; got {value!r}")
        return value


@dataclass(frozen=True)
class Choices:
    """A non-empty list of distinct options."""

    options: tuple
    default: tuple

    def check(self, value, name: str) -> list:
        if not isinstance(value, list) or not value or len(set(map(repr, value))) != len(value) \
                or any(v not in self.options for v in value):
            raise ControlError(f"field '{name}' must be a list of distinct items from {', '.join(self.options)}; got {value!r}")
        return value


@dataclass(frozen=True)
class Flag:
    default: bool = False

    def check(self, value, name: str) -> bool:
        if not isinstance(value, bool):
            raise ControlError(f"field '{name}' must be true or false; got {value!r}")
        return value


@dataclass(frozen=True)
class Prompt:
    """A prompt in the model's words ("": none, or the player writes it with editable_prompt)."""

    default: str | None = None  # None: the level's target prompt

    def check(self, value, name: str) -> str:
        return check_prompt(value, name, allow_empty=True)


def check_prompt(value, name: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or not (value.strip() or allow_empty):
        raise ControlError(f"field '{name}' must be a prompt such as \"red star\"; got {value!r}")
    try:
        VOCABULARY.parse(value)
    except ValueError as e:
        raise ControlError(f"field '{name}': {e}") from None
    return value


T = Number(0, TRAIN_TIMESTEPS - 1, 0, whole=True)

@dataclass(frozen=True)
class Kind:
    metrics: tuple  # what its activity can measure (objective.metric)
    controls: dict  # the schema of its [controls]
    draws_target: bool = True  # False: target.prompt is not used and may be ""
    answer: dict | None = None  # the schema of its [answer]: what a player sets to win (game.tour.play_level)


STEPS, GUIDANCE = Number(1, TRAIN_TIMESTEPS, 50, whole=True), Number(0.0, 30.0, 7.5)
THIRDS = ("small", "middle", "large")  # of t: 0–332, 333–665, 666–999 (the denoiser's predictions)
STRAIGHTER = ("ddim", "flow", "same")  # whose paths are straighter (the 2-D paths' prediction)


KINDS = {
    "forward": Kind(("t_error",), {
        "schedule": Choice(SCHEDULES, "cosine"), "t_start": T,
        "signal_below": Number(0.1, 0.95, 0.1)},
        answer={"t": T}),
    "walk_jump": Kind(("variance_gap", "jump_guess"), {
        "schedule": Choice(SCHEDULES, "linear"), "target_t": Number(1, TRAIN_TIMESTEPS - 1, 300, whole=True),
        # jump_guess: the player's guess, before the jump, of the variance of its noise
        "predict_variance": Range(0.0, 1.0, None)},
        answer={"guess": Number(0.0, 1.0, 0.0)}),  # after walking to target_t, before the jump
    "schedules": Kind(("snr_error",), {
        "schedules": Choices(SCHEDULES, ("linear", "cosine")), "required_schedule": Choice(SCHEDULES, "cosine"),
        "t_start": T,
        # before the first Check: which schedule spends more steps in near-pure noise (√ᾱ_t < 0.1)?
        "predict_noisier": Flag()},
        answer={"noisier": Choice((*SCHEDULES, "same"), "linear"), "kind": Choice(SCHEDULES, "cosine"), "t": T}),
    "unet": Kind(("t_with_ssim",), {
        "t_start": Number(0, TRAIN_TIMESTEPS - 1, 300, whole=True), "ssim_min": Number(0.0, 1.0, 0.6)},
        answer={"t": T}),
    "toy2d": Kind(("chamfer",), {
        # the ranges of the level's sliders; training reports every 50 steps; the toy world has T = 200
        "data": Choice(TOY_DATA, "moons"), "hidden": Number(4, 128, 32, whole=True),
        "train_steps": Number(50, 20000, 1500, whole=True), "steps": Number(2, 200, 50, whole=True)},
        draws_target=False,
        answer={"schedule": Choice(SCHEDULES, "linear"), "hidden": Number(4, 128, 32, whole=True),
                "steps": Number(2, 200, 50, whole=True)}),
    "latent": Kind(("judge_confidence", "speedup_guess"), {
        "steps": Range(1, TRAIN_TIMESTEPS, {"min": 10, "max": 50, "start": 30}, whole=True),
        "guidance": Number(0.0, 30.0, 7.5),
        # speedup_guess: the player's guess, before the run, of how many times faster the latent side is
        "predict_faster": Range(1.0, 100.0, None)},
        answer={"steps": STEPS, "predict_faster": Number(1.0, 100.0, 1.0)}),
    "flawed_schedule": Kind(("darkest_guess",), {
        # model A (ᾱ_T > 0, ε) and model B (ᾱ_T = 0, v) draw the prompt from the same `seeds` noises
        "seeds": Number(4, 32, 16, whole=True), "steps": Number(10, 100, 25, whole=True),
        "guidance": Number(0.0, 30.0, 3.0),
        # darkest_guess: the player's guess, before the run, of model A's darkest background (0–100 %)
        "predict_darkest": Range(0, 100, None, whole=True)},
        answer={"guess": Number(0, 100, 0, whole=True)}),
    "denoiser": Kind(("peaks_named",), {
        # peaks_named: how many of the two errors' peaks (noise, image) the player placed in the right
        # third of t before the curves, measured over `batch` images, were revealed
        "t_start": T, "batch": Number(4, 64, 16, whole=True)},
        draws_target=False,
        answer={"epsilon": Choice(THIRDS, "small"), "image": Choice(THIRDS, "large")}),
    "paths2d": Kind(("straighter_named",), {
        # straighter_named: 1 when the player, before the paths are drawn, named the family (DDIM or
        # flow matching, or "same") whose paths come out straighter; both models trained live
        "data": Choice(TOY_DATA, "moons"), "hidden": Number(8, 128, 32, whole=True),
        "train_steps": Number(100, 20000, 1500, whole=True), "steps": Number(2, 200, 20, whole=True)},
        draws_target=False,
        answer={"straighter": Choice(STRAIGHTER, "ddim")}),
    "sampling": Kind(("judge_confidence", "ssim", "restored", "budget_steps", "guided", "settle_t"), {
        "samplers": Choices(SAMPLERS, ("ddim",)),
        # a slider left out is not offered: the run takes FIXED's value (and starts from noise)
        "steps": Range(1, TRAIN_TIMESTEPS, None, whole=True), "guidance": Range(0.0, 30.0, None),
        "start_t": Range(1, TRAIN_TIMESTEPS - 1, None, whole=True),
        # settle_t: the player's guess, before the run, of the t from which x̂₀ already looks like
        # the final image (SSIM ≥ settle_ssim at every later step)
        "predict_t": Range(0, TRAIN_TIMESTEPS - 1, None, whole=True), "settle_ssim": Number(0.5, 0.99, 0.8),
        # with start_t: the damaged image the player restores, the target's seed drawn with these
        # words (same place, size and angle; "red square" for a green square painted red)
        "start_from": Prompt(""),
        # with start_from: the player may cover a part of the damaged image; only it is painted
        # anew (inpainting), the rest kept as it is
        "paint_mask": Flag(),
        "clipped_limit": Number(0.0, 1.0, 1.0),
        # budget_steps: the run counts when it lands where many small steps land from the same x_T
        # and guidance (the deterministic DDIM with reference_steps), to SSIM ≥ reference_ssim
        "reference_steps": Number(50, TRAIN_TIMESTEPS, 200, whole=True), "reference_ssim": Number(0.0, 1.0, 0.8),
        "prompt": Prompt(), "editable_prompt": Flag(), "show_attention": Flag(), "skips": Flag()},
        # prompt: what the player types (editable_prompt), in the model's words
        answer={"sampler": Choice(SAMPLERS, "ddim"), "steps": STEPS, "guidance": GUIDANCE,
                "start_t": Number(1, TRAIN_TIMESTEPS - 1, 500, whole=True), "predict_t": T, "prompt": Prompt()}),
}
# a metric that measures against a control the player sets needs that control offered
METRIC_NEEDS = {"settle_t": "predict_t", "speedup_guess": "predict_faster", "jump_guess": "predict_variance",
                "darkest_guess": "predict_darkest"}
FIXED = {"steps": 50, "guidance": 7.5}  # a sampling level's values when it offers no slider for them
METRICS = {name: kind.metrics for name, kind in KINDS.items()}


def check_answer(kind: str, answer) -> dict:
    """A level's [answer] (the settings that win it, for the screenshot tour's won screens
    and the test that every level can be won): ControlError for an unknown setting or a
    value outside its schema."""
    schema = KINDS[kind].answer
    if not isinstance(answer, dict) or not answer:
        raise ControlError(f"field 'answer' must be a table of the settings that win, from {', '.join(schema)}; got {answer!r}")
    unknown = sorted(set(answer) - set(schema))
    if unknown:
        raise ControlError(f"field 'answer.{unknown[0]}' is not a setting of kind {kind!r} (its settings: {', '.join(schema)})")
    return {key: schema[key].check(value, f"answer.{key}") for key, value in answer.items()}


def check_controls(kind: str, controls, target_prompt: str) -> dict:
    """The level's controls with every default filled in; ControlError for any that does
    not fit `kind`'s schema or contradicts another."""
    if not isinstance(controls, dict):
        raise ControlError(f"field 'controls' must be a table; got {controls!r}")
    schema = KINDS[kind].controls
    unknown = sorted(set(controls) - set(schema))
    if unknown:
        raise ControlError(f"field 'controls.{unknown[0]}' is not a control of kind {kind!r} "
                           f"(its controls: {', '.join(schema)})")
    out = {}
    for key, field in schema.items():
        out[key] = field.check(controls[key], f"controls.{key}") if key in controls else field.default
    if "required_schedule" in schema and out["required_schedule"] not in out["schedules"]:
        raise ControlError(f"field 'controls.required_schedule' must be one of controls.schedules "
                           f"({', '.join(out['schedules'])}); got {out['required_schedule']!r}")
    if "samplers" in schema:
        limit = min(max_steps(s, TRAIN_TIMESTEPS) for s in out["samplers"])
        if out["steps"] and out["steps"]["max"] > limit:
            raise ControlError(f"field 'controls.steps.max' must be at most {limit} for samplers "
                               f"{', '.join(out['samplers'])}; got {out['steps']['max']!r}")
        if out["prompt"] is None:
            out["prompt"] = target_prompt
        elif not out["prompt"].strip() and not out["editable_prompt"]:
            raise ControlError("field 'controls.prompt' may be empty only with editable_prompt = true")
        if bool(out["start_t"]) != bool(out["start_from"].strip()):
            # restoring the target itself, noised, is won by the smallest t: nothing to restore
            raise ControlError("fields 'controls.start_t' and 'controls.start_from' go together: start_t offers "
                               "the start t, start_from names the damaged image it noises (e.g. \"red square\")")
        if out["paint_mask"] and not out["start_from"].strip():
            raise ControlError("field 'controls.paint_mask' needs controls.start_from: the mask covers a part of "
                               "the damaged image")
        if out["paint_mask"] and out["skips"] and len(out["samplers"]) > 1:
            raise ControlError("field 'controls.paint_mask' leaves no room on screen for its button with both "
                               "several samplers and skips; offer one sampler or leave skips out")
    return out
