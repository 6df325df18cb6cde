"""One theme file (game/theme.json) for pygame_gui's widgets and for what scenes draw
themselves: colours and font sizes come from its "#palette" block, never from code."""

import json
from pathlib import Path

import pygame

from game.widgets.mathtext import has_math, line_width, render_line
from sim_core.resources import assets, resource

THEME_FILE = resource("game", "theme.json")
FONT_DIR = assets("fonts")
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"


LARGE_TEXT_SCALE = 1.25


class Theme:
    def __init__(self, path: Path = THEME_FILE, large_text: bool = False, scale: float = 1.0):
        """scale: every font's size times this (the kiosk's touch-sized text); large text
        multiplies it by LARGE_TEXT_SCALE."""
        self.data = json.loads(path.read_text(encoding="utf-8"))
        palette = self.data["#palette"]
        self.colours = {k: pygame.Color(v) for k, v in palette["colours"].items()}
        scale *= LARGE_TEXT_SCALE if large_text else 1.0
        self.sizes = {k: round(int(v) * scale) for k, v in palette["font_sizes"].items()}
        if scale != 1.0:  # the widgets' fonts grow too
            for block in self.data.values():
                font = block.get("font") if isinstance(block, dict) else None
                if font and "size" in font:
                    font["size"] = str(round(int(font["size"]) * scale))
        self._fonts: dict = {}
        self.drawn: list | None = None  # a list: every text() call appends (rect, text) — for layout tests

    def button_font(self, text: str, width: int, padding: int = 20) -> str | None:
        """The object_id that gives a button `width` px wide room for `text` on its one line:
        None where the buttons' font fits it, else "#compact" (a smaller font)."""
        return None if self.font_of("button").size(text)[0] <= width - padding else "#compact"

    def font_of(self, block: str) -> pygame.font.Font:
        """The font a theme.json block (a widget's) sets."""
        size = int(self.data[block]["font"]["size"])
        key = ("widget", block, size)
        if key not in self._fonts:
            self._fonts[key] = pygame.font.Font(FONT_BOLD if self.data[block]["font"].get("bold") == "1" else FONT_REGULAR, size)
        return self._fonts[key]

    def colour(self, name: str) -> pygame.Color:
        return self.colours[name]

    def font(self, role: str, bold: bool = False) -> pygame.font.Font:
        key = (role, bold)
        if key not in self._fonts:
            self._fonts[key] = pygame.font.Font(FONT_BOLD if bold else FONT_REGULAR, self.sizes[role])
        return self._fonts[key]

    def text_height(self, text: str, role="body", width=None, bold=False) -> int:
        """The height text() will take."""
        font = self.font(role, bold)
        return sum(line_height(line, font) for line in (wrap(text, font, width) if width else [text]))

    def text(self, surface, text: str, pos, role="body", colour="text", bold=False, anchor="topleft", width=None):
        """Draw text (wrapped to `width` pixels when given), its $…$ formulas typeset; returns
        the rect it covered."""
        font = self.font(role, bold)
        lines = wrap(text, font, width) if width else [text]
        rect = None
        x, y = pos
        for line in lines:
            img = render_line(line, font, self.colour(colour)) if has_math(line) else font.render(line, True, self.colour(colour))
            r = img.get_rect(**{anchor: (x, y)})
            surface.blit(img, r)
            rect = r if rect is None else rect.union(r)
            y += line_height(line, font, img)
        if self.drawn is not None and text:
            self.drawn.append((rect, text))
        return rect


def line_height(line: str, font: pygame.font.Font, img=None) -> int:
    """A line's advance: the font's line size, or more where a formula is taller."""
    if not has_math(line):
        return font.get_linesize()
    return max(font.get_linesize(), (img or render_line(line, font, (0, 0, 0))).get_height())


def measure(text: str, font: pygame.font.Font) -> int:
    return line_width(text, font) if has_math(text) else font.size(text)[0]


def wrap(text: str, font: pygame.font.Font, width: int) -> list[str]:
    """Lines of at most `width` pixels, broken at spaces, never inside a $…$ formula."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in _words(paragraph):
            trial = f"{line} {word}".strip()
            if measure(trial, font) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def _words(paragraph: str) -> list[str]:
    """The paragraph split at spaces, a formula with spaces in it kept as one word."""
    words, open_formula = [], False
    for word in paragraph.split(" "):
        if open_formula:
            words[-1] += " " + word
        else:
            words.append(word)
        open_formula ^= word.count("$") % 2 == 1
    return words
