"""Kiosk mode for museums and science fairs: fullscreen, touch-sized, unattended.

An attract loop plays until someone touches the screen; a guided visit of about two
minutes follows; after `idle_seconds` without input the kiosk returns to the attract loop.
Only the admin keys (Ctrl+Shift+Q) quit. Any error is written to kiosk.log in the user
data folder and the kiosk starts over: visitors never see a traceback. A sample that
stops making progress (a hung model call) is abandoned after WATCHDOG_SECONDS.
"""

import pygame

from game.app import App
from game.paths import file_logger

INPUT_EVENTS = (pygame.MOUSEBUTTONDOWN, pygame.FINGERDOWN, pygame.KEYDOWN, pygame.MOUSEWHEEL)


class KioskApp(App):
    def __init__(self, idle_seconds: float = 60.0, fullscreen: bool = True, **options):
        super().__init__(fullscreen=fullscreen, **options)
        self.theme.sizes = {k: round(v * 1.3) for k, v in self.theme.sizes.items()}  # touch-sized text
        self.idle_seconds, self.idle = idle_seconds, 0.0
        self.log = file_logger("diffusion-quest.kiosk", "kiosk.log")
        self.restarts = 0
        self.restart()

    def restart(self) -> None:
        """Back to the attract loop, whatever was on screen."""
        from game.scenes.kiosk import AttractScene

        self.close_scenes()
        self.idle = 0.0
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
        if event.type == pygame.KEYDOWN:
            mods = pygame.key.get_mods() | getattr(event, "mod", 0)
            if event.key == pygame.K_q and mods & pygame.KMOD_CTRL and mods & pygame.KMOD_SHIFT:
                self.running = False
                return
            if event.key in (pygame.K_ESCAPE, pygame.K_F11):
                return  # no leaving fullscreen, no backing out of the kiosk
        if event.type in INPUT_EVENTS:
            self.idle = 0.0
        super().process(event)

    def frame(self, dt: float) -> None:
        super().frame(dt)  # a scene's error reaches fail()
        self.idle += dt
        from game.scenes.kiosk import AttractScene, BackSoonScene

        if self.idle > self.idle_seconds and not isinstance(self.top, (AttractScene, BackSoonScene)):
            try:
                self.restart()
            except Exception as e:
                self.fail(e)
