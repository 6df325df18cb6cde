import os
import re
import subprocess
import sys
from pathlib import Path

import pygame
import pygame_gui
import pytest

from game.i18n import LANGUAGES, Catalogs, load_catalog
from game.levels import load_campaign, load_explore

GAME = Path(__file__).resolve().parents[1] / "game"


def test_catalogs_have_the_same_keys():
    es, en = load_catalog("es"), load_catalog("en")
    assert set(es) == set(en)
    assert all(v.strip() for v in es.values()) and all(v.strip() for v in en.values())


def test_every_number_in_every_catalog_string_is_written_as_its_language_writes_numbers():
    """Spanish: decimal comma and "10 %" (a no-break space before the sign); English: a point
    and "10%". Every placeholder of every string is filled with a number (a whole one for an
    integer spec), in both languages."""

    tr = Catalogs("es")
    filled = 0
    for lang in LANGUAGES:
        tr.switch(lang)
        for key, text in load_catalog(lang).items():
            fields = [(name, spec) for _, name, spec, _ in tr.formatters[lang].parse(text) if name]  # $…$ is LaTeX
            if not fields:
                continue
            values = {name: 3 if spec.endswith("d") else 0.125 for name, spec in fields}
            out = tr(key, **values)
            filled += 1
            if lang == "es":
                assert not re.search(r"\d\.\d", out) and not re.search(r"\d%", out), (key, out)
            else:
                assert not re.search(r"\d,\d", out) and not re.search(r"\d\u00a0%", out), (key, out)
    assert filled > 100
    tr.switch("es")
    assert tr("sampling.metric_judge_confidence", value=0.955) == "El juez tiene 96\u00a0% de confianza."
    assert tr.number(0.25, ".2f") == "0,25" and tr.number(7.5) == "7,5" and tr.number(1000) == "1000"
    assert tr.number(-0.006, ".3f") == "−0,006"  # a minus sign, not a hyphen
    tr.switch("en")
    assert tr.number(0.25, ".2f") == "0.25" and tr("sampling.metric_judge_confidence", value=0.955) == "The judge is 96% sure."


def test_every_key_the_code_uses_exists():
    used = set()
    for path in GAME.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'tr\("([a-z_]+\.[a-z_0-9.]+)"', text))  # tr("lab.title")
        used |= set(re.findall(r'\("([a-z_]+\.[a-z_0-9.]+)", \{', text))  # messages: ("lab.done", {...})
    used |= {f"formula.{k}{suffix}" for k in ("ddim", "ddpm", "dpm") for suffix in ("", "_numbers")}
    for lang in LANGUAGES:
        missing = used - set(load_catalog(lang))
        assert not missing, f"{lang} lacks {sorted(missing)}"


@pytest.mark.parametrize("env, expected", [
    ({"LANG": "C.UTF-8"}, "es"), ({"LANG": "POSIX"}, "es"), ({"LANG": "de_DE.UTF-8"}, "es"),
    ({"LANG": "en_GB.UTF-8"}, "en"), ({"LANG": "es_AR.UTF-8"}, "es"), ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, "es"),
])
def test_system_language_is_spanish_unless_the_locale_says_english(monkeypatch, env, expected):
    from game.i18n import system_language

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert system_language() == expected


def test_typed_words_in_either_language_become_model_words():
    tr = Catalogs("es")
    assert tr.to_model_words("Estrella ROJA") == ["star", "red"]
    assert tr.to_model_words("blue corazón dragon") == ["blue", "heart", "dragon"]
    # what a visitor types around the words: articles, punctuation ("estrella," was an unknown word)
    assert tr.to_model_words("¡Una estrella, de color ROJO!") == ["star", "red"]
    assert tr.to_model_words("a red star.") == ["red", "star"] and tr.to_model_words("The star; red") == ["star", "red"]
    assert tr.to_model_words("3 estrellas") == ["estrellas"]  # still refused, by the word itself
    assert tr.word("heart") == "corazón"
    tr.switch()
    assert tr.lang == "en" and tr.word("heart") == "heart"


def test_prompts_are_shown_in_each_languages_own_order_and_gender():
    tr = Catalogs("es")
    assert [tr.phrase(p) for p in ("red star", "green heart", "purple ring", "red")] == \
        ["estrella roja", "corazón verde", "anillo morado", "rojo"]
    assert tr.to_model_words(tr.phrase("yellow star")) == ["star", "yellow"]  # what is shown can be typed back
    # one word as the prompt writes it (attention labels), and the kiosk's caption
    assert [tr.word_in("red", p) for p in ("red star", "star red", "red circle")] == ["roja", "roja", "rojo"]
    assert tr.word_in("star", "red star") == "estrella"
    assert tr("kiosk.drawing", prompt=tr.phrase("red star")) == "La red dibuja: estrella roja"
    tr.switch("en")
    assert tr.phrase("red star") == "red star" and tr.word_in("red", "red star") == "red"


class Recorder:
    holds_still = False

    def __init__(self, name, log, consume=False, opaque=True):
        self.name, self.log, self.consume, self.opaque = name, log, consume, opaque

    def enter(self):
        self.log.append(("enter", self.name))

    def exit(self):
        self.log.append(("exit", self.name))

    def pause(self):
        self.log.append(("pause", self.name))

    def resume(self):
        self.log.append(("resume", self.name))

    def rebuild(self):
        pass

    def handle_event(self, event):
        self.log.append(("event", self.name))
        return self.consume

    def update(self, dt):
        self.log.append(("update", self.name))

    def draw(self, surface):
        self.log.append(("draw", self.name))

    def draw_over_widgets(self, surface):
        pass


@pytest.fixture
def app():
    from game.app import App

    app = App(lang="en")
    yield app
    pygame.quit()


def test_scene_stack_routes_events_top_down_and_draws_from_the_top_opaque_scene(app):
    log = []
    bottom, middle, top = Recorder("bottom", log, consume=True), Recorder("middle", log), Recorder("top", log, opaque=False)
    for scene in (bottom, middle, top):
        app.push(scene)
    assert log == [("enter", "bottom"), ("pause", "bottom"), ("enter", "middle"), ("pause", "middle"), ("enter", "top")]
    log.clear()
    assert app.dispatch(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_a)) is True
    assert log == [("event", "top"), ("event", "middle"), ("event", "bottom")]
    log.clear()
    app.draw()
    assert log == [("draw", "middle"), ("draw", "top")]
    log.clear()
    app.pop()
    assert log == [("exit", "top"), ("resume", "middle")]


def test_a_scene_that_holds_still_is_updated_but_not_redrawn(app):
    """While a scene times work on a worker the window keeps its last frame (drawing would
    take the GIL and a core from the timing); events and update() go on."""
    log = []
    scene = Recorder("timing", log)
    app.push(scene)
    app.frame(0.016)
    assert ("draw", "timing") in log
    log.clear()
    scene.holds_still = True
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_a, mod=0, unicode="a", scancode=0))
    app.frame(0.016)
    assert log == [("event", "timing"), ("update", "timing")]


def test_escape_pops_the_scene_when_nobody_consumes_it(app):
    log = []
    app.push(Recorder("a", log))
    app.push(Recorder("b", log))
    app.process(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode="", scancode=0))
    assert [s.name for s in app.stack] == ["a"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_screenshot_tour_renders_every_screen(tmp_path, lang):
    from game.tour import screenshot_tour

    shots = screenshot_tour(tmp_path, lang, steps=10)
    assert [p.name for p in shots][:8] == [f"{lang}-{n}.png" for n in ("title", "settings", "glossary-1", "glossary-2", "cards",
                                                                     "lab-idle", "lab-running", "lab-done")]
    # title … campaign (two glossary pages), the levels, explore, its levels, compare, the quiz's four
    assert len(shots) == 9 + len(load_campaign()[0]) + 1 + len(load_explore()[0]) + 1 + 4
    images = {p.stem: pygame.surfarray.array3d(pygame.image.load(str(p))) for p in shots}
    for name, img in images.items():
        assert img.shape[:2] == (1280, 720)
        assert img.std() > 10, f"{name} is blank"
    # the finished run shows a picture where the idle lab showed an empty frame
    box = (slice(400, 700), slice(90, 390))
    assert images[f"{lang}-lab-done"][box].std() > 5 * images[f"{lang}-lab-idle"][box].std() + 1


def test_lab_names_the_known_words_when_a_word_is_unknown(app):
    from game.scenes.lab import LabScene

    app.switch_language("es")
    lab = LabScene(app, prompt="dragón rojo")
    app.push(lab)
    lab.toggle_run()
    key, values = lab.status
    assert key == "lab.unknown_word" and values["word"] == "dragón"
    assert "estrella" in values["words"] and "star" not in values["words"]
    assert lab.run is None


def test_lab_shows_a_broken_model_as_a_message(app, tmp_path, monkeypatch):
    import sim_core.model
    from game.scenes.lab import LabScene

    monkeypatch.setattr(sim_core.model, "DEFAULT_MODEL", tmp_path / "missing")
    app._models.clear()
    lab = LabScene(app)
    app.push(lab)
    lab.toggle_run()
    key, values = lab.status
    assert key == "error.model" and "model card not found" in values["reason"]
    app.draw()  # the message draws without error


def test_language_switches_at_any_time_and_rebuilds_the_widgets(app):
    from game.scenes.title import TitleScene

    app.switch_language("es")
    title = TitleScene(app)
    app.push(title)
    assert title.lab.text == "Laboratorio"
    app.process(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F2, mod=0, unicode="", scancode=0))
    assert app.tr.lang == "en" and title.lab.text == "Lab"
    app.switch_language("es")
    assert title.lab.text == "Laboratorio"


def test_every_control_is_reachable_by_keyboard(app):
    from game.scenes.title import TitleScene

    app.switch_language("en")
    title = TitleScene(app)
    app.push(title)
    pygame.event.clear()

    def key(k, mod=0):
        app.process(pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode="", scancode=0))

    seen = []
    for _ in range(len(app.focusables())):
        key(pygame.K_TAB)
        seen.append(app.focus)
    assert set(seen) == {title.campaign, title.lab, title.explore, title.quiz, title.quit, title.language, title.settings,
                         title.glossary, title.cards}
    key(pygame.K_TAB, pygame.KMOD_SHIFT)
    assert app.focus is seen[-2]
    while app.focus is not title.lab:
        key(pygame.K_TAB)
    key(pygame.K_RETURN)
    for event in pygame.event.get():
        app.process(event)
    assert type(app.top).__name__ == "LabScene"
    lab = app.top
    while app.focus is not lab.guidance:
        key(pygame.K_TAB)
    key(pygame.K_RIGHT)
    for event in pygame.event.get():
        app.process(event)
    assert lab.settings["guidance"] == 8.0


def test_large_text_grows_drawn_text_and_widgets_and_is_kept(app):
    from game.scenes.settings import SettingsScene

    small = app.theme.font("body").get_height()
    settings = SettingsScene(app)
    app.push(settings)
    app.dispatch(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=settings.large))
    assert app.theme.font("body").get_height() > small
    assert app.profile["settings"]["large_text"] is True
    app.set_large_text(False)
    assert app.theme.font("body").get_height() == small


def test_warmup_compiles_on_a_worker_then_opens_the_title(app):
    from game.scenes.title import TitleScene
    from game.scenes.warmup import WarmupScene
    from sim_core.warmup import WARMUPS

    warm = WarmupScene(app, TitleScene)
    app.push(warm)
    frames = []
    app.run_until(lambda: frames.append(1) or isinstance(app.top, TitleScene), timeout=120)
    assert isinstance(app.top, TitleScene) and warm.done == len(WARMUPS)
    assert len(frames) > 1  # the window kept drawing while it compiled


WARM_THEN_SAMPLE = """
import sys
import numba
import numpy as np
from sim_core.warmup import WARMUPS
from sim_core.model import load_latent_model, load_model

from sim_core._numba import parallel_kernel

def signatures():
    return {(name, key, kind): len(dispatcher.signatures) for name, module in list(sys.modules.items())
            if name.startswith("sim_core") for key, value in vars(module).items()
            for kind, dispatcher in ((("njit", value),) if isinstance(value, numba.core.registry.CPUDispatcher) else
                                     (("parallel", value.parallel), ("serial", value.serial))
                                     if isinstance(value, parallel_kernel) else ())}

for warm in WARMUPS:
    warm()
before = signatures()
model = load_model()
x = np.zeros((2, 3, 32, 32), np.float32)
model(x, 500, np.concatenate([model.encode_prompt("red star"), model.encode_prompt("")]))
model(x[:1], 500)
latent = load_latent_model()
latent.decode(latent(np.zeros((1, 4, 8, 8), np.float32), 10, latent.encode_prompt("red star")))
print(sorted(key for key, count in signatures().items() if count != before.get(key, 0)))
"""


def test_warmup_compiles_every_kernel_signature_the_models_use():
    """A fresh process: after the warm-up, running the shipped models compiles nothing more
    (a compile there would stall the first sample for seconds)."""
    out = subprocess.run([sys.executable, "-c", WARM_THEN_SAMPLE], capture_output=True, text=True, timeout=600,
                         cwd=GAME.parent, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_a_failing_scene_becomes_an_error_screen_with_the_way_back(app, tmp_path):
    """A bug in a scene: the traceback goes to game.log, progress is saved, the player sees
    what happened in their language and goes back to the menu; the game keeps running."""
    from game.paths import user_data_dir
    from game.scenes.error import ErrorScene
    from game.scenes.lab import LabScene
    from game.scenes.title import TitleScene

    app.push(TitleScene(app))
    lab = LabScene(app)
    app.push(lab)
    app.record_stars("forward-noise", 2)

    def broken(dt):
        raise RuntimeError("a bug in the lab")

    lab.update = broken
    app.frame(0.016)
    assert isinstance(app.top, ErrorScene) and app.running and lab not in app.stack
    assert all(not e.alive() for e in lab.elements)  # the failing scene's widgets went with it
    assert "a bug in the lab" in (user_data_dir() / "game.log").read_text(encoding="utf-8")
    assert "Traceback" in (user_data_dir() / "game.log").read_text(encoding="utf-8")
    saved = app.profile_store.load()["stars"]
    assert saved == app.profile["stars"] and saved["forward-noise"] >= 2  # other tests may have won it too
    app.run_until(lambda: False, timeout=0.1)
    app.screenshot(tmp_path / "error.png")  # looked at: the message in English, the button below
    app.dispatch(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=app.top.menu))
    assert isinstance(app.top, TitleScene) and len(app.stack) == 1


def test_an_error_screen_that_fails_itself_ends_the_game_saved(app):
    from game.scenes.error import ErrorScene

    app.push(ErrorScene(app, RuntimeError("first")))

    def broken(surface):
        raise RuntimeError("the error screen is broken too")

    app.top.draw = broken
    app.frame(0.016)
    assert not app.running


def test_a_broken_judge_is_a_message_in_the_level_not_a_crash(app, monkeypatch):
    import sim_core.judge
    from game.levels import load_campaign
    from game.scenes.campaign import level_scene

    def broken(path=None):
        raise sim_core.judge.ModelLoadError("assets/models/judge/weights.npz: sha256 is 0, the model card expects 1")

    monkeypatch.setattr(sim_core.judge, "load_judge", broken)
    level = next(lv for lv in load_campaign()[0] if lv.id == "guidance")
    scene = level_scene(app, level)
    app.push(scene)
    scene.values["steps"] = 20
    done = scene.demo()
    assert app.run_until(done, timeout=120)
    key, values = scene.message
    assert key == "error.judge" and "sha256" in values["reason"]
    scene.check_score()
    assert scene.result is None and scene.message[0] == "error.judge"  # the reason stays on screen
    app.draw()


def test_screenshot_tour_into_an_unwritable_folder_is_a_message(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = subprocess.run([sys.executable, "-m", "game", "--screenshot-tour", str(blocker / "shots"), "--no-play"],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "cannot write the screenshots to" in out.stderr


def test_lab_runs_the_steps_its_label_shows(app):
    """A step count the slider does not offer snaps to the nearest it does, in the label too
    (the label once said 6 while the run took 1000 steps)."""
    from game.scenes.lab import LabScene

    app.switch_language("es")
    lab = LabScene(app, steps=6)
    app.push(lab)
    assert lab.settings["steps"] == 5 and lab.steps_label.text == "Pasos: 5"
    lab.toggle_run()
    app.run_until(lambda: not lab.running, timeout=60)
    assert len(lab.run.steps) == 5


def test_a_run_runs_until_poll_has_taken_its_last_step():
    """CI once saw a finished 5-step lab run with 4 steps: the run read as ended while its last
    step still sat in the queue, and nobody polled again."""
    import time

    import numpy as np

    from game.run import SamplingRun
    from sim_core.samplers import make_sampler
    from sim_core.schedules import make_schedule

    class Slow:
        schedule = make_schedule("cosine")

        def __call__(self, x, t, cond):
            time.sleep(0.01)
            return np.zeros_like(x)

    model = Slow()
    run = SamplingRun(model, make_sampler("ddim", model.schedule, steps=5), np.zeros((1, 3, 4, 4), np.float32),
                      None, 1.0, np.random.default_rng(0))
    run.job.finished.wait(10)
    assert run.running and len(run.steps) == 0
    run.poll()
    assert not run.running and len(run.steps) == 5 and run.complete
    # its time is clocked on the worker, to the last step: read at frames, a run that ended
    # between two of them once showed "done in 0.0 s"
    assert 0.05 <= run.elapsed < 5


def test_menus_show_option_names_in_the_players_language_and_keep_their_ids(app):
    """Level 3 and level 10 showed "linear", "cosine", "moons" in the Spanish game."""
    from game.levels import load_campaign
    from game.scenes.campaign import level_scene

    app.switch_language("es")
    levels = {lv.id: lv for lv in load_campaign()[0]}
    scene = level_scene(app, levels["score-view"])
    app.push(scene)
    assert scene.data_menu.selected_option == ("lunas", "moons")
    assert ("coseno", "cosine") in scene.schedule_menu.options_list
    app.dispatch(pygame.event.Event(pygame_gui.UI_DROP_DOWN_MENU_CHANGED, ui_element=scene.schedule_menu,
                                    text="coseno", selected_option_id="cosine"))
    assert scene.values["schedule"] == "cosine"
    app.pop()
    scene = level_scene(app, levels["schedules"])
    app.push(scene)
    app.dispatch(pygame.event.Event(pygame_gui.UI_DROP_DOWN_MENU_CHANGED, ui_element=scene.menu,
                                    text="coseno", selected_option_id="cosine"))
    assert scene.kind == "cosine" and scene.menu.selected_option[0] in ("lineal", "coseno")
    app.pop()
