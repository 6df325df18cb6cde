"""Kiosk mode for museums and science fairs: fullscreen, on top, touch-sized, unattended.

An attract loop plays until someone touches the screen; a visit follows (game.scenes.kiosk).
After `idle_seconds` without input an "are you still there?" countdown appears; when it
ends the kiosk returns to the attract loop, and the next visitor starts from fresh
settings. Only the admin keys (Ctrl+Shift+Q) quit; SIGTERM and SIGINT (the building's
scheduler) end it cleanly (App.run). Any error is written to kiosk.log in the user data
folder and the kiosk starts over: visitors never see a traceback. A sample that stops
making progress (a hung model call) is abandoned after WATCHDOG_SECONDS.
"""

import ctypes
import os
import warnings

import pygame

from game.app import App
from game.paths import file_logger
from game.theme import Theme

# a visitor's input: a touch, a key, and a drag (drawing) — motion without a button is not
INPUT_EVENTS = (pygame.MOUSEBUTTONDOWN, pygame.FINGERDOWN, pygame.FINGERMOTION, pygame.KEYDOWN, pygame.MOUSEWHEEL)
TEXT_SCALE = 1.3  # the kiosk's text on the 1280×720 grid; on 1080p the smallest (14 px) becomes 27 px
GRID_HEIGHT = 720


def release_free_memory() -> None:
    """Give the heap that visits freed back to the system. glibc keeps freed memory in its
    arenas, so the exhibit's resident memory crept up in steps over hours (bench/soak_kiosk.py:
    malloc_trim gave back 25–60 MB each minute); elsewhere a no-op."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


class KioskApp(App):
    def __init__(self, idle_seconds: float = 60.0, fullscreen: bool = True, **options):
        # in fullscreen Alt+Tab must not leave the exhibit (SDL lets it through a keyboard grab
        # unless told); read when the window is made
        os.environ.setdefault("SDL_ALLOW_ALT_TAB_WHILE_GRABBED", "0")
        self.idle_seconds, self.idle = idle_seconds, 0.0
        super().__init__(fullscreen=fullscreen, **options)
        self.fit_theme()
        self.log = file_logger("diffusion-quest.kiosk", "kiosk.log")
        self.restarts = 0
        self.restart()

    def fit_theme(self) -> None:
        """Text scaled with the screen: the screens are laid out on a 1280×720 grid scaled to
        the window (KioskScene.box), and so are the fonts."""
        w, h = self.screen.get_size()
        self.theme = Theme(scale=TEXT_SCALE * min(w / 1280, h / GRID_HEIGHT))
        self.ui.get_theme().load_theme(self.theme.data)

    def resize(self) -> None:
        if hasattr(self, "log"):  # not while App.__init__ first sizes the window
            self.fit_theme()
        super().resize()
        self.keep_on_top()

    def keep_on_top(self) -> None:
        """Fullscreen exhibits stay above every other window and keep the keyboard."""
        if not self.fullscreen:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            window = pygame.Window.from_display_module()
        window.always_on_top = True
        pygame.event.set_keyboard_grab(True)

    def restart(self) -> None:
        """Back to the attract loop, whatever was on screen."""
        from game.scenes.kiosk import AttractScene

        self.close_scenes()
        self.idle = 0.0
        release_free_memory()
        self.push(AttractScene(self))

    def log_error(self, error: BaseException) -> None:
        self.log.error("%s", error, exc_info=error)

    def fail(self, error: Exception) -> None:
        """Visitors never see an error screen: the fault is logged and the kiosk starts over;
        if starting over fails too (a fault that persists), a calm "back soon" screen stays up
        and tries again every minute."""
        from game.scenes.kiosk import BackSoonScene

        self.log.error("kiosk error; starting over", exc_info=error)
        self.restarts += 1
        try:
            self.restart()
        except Exception as again:
            self.log.error("starting over failed; showing the back-soon screen", exc_info=again)
            self.close_scenes()
            self.push(BackSoonScene(self))

    def process(self, event) -> None:
        if event.type == pygame.QUIT:
            return  # the window's close button is not for visitors
        if event.type in (pygame.WINDOWFOCUSLOST, pygame.WINDOWMINIMIZED) and self.fullscreen:
            self.regain_screen()
            return
        if event.type == pygame.KEYDOWN:
            mods = pygame.key.get_mods() | getattr(event, "mod", 0)
            if event.key == pygame.K_q and mods & pygame.KMOD_CTRL and mods & pygame.KMOD_SHIFT:
                self.running = False
                return
            if event.key in (pygame.K_ESCAPE, pygame.K_F11):
                return  # no leaving fullscreen, no backing out of the kiosk
        if event.type in INPUT_EVENTS or (event.type == pygame.MOUSEMOTION and any(event.buttons)):
            self.idle = 0.0
        super().process(event)

    def regain_screen(self) -> None:
        """Something took the screen (a system dialog, a stray Alt+Tab): back on top, in front."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            window = pygame.Window.from_display_module()
        window.restore()
        window.focus()
        self.keep_on_top()

    def frame(self, dt: float) -> None:
        super().frame(dt)  # a scene's error reaches fail()
        self.idle += dt
        from game.scenes.kiosk import AttractScene, BackSoonScene, StillThereScene

        if self.idle > self.idle_seconds and not isinstance(self.top, (AttractScene, BackSoonScene, StillThereScene)):
            try:
                self.push(StillThereScene(self))
            except Exception as e:
                self.fail(e)
