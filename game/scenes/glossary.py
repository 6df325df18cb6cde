"""The glossary: every term the game uses, in the player's language with the other language's
word beside it, and a one-line definition; as many entries a page as the screen holds."""

import pygame
import pygame_gui
from pygame_gui.elements import UIButton

from game.glossary import load_glossary
from game.scenes.base import Scene


class GlossaryScene(Scene):
    TOP = 90  # under the navigation row

    def __init__(self, app):
        super().__init__(app)
        self.terms = load_glossary().terms
        self.page = 0
        self._pages = None  # split once per build: the language and the text size set it

    def pages(self) -> list[list]:
        if self._pages is None:
            self._pages = self.split()
        return self._pages

    def split(self) -> list[list]:
        """The terms split into pages that fit between TOP and the page buttons."""
        theme, tr = self.app.theme, self.app.tr
        w, h = self.app.screen.get_size()
        width, room = w - 120, h - self.TOP - 90
        pages, page, used = [], [], 0
        for term in self.terms:
            height = theme.text_height(self.heading(term), "heading", width, bold=True) + \
                theme.text_height(term.definition[tr.lang], "body", width) + 18
            if page and used + height > room:
                pages.append(page)
                page, used = [], 0
            page.append(term)
            used += height
        return pages + [page]

    def heading(self, term) -> str:
        lang = self.app.tr.lang
        other = "en" if lang == "es" else "es"
        return f"{term.words[lang]} ({term.words[other]})" if term.words[lang] != term.words[other] else term.words[lang]

    def build_ui(self):
        ui = self.app.ui
        w, h = self.app.screen.get_size()
        self.add_navigation()
        self._pages = None
        self.page = min(self.page, len(self.pages()) - 1)
        self.previous = self.add(UIButton((w // 2 - 190, h - 70, 120, 48), "◀", ui))
        self.next = self.add(UIButton((w // 2 + 70, h - 70, 120, 48), "▶", ui))
        last = len(self.pages()) - 1
        if self.page == 0:
            self.previous.disable()
        if self.page == last:
            self.next.disable()

    def handle_event(self, event):
        if self.handle_navigation(event):
            return True
        step = 0
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element in (self.previous, self.next):
            step = 1 if event.ui_element is self.next else -1
        elif event.type == pygame.KEYDOWN and event.key in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_PAGEUP, pygame.K_PAGEDOWN):
            step = 1 if event.key in (pygame.K_RIGHT, pygame.K_PAGEDOWN) else -1
        if not step:
            return False
        self.page = max(0, min(self.page + step, len(self.pages()) - 1))
        self.rebuild()
        return True

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        w, h = surface.get_size()
        theme.text(surface, tr("glossary.title"), (w // 2, 24), role="subtitle", bold=True, anchor="midtop")
        pages = self.pages()
        y = self.TOP
        for term in pages[self.page]:
            y = theme.text(surface, self.heading(term), (60, y), role="heading", bold=True, colour="accent", width=w - 120).bottom
            y = theme.text(surface, term.definition[tr.lang], (60, y + 2), width=w - 120).bottom + 16
        theme.text(surface, tr("glossary.page", page=self.page + 1, pages=len(pages)), (w // 2, h - 58),
                   role="small", colour="muted", anchor="midtop")
