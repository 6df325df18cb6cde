"""Formulas typeset as in the slides: the LaTeX between $…$ in a text ("$\\sqrt{\\bar\\alpha_t}$")
rendered by matplotlib's mathtext in DejaVu, the game's own font; each distinct (formula,
size, colour) once. The rest of a line is the theme's font; both sit on one baseline."""

from functools import cache, lru_cache

import numpy as np
import pygame


@cache
def _parser():
    import matplotlib

    matplotlib.use("Agg")  # no window of matplotlib's own: it only rasterises
    matplotlib.rcParams["mathtext.fontset"] = "dejavusans"
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("agg")


class MathError(ValueError):
    """A formula mathtext cannot parse; str() says which and why."""


@lru_cache(maxsize=1024)
def formula(tex: str, size: int, colour: tuple) -> tuple[pygame.Surface, int]:
    """(surface, depth): the LaTeX `tex` (without the $) at `size` px in `colour`; depth is how
    far the ink reaches below the baseline. MathError when mathtext cannot parse it."""
    from matplotlib.font_manager import FontProperties

    try:
        raster = _parser().parse(f"${tex}$", dpi=72, prop=FontProperties(family="DejaVu Sans", size=size))
    except ValueError as e:
        raise MathError(f"cannot typeset ${tex}$: {str(e).splitlines()[-1]}") from None
    alpha = np.asarray(raster.image)
    surface = pygame.Surface((max(alpha.shape[1], 1), max(alpha.shape[0], 1)), pygame.SRCALPHA)
    surface.fill((*colour[:3], 255))
    pygame.surfarray.pixels_alpha(surface)[: alpha.shape[1], : alpha.shape[0]] = alpha.T
    return surface, int(round(raster.depth))


def segments(text: str) -> list[tuple[bool, str]]:
    """(is_math, piece) in order: "a $x_t$ b" → [(False, "a "), (True, "x_t"), (False, " b")]."""
    pieces = text.split("$")
    return [(i % 2 == 1, piece) for i, piece in enumerate(pieces) if piece]


def _typeset(text: str, font, colour) -> list[tuple[pygame.Surface, int]]:
    """(image, its height above the baseline) of each piece; a formula mathtext cannot parse
    (a teacher's file) is shown as its source rather than stopping the screen."""
    parts = []
    for is_math, piece in segments(text):
        if is_math:
            try:
                surface, depth = formula(piece, font.point_size, colour)
                parts.append((surface, surface.get_height() - depth))
                continue
            except MathError:
                piece = f"${piece}$"
        parts.append((font.render(piece, True, colour), font.get_ascent()))
    return parts


def has_math(text: str) -> bool:
    return text.count("$") >= 2


def line_width(text: str, font: pygame.font.Font) -> int:
    return sum(image.get_width() for image, _ in _typeset(text, font, (0, 0, 0)))


def render_line(text: str, font: pygame.font.Font, colour) -> pygame.Surface:
    """One line of text with its formulas typeset, on a shared baseline (the font's ascent,
    lowered where a formula reaches higher)."""
    parts = _typeset(text, font, tuple(colour))
    if not parts:
        return font.render("", True, colour)
    baseline = max(above for _, above in parts)
    height = max(baseline - above + image.get_height() for image, above in parts)
    line = pygame.Surface((sum(image.get_width() for image, _ in parts), max(height, font.get_linesize())), pygame.SRCALPHA)
    x = 0
    for image, above in parts:
        line.blit(image, (x, baseline - above))
        x += image.get_width()
    return line
