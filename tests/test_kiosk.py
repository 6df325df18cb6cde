import tracemalloc

import pygame
import pygame_gui
import pytest

from game.kiosk import KioskApp
from game.scenes.kiosk import AttractScene, GuideScene


@pytest.fixture
def kiosk():
    app = KioskApp(idle_seconds=0.3, fullscreen=False, lang="es")
    yield app
    pygame.quit()


def touch(app):
    app.process(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(640, 360), button=1, touch=True))


def press(app, button):
    app.process(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=button))


def visit(app):
    """A visitor touches, picks a shape and a colour, and walks away."""
    app.run_until(lambda: isinstance(app.top, AttractScene) and app.top.phase == "reverse", timeout=30)
    touch(app)
    guide = app.top
    assert isinstance(guide, GuideScene)
    press(app, next(iter(guide.choices)))
    press(app, next(iter(guide.choices)))
    app.run_until(lambda: guide.run is not None and not guide.run.running, timeout=60)
    app.run_until(lambda: isinstance(app.top, AttractScene), timeout=5)  # idle: back to the attract loop


def test_attract_visit_and_back_after_inactivity(kiosk, monkeypatch):
    import game.scenes.kiosk as scenes

    monkeypatch.setattr(scenes, "FORWARD_SECONDS", 0.2)
    visit(kiosk)
    assert isinstance(kiosk.top, AttractScene) and len(kiosk.stack) == 1 and kiosk.running


def test_only_the_admin_keys_quit(kiosk):
    for key in (pygame.K_ESCAPE, pygame.K_F11):
        kiosk.process(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0))
    kiosk.process(pygame.event.Event(pygame.QUIT))
    assert kiosk.running and kiosk.stack
    kiosk.process(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_q, mod=pygame.KMOD_CTRL | pygame.KMOD_SHIFT, unicode="", scancode=0))
    assert not kiosk.running


def test_an_error_is_logged_and_the_kiosk_starts_over(kiosk, caplog):
    touch(kiosk)
    assert isinstance(kiosk.top, GuideScene)

    def broken(dt):
        raise RuntimeError("a bug in a scene")

    kiosk.top.update = broken
    kiosk.frame(0.016)
    assert isinstance(kiosk.top, AttractScene) and kiosk.restarts == 1
    assert "a bug in a scene" in caplog.text


def test_soak_memory_stays_flat(kiosk, monkeypatch):
    import game.scenes.kiosk as scenes

    monkeypatch.setattr(scenes, "FORWARD_SECONDS", 0.05)
    monkeypatch.setattr(scenes, "HOLD_SECONDS", 0.05)
    visit(kiosk)
    tracemalloc.start()
    visit(kiosk)
    baseline = tracemalloc.get_traced_memory()[0]
    for _ in range(6):
        visit(kiosk)
    grown = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()
    assert grown < 2_000_000, f"memory grew {grown / 1e6:.1f} MB over 6 visits"
