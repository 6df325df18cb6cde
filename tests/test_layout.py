"""Every screen fits every window: no text or widget outside it, no text over another text or
a widget, no label pygame_gui finds too small — in both languages' longer one (Spanish), at
1000×600 (a small laptop window), the design size and full HD, with normal and large text."""

import warnings

import pytest

from game.app import App
from game.layout_check import layout_problems
from game.profile import ProfileStore
from game.tour import visit

CASES = [(size, large) for size in ((1000, 600), (1280, 720), (1920, 1080)) for large in (False, True)]


@pytest.mark.parametrize("size,large", CASES, ids=[f"{w}x{h}{'-large' if large else ''}" for (w, h), large in CASES])
def test_every_screen_fits(tmp_path, size, large):
    app = App(lang="es", size=size, profile_store=ProfileStore(tmp_path))
    app.set_large_text(large)
    problems = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # the played levels once: their results add text, not new layouts per size
        for screen in visit(app, steps=4, play=(size, large) == ((1280, 720), True)):
            problems += [f"{screen}: {p}" for p in layout_problems(app)]
    problems += [str(w.message) for w in caught if "too small" in str(w.message)]
    assert not problems, "\n".join(problems)


def test_a_small_window_shows_the_whole_design_scaled_and_clicks_land_where_they_show(tmp_path):
    import numpy as np
    import pygame

    from game.app import canvas_size
    from game.scenes.lab import LabScene
    from game.scenes.title import TitleScene

    assert canvas_size((1280, 720)) == (1280, 720) and canvas_size((1920, 1080)) == (1920, 1080)
    assert canvas_size((640, 360)) == (1280, 720) and canvas_size((800, 600)) == (1280, 960)
    app = App(lang="es", size=(640, 360), profile_store=ProfileStore(tmp_path))
    title = TitleScene(app)
    app.push(title)
    assert app.screen.get_size() == (1280, 720) and app.window.get_size() == (640, 360)
    shot = tmp_path / "small.png"
    app.screenshot(shot)
    window = pygame.surfarray.array3d(pygame.image.load(str(shot)))
    canvas = pygame.surfarray.array3d(app.screen)
    assert window.shape[:2] == (640, 360)
    assert np.abs(window.astype(float) - canvas[::2, ::2]).mean() < 12  # the canvas, halved
    x, y = title.lab.rect.center  # on the canvas; the player sees it at half that
    for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        app.process(pygame.event.Event(kind, pos=(x // 2, y // 2), button=1))
    app.run_until(lambda: isinstance(app.stack[-1], LabScene), timeout=2)
    assert isinstance(app.stack[-1], LabScene)
