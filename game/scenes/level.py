"""A campaign level: the frame every level shares (title, goal, explanation, hints, the
Check button and stars) around an activity that the level file's `kind` names."""

import math

import pygame
import pygame_gui
from pygame_gui.elements import UIButton

from game.scenes.base import Scene


class LevelScene(Scene):
    """Subclasses (one per level kind) add their controls in build_controls(), draw in
    draw_activity(rect), and measure the level's metric in score() (None: not ready, with
    self.message saying why)."""

    def __init__(self, app, level, on_stars=None, on_next=None):
        super().__init__(app)
        self.level = level
        self.on_stars = on_stars
        self.on_next = on_next  # the "Next" button's action, offered once the level is won
        self.next = None
        self.hints_shown = 0
        self.result = None  # (score, stars)
        self.message = None  # (catalog key, values)
        self.tries = 0  # answers committed so far: each Check, or each run that locks a prediction
        self.tries_checked = 0  # self.tries at the last Check
        self.best_stars = 0  # the most stars a Check has given

    # Where the player commits an answer: True, each Check (the player judges by eye, then
    # checks); a scene whose runs lock a prediction or a setting counts a try at each run instead.
    TRY_ON_CHECK = True

    def count_try(self):
        self.tries += 1

    def badge_try(self) -> int | None:
        """The try the stars badge speaks of: the one a run has locked and Check has not yet
        scored, else the next; None once no try can earn more than the stars already won."""
        pending = not self.TRY_ON_CHECK and self.tries > self.tries_checked
        n = self.tries if pending else self.tries + 1
        return n if self.level.most_stars(n) > self.best_stars else None

    def text(self, table: dict) -> str:
        return table[self.app.tr.lang]

    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        w, h = self.app.screen.get_size()
        self.add_navigation()
        self.hint = self.add(UIButton((w - 330, h - 70, 140, 48), tr("level.hint"), ui))
        self.check = self.add(UIButton((w - 180, h - 70, 160, 48), tr("level.check"), ui, object_id="#primary"))
        won = self.result is not None and self.result[1] > 0
        self.next = self.add(UIButton((w - 200, h - 150, 160, 48), tr("level.next"), ui, object_id="#primary")) \
            if won and self.on_next is not None else None
        self.build_controls()

    def build_controls(self):
        pass

    def handle_event(self, event):
        if self.handle_navigation(event):
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element is self.hint:
                self.hints_shown = min(self.hints_shown + 1, len(self.level.hints))
                return True
            if event.ui_element is self.check:
                self.check_score()
                return True
            if self.next is not None and event.ui_element is self.next:
                self.on_next()
                return True
        return self.handle_activity_event(event)

    def handle_activity_event(self, event) -> bool:
        return False

    @property
    def digits(self) -> int:
        """Decimals the panel prints scores with: none when every threshold is whole."""
        return 0 if all(float(t).is_integer() for t in self.level.objective["stars"]) else 2

    def shown(self, value: float) -> str:
        return "—" if not math.isfinite(value) else self.app.tr.number(value, f".{self.digits}f")

    def check_score(self):
        score = self.score()
        if score is None:
            return
        if math.isfinite(score):  # judged as the panel prints it (0.596 shows 0.60 and passes 0.6)
            score = round(score, self.digits)
        if self.TRY_ON_CHECK:
            self.count_try()
        self.tries_checked = self.tries
        earned, most = self.level.stars(score), self.level.most_stars(self.tries)
        stars = min(earned, most)
        self.result, self.best_stars = (score, stars), max(self.best_stars, stars)
        self.message = ("level.stars", {"stars": stars}) if stars else ("level.no_stars", {})
        measured = self.measured_text()
        if measured:  # what this try measured stays in the message, won or not
            self.message = ("sampling.won" if stars else "sampling.no_stars", {"stars": stars, "score": measured})
        if earned > most:  # the answer was good enough for more, but not on this try
            key, values = self.message
            self.message = ("level.capped", {"said": self.app.tr(key, **values), "n": self.tries, "most": most})
        if stars and self.on_stars:
            self.on_stars(self.level.id, stars)
        if stars and self.on_next is not None and self.next is None:
            self.rebuild()  # the Next button appears

    def score(self):
        raise NotImplementedError

    def measured_text(self) -> str | None:
        """What the checked try measured, said after the stars; None: the stars alone."""
        return None

    def demo(self):
        """Start the activity with its default settings (for the screenshot tour); returns
        the condition that says it is done, or None for activities with nothing to run."""
        return None

    def loaded_model(self, which: str | None = None):
        """The model (`which`, as App.loaded names them; the pixel model by default), or None
        with the reason as this level's message."""
        model, error = self.app.try_model(which=which)
        self.message = error or self.message
        return model

    TOP = 80  # where the activity and the side panel begin, under the title row

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        w, h = surface.get_size()
        theme.text(surface, self.text(self.level.title), (170, 24), role="subtitle", bold=True)
        side = pygame.Rect(w - 400, self.TOP, 370, h - 170)
        pygame.draw.rect(surface, theme.colour("panel"), side, border_radius=8)
        heading = theme.text(surface, tr("level.goal"), (side.x + 16, side.y + 14), role="heading", bold=True, colour="accent")
        y = heading.bottom
        badge = self.badge_try() if "stars_by_try" in self.level.objective else None
        if badge is not None:  # what this try, or the next, can still earn, beside the heading
            theme.text(surface, tr("level.next_try", n=badge, most=self.level.most_stars(badge)),
                       (side.right - 16, heading.centery), role="small", colour="accent2", anchor="midright")
        y = theme.text(surface, self.text(self.level.goal), (side.x + 16, y + 6), width=side.width - 32).bottom
        if self.result is not None and self.result[1] and self.level.why:  # won: why it worked, in place of the text
            self.draw_why(surface, pygame.Rect(side.x + 10, y + 12, side.width - 20, side.bottom - self.STARS_HEIGHT - y - 20))
        else:
            self.draw_text_and_hints(surface, side, y)
        if self.message:
            key, values = self.message
            message, width = tr(key, **values), w - 490
            # the band under the activity holds 62 px: a long message (large text, a win's numbers) in smaller type
            role = next((r for r in ("heading", "body") if theme.text_height(message, r, width) <= 62), "small")
            theme.text(surface, message, (30, h - 66), role=role, width=width,
                       colour="good" if self.result and self.result[1] else "accent")
        self.draw_stars(surface, pygame.Rect(side.x + 16, side.bottom - self.STARS_HEIGHT, side.width - 32, self.STARS_HEIGHT - 8),
                        self.result[1] if self.result else 0)
        self.draw_activity(surface, pygame.Rect(30, self.TOP, w - 460, h - 170))

    def draw_text_and_hints(self, surface, side, y):
        """The level's text, then the hints asked for; where they do not all fit above the
        stars (large text, tall formulas) the newest hints come first: the text was read."""
        theme, tr = self.app.theme, self.app.tr
        width, bottom = side.width - 32, side.bottom - self.STARS_HEIGHT - 4
        text = self.text(self.level.text)
        hints = ["→ " + hint[tr.lang] for hint in self.level.hints[: self.hints_shown]]
        heights = [theme.text_height(hint, "small", width) + 12 for hint in hints]
        if y + 16 + theme.text_height(text, "small", width) + sum(heights) <= bottom:
            y = theme.text(surface, text, (side.x + 16, y + 16), role="small", colour="muted", width=width).bottom
        while hints and y + sum(heights) > bottom:
            hints, heights = hints[1:], heights[1:]
        for hint in hints:
            y = theme.text(surface, hint, (side.x + 16, y + 12), role="small", colour="accent2", width=width).bottom

    def draw_why(self, surface, box):
        """The "why it worked" card: the level's why, then what this run measured."""
        theme, tr = self.app.theme, self.app.tr
        pygame.draw.rect(surface, theme.colour("background"), box, border_radius=8)
        y = theme.text(surface, tr("level.why"), (box.x + 10, box.y + 8), role="small", bold=True, colour="good").bottom
        y = theme.text(surface, self.text(self.level.why), (box.x + 10, y + 4), role="small", width=box.width - 20).bottom
        measured = self.measured_text()
        # what was measured, where it fits under the why (large text: the message band says it too)
        if measured and y + 8 + theme.text_height(measured, "small", box.width - 20) <= box.bottom:
            theme.text(surface, measured, (box.x + 10, y + 8), role="small", colour="accent2", width=box.width - 20)

    STARS_HEIGHT = 66  # the panel's bottom: three stars, what each needs under it, this try's value

    def draw_stars(self, surface, box, stars):
        """Three stars (the first `stars` lit), each with the value it needs under it, and this
        try's value beside them once checked: the thresholds show before the first try too."""
        theme, tr = self.app.theme, self.app.tr
        sign = "≤" if self.level.objective["better"] == "lower" else "≥"
        for i, threshold in enumerate(self.level.objective["stars"]):
            colour = theme.colour("accent" if i < stars else "muted")
            cx, cy = box.x + 30 + i * 72, box.y + 18
            points = [(cx + r * pygame.math.Vector2(0, -1).rotate(k * 36)[0], cy + r * pygame.math.Vector2(0, -1).rotate(k * 36)[1])
                      for k, r in zip(range(10), [16, 7] * 5)]
            pygame.draw.polygon(surface, colour, points)
            theme.text(surface, f"{sign} {self.shown(threshold)}", (cx, box.y + 36), role="small", colour="muted", anchor="midtop")
        if theme.drawn is not None:  # the stars are drawn, not text: the layout check sees them too
            theme.drawn.append((pygame.Rect(box.x + 14, box.y + 2, 2 * 72 + 32, 32), "★★★"))
        if self.result:
            y = theme.text(surface, tr("level.your_score"), (box.x + 226, box.y), role="small", colour="muted").bottom
            theme.text(surface, self.shown(self.result[0]), (box.x + 226, y), role="heading", bold=True)

    def draw_activity(self, surface, rect):
        pass
