"""Kiosk mode for museums and science fairs: fullscreen, touch-sized, unattended.

An attract loop plays until someone touches the screen; a guided visit of about two
minutes follows; after `idle_seconds` without input the kiosk returns to the attract loop.
Only the admin keys (Ctrl+Shift+Q) quit. Any error is written to kiosk.log in the user
data folder and the kiosk starts over: visitors never see a traceback.
"""

import logging

import pygame

from game.app import App
from game.paths import user_data_dir

INPUT_EVENTS = (pygame.MOUSEBUTTONDOWN, pygame.FINGERDOWN, pygame.KEYDOWN, pygame.MOUSEWHEEL)


def kiosk_logger() -> logging.Logger:
    log = logging.getLogger("diffusion-quest.kiosk")
    if not log.handlers:
        try:
            folder = user_data_dir()
            folder.mkdir(parents=True, exist_ok=True)
            log.addHandler(logging.FileHandler(folder / "kiosk.log", encoding="utf-8"))
        except OSError:
            log.addHandler(logging.StreamHandler())  # nowhere to write: the console
        log.setLevel(logging.INFO)
    return log


class KioskApp(App):
    def __init__(self, idle_seconds: float = 60.0, fullscreen: bool = True, **options):
        super().__init__(fullscreen=fullscreen, **options)
        self.theme.sizes = {k: round(v * 1.3) for k, v in self.theme.sizes.items()}  # touch-sized text
        self.idle_seconds, self.idle = idle_seconds, 0.0
        self.log = kiosk_logger()
        self.restarts = 0
        self.restart()

    def restart(self) -> None:
        """Back to the attract loop, whatever was on screen."""
        from game.scenes.kiosk import AttractScene

        while self.stack:
            scene = self.stack.pop()
            try:
                scene.exit()
            except Exception:  # a broken scene must not stop the reset
                self.log.exception("scene exit failed")
        self.idle = 0.0
        self.push(AttractScene(self))

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
        try:
            super().frame(dt)
            self.idle += dt
            from game.scenes.kiosk import AttractScene

            if self.idle > self.idle_seconds and not isinstance(self.top, AttractScene):
                self.restart()
        except Exception:
            self.log.exception("kiosk error; starting over")
            self.restarts += 1
            self.restart()
