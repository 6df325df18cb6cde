"""Settings: language and large text, kept in the profile."""

import pygame_gui
from pygame_gui.elements import UIButton

from game.scenes.base import Scene


class SettingsScene(Scene):
    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        w = self.app.screen.get_width()
        large = self.app.profile["settings"].get("large_text", False)
        self.add_navigation(language=False)
        # a big language switch; handle_navigation presses it like the usual one
        label = tr("settings.language", language=tr("app.language"))
        self.language = self.add(UIButton((w // 2 - 250, 220, 500, 70), label, ui, object_id="#menu"))
        self.large = self.add(UIButton((w // 2 - 250, 320, 500, 70), tr("settings.large_on" if large else "settings.large_off"), ui, object_id="#menu"))

    def handle_event(self, event):
        if self.handle_navigation(event):
            return True
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if event.ui_element is self.large:
            self.app.set_large_text(not self.app.profile["settings"].get("large_text", False))
        else:
            return False
        return True

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("settings.title"), (surface.get_width() // 2, 120), role="subtitle", bold=True, anchor="midtop")
