"""Saber más: the context cards (game/cards.py), a list on the left and the chosen card on
the right, its measurement run on a worker the first time the card is shown."""

import pygame
import pygame_gui
from pygame_gui.elements import UIButton

from game.cards import MEASURES, load_cards
from game.levels import LevelError
from game.scenes.base import Column, Scene
from game.worker import Job


class CardsScene(Scene):
    def __init__(self, app, chapter: int | None = None):
        super().__init__(app)
        try:
            cards, self.error = load_cards(), None
        except LevelError as e:
            cards, self.error = [], str(e)
        self.cards = [c for c in cards if chapter is None or c.chapter == chapter]
        self.chapter = chapter
        self.shown = self.cards[0] if self.cards else None
        self.measured = {}  # card id → its measure's values
        self.job = None  # (card id, Job) measuring

    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        self.add_navigation()
        column = Column(30, 110, 380)
        self.buttons = {}
        for card in self.cards:
            mark = "● " if card is self.shown else ""
            self.buttons[self.add(UIButton(column.take(52, gap=10), mark + card.title[tr.lang], ui))] = card
        self.measure()

    def handle_event(self, event):
        if self.handle_navigation(event):
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element in self.buttons:
            self.shown = self.buttons[event.ui_element]
            self.rebuild()  # the mark moves; its measurement starts
            return True
        return False

    # measuring ----------------------------------------------------------------------------------
    def measure(self):
        card = self.shown
        if card is None or card.id in self.measured or self.job is not None:
            return
        model, error = self.app.try_model()
        if error:
            self.measured[card.id] = error
            return
        self.job = (card.id, Job(lambda report, cancelled: report(MEASURES[card.measure](model))))

    def workers(self):
        return [self.job[1]] if self.job else []

    def update(self, dt):
        if self.job is None or not self.job[1].done:
            return
        card_id, job = self.job
        values = job.poll()
        self.measured[card_id] = ("lab.failed", {"reason": str(job.error)}) if job.error else values[0]
        self.job = None
        self.measure()  # the card chosen while this one measured

    def values(self, card) -> dict | None:
        """The card's measured values as its sentence prints them, or None (still measuring)."""
        values = self.measured.get(card.id)
        if not isinstance(values, dict):
            return None
        tr = self.app.tr
        return {k: tr.significant(v, 3) if isinstance(v, float) else v for k, v in values.items()}

    # drawing ------------------------------------------------------------------------------------
    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        title = tr("cards.title_chapter", n=self.chapter) if self.chapter else tr("cards.title")
        theme.text(surface, title, (170, 24), role="subtitle", bold=True)
        if self.error:
            theme.text(surface, self.error, (30, 110), colour="bad", width=surface.get_width() - 60)
        card = self.shown
        if card is None:
            return
        box = pygame.Rect(440, 100, surface.get_width() - 470, surface.get_height() - 140)
        pygame.draw.rect(surface, theme.colour("panel"), box, border_radius=8)
        width = box.width - 48
        y = theme.text(surface, card.title[tr.lang], (box.x + 24, box.y + 20), role="heading", bold=True, colour="accent").bottom
        y = theme.text(surface, card.text[tr.lang], (box.x + 24, y + 14), width=width).bottom
        values, problem = self.values(card), self.measured.get(card.id)
        if values is not None:
            text, colour = tr.formatters[tr.lang].format(card.measured[tr.lang], **values), "accent2"
        elif isinstance(problem, tuple):
            text, colour = tr(problem[0], **problem[1]), "bad"
        else:
            text, colour = tr("cards.measuring"), "muted"
        theme.text(surface, text, (box.x + 24, y + 20), width=width, colour=colour)
