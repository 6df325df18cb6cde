"""Layout problems of the screen on top: any widget or drawn text outside the window, and
any two texts, or a text and a widget, that overlap. For tests/test_layout.py and for
whoever changes a screen."""

import itertools

import pygame


def layout_problems(app) -> list[str]:
    theme = app.theme
    theme.drawn = []
    try:
        app.draw()
        texts = list(theme.drawn)
    finally:
        theme.drawn = None
    window = app.screen.get_rect()
    widgets = [e for scene in app.stack[-1:] for e in scene.elements if e.alive() and e.visible]
    boxes = [(pygame.Rect(e.rect), f"widget {type(e).__name__} {getattr(e, 'text', '')!r}") for e in widgets]
    boxes += [(rect, f"text {text[:40]!r}") for rect, text in texts]
    problems = [f"{name} at {tuple(rect)} lies outside the {window.w}×{window.h} window"
                for rect, name in boxes if not window.contains(rect)]
    for (a, name_a), (b, name_b) in itertools.combinations(boxes, 2):
        if name_a.startswith("widget") and name_b.startswith("widget"):
            continue  # widgets are placed by rectangles we check elsewhere; texts are the risk
        if name_a.endswith("''") and name_b.startswith("text") and a.inflate(-4, -4).contains(b):
            continue  # a label the scene draws over its own empty button (a typeset formula), inside it
        if a.inflate(-2, -2).colliderect(b.inflate(-2, -2)):
            problems.append(f"{name_a} {tuple(a)} overlaps {name_b} {tuple(b)}")
    return problems
