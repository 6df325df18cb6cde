"""The Explore menu: what lies beside the campaign — the levels of levels/explore/ (with the
stars won so far) and the side-by-side comparisons — each with a line saying what it shows."""

import pygame_gui
from pygame_gui.elements import UIButton

from game.levels import load_explore
from game.scenes.base import Scene
from game.scenes.campaign import level_label, level_scene

ROW = 86  # px from one entry to the next: its button, then its line


class ExploreScene(Scene):
    def __init__(self, app):
        super().__init__(app)
        self.levels, self.errors = load_explore()

    def entries(self) -> list:
        """Each level, then "compare" (the comparison scene)."""
        return [*self.levels, "compare"]

    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        self.add_navigation()
        self.buttons = {}
        for i, entry in enumerate(self.entries()):
            label = tr("compare.title") if entry == "compare" else level_label(self.app, entry)
            self.buttons[self.add(UIButton((80, 110 + i * ROW, 520, 48), label, ui))] = entry

    def resume(self):
        self.rebuild()  # show new stars

    def handle_event(self, event):
        if self.handle_navigation(event):
            return True
        if event.type != pygame_gui.UI_BUTTON_PRESSED or event.ui_element not in self.buttons:
            return False
        self.open(self.buttons[event.ui_element])
        return True

    def open(self, entry) -> None:
        if entry == "compare":
            from game.scenes.compare import CompareScene

            self.app.push(CompareScene(self.app))
        else:
            self.app.push(level_scene(self.app, entry, on_stars=self.app.record_stars))

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("explore.title"), (80, 64), role="subtitle", bold=True)
        for i, entry in enumerate(self.entries()):
            text = tr("explore.compare") if entry == "compare" else entry.goal[tr.lang]
            theme.text(surface, text, (620, 110 + i * ROW), role="small", colour="muted", width=surface.get_width() - 660)
        if self.errors:
            y = theme.text(surface, tr("campaign.errors"), (80, 110 + len(self.entries()) * ROW), role="small",
                           colour="bad").bottom
            for error in self.errors:
                y = theme.text(surface, error, (80, y + 4), role="small", colour="bad", width=surface.get_width() - 160).bottom
