"""The application: window, main loop, scene stack, widgets manager, strings and assets."""

import os
import signal
import time

import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIHorizontalSlider, UITextEntryLine

from game.i18n import Catalogs
from game.paths import file_logger
from game.profile import ProfileStore
from game.theme import FONT_BOLD, FONT_REGULAR, Theme
from game.worker import COMPUTE_THREADS
from sim_core.threads import set_compute_threads

WINDOW = (1280, 720)
DESIGN = (1280, 720)  # the smallest canvas the screens are laid out for


def canvas_size(window) -> tuple[int, int]:
    """The canvas the screens lay themselves out on: the window itself from DESIGN up; a
    smaller window shows a canvas of its own shape that holds DESIGN, scaled down to fit."""
    w, h = window
    scale = min(w / DESIGN[0], h / DESIGN[1])
    return (w, h) if scale >= 1 else (round(w / scale), round(h / scale))


def pointer(event, screen) -> tuple:
    """Where a click or a touch landed, in window pixels (touches come normalised to 0–1)."""
    if event.type == pygame.FINGERDOWN:
        return event.x * screen.get_width(), event.y * screen.get_height()
    return event.pos


class App:
    def __init__(self, lang: str | None = None, fullscreen: bool = False, size=WINDOW, profile_store=None):
        set_compute_threads(COMPUTE_THREADS)  # and each Job for its own thread
        # SIGTERM and SIGINT are ours (run() ends the game cleanly); SDL would turn them into a
        # window-close event, which the kiosk must ignore
        os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
        pygame.init()
        pygame.display.set_caption("Diffusion Quest · Misión Difusión")
        self.profile_store = profile_store or ProfileStore()  # another store: the tour's, never the player's
        self.profile = self.profile_store.load()
        self.tr = Catalogs(lang or self.profile["language"])
        self.theme = Theme(large_text=self.profile["settings"].get("large_text", False))
        self.fullscreen = False
        self.window = pygame.display.set_mode(size, pygame.RESIZABLE)
        self.screen = self.window  # the canvas scenes draw on (see canvas_size)
        self.ui = pygame_gui.UIManager(size)
        self.fit_canvas()
        self.ui.add_font_paths("dejavu", str(FONT_REGULAR), str(FONT_BOLD))  # before the theme names it
        self.ui.get_theme().load_theme(self.theme.data)
        self.stack: list = []
        self.clock = pygame.time.Clock()
        self.running = True
        self._models, self._judge = {}, None
        self.results_decimal = None  # the quiz results' decimal mark for the teacher's Excel; None: the language's
        self.focus = None  # the widget the keyboard drives (Tab moves it)
        if fullscreen:
            self.toggle_fullscreen()

    # assets, loaded once ------------------------------------------------------------------
    @property
    def model(self):
        return self.loaded("pixel")

    @property
    def latent_model(self):
        return self.loaded("latent")

    def loaded(self, which: str):
        """The model `which` names ("pixel", "latent", "flawed": the earlier ε model on the
        plain cosine schedule, or "noskips": the twin trained without skip connections), loaded
        on first use."""
        if which not in self._models:
            from sim_core import model

            loaders = {"pixel": model.load_model, "latent": model.load_latent_model,
                       "flawed": lambda: model.load_model(model.FLAWED_SCHEDULE_MODEL),
                       "noskips": lambda: model.load_model(model.NO_SKIPS_MODEL)}
            self._models[which] = loaders[which]()
        return self._models[which]

    def try_judge(self):
        """(the judge, None), or (None, the message saying why it cannot be loaded)."""
        try:
            return self.judge, None
        except Exception as e:
            self.log_error(e)
            return None, ("error.judge", {"reason": str(e)})

    def try_model(self, latent: bool = False, which: str | None = None):
        """(the model, None), or (None, the message saying why it cannot be loaded): a broken
        model folder is a message on screen, never a traceback."""
        try:
            return self.loaded(which or ("latent" if latent else "pixel")), None
        except Exception as e:
            return None, ("error.model", {"reason": str(e)})

    @property
    def judge(self):
        if self._judge is None:
            from sim_core.judge import load_judge

            self._judge = load_judge()
        return self._judge

    # the scene stack ----------------------------------------------------------------------
    @property
    def top(self):
        return self.stack[-1] if self.stack else None

    def push(self, scene) -> None:
        if self.top:
            self.top.pause()
        self.stack.append(scene)
        scene.enter()

    def pop(self) -> None:
        """The top scene leaves; the one below resumes. Leaving the last scene opens the title
        screen (a game started on one level or quiz goes on from there); leaving the title ends
        the game."""
        from game.scenes.title import TitleScene

        left = self.stack.pop()
        left.exit()
        if self.top:
            self.top.resume()
        elif isinstance(left, TitleScene) or not self.running:
            self.running = False
        else:
            self.push(TitleScene(self))

    def replace(self, scene) -> None:
        """Swap the top scene for `scene`: the old one exits (its widgets and workers go)."""
        if self.stack:
            self.stack.pop().exit()
        self.stack.append(scene)
        scene.enter()

    def back_to_title(self) -> None:
        """Every scene exits; the title screen starts afresh."""
        from game.scenes.title import TitleScene

        self.close_scenes()
        self.push(TitleScene(self))

    def close_scenes(self) -> None:
        """Every scene exits, top first, without resuming those below; a scene whose exit fails
        is logged and the others still exit (their workers must not keep running)."""
        while self.stack:
            try:
                self.stack.pop().exit()
            except Exception as e:
                self.log_error(e)
        self.focus = None

    def fail(self, error: Exception) -> None:
        """A scene raised: the traceback goes to the log, progress is saved, and an error
        screen takes the failing scene's place. If the error screen itself fails, the game
        ends (saved) rather than loop."""
        from game.scenes.error import ErrorScene

        self.log_error(error)
        self.save_profile()
        if isinstance(self.top, ErrorScene):
            self.running = False
            return
        try:
            self.replace(ErrorScene(self, error))
        except Exception as e:  # the failing scene's exit, or the error screen, failed too
            self.log_error(e)
            self.close_scenes()
            self.push(ErrorScene(self, error))

    def dispatch(self, event) -> bool:
        """Top-down until a scene consumes the event."""
        return any(scene.handle_event(event) for scene in reversed(self.stack))

    def draw(self) -> None:
        """Bottom-up from the topmost opaque scene."""
        start = max((i for i, s in enumerate(self.stack) if s.opaque), default=0)
        self.screen.fill(self.theme.colour("background"))
        for scene in self.stack[start:]:
            scene.draw(self.screen)
        self.ui.draw_ui(self.screen)
        for scene in self.stack[start:]:
            scene.draw_over_widgets(self.screen)
        if self.focus is not None and self.focus.alive() and self.focus.visible:
            pygame.draw.rect(self.screen, self.theme.colour("accent"), self.focus.rect.inflate(8, 8), 3, border_radius=10)
        if self.profile_store.failing:  # on every screen while saves fail: progress is not safe yet
            key, values = self.profile_store.message
            w, h = self.screen.get_size()
            self.theme.text(self.screen, self.tr(key, **values), (w // 2, h - 28), role="small", colour="accent",
                            anchor="midbottom", width=w - 40)

    # keyboard: every control reachable with Tab, Enter/Space and the arrow keys ------------
    def focusables(self) -> list:
        if not self.top:
            return []
        kinds = (UIButton, UIHorizontalSlider, UITextEntryLine)
        return [e for e in getattr(self.top, "elements", []) if isinstance(e, kinds) and e.alive() and e.visible and e.is_enabled]

    def move_focus(self, step: int) -> None:
        items = self.focusables()
        if not items:
            self.focus = None
            return
        i = items.index(self.focus) if self.focus in items else (-1 if step > 0 else 0)
        self.focus = items[(i + step) % len(items)]
        self.ui.set_focus_set(self.focus if isinstance(self.focus, UITextEntryLine) else None)

    def keyboard(self, event) -> bool:
        """Tab / Shift+Tab move the focus; Enter or Space press a focused button; ← → move a
        slider one unit (its arrow buttons' step), ten with Shift — the focused one, else the
        screen's first. True when the key was used."""
        if event.key == pygame.K_TAB:
            self.move_focus(-1 if event.mod & pygame.KMOD_SHIFT else 1)
            return True
        items = self.focusables()
        focus = self.focus if self.focus in items else None
        if isinstance(focus, UIButton) and event.key in (pygame.K_RETURN, pygame.K_SPACE, pygame.K_KP_ENTER):
            pygame.event.post(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=focus))
            return True
        if event.key in (pygame.K_LEFT, pygame.K_RIGHT) and not isinstance(focus, UITextEntryLine):
            if not isinstance(focus, UIHorizontalSlider):
                focus = next((e for e in items if isinstance(e, UIHorizontalSlider)), None)
                if focus is None:
                    return False
                self.focus = focus
            lo, hi = focus.value_range
            step = focus.increment * (10 if event.mod & pygame.KMOD_SHIFT else 1)
            value = min(max(focus.get_current_value() + (step if event.key == pygame.K_RIGHT else -step), lo), hi)
            focus.set_current_value(value)
            pygame.event.post(pygame.event.Event(pygame_gui.UI_HORIZONTAL_SLIDER_MOVED, ui_element=focus, value=focus.get_current_value()))
            return True
        return False

    def focus_under(self, pos) -> None:
        """A click gives the keyboard focus to the control under the pointer."""
        hit = next((e for e in self.focusables() if e.rect.collidepoint(pos)), None)
        if hit is not None:
            self.focus = hit
        elif self.focus is not None and not self.focus.rect.collidepoint(pos):
            self.focus = None

    # global controls ----------------------------------------------------------------------
    def log_error(self, error: BaseException) -> None:
        """Errors go to game.log in the user data folder, with their traceback."""
        file_logger("diffusion-quest", "game.log").error("%s", error, exc_info=error)

    def save_profile(self) -> None:
        self.profile_store.save(self.profile)

    def record_stars(self, level_id: str, stars: int) -> None:
        """Keep a level's best result."""
        self.profile["stars"][level_id] = max(stars, self.profile["stars"].get(level_id, 0))
        self.save_profile()

    def record_quiz(self, bank_id: str, right: int, questions: int, score: int) -> None:
        """Keep every finished quiz round (self-study progress)."""
        self.profile["quiz"].append({"bank": bank_id, "date": time.strftime("%Y-%m-%d"),
                                     "right": right, "questions": questions, "score": score})
        self.save_profile()

    def best_quiz(self, bank_id: str) -> dict | None:
        rounds = [r for r in self.profile["quiz"] if isinstance(r, dict) and r.get("bank") == bank_id]
        return max(rounds, key=lambda r: r.get("score", 0), default=None)

    def switch_language(self, lang: str | None = None) -> None:
        self.tr.switch(lang)
        self.profile["language"] = self.tr.lang
        self.save_profile()
        for scene in self.stack:
            scene.rebuild()
        for scene in self.stack[:-1]:
            scene.pause()

    def set_large_text(self, on: bool) -> None:
        self.theme = Theme(large_text=on)
        self.ui.get_theme().load_theme(self.theme.data)
        self.profile["settings"]["large_text"] = on
        self.save_profile()
        self.resize()

    def toggle_fullscreen(self) -> None:
        self.fullscreen = not self.fullscreen
        size = (0, 0) if self.fullscreen else WINDOW
        flags = pygame.FULLSCREEN if self.fullscreen else pygame.RESIZABLE
        self.window = pygame.display.set_mode(size, flags)
        self.resize()

    def fit_canvas(self) -> None:
        """The canvas for the window's size; pygame_gui reads the pointer scaled to it."""
        size, window = canvas_size(self.window.get_size()), self.window.get_size()
        self.screen = self.window if size == window else pygame.Surface(size)
        self.ui.set_window_resolution(size)
        self.ui.mouse_pos_scale_factor = [size[0] / window[0], size[1] / window[1]]

    def to_canvas(self, event):
        """A pointer event with its position on the canvas (pygame_gui scales its own copy)."""
        if self.screen is self.window or not hasattr(event, "pos"):
            return event
        fx, fy = self.ui.mouse_pos_scale_factor
        return pygame.event.Event(event.type, {**event.__dict__, "pos": (event.pos[0] * fx, event.pos[1] * fy)})

    def present(self) -> None:
        """The canvas onto the window (scaled down when it is larger)."""
        if self.screen is not self.window:
            pygame.transform.smoothscale(self.screen, self.window.get_size(), self.window)

    def resize(self) -> None:
        self.fit_canvas()
        for scene in self.stack:
            scene.rebuild()
        for scene in self.stack[:-1]:
            scene.pause()

    def process(self, event) -> None:
        on_canvas = self.to_canvas(event)
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.FINGERDOWN):
            self.focus_under(pointer(on_canvas, self.screen))  # and the click goes on to the widgets
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.VIDEORESIZE and not self.fullscreen:
            self.window = pygame.display.get_surface()
            self.resize()
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_F11:
            self.toggle_fullscreen()
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_F2:
            self.switch_language()
        elif event.type == pygame.KEYDOWN and self.keyboard(event):
            pass
        elif not self.ui.process_events(event) or event.type >= pygame.USEREVENT:
            if not self.dispatch(on_canvas) and event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
                self.pop()

    def frame(self, dt: float) -> None:
        """One frame: events, update, draw. A scene that raises is replaced by the error
        screen (`fail`); the game goes on."""
        try:
            for event in pygame.event.get():
                self.process(event)
                if not self.running:
                    return
            if self.top:
                self.top.update(dt)
            if self.top and self.top.holds_still:  # the last frame stays on screen
                return
            self.ui.update(dt)
            self.draw()
        except Exception as e:
            self.fail(e)
            return
        self.present()
        pygame.display.flip()

    def run(self) -> None:
        """The main loop. SIGTERM and SIGINT end it like the Quit button: scenes exit (their
        workers are cancelled), the profile is saved, the window closes."""
        def stop(signum, frame):
            self.running = False

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            while self.running:
                self.frame(self.clock.tick(60) / 1000)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.close_scenes()
            self.save_profile()  # also a last try if saves were failing: the disk may have recovered
            pygame.quit()

    def run_until(self, condition, timeout: float = 60.0) -> bool:
        """Run frames (at most 60 per second) until condition() holds; for tours and tests.
        Returns whether it holds (False after the timeout or once the app has stopped)."""
        end = time.perf_counter() + timeout
        while self.running and not condition() and time.perf_counter() < end:
            self.frame(self.clock.tick(60) / 1000)
        return bool(condition())

    def screenshot(self, path) -> None:
        """The window as the player sees it."""
        self.draw()
        self.present()
        pygame.image.save(self.window, str(path))
