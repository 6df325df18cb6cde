"""One theme file (game/theme.json) for pygame_gui's widgets and for what scenes draw
themselves: colours and font sizes come from its "#palette" block, never from code."""

import json
from pathlib import Path

import pygame

from sim_core.resources import assets, resource

THEME_FILE = resource("game", "theme.json")
FONT_DIR = assets("fonts")
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"


LARGE_TEXT_SCALE = 1.25


class Theme:
    def __init__(self, path: Path = THEME_FILE, large_text: bool = False):
        self.data = json.loads(path.read_text(encoding="utf-8"))
        palette = self.data["#palette"]
        self.colours = {k: pygame.Color(v) for k, v in palette["colours"].items()}
        scale = LARGE_TEXT_SCALE if large_text else 1.0
        self.sizes = {k: round(int(v) * scale) for k, v in palette["font_sizes"].items()}
        if large_text:  # the widgets' fonts grow too
            for block in self.data.values():
                font = block.get("font") if isinstance(block, dict) else None
                if font and "size" in font:
                    font["size"] = str(round(int(font["size"]) * scale))
        self._fonts: dict = {}
        self.drawn: list | None = None  # a list: every text() call appends (rect, text) — for layout tests

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
        return font.get_linesize() * (len(wrap(text, font, width)) if width else 1)

    def text(self, surface, text: str, pos, role="body", colour="text", bold=False, anchor="topleft", width=None):
        """Draw text (wrapped to `width` pixels when given); returns the rect it covered."""
        font = self.font(role, bold)
        lines = wrap(text, font, width) if width else [text]
        rect = None
        x, y = pos
        for i, line in enumerate(lines):
            img = font.render(line, True, self.colour(colour))
            r = img.get_rect(**{anchor: (x, y + i * font.get_linesize())})
            surface.blit(img, r)
            rect = r if rect is None else rect.union(r)
        if self.drawn is not None and text:
            self.drawn.append((rect, text))
        return rect


def wrap(text: str, font: pygame.font.Font, width: int) -> list[str]:
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}".strip()
            if font.size(trial)[0] <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines
