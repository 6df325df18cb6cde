"""The screenshot tour: every scene rendered headlessly to PNG (for tests and the README)."""

from pathlib import Path

from game.app import App
from game.scenes.campaign import CampaignScene, level_scene
from game.scenes.lab import LabScene
from game.scenes.title import TitleScene


def screenshot_tour(folder: Path, lang: str = "es", steps: int = 25, play: bool = False) -> list[Path]:
    """`play`: also run each level that samples, with its default settings, and shoot the result."""
    folder.mkdir(parents=True, exist_ok=True)
    app = App(lang=lang)
    shots = []

    def shot(name):
        path = folder / f"{lang}-{name}.png"
        app.screenshot(path)
        shots.append(path)

    app.push(TitleScene(app))
    app.run_until(lambda: False, timeout=0.2)
    shot("title")
    from game.scenes.settings import SettingsScene

    app.push(SettingsScene(app))
    app.run_until(lambda: False, timeout=0.2)
    shot("settings")
    app.pop()
    lab = LabScene(app, steps=steps)
    app.push(lab)
    app.run_until(lambda: False, timeout=0.2)
    shot("lab-idle")
    lab.toggle_run()
    app.run_until(lambda: len(lab.run.steps) >= steps // 2, timeout=120)
    shot("lab-running")
    app.run_until(lambda: not lab.running, timeout=120)
    app.run_until(lambda: False, timeout=0.2)
    shot("lab-done")
    app.pop()
    campaign = CampaignScene(app)
    app.push(campaign)
    app.run_until(lambda: False, timeout=0.2)
    shot("campaign")
    for level in campaign.levels:
        scene = level_scene(app, level)
        app.push(scene)
        scene.hints_shown = len(level.hints)
        app.run_until(lambda: False, timeout=0.2)
        shot(f"level-{level.id}")
        done = scene.demo() if play else None
        if done is not None:
            app.run_until(done, timeout=300)
            scene.check_score()
            app.run_until(lambda: False, timeout=0.2)
            shot(f"level-{level.id}-played")
        app.pop()
    app.pop()
    from game.scenes.quiz import QuizMenuScene, QuizScene

    menu = QuizMenuScene(app)
    app.push(menu)
    app.run_until(lambda: False, timeout=0.2)
    shot("quiz-menu")
    quiz = QuizScene(app, menu.banks[0])
    app.push(quiz)
    app.run_until(lambda: False, timeout=0.2)
    shot("quiz-question")
    quiz.answer(1)
    app.run_until(lambda: False, timeout=0.2)
    shot("quiz-answered")
    return shots
