"""Small multiples: one prompt across a grid of settings from shared noises (game/grids.py),
the cells filling in as a worker draws them, each timed and judged; a click enlarges one.
Three grids: guidance w × six seeds, the sampler race (samplers × steps), new seeds."""

import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UITextEntryLine

from game.grids import GRID_GUIDANCE, GRID_STEPS, MODES, fill, grid
from game.prompts import read_prompt
from game.scenes.base import Scene
from game.widgets.image_view import draw_image, image_surface
from game.worker import Job

TOP = 160  # where the grids begin, under the tabs


class CompareScene(Scene):
    def __init__(self, app, mode: str = "guidance", prompt: str | None = None):
        super().__init__(app)
        self.mode = mode
        self.prompt_text = app.tr("lab.default_prompt") if prompt is None else prompt
        self.seed = 0
        self.job, self.cells, self.surfaces = None, {}, {}
        self.drawn = None  # (mode, prompt, tasks) of the grid on screen
        self.enlarged = None  # the cell shown large, or None
        self.status = ("compare.idle", {})

    # widgets ----------------------------------------------------------------------------------
    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        self.add_navigation()
        self.tabs = {self.add(UIButton((30 + i * 250, 80, 240, 44), tr(f"compare.tab_{mode}"), ui,
                                       object_id="#selected" if mode == self.mode else None)): mode
                     for i, mode in enumerate(MODES)}
        self.prompt = self.add(UITextEntryLine((790, 82, 250, 40), ui))
        self.prompt.set_text(self.prompt_text)
        again = self.mode == "seeds" and self.drawn is not None and self.drawn[0] == "seeds"
        self.go = self.add(UIButton((1050, 80, 200, 44), tr("compare.new_seeds" if again else "compare.draw"), ui,
                                    object_id="#primary"))

    # events -----------------------------------------------------------------------------------
    def handle_event(self, event):
        if self.enlarged is not None and (event.type == pygame.MOUSEBUTTONDOWN or
                                          event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_RETURN)):
            self.enlarged = None  # any click or Esc closes the enlarged cell
            return True
        if self.handle_navigation(event):
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element in self.tabs:
            self.switch(self.tabs[event.ui_element])
        elif event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.go:
            self.start()
        elif event.type == pygame_gui.UI_TEXT_ENTRY_CHANGED and event.ui_element is self.prompt:
            self.prompt_text = event.text
        elif event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED and event.ui_element is self.prompt:
            self.start()
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and self.cell_at(event.pos) is not None:
            self.enlarged = self.cell_at(event.pos)
        else:
            return False
        return True

    def switch(self, mode: str):
        if mode != self.mode:
            self.stop()
            self.mode, self.cells, self.surfaces, self.drawn = mode, {}, {}, None
            self.status = ("compare.idle", {})
            self.rebuild()

    def stop(self):
        if self.job is not None:
            self.job.cancel()
        self.job = None

    # drawing the grid ---------------------------------------------------------------------------
    def start(self):
        model, error = self.app.try_model()
        judge, judge_error = self.app.try_judge() if model is not None else (None, None)
        if error or judge_error:
            self.status = error or judge_error
            return
        prompt, problem = read_prompt(self.app.tr, self.prompt_text, model)
        if problem:
            self.status = problem
            return
        if self.drawn is not None and self.drawn[0] == "seeds" == self.mode:
            self.seed += 16  # the same prompt, sixteen new noises
        self.stop()
        rows, columns, tasks = grid(self.mode, self.seed)
        self.cells, self.surfaces, self.enlarged = {}, {}, None
        self.drawn = (self.mode, prompt, tasks)
        self.status = ("compare.running", {"done": 0, "n": len(rows) * len(columns)})
        self.job = Job(lambda report, cancelled: fill(model, judge, prompt, tasks, report, cancelled))
        self.rebuild()  # "New seeds" once a seeds grid is drawn

    def workers(self):
        return [self.job]

    def update(self, dt):
        if self.job is None:
            return
        for cell in self.job.poll():
            self.cells[cell.where] = cell
            self.surfaces[cell.where] = image_surface(cell.image, self.cell_size())  # made once, blitted each frame
        rows, columns, _ = grid(self.mode, self.seed)
        n = len(rows) * len(columns)
        if self.job.error is not None:
            self.status, self.job = ("lab.failed", {"reason": str(self.job.error)}), None
        elif self.job.done and len(self.cells) == n:
            self.status, self.job = ("compare.done", {"n": n}), None
        else:
            self.status = ("compare.running", {"done": len(self.cells), "n": n})

    # geometry -----------------------------------------------------------------------------------
    def cell_size(self) -> int:
        return {"guidance": 72, "race": 100, "seeds": 120}[self.mode]

    def cell_rect(self, where) -> pygame.Rect:
        r, c = where
        size = self.cell_size()
        if self.mode == "guidance":
            return pygame.Rect(150 + c * 82, TOP + 10 + r * 84, size, size)
        if self.mode == "race":
            return pygame.Rect(190 + c * 150, TOP + 30 + r * 140, size, size)
        return pygame.Rect(60 + c * 148, TOP + 20 + r * 180, size, size)

    def cell_at(self, pos):
        """The drawn cell under `pos`, or None."""
        return next((where for where in self.cells if self.cell_rect(where).collidepoint(pos)), None)

    # drawing ------------------------------------------------------------------------------------
    def recognised(self, cell) -> bool:
        return cell.verdict.agrees_with(self.drawn[1])

    def verdict_text(self, cell) -> str:
        tr = self.app.tr
        if self.recognised(cell):
            return tr("compare.recognised")
        return tr("compare.sees", what=tr.phrase(cell.verdict.prompt)) if cell.verdict.sure else tr("compare.unsure")

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("compare.title"), (170, 24), role="subtitle", bold=True)
        rows, columns, tasks = grid(self.mode, self.seed)
        for r in range(len(rows)):
            for c in range(len(columns)):
                rect = self.cell_rect((r, c))
                pygame.draw.rect(surface, theme.colour("panel"), rect.inflate(6, 6), border_radius=4)
                if (r, c) in self.surfaces:
                    surface.blit(self.surfaces[(r, c)], rect)
        getattr(self, f"draw_{self.mode}")(surface, rows, columns)
        key, values = self.status
        colour = "accent" if key.startswith("compare.") else "bad"  # a prompt it cannot draw, a failed run
        theme.text(surface, tr(key, **values), (30, surface.get_height() - 44), colour=colour, width=surface.get_width() - 60)

    def draw_over_widgets(self, surface):
        if self.enlarged is not None:  # over the tabs and buttons too
            self.draw_enlarged(surface, self.cells[self.enlarged])

    def draw_guidance(self, surface, rows, columns):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("compare.guidance_caption", n=len(columns), steps=GRID_STEPS), (30, TOP - 24), role="small",
                   colour="muted")
        for r, w in enumerate(rows):
            y = self.cell_rect((r, 0)).y
            theme.text(surface, tr("compare.w", w=w), (30, y + 24), role="heading", bold=True)
            row = [self.cells[(r, c)] for c in range(len(columns)) if (r, c) in self.cells]
            if len(row) == len(columns):
                recognised = sum(map(self.recognised, row))
                theme.text(surface, tr("compare.row_summary", k=recognised, n=len(columns),
                                       burnt=sum(cell.out_of_range for cell in row) / len(row)),
                           (150 + len(columns) * 82 + 16, y + 8), role="small", width=560)
        self.draw_explanation(surface, TOP + 10 + len(rows) * 84 + 6)

    def draw_race(self, surface, rows, columns):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("compare.race_caption", w=GRID_GUIDANCE), (30, TOP - 24), role="small", colour="muted")
        for c, steps in enumerate(columns):
            rect = self.cell_rect((0, c))
            theme.text(surface, tr("lab.steps", steps=steps), (rect.centerx, TOP), role="small", bold=True, anchor="midtop")
        for r, sampler in enumerate(rows):
            rect = self.cell_rect((r, 0))
            name = tr(f"options.{sampler}")  # right-aligned to the cells, in the largest type that fits left of them
            role = next((size for size in ("heading", "body") if theme.font(size, bold=True).size(name)[0] <= rect.x - 42),
                        "small")
            theme.text(surface, name, (rect.x - 12, rect.centery), role=role, bold=True, anchor="midright")
            for c in range(len(columns)):
                cell = self.cells.get((r, c))
                if cell is not None:
                    rect = self.cell_rect((r, c))
                    text = tr("compare.cell_short", seconds=cell.seconds, mark="✓" if self.recognised(cell) else "✗")
                    theme.text(surface, text, (rect.x, rect.bottom + 6), role="small", width=rect.width + 40)
        self.draw_explanation(surface, TOP + 30 + len(rows) * 140 + 20, x=800, y=TOP + 30, width=450)

    def draw_seeds(self, surface, rows, columns):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("compare.seeds_caption", first=self.seed, last=self.seed + len(rows) * len(columns) - 1,
                               steps=GRID_STEPS, w=GRID_GUIDANCE), (30, TOP - 24), role="small", colour="muted")
        for where, cell in self.cells.items():
            rect = self.cell_rect(where)
            theme.text(surface, self.verdict_text(cell), (rect.x, rect.bottom + 6), role="small", width=rect.width + 20)
        self.draw_explanation(surface, TOP + 20 + len(rows) * 180 + 10)

    def draw_explanation(self, surface, bottom, x=30, y=None, width=None):
        theme = self.app.theme
        theme.text(surface, self.app.tr(f"compare.explain_{self.mode}"), (x, bottom if y is None else y), role="small",
                   colour="muted", width=width or surface.get_width() - 60)

    def draw_enlarged(self, surface, cell):
        theme, tr = self.app.theme, self.app.tr
        w, h = surface.get_size()
        shade = pygame.Surface((w, h), pygame.SRCALPHA)
        shade.fill((0, 0, 0, 190))
        surface.blit(shade, (0, 0))
        box = pygame.Rect(w // 2 - 330, h // 2 - 220, 660, 440)
        pygame.draw.rect(surface, theme.colour("panel"), box, border_radius=10)
        draw_image(surface, theme, cell.image, pygame.Rect(box.x + 30, box.y + 40, 360, 360))
        _, _, tasks = self.drawn
        task = next(t for t in tasks if cell.where in t.cells)
        seed = task.seeds[task.cells.index(cell.where)]
        lines = [tr("compare.detail_settings", method=tr(f"options.{task.sampler}"), steps=task.steps, w=task.guidance,
                    seed=seed),
                 tr("compare.cell_time", seconds=cell.seconds), self.verdict_text(cell),
                 tr("compare.detail_burnt", burnt=cell.out_of_range), tr("compare.close")]
        y = box.y + 40
        for line in lines:
            y = theme.text(surface, line, (box.x + 420, y), role="small", width=box.width - 450).bottom + 12
