"""Quiz and classroom challenge: timed multiple-choice rounds from a bank, the explanation
after each answer, streaks, a final score and a CSV of the results for the teacher."""

import csv
import time

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UITextEntryLine

from game.paths import export_dir
from game.quiz import load_banks, points
from game.scenes.base import Scene
from game.widgets.image_view import draw_image
from game.worker import Job

KEYS = {pygame.K_1: 0, pygame.K_2: 1, pygame.K_3: 2, pygame.K_4: 3, pygame.K_a: 0, pygame.K_b: 1, pygame.K_c: 2, pygame.K_d: 3}


ROW = 100  # a bank's button and, under it, its best round


class QuizMenuScene(Scene):
    """Choose a bank."""

    def __init__(self, app):
        super().__init__(app)
        self.banks, self.errors = load_banks()

    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        self.add_navigation(language=False)
        self.buttons = {}
        for i, bank in enumerate(self.banks):
            label = tr("quiz.bank", title=bank.title[tr.lang], n=len(bank.questions))
            self.buttons[self.add(UIButton((200, 140 + i * ROW, 880, 64), label, ui, object_id="#menu"))] = bank

    def best_text(self, bank) -> str | None:
        """The player's best round on this bank, from the profile."""
        best = self.app.best_quiz(bank.id)
        return None if best is None else self.app.tr("quiz.best", right=best["right"], n=best["questions"], score=best["score"])

    def handle_event(self, event):
        if self.handle_navigation(event):
            return True
        if event.type != pygame_gui.UI_BUTTON_PRESSED:
            return False
        if event.ui_element in self.buttons:
            self.app.push(QuizScene(self.app, self.buttons[event.ui_element]))
        else:
            return False
        return True

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("quiz.title"), (200, 70), role="subtitle", bold=True)
        for i, bank in enumerate(self.banks):
            best = self.best_text(bank)
            if best:
                theme.text(surface, best, (210, 140 + i * ROW + 70), role="small", colour="accent2")
        y = 160 + len(self.banks) * ROW
        for message in self.errors:
            y = theme.text(surface, message, (200, y), role="small", colour="bad", width=880).bottom + 4


class QuizScene(Scene):
    def __init__(self, app, bank, time_limit: float = 25.0):
        super().__init__(app)
        self.bank, self.time_limit = bank, time_limit
        self.index, self.score, self.streak = 0, 0, 0
        self.chosen = None  # index chosen, or -1 for "time ran out"; None while answering
        self.results = []  # (question, chosen, right, seconds, points)
        self.started = time.perf_counter()
        self.saved = None  # the message after saving the CSV
        self.pictures = None  # Job drawing the question's live picture(s), if it has any
        self.shuffle = np.random.default_rng()  # each round its own order: the answer is not always A
        self.start_question()

    def start_question(self):
        spec = None if self.finished else self.question.image
        self.pictures = None if spec is None else Job(lambda report, cancelled: report(question_pictures(self.app, spec)))
        self.picture_images = None
        n = 0 if self.finished else len(self.question.choices)
        named_pictures = spec is not None and spec["kind"] == "guidance"  # choices that name pictures A–D keep their order
        self.order = list(range(n)) if named_pictures else self.shuffle.permutation(n).tolist()

    @property
    def question(self):
        return self.bank.questions[self.index]

    @property
    def finished(self) -> bool:
        return self.index >= len(self.bank.questions)

    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        self.add_navigation(language=False)
        self.choice_buttons, self.next = [], None
        if self.finished:
            self.name = self.add(UITextEntryLine((440, 420, 400, 44), ui))
            self.name.set_text(tr("quiz.default_name"))
            self.save = self.add(UIButton((440, 480, 400, 56), tr("quiz.save"), ui, object_id="#primary"))
            return
        for i, k in enumerate(self.order):  # button i shows choice k of the bank
            label = f"{'ABCD'[i]}.  {self.question.choices[k][tr.lang]}"
            self.choice_buttons.append(self.add(UIButton((100, 260 + i * 70, 1080, 58), label, ui)))
        if self.chosen is not None:
            for button in self.choice_buttons:
                button.disable()
            self.next = self.add(UIButton((980, 640, 200, 52), tr("quiz.next"), ui, object_id="#primary"))

    def answer(self, choice: int) -> None:
        """Choose choice `choice` of the bank (not the button's place), or −1 when the time runs out."""
        if self.chosen is not None or self.finished:
            return
        seconds = time.perf_counter() - self.started
        right = choice == self.question.answer
        gained = points(right, seconds, self.time_limit, self.streak)
        self.streak = self.streak + 1 if right else 0
        self.score += gained
        self.results.append((self.question, choice, right, round(seconds, 1), gained))
        self.chosen = choice
        self.rebuild()

    def advance(self) -> None:
        if self.chosen is None:
            return
        self.index, self.chosen, self.started = self.index + 1, None, time.perf_counter()
        if self.finished:
            self.app.record_quiz(self.bank.id, sum(r[2] for r in self.results), len(self.results), self.score)
        self.start_question()
        self.rebuild()

    def save_results(self) -> None:
        """Append this round to a CSV a teacher can collect (one row per question)."""
        folder = export_dir()
        path = folder / f"quiz-{self.bank.id}-{time.strftime('%Y%m%d')}.csv"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            new = not path.exists()
            with open(path, "a", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                if new:
                    writer.writerow(["name", "bank", "question", "topic", "chosen", "answer", "right", "seconds", "points"])
                for q, chosen, right, seconds, gained in self.results:
                    writer.writerow([self.name.get_text().strip() or "?", self.bank.id, q.id, q.topic,
                                     chosen, q.answer, int(right), seconds, gained])
            self.saved = ("quiz.saved", {"path": str(path)})
        except OSError as e:
            self.saved = ("lab.export_failed", {"reason": e.strerror or str(e)})

    def handle_event(self, event):
        if self.handle_navigation(event):
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element in self.choice_buttons:
                self.answer(self.order[self.choice_buttons.index(event.ui_element)])
            elif event.ui_element is self.next:
                self.advance()
            elif self.finished and event.ui_element is self.save:
                self.save_results()
            else:
                return False
            return True
        if event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED and self.finished and event.ui_element is self.name:
            self.save_results()  # Enter after typing the name saves
            return True
        if event.type == pygame.KEYDOWN and not self.finished:
            if event.key in KEYS and KEYS[event.key] < len(self.order) and self.chosen is None:
                self.answer(self.order[KEYS[event.key]])
                return True
            if event.key in (pygame.K_RETURN, pygame.K_SPACE):
                self.advance()
                return True
        return False

    def workers(self):
        return [self.pictures]

    def update(self, dt):
        if self.pictures is not None and self.picture_images is None:
            done = self.pictures.poll()
            if done:  # the clock starts once the question can be seen whole
                self.picture_images, self.started = done[0], time.perf_counter()
            elif self.pictures.done:  # no model: the question still works without its picture
                self.pictures = None
        if not self.finished and self.chosen is None and time.perf_counter() - self.started > self.time_limit:
            self.answer(-1)

    def draw_pictures(self, surface, q):
        theme = self.app.theme
        if self.picture_images is None:
            theme.text(surface, "…", (900, 140), role="title", colour="muted")
            return
        many = len(self.picture_images) > 1
        for i, image in enumerate(self.picture_images):
            box = pygame.Rect(790 + i * 98, 86, 90, 90) if many else pygame.Rect(1000, 70, 150, 150)
            draw_image(surface, theme, image, box)
            if many:
                theme.text(surface, "ABCD"[i], (box.centerx, box.bottom + 6), role="heading", bold=True, anchor="midtop")

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        w, h = surface.get_size()
        theme.text(surface, self.bank.title[tr.lang], (170, 24), role="subtitle", bold=True)
        theme.text(surface, tr("quiz.score", score=self.score, streak=self.streak), (w - 30, 30), role="heading",
                   colour="accent", anchor="topright")
        if self.finished:
            right = sum(r[2] for r in self.results)
            theme.text(surface, tr("quiz.final", right=right, n=len(self.results), score=self.score), (w // 2, 200),
                       role="subtitle", bold=True, anchor="midtop")
            theme.text(surface, tr("quiz.name"), (440, 392), role="small", colour="muted")
            if self.saved:
                key, values = self.saved
                theme.text(surface, tr(key, **values), (w // 2, 560), role="small", colour="good", anchor="midtop", width=1000)
            return
        q = self.question
        theme.text(surface, tr("quiz.progress", i=self.index + 1, n=len(self.bank.questions)), (100, 90), role="small", colour="muted")
        theme.text(surface, q.text[tr.lang], (100, 120), role="heading", bold=True, width=1080 if q.image is None else 660)
        if q.image is not None:
            self.draw_pictures(surface, q)
        if self.chosen is None:
            left = max(0.0, 1 - (time.perf_counter() - self.started) / self.time_limit)
            pygame.draw.rect(surface, theme.colour("panel"), (100, 220, 1080, 12), border_radius=6)
            pygame.draw.rect(surface, theme.colour("accent2" if left > 0.25 else "accent"), (100, 220, int(1080 * left), 12), border_radius=6)
            return
        for k, button in zip(self.order, self.choice_buttons):
            if k == q.answer or k == self.chosen:
                colour = theme.colour("good" if k == q.answer else "bad")
                pygame.draw.rect(surface, colour, button.rect.inflate(8, 8), width=4, border_radius=10)
        verdict = tr("quiz.right") if self.chosen == q.answer else tr("quiz.timeout") if self.chosen == -1 else tr("quiz.wrong")
        theme.text(surface, verdict, (100, 548), role="heading", bold=True, colour="good" if self.chosen == q.answer else "bad")
        theme.text(surface, q.explanation[tr.lang], (100, 580), width=860)


def question_pictures(app, spec: dict) -> list:
    """The (3, 32, 32) images a question shows, computed on a worker."""
    from sim_core.forward import q_sample
    from sim_core.sampling import sample
    from sim_core.worlds.shapes import render_seed

    model = app.model
    rng = np.random.default_rng(spec["seed"])
    if spec["kind"] == "noised":
        x0 = render_seed(spec["seed"], spec["prompt"]).image[None]
        return [q_sample(x0, spec["t"], rng.standard_normal(x0.shape, dtype=np.float32), model.schedule)[0]]
    x_T = rng.standard_normal((1, 3, 32, 32), dtype=np.float32)
    cond = model.encode_prompt(spec["prompt"])
    return [sample(model, x_T, model.schedule, sampler="ddim", steps=25, guidance=w, cond=cond)[0] for w in spec["guidance"]]
