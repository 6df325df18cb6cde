"""The title screen: campaign, lab, explore, quizzes, quit; settings, glossary, learn more, language."""

import pygame
import pygame_gui
from pygame_gui.elements import UIButton

from game.scenes.base import Scene


class TitleScene(Scene):
    def build_ui(self):
        tr, w, h = self.app.tr, *self.app.screen.get_size()
        x, y, bw, bh, pitch = w // 2 - 170, h // 2 - 70, 340, 60, 72
        self.campaign, self.lab, self.explore, self.quiz, self.quit = (
            self.add(UIButton((x, y + i * pitch, bw, bh), tr(f"menu.{name}"), self.app.ui, object_id="#menu"))
            for i, name in enumerate(("campaign", "lab", "explore", "quiz", "quit")))
        self.language = self.add(UIButton((w - 180, 20, 160, 44), tr("app.language"), self.app.ui))
        self.settings = self.add(UIButton((20, 20, 160, 44), tr("settings.title"), self.app.ui))
        self.glossary = self.add(UIButton((190, 20, 160, 44), tr("glossary.title"), self.app.ui))
        self.cards = self.add(UIButton((360, 20, 160, 44), tr("cards.title"), self.app.ui))

    def handle_event(self, event):
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if event.ui_element is self.lab:
            from game.scenes.lab import LabScene

            self.app.push(LabScene(self.app))
        elif event.ui_element is self.campaign:
            from game.scenes.campaign import CampaignScene

            self.app.push(CampaignScene(self.app))
        elif event.ui_element is self.explore:
            from game.scenes.explore import ExploreScene

            self.app.push(ExploreScene(self.app))
        elif event.ui_element is self.quiz:
            from game.scenes.quiz import QuizMenuScene

            self.app.push(QuizMenuScene(self.app))
        elif event.ui_element is self.settings:
            from game.scenes.settings import SettingsScene

            self.app.push(SettingsScene(self.app))
        elif event.ui_element is self.glossary:
            from game.scenes.glossary import GlossaryScene

            self.app.push(GlossaryScene(self.app))
        elif event.ui_element is self.cards:
            from game.scenes.cards import CardsScene

            self.app.push(CardsScene(self.app))
        elif event.ui_element is self.language:
            self.app.switch_language()
        elif event.ui_element is self.quit:
            self.app.running = False
        return True

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        w, h = surface.get_size()
        theme.text(surface, tr("app.title"), (w // 2, h // 2 - 235), role="title", bold=True, anchor="midtop")
        theme.text(surface, tr("app.subtitle"), (w // 2, h // 2 - 155), role="subtitle", colour="muted", anchor="midtop")
        notice = self.app.profile_store.message
        if notice:
            key, values = notice
            theme.text(surface, tr(key, **values), (w // 2, h - 90), role="small", colour="accent", anchor="midtop", width=1000)
        theme.text(surface, tr("app.fullscreen_hint"), (w // 2, h - 30), role="small", colour="muted", anchor="midtop")
        _draw_noise_strip(surface, pygame.Rect(w // 2 - 300, h // 2 - 105, 600, 14))


def _draw_noise_strip(surface, rect):
    """A band that fades from noise to calm: the whole game in one picture."""
    for i in range(rect.width // 6):
        frac = i / (rect.width // 6)
        c = int(40 + 180 * frac)
        jitter = int((1 - frac) * 90 * ((i * 7919) % 13 / 13 - 0.5))
        pygame.draw.rect(surface, (max(0, min(255, c + jitter)), 90, 255 - c // 2), (rect.x + i * 6, rect.y, 5, rect.height))
