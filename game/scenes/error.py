"""What the player sees when a scene fails anyway: what happened, in their language, and a
way back to the menu. The traceback goes to the log; the profile is already saved."""

import pygame_gui
from pygame_gui.elements import UIButton

from game.paths import user_data_dir
from game.scenes.base import Scene


class ErrorScene(Scene):
    def __init__(self, app, error: BaseException):
        super().__init__(app)
        self.error = error

    def build_ui(self):
        w, h = self.app.screen.get_size()
        self.menu = self.add(UIButton((w // 2 - 150, h // 2 + 80, 300, 56), self.app.tr("error.back"), self.app.ui,
                                      object_id="#primary"))
        self.app.focus = self.menu  # Enter goes back at once

    def handle_event(self, event):
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.menu:
            self.app.back_to_title()
            return True
        return False

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        w, h = surface.get_size()
        y = theme.text(surface, tr("error.title"), (w // 2, h // 2 - 140), role="title", bold=True, anchor="midtop").bottom
        y = theme.text(surface, tr("error.body", log=user_data_dir() / "game.log"), (w // 2, y + 20), anchor="midtop",
                       width=min(w - 80, 900)).bottom
        reason = f"{type(self.error).__name__}: {self.error}"[:300]
        theme.text(surface, reason, (w // 2, y + 14), role="small", colour="muted", anchor="midtop", width=min(w - 80, 900))
