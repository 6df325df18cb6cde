"""Small plots drawn straight onto a surface: curves over t, a pixel histogram and a 2-D score field."""

import math

import numpy as np
import pygame


def draw_curves(surface, theme, rect: pygame.Rect, curves: list, marker_t: int | None = None,
                x_max: int = 1000, labels: tuple = ("t", ""), markers: tuple = (), guides: tuple = ()):
    """curves: [(values over t, colour name, label)], each scaled to its own min–max so
    shapes compare (NaN where a value is not known yet); the current t is a vertical line, and so is each (t, colour name) of
    `markers`; each fraction of `guides` is a horizontal line at that height of the scale
    (0.5: the middle, where a curve from 1 to 0 is ½)."""
    pygame.draw.rect(surface, theme.colour("panel"), rect, border_radius=6)
    inner = rect.inflate(-24, -40)
    inner.y += 6
    pygame.draw.line(surface, theme.colour("muted"), inner.bottomleft, inner.bottomright)
    pygame.draw.line(surface, theme.colour("muted"), inner.bottomleft, inner.topleft)
    for fraction in guides:
        y = inner.bottom - fraction * inner.height
        for x in range(inner.x, inner.right, 12):  # dashed
            pygame.draw.line(surface, theme.colour("muted"), (x, y), (min(x + 6, inner.right), y))
    for i, (values, colour, label) in enumerate(curves):
        v = np.asarray(values, dtype=float)
        measured = np.flatnonzero(np.isfinite(v))  # NaN: not measured yet (a curve that grows)
        if len(measured) >= 2:
            lo, hi = v[measured].min(), v[measured].max()
            xs = inner.x + measured / max(1, x_max - 1) * inner.width
            ys = inner.bottom - (v[measured] - lo) / (hi - lo or 1) * inner.height
            pygame.draw.lines(surface, theme.colour(colour), False, list(zip(xs[::4], ys[::4])) + [(xs[-1], ys[-1])], 2)
        theme.text(surface, label, (inner.x + 8 + i * (inner.width // len(curves)), rect.y + 6), role="small", colour=colour)
    lines = ([(marker_t, "text")] if marker_t is not None else []) + list(markers)
    for t, colour in lines:
        x = inner.x + t / max(1, x_max - 1) * inner.width
        pygame.draw.line(surface, theme.colour(colour), (x, inner.top), (x, inner.bottom), 1 if colour == "text" else 3)
    theme.text(surface, labels[0], (inner.right, inner.bottom + 2), role="small", colour="muted", anchor="topright")


def draw_histogram(surface, theme, rect: pygame.Rect, values: np.ndarray, bins: int = 41, span: float = 4.0):
    """The pixel values' histogram (as a density) against the standard normal N(0, 1)."""
    pygame.draw.rect(surface, theme.colour("panel"), rect, border_radius=6)
    inner = rect.inflate(-20, -36)
    inner.y += 8
    counts, edges = np.histogram(np.clip(values, -span, span), bins=bins, range=(-span, span), density=True)
    peak = 0.8  # fixed scale: N(0,1) peaks at 0.4, a clean image's pixels pile up higher
    bar_w = inner.width / bins
    for i, c in enumerate(counts):
        h = min(c / peak, 1.0) * inner.height
        pygame.draw.rect(surface, theme.colour("accent2"), (inner.x + i * bar_w, inner.bottom - h, max(1, bar_w - 1), h))
    xs = np.linspace(-span, span, 120)
    pdf = np.exp(-xs**2 / 2) / math.sqrt(2 * math.pi)
    pts = [(inner.x + (x + span) / (2 * span) * inner.width, inner.bottom - p / peak * inner.height) for x, p in zip(xs, pdf)]
    pygame.draw.lines(surface, theme.colour("accent"), False, pts, 2)
    pygame.draw.line(surface, theme.colour("muted"), inner.bottomleft, inner.bottomright)
    theme.text(surface, "N(0, 1)", (inner.right, rect.y + 6), role="small", colour="accent", anchor="topright")


def draw_score_field(surface, to_screen, score, extent: float, length: float, colour, heads: bool = False):
    """The learned score ∇ log p_t of a 2-D toy on a 13×13 grid over [−extent, extent]²: arrows of
    one `length` (data units) pointing where noised data is likely. `score` maps points (M, 2)
    to vectors; `to_screen` maps points to pixel x and y lists; `heads`: a dot at each tip."""
    grid = np.stack(np.meshgrid(*(np.linspace(-extent, extent, 13),) * 2), -1).reshape(-1, 2).astype(np.float32)
    arrows = score(grid)
    arrows = arrows / (np.linalg.norm(arrows, axis=1, keepdims=True) + 1e-6) * length
    for a, b, c, d in zip(*to_screen(grid), *to_screen(grid + arrows)):
        pygame.draw.line(surface, colour, (a, b), (c, d), 1)
        if heads:
            pygame.draw.circle(surface, colour, (c, d), 2)
