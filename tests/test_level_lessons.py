"""A goal needs the concept (DESIGN.md, teaching principles): no campaign level gives 3 stars
with its default settings, or with any one control pushed to an end while the rest stay
at their defaults. Each level is played here as a player would: set the controls, run,
press Check. The levels whose lesson is a trade-off also show it: an end misses the stars
that a setting in between wins."""

import pytest

from conftest import drawn_text, press, running_app
from game.levels import load_all_levels
from game.scenes.sampling_level import SLIDERS
from game.tour import play_level

LEVELS = {lv.id: lv for lv in load_all_levels()}  # the Explore menu's too


@pytest.fixture(scope="module")
def app():
    """One app for the module: each play pushes its level and pops it."""
    yield from running_app()



def ends(level) -> list[tuple[str, dict]]:
    """(label, changes to the defaults): the defaults, then each control at each of its ends
    (each option of a menu)."""
    c, kind = level.controls, level.kind
    plays = [("defaults", {})]
    if kind == "sampling":
        for key in SLIDERS:
            if c[key]:
                plays += [(f"{key}={c[key][end]}", {key: c[key][end]}) for end in ("min", "max")]
        plays += [(f"sampler={s}", {"sampler": s}) for s in c["samplers"][1:]]
        if c["skips"]:
            plays.append(("skips=off", {"skips": False}))
        if c["paint_mask"]:
            plays.append(("mask=all", {"mask": 1.0}))  # the whole image covered
    elif kind == "walk_jump":
        plays += [(f"guess={c['predict_variance'][end]}", {"guess": c["predict_variance"][end]}) for end in ("min", "max")]
    elif kind in ("forward", "unet"):
        plays += [("t=0", {"t": 0}), ("t=999", {"t": 999})]
    elif kind == "schedules":
        plays += [(f"t={t}", {"t": t}) for t in (0, 999)]
        plays += [(f"schedule={k}", {"kind": k}) for k in c["schedules"] if k != c["schedules"][0]]
        plays.append(("zero_snr", {"zero_snr": True}))
    elif kind == "latent":
        plays += [(f"{key}={c[key][end]}", {key: c[key][end]}) for key in ("steps", "predict_faster") if c[key]
                  for end in ("min", "max")]
    elif kind == "denoiser":  # one prediction alone is refused; both in the same third is one right at most
        plays += [("epsilon-only", {"epsilon": "small"}), ("image-only", {"image": "large"}),
                  ("both-small", {"epsilon": "small", "image": "small"}), ("both-large", {"epsilon": "large", "image": "large"})]
    elif kind == "paths2d":  # no prediction is refused; each wrong one loses
        plays += [(f"straighter={f}", {"straighter": f}) for f in ("flow", "same")]
    elif kind == "flawed_schedule":
        plays += [(f"guess={c['predict_darkest'][end]}", {"guess": c["predict_darkest"][end]}) for end in ("min", "max")]
    elif kind == "toy2d":
        plays += [("hidden=4", {"hidden": 4}), ("hidden=128", {"hidden": 128}),
                  ("steps=2", {"steps": 2}), ("steps=200", {"steps": 200}), ("schedule=cosine", {"schedule": "cosine"})]
    return plays


def stars_for(app, level, changes: dict) -> tuple[int, object]:
    """Play `level` with `changes` to its defaults; (stars, score) after Check."""
    scene = play_level(app, level, changes)
    try:
        return (0, None) if scene.result is None else (scene.result[1], scene.result[0])
    finally:
        app.pop()


PLAYS = [(level_id, label, changes) for level_id, level in LEVELS.items() for label, changes in ends(level)]


@pytest.mark.parametrize("level_id, label, changes", PLAYS, ids=[f"{i}-{label}" for i, label, _ in PLAYS])
def test_no_level_is_won_by_its_defaults_or_one_control_at_an_end(app, level_id, label, changes):
    stars, score = stars_for(app, LEVELS[level_id], changes)
    assert stars < 3, (level_id, label, score)



@pytest.mark.parametrize("level_id", LEVELS)
def test_every_level_is_won_by_its_answer(app, level_id):
    """Each level file's [answer], played as a player would, earns 3 stars (the tour's won
    screens show it); the latent level's answer is a guess of a speed this machine measures,
    so there any star is a win."""
    level = LEVELS[level_id]
    assert level.answer, f"{level_id} has no [answer]"
    stars, score = stars_for(app, level, level.answer)
    assert stars >= (1 if level.objective["metric"] == "speedup_guess" else 3), (level_id, level.answer, score)

# the setting in between that wins each trade-off (or prediction) level
MIDDLE = {
    "restore": {"start_t": 450},
    "final": {"start_t": 450, "steps": 50, "guidance": 3.0},
    "fast-samplers": {"sampler": "ddim", "steps": 15},
    "reverse-ddpm": {"predict_t": 350},  # x̂₀ settles at t = 349 here
    "score-view": {"schedule": "cosine", "hidden": 128},  # neither alone is enough
    "flawed-schedule": {"guess": 30},  # A's darkest background is 29 % here (the real one 7 %, B's 12 %)
}


@pytest.mark.parametrize("level_id", MIDDLE)
def test_the_trade_off_is_won_in_the_middle(app, level_id):
    stars, score = stars_for(app, LEVELS[level_id], MIDDLE[level_id])
    assert stars == 3, (level_id, score)


@pytest.mark.parametrize("level_id", ["restore", "final"])
def test_restoring_needs_noise_enough_to_repaint_and_little_enough_to_keep_the_place(app, level_id):
    """The start t noises the damaged image, not the target: the damaged image itself earns
    no star (the judge sees its wrong colour), nor does the smallest start t."""
    from game.scenes.campaign import level_scene

    level = LEVELS[level_id]
    scene = level_scene(app, level)
    judge, _ = app.try_judge()
    assert scene.measure(scene.damaged, judge) < level.objective["stars"][0]
    assert not scene.verdict.agrees_with(level.target["prompt"])
    low, score = stars_for(app, level, {**MIDDLE[level_id], "start_t": 50})
    assert low < 3, score


def cover(app, scene, reach: float):
    """Drag the mouse over a square of half-side `reach` (model pixels) round the target's
    shape on the damaged image, row by row, as a player covers it."""
    import numpy as np
    import pygame

    from sim_core.worlds.shapes import render_seed

    shape = render_seed(scene.level.target["seed"], scene.level.target["prompt"])
    box, unit = scene.canvas_rect(), scene.canvas_rect().width / 32
    (cx, cy) = shape.center
    for y in np.arange(cy - reach + 1, cy + reach - 0.5, 1.5):
        points = [(box.x + x * unit, box.y + y * unit) for x in np.linspace(cx - reach + 1, cx + reach - 1, 12)]
        app.dispatch(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=points[0], button=1))
        for p in points[1:]:
            app.dispatch(pygame.event.Event(pygame.MOUSEMOTION, pos=p, rel=(0, 0), buttons=(1, 0, 0)))
        app.dispatch(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=points[-1], button=1))
    return shape


def test_restore_repaints_only_what_the_player_covers_and_needs_all_of_the_damage_covered(app):
    """Level 7's cover (inpainting): over the whole heart, the heart is repainted red and
    every pixel outside the cover is the damaged image's; over its centre only, the yellow
    outside the cover stays and the judge sees it. Uncover all clears it."""
    import numpy as np

    from game.scenes.campaign import level_scene

    level = LEVELS["restore"]
    results = {}
    for name, reach in (("whole", None), ("centre", 0.5)):
        scene = level_scene(app, level)
        app.push(scene)
        try:
            shape = cover(app, scene, reach * 4 if reach else 1)  # a stroke to clear first
            press(app, scene.clear_mask)
            assert not scene.canvas.mask.any()
            cover(app, scene, shape.radius * reach if reach else shape.radius + 1.5)
            mask = scene.canvas.model_mask()[0, 0]
            scene.values.update(MIDDLE["restore"])
            press(app, scene.go)
            assert app.run_until(lambda scene=scene: scene.final_score is not None, timeout=600)
            final = scene.run.final[0]
            np.testing.assert_array_equal(final[:, mask == 0], scene.damaged[0][:, mask == 0])
            press(app, scene.check)
            results[name] = (scene.result, scene.verdict, mask.mean())
        finally:
            app.pop()
    (whole_result, whole_verdict, whole_area), (_, centre_verdict, centre_area) = results["whole"], results["centre"]
    assert whole_verdict.agrees_with("red heart") and whole_result[1] >= 2, whole_result
    assert not centre_verdict.agrees_with("red heart") and centre_area < whole_area / 3


def test_a_level_that_asks_for_a_prompt_does_not_say_it(app):
    """Level 9 shows the image to describe: its goal, text and hints name neither its colour
    nor its shape, in any form of either language."""
    from game.i18n import LANGUAGES

    level = LEVELS["prompts"]
    words = set()
    for lang in LANGUAGES:
        app.switch_language(lang)
        for word in level.target["prompt"].split():
            words |= {form.lower() for form in app.tr(f"words.{word}").split("|")}
    app.switch_language("es")
    texts = [level.goal, level.text, *level.hints]
    said = " ".join(text[lang].lower() for text in texts for lang in LANGUAGES)
    assert words >= {"purple", "morado", "triangle", "triángulo"} and not any(w in said for w in words), words


def test_the_forward_level_hides_the_coefficients_until_check(app):
    """Level 1 is judged by eye: √ᾱ_t is printed only for the t a Check judged, with the way to go."""
    from game.scenes.campaign import level_scene

    scene = level_scene(app, LEVELS["forward-noise"])
    app.push(scene)
    try:
        signal = app.tr.number(float(scene.schedule.signal_scale[400]), ".3f")
        scene.t = 400
        assert signal not in drawn_text(app)
        press(app, scene.check)
        assert scene.message[0] == "forward.more_t" and signal in drawn_text(app)
        scene.t = 999  # moving on shows nothing new until the next Check
        assert signal in drawn_text(app) and app.tr.number(float(scene.schedule.signal_scale[999]), ".3f") not in drawn_text(app)
        press(app, scene.check)
        assert scene.message[0] == "forward.less_t"
    finally:
        app.pop()


def test_the_flawed_schedule_level_shows_what_lin_et_al_found(app):
    """From the same noises, the ε model trained with ᾱ_T > 0 cannot draw the dark backgrounds
    the world has: its darkest lies ≥ 15 points above the real darkest, while the v model with
    ᾱ_T = 0 comes within 8 points; the ε model's backgrounds crowd toward grey (a narrower
    spread than the real ones)."""
    from game.scenes.campaign import level_scene

    scene = level_scene(app, LEVELS["flawed-schedule"])
    app.push(scene)
    try:
        press(app, scene.go)
        assert app.run_until(lambda: scene.final_score is not None, timeout=600)
        r, b = scene.ranges(), scene.backgrounds
        assert r["a_min"] - r["real_min"] >= 0.15 and r["b_min"] - r["real_min"] <= 0.08, r
        assert b["a"].std() < 0.8 * b["real"].std() and b["b"].std() > 0.7 * b["real"].std(), {k: v.std() for k, v in b.items()}
    finally:
        app.pop()
