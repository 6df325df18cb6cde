"""Choosing a level: the campaign's levels in order, with the stars won so far."""

from dataclasses import dataclass

import numpy as np
import pygame_gui
from pygame_gui.elements import UIButton

from game.cards import load_cards
from game.levels import LevelError, load_campaign
from game.quiz import QuizError, checkpoint_bank, checkpoint_id, load_banks, load_chapters
from game.scenes.activities import ForwardLevel, SchedulesLevel, UNetLevel, WalkJumpLevel
from game.scenes.base import Scene
from game.scenes.cards import CardsScene
from game.scenes.denoiser_level import DenoiserLevel
from game.scenes.flawed_level import FlawedScheduleLevel
from game.scenes.latent_level import LatentLevel
from game.scenes.paths_level import PathsLevel
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
    "flawed_schedule": FlawedScheduleLevel,
    "denoiser": DenoiserLevel,
    "paths2d": PathsLevel,
}


def level_label(app, level) -> str:
    """A level's title on its menu button, with the stars won so far."""
    stars = app.profile["stars"].get(level.id)
    return level.title[app.tr.lang] + ("   " + app.tr("campaign.stars", stars=stars) if stars else "")


def level_scene(app, level, on_stars=None, on_next=None):
    """The scene that plays `level`; on_next, when given, is what its "Next" button does
    once the level is won."""
    return ACTIVITIES[level.kind](app, level, on_stars=on_stars, on_next=on_next)


ROW = 66  # px from one entry to the next


@dataclass(frozen=True)
class CardsEntry:
    """The campaign's entry for a chapter's context cards ("Learn more")."""

    chapter: int


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
        try:
            self.card_chapters = {card.chapter for card in load_cards()}
        except LevelError as e:
            self.card_chapters = set()
            self.errors.append(str(e))

    def entries(self) -> list:
        """Levels in order, each chapter followed by its checkpoint quiz, then its context
        cards (CardsEntry) where it has some."""
        out = []
        for i, level in enumerate(self.levels):
            out.append(level)
            last_of_chapter = i + 1 == len(self.levels) or self.levels[i + 1].chapter != level.chapter
            chapter = next((c for c in self.chapters if c["number"] == level.chapter), None)
            if last_of_chapter and chapter is not None:
                out.append(chapter)
            if last_of_chapter and level.chapter in self.card_chapters:
                out.append(CardsEntry(level.chapter))
        return out

    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        self.add_navigation()
        self.buttons = {}
        entries = self.entries()
        w, h = self.app.screen.get_size()
        # as many rows as the window holds (room kept below for load errors), then columns to fit
        self.rows = max(1, (h - 110 - (120 if self.errors else 40)) // ROW)
        columns = max(1, -(-len(entries) // self.rows))
        width = (w - 160 - 20 * (columns - 1)) // columns
        for i, entry in enumerate(entries):
            if isinstance(entry, CardsEntry):
                label = tr("cards.campaign", n=entry.chapter)
            elif isinstance(entry, dict):  # a chapter's checkpoint quiz: its best round once played
                label = tr("campaign.checkpoint", title=entry["title"][tr.lang])
                best = self.app.best_quiz(checkpoint_id(entry))
                if best is not None:
                    label += "   " + tr("campaign.checkpoint_score", right=best.get("right", 0), n=best.get("questions", 0))
            else:
                label = level_label(self.app, entry)
            column, row = divmod(i, self.rows)
            button = self.add(UIButton((80 + column * (width + 20), 110 + row * ROW, width, ROW - 10), label, ui,
                                       object_id=self.app.theme.button_font(label, width)))  # a long chapter title
            self.buttons[button] = entry

    def resume(self):
        self.rebuild()  # show new stars

    def handle_event(self, event):
        if self.handle_navigation(event):
            return True
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if event.ui_element in self.buttons:
            self.open(self.buttons[event.ui_element])
        else:
            return False
        return True

    def open(self, entry, replace: bool = False) -> None:
        """Play a level or a checkpoint quiz (over the campaign, or in place of the level just won)."""
        if isinstance(entry, CardsEntry):
            scene = CardsScene(self.app, entry.chapter)
        elif isinstance(entry, dict):
            scene = QuizScene(self.app, checkpoint_bank(entry, self.banks, np.random.default_rng()))
        else:
            scene = level_scene(self.app, entry, on_stars=self.app.record_stars, on_next=self.after(entry))
        (self.app.replace if replace else self.app.push)(scene)

    def after(self, entry):
        """What "Next" does after `entry`: open the entry that follows it, or nothing at the end."""
        entries = self.entries()
        i = next(i for i, e in enumerate(entries) if e is entry)
        return (lambda: self.open(entries[i + 1], replace=True)) if i + 1 < len(entries) else None

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("campaign.title"), (80, 64), role="subtitle", bold=True)
        if self.errors:
            y = theme.text(surface, tr("campaign.errors"), (80, 110 + self.rows * ROW), role="small", colour="bad").bottom
            for message in self.errors:
                y = theme.text(surface, message, (80, y + 4), role="small", colour="muted", width=surface.get_width() - 160).bottom
