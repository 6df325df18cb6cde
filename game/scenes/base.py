"""The scene contract (a Tuxemon-style state stack, without globals).

Events go to the topmost scene first and on down until one returns True (consumed);
drawing runs bottom-up from the topmost opaque scene. draw() has no side effects.
A scene builds its pygame_gui widgets in build_ui(); the app rebuilds them when the
language or the window size changes.
"""

import pygame
import pygame_gui
from pygame_gui.elements import UIButton


class Scene:
    opaque = True
    # True while the scene times work on a worker: the window is then not redrawn (events and
    # update() still run), so the render thread does not take the GIL and a core from the timing
    holds_still = False

    def __init__(self, app):
        self.app = app
        self.elements = []

    # lifecycle ------------------------------------------------------------------------
    def enter(self) -> None:
        self.build_ui()

    def exit(self) -> None:
        for work in self.workers():
            if work is not None:
                work.cancel()  # leaving a scene never leaves a worker computing behind it
        self.clear_ui()

    def workers(self) -> list:
        """The background work this scene owns (Jobs, SamplingRuns, or None)."""
        return []

    def pause(self) -> None:
        for element in self.elements:
            element.hide()

    def resume(self) -> None:
        for element in self.elements:
            element.show()

    def rebuild(self) -> None:
        self.clear_ui()
        self.build_ui()

    # widgets ----------------------------------------------------------------------------
    def build_ui(self) -> None:
        """Create this scene's widgets (strings from self.app.tr)."""

    def add(self, element):
        self.elements.append(element)
        return element

    def add_navigation(self, back: bool = True, language: bool = True) -> None:
        """The Back button (top left) and the language switch (top right) most scenes share."""
        tr, ui, w = self.app.tr, self.app.ui, self.app.screen.get_width()
        self.back = self.add(UIButton((30, 20, 120, 40), tr("app.back"), ui)) if back else None
        self.language = self.add(UIButton((w - 180, 20, 160, 40), tr("app.language"), ui)) if language else None

    def handle_navigation(self, event) -> bool:
        """Back pops this scene; the language switch switches. True when one was pressed."""
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if getattr(self, "back", None) is not None and event.ui_element is self.back:
            self.app.pop()
        elif getattr(self, "language", None) is not None and event.ui_element is self.language:
            self.app.switch_language()
        else:
            return False
        return True

    def clear_ui(self) -> None:
        for element in self.elements:
            element.kill()
        self.elements = []

    # frame ------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> bool:
        return False

    def update(self, dt: float) -> None:
        pass

    def draw(self, surface: pygame.Surface) -> None:
        pass

    def draw_over_widgets(self, surface: pygame.Surface) -> None:
        """What goes on top of the widgets (a button's typeset formula); no side effects."""


class Column:
    """Rectangles stacked downward from (x, y), each `gap` below the last: a scene's controls
    laid out by their heights (which large text changes), not by fixed y positions."""

    def __init__(self, x: int, y: int, width: int):
        self.x, self.y, self.width = x, y, width

    def take(self, height: int, gap: int = 4) -> pygame.Rect:
        rect = pygame.Rect(self.x, self.y, self.width, height)
        self.y = rect.bottom + gap
        return rect
