"""The scene contract (a Tuxemon-style state stack, without globals).

Events go to the topmost scene first and on down until one returns True (consumed);
drawing runs bottom-up from the topmost opaque scene. draw() has no side effects.
A scene builds its pygame_gui widgets in build_ui(); the app rebuilds them when the
language or the window size changes.
"""

import pygame


class Scene:
    opaque = True

    def __init__(self, app):
        self.app = app
        self.elements = []

    # lifecycle ------------------------------------------------------------------------
    def enter(self) -> None:
        self.build_ui()

    def exit(self) -> None:
        self.clear_ui()

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
