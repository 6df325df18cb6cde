"""Choosing a level: the campaign's levels in order, with the stars won so far."""

import pygame_gui
from pygame_gui.elements import UIButton

from game.levels import load_campaign
from game.quiz import QuizError, checkpoint_bank, load_banks, load_chapters
from game.scenes.activities import ForwardLevel, SchedulesLevel, UNetLevel, WalkJumpLevel
from game.scenes.base import Scene
from game.scenes.latent_level import LatentLevel
from game.scenes.quiz import QuizScene
from game.scenes.sampling_level import SamplingLevel
from game.scenes.score_level import ScoreLevel

ACTIVITIES = {
    "forward": ForwardLevel,
    "walk_jump": WalkJumpLevel,
    "schedules": SchedulesLevel,
    "unet": UNetLevel,
    "sampling": SamplingLevel,
    "toy2d": ScoreLevel,
    "latent": LatentLevel,
}


def level_scene(app, level, on_stars=None):
    return ACTIVITIES[level.kind](app, level, on_stars)


ROWS = 8  # entries per column


class CampaignScene(Scene):
    def __init__(self, app):
        super().__init__(app)
        self.levels, self.errors = load_campaign()
        try:
            self.chapters = load_chapters()
        except QuizError as e:
            self.chapters = []
            self.errors.append(str(e))
        self.banks, bank_errors = load_banks()
        self.errors += bank_errors

    def entries(self) -> list:
        """Levels in order, each chapter followed by its checkpoint quiz."""
        out = []
        for i, level in enumerate(self.levels):
            out.append(level)
            last_of_chapter = i + 1 == len(self.levels) or self.levels[i + 1].chapter != level.chapter
            chapter = next((c for c in self.chapters if c["number"] == level.chapter), None)
            if last_of_chapter and chapter is not None:
                out.append(chapter)
        return out

    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        self.add_navigation()
        self.buttons = {}
        for i, entry in enumerate(self.entries()):
            if isinstance(entry, dict):  # a chapter's checkpoint quiz
                label = tr("campaign.checkpoint", title=entry["title"][tr.lang])
            else:
                label = entry.title[tr.lang]
                stars = self.app.profile["stars"].get(entry.id)
                if stars:
                    label += "   " + tr("campaign.stars", stars=stars)
            column, row = divmod(i, ROWS)
            button = self.add(UIButton((100 + column * 560, 110 + row * 66, 520, 56), label, ui))
            self.buttons[button] = entry

    def resume(self):
        self.rebuild()  # show new stars

    def handle_event(self, event):
        if self.handle_navigation(event):
            return True
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if event.ui_element in self.buttons:
            entry = self.buttons[event.ui_element]
            if isinstance(entry, dict):
                self.app.push(QuizScene(self.app, checkpoint_bank(entry, self.banks)))
            else:
                self.app.push(level_scene(self.app, entry, self.app.record_stars))
        else:
            return False
        return True

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("campaign.title"), (100, 60), role="subtitle", bold=True)
        if self.errors:
            y = theme.text(surface, tr("campaign.errors"), (100, 110 + ROWS * 66), role="small", colour="bad").bottom
            for message in self.errors:
                y = theme.text(surface, message, (100, y + 4), role="small", colour="muted", width=1080).bottom
