"""The screenshot tour: every screen the game has, visited headlessly — saved to PNG (for
tests and the README) or checked for layout (tests/test_layout.py) — and play_level, which
plays a level as a player would (the tour's won screens, tests/test_level_lessons.py)."""

import tempfile
from pathlib import Path

from game.app import App
from game.grids import MODES
from game.profile import ProfileStore
from game.scenes.campaign import CampaignScene, level_scene
from game.scenes.cards import CardsScene
from game.scenes.compare import CompareScene
from game.scenes.explore import ExploreScene
from game.scenes.lab import LabScene
from game.scenes.title import TitleScene


def settle(app) -> None:
    """A few frames, so widgets and text reach their resting place."""
    app.run_until(lambda: False, timeout=0.2)


def press(app, button) -> None:
    """A click on a pygame_gui button, as the UI reports it."""
    import pygame
    import pygame_gui

    app.dispatch(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=button))


def play_level(app, level, changes: dict, timeout: float = 600.0, **hooks):
    """Push `level`'s scene, change its defaults by `changes` (a level's [answer], or a
    test's), run what it runs and press Check, as a player would; the scene stays on top
    (result: (score, stars), or None where the Check was refused)."""
    from game.scenes.campaign import level_scene

    scene = level_scene(app, level, **hooks)
    app.push(scene)
    changes = dict(changes)

    def run(button) -> None:
        press(app, button)
        refused = level.kind == "sampling" and scene.run is None and scene.reference_run is None  # e.g. an empty prompt
        if not refused and not app.run_until(lambda: scene.final_score is not None, timeout=timeout):
            raise TimeoutError(f"{level.id}: the run did not end in {timeout:.0f} s")

    # what the player sets, then the controls rebuilt to show it, then what the player does
    mask, prompt = changes.pop("mask", None), changes.pop("prompt", None)
    if level.kind in ("sampling", "toy2d"):
        scene.values.update(changes)
    elif level.kind in ("forward", "schedules", "unet"):
        if level.kind == "schedules" and level.controls["predict_noisier"]:
            scene.noisier = changes.pop("noisier", "linear")  # the prediction comes first; it does not score
        for key, value in changes.items():
            setattr(scene, key, value)
    elif level.kind == "denoiser":
        scene.guess.update(changes)
    elif level.kind == "paths2d":
        scene.guess = changes.get("straighter", scene.guess)
    elif level.kind == "latent":
        scene.steps = changes.get("steps", scene.steps)
        scene.guess = changes.get("predict_faster", scene.guess)
    else:  # walk_jump, flawed_schedule: the guess
        scene.guess = changes.get("guess", scene.guess)
    scene.rebuild()

    if level.kind == "sampling":
        if mask is not None:
            scene.canvas.mask[:] = mask
        if prompt is not None and scene.prompt_entry is not None:
            scene.prompt_entry.set_text(app.tr.phrase(prompt))
        run(scene.go)
    elif level.kind == "unet":
        app.run_until(lambda: scene.view is not None and scene.view[0] == scene.t, timeout=timeout)
    elif level.kind == "walk_jump":  # walk to the target, then jump
        hundred = next(b for b, n in scene.step_buttons.items() if n == 100)
        while scene.walk_t < scene.target_t:
            press(app, hundred)
        press(app, scene.jump_button)
    elif level.kind in ("latent", "flawed_schedule"):
        run(scene.go)
    elif level.kind == "denoiser":
        press(app, scene.measure)
        app.run_until(lambda: scene.job is None or scene.job.done, timeout=timeout)
    elif level.kind == "paths2d":  # train both models, then draw the paths
        press(app, scene.train_button)
        app.run_until(lambda: scene.job is None, timeout=timeout)
        press(app, scene.go)
        app.run_until(lambda: scene.job is None, timeout=timeout)
    elif level.kind == "toy2d":
        press(app, scene.train_button)
        app.run_until(lambda: scene.training is None, timeout=timeout)
        press(app, scene.sample_button)
        app.run_until(lambda: scene.final is not None, timeout=timeout)
    press(app, scene.check)
    return scene


def visit(app, steps: int = 25, play: bool = False):
    """Put each screen on top in turn and yield its name. `play`: also run each level that
    samples, with its default settings, and yield the result."""
    from game.scenes.quiz import QuizMenuScene, QuizScene
    from game.scenes.glossary import GlossaryScene
    from game.scenes.settings import SettingsScene

    app.push(TitleScene(app))
    settle(app)
    yield "title"
    app.push(SettingsScene(app))
    settle(app)
    yield "settings"
    app.pop()
    glossary = GlossaryScene(app)
    app.push(glossary)
    for page in range(len(glossary.pages())):  # every page: each must fit
        glossary.page = page
        glossary.rebuild()
        settle(app)
        yield f"glossary-{page + 1}"
    app.pop()
    cards = CardsScene(app)
    app.push(cards)
    app.run_until(lambda: cards.job is None, timeout=60)  # its first card measured
    settle(app)
    yield "cards"
    app.pop()
    lab = LabScene(app, steps=steps)
    app.push(lab)
    settle(app)
    yield "lab-idle"
    lab.toggle_run()
    app.run_until(lambda: len(lab.run.steps) >= steps // 2, timeout=120)
    yield "lab-running"
    app.run_until(lambda: not lab.running, timeout=120)
    settle(app)
    yield "lab-done"
    app.pop()
    for name, menu in (("campaign", CampaignScene), ("explore", ExploreScene)):  # each menu, then its levels
        menu = menu(app)
        app.push(menu)
        settle(app)
        yield name
        yield from visit_levels(app, menu.levels, play)
        app.pop()
    compare = CompareScene(app)
    app.push(compare)
    settle(app)
    yield "compare"
    for mode in MODES if play else ():
        compare.switch(mode)
        compare.start()
        app.run_until(lambda: compare.job is None, timeout=300)
        settle(app)
        yield f"compare-{mode}"
    app.pop()
    menu = QuizMenuScene(app)
    app.push(menu)
    settle(app)
    yield "quiz-menu"
    quiz = QuizScene(app, menu.banks[0])
    app.push(quiz)
    settle(app)
    yield "quiz-question"
    quiz.answer(1)
    settle(app)
    yield "quiz-answered"
    while not quiz.finished:
        quiz.answer(0)
        quiz.advance()
    settle(app)
    yield "quiz-results"


def visit_levels(app, levels, play: bool):
    """Each level on top in turn, its hints shown; with `play`, also played with its
    defaults (where it runs something) and won with its [answer]."""
    for level in levels:
        scene = level_scene(app, level)
        app.push(scene)
        scene.hints_shown = len(level.hints)
        settle(app)
        yield f"level-{level.id}"
        done = scene.demo() if play else None
        if done is not None:
            app.run_until(done, timeout=300)
            scene.check_score()
            settle(app)
            yield f"level-{level.id}-played"
        app.pop()
        if play and level.answer:
            play_level(app, level, level.answer)
            settle(app)
            yield f"level-{level.id}-won"
            app.pop()


def screenshot_tour(folder: Path, lang: str = "es", steps: int = 25, play: bool = False) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    shots = []
    with tempfile.TemporaryDirectory() as home:  # the tour's stars and quiz rounds are not the player's
        app = App(lang=lang, profile_store=ProfileStore(home))
        for name in visit(app, steps, play):
            path = folder / f"{lang}-{name}.png"
            app.screenshot(path)
            shots.append(path)
    return shots
