"""Choosing a level: the campaign's levels in order, with the stars won so far."""

import pygame_gui
from pygame_gui.elements import UIButton

from game.levels import load_campaign
from game.scenes.activities import ForwardLevel, SchedulesLevel, UNetLevel, WalkJumpLevel
from game.scenes.base import Scene
from game.scenes.sampling_level import SamplingLevel
from game.scenes.score_level import ScoreLevel

ACTIVITIES = {
    "forward": ForwardLevel,
    "walk_jump": WalkJumpLevel,
    "schedules": SchedulesLevel,
    "unet": UNetLevel,
    "sampling": SamplingLevel,
    "toy2d": ScoreLevel,
}


def level_scene(app, level, on_stars=None):
    return ACTIVITIES[level.kind](app, level, on_stars)


ROWS = 6  # levels per column


class CampaignScene(Scene):
    def __init__(self, app):
        super().__init__(app)
        self.levels, self.errors = load_campaign()

    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        self.back = self.add(UIButton((30, 20, 120, 40), tr("app.back"), ui))
        self.language = self.add(UIButton((self.app.screen.get_width() - 180, 20, 160, 40), tr("app.language"), ui))
        self.buttons = {}
        for i, level in enumerate(self.levels):
            label = level.title[tr.lang]
            stars = self.app.profile["stars"].get(level.id)
            if stars:
                label += "   " + tr("campaign.stars", stars=stars)
            column, row = divmod(i, ROWS)
            button = self.add(UIButton((100 + column * 560, 120 + row * 76, 520, 62), label, ui))
            self.buttons[button] = level

    def resume(self):
        self.rebuild()  # show new stars

    def handle_event(self, event):
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if event.ui_element is self.back:
            self.app.pop()
        elif event.ui_element is self.language:
            self.app.switch_language()
        elif event.ui_element in self.buttons:
            self.app.push(level_scene(self.app, self.buttons[event.ui_element], self.app.record_stars))
        else:
            return False
        return True

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("campaign.title"), (100, 60), role="subtitle", bold=True)
        if self.errors:
            y = theme.text(surface, tr("campaign.errors"), (100, 120 + ROWS * 76), role="small", colour="bad").bottom
            for message in self.errors:
                y = theme.text(surface, message, (100, y + 4), role="small", colour="muted", width=1080).bottom
