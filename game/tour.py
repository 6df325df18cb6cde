"""The screenshot tour: every screen the game has, visited headlessly — saved to PNG (for
tests and the README) or checked for layout (tests/test_layout.py)."""

import tempfile
from pathlib import Path

from game.app import App
from game.profile import ProfileStore
from game.scenes.campaign import CampaignScene, level_scene
from game.scenes.lab import LabScene
from game.scenes.title import TitleScene


def settle(app) -> None:
    """A few frames, so widgets and text reach their resting place."""
    app.run_until(lambda: False, timeout=0.2)


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
    campaign = CampaignScene(app)
    app.push(campaign)
    settle(app)
    yield "campaign"
    for level in campaign.levels:
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
