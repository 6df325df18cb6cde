import os

# Tests run headless everywhere (CI has no display and no sound card).
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import tempfile

# Profiles and exports go to a throw-away folder, never the tester's own.
os.environ["DIFFUSION_QUEST_HOME"] = tempfile.mkdtemp(prefix="dq-home-")


import pytest  # noqa: E402  (after the environment above, which SDL reads when first imported)

from game.tour import press  # noqa: E402, F401  (tests click buttons with it: from conftest import press)


def running_app(lang: str = "es"):
    """An App for as long as the generator runs; then every scene is popped (scenes cancel
    their workers on exit, so a level left by a failing test cannot leak) and pygame quits."""
    import pygame

    from game.app import App

    app = App(lang=lang)
    yield app
    while app.stack:
        app.pop()
    pygame.quit()


@pytest.fixture
def app():
    """A fresh Spanish app per test."""
    yield from running_app()


def drawn_text(app) -> str:
    """Every text the screens draw in one frame, joined: what a player can read there."""
    app.theme.drawn = []
    try:
        app.draw()
        return " ".join(text for _, text in app.theme.drawn)
    finally:
        app.theme.drawn = None
