"""Quiz and classroom challenge: timed multiple-choice rounds from a bank, the explanation
after each answer, streaks, a final score, the missed questions to review, and the results
as CSV files for the teacher (game.results_csv)."""

import time
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UITextEntryLine

from game.kahoot import plain_math
from game.levels import load_all_levels
from game.paths import export_dir
from game.quiz import load_banks, points
from game.results_csv import ANSWER_HEADER, SUMMARY_HEADER, append_together, dialect_for
from game.scenes.base import Scene
from game.widgets.image_view import draw_image
from game.widgets.mathtext import has_math
from game.worker import Job

KEYS = {pygame.K_1: 0, pygame.K_2: 1, pygame.K_3: 2, pygame.K_4: 3, pygame.K_a: 0, pygame.K_b: 1, pygame.K_c: 2, pygame.K_d: 3}


ROW = 100  # a bank's button and, under it, its best round
NAME_LENGTH = 60  # a player's or a class's name, as typed
STAMP = "%Y-%m-%d %H:%M:%S"  # the time of an answer or a round in the teacher's files


@dataclass(frozen=True)
class Answer:
    question: object  # game.quiz.Question
    chosen: int  # the bank's index of the choice, or −1 when the time ran out
    letter: str  # the button it was shown on (A–D), "" when the time ran out
    right: bool
    seconds: float
    points: int
    time: str  # when it was given (STAMP)


class QuizMenuScene(Scene):
    """Choose a bank to play, or export one for the teacher's tools (Moodle, Kahoot)."""

    def __init__(self, app):
        super().__init__(app)
        self.banks, self.errors = load_banks()
        self.exported = None  # (message key, values) of the last export

    def build_ui(self):
        tr, ui = self.app.tr, self.app.ui
        self.add_navigation(language=False)
        self.buttons, self.exports = {}, {}
        for i, bank in enumerate(self.banks):
            y = 140 + i * ROW
            self.buttons[self.add(UIButton((200, y, 680, 64), bank.title[tr.lang], ui, object_id="#menu"))] = bank
            for x, kind in ((890, "gift"), (1030, "kahoot")):
                self.exports[self.add(UIButton((x, y + 8, 130, 48), tr(f"quiz.export_{kind}"), ui))] = (bank, kind)

    def export(self, bank, kind):
        """The bank in the player's language, as GIFT or Kahoot's .xlsx, in the exports folder."""
        from game.gift import bank_to_gift
        from game.kahoot import bank_to_kahoot

        lang = self.app.tr.lang
        path = export_dir() / f"{bank.id}-{lang}.{'gift' if kind == 'gift' else 'xlsx'}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "gift":
                text, left_out = bank_to_gift(bank, lang)
                path.write_text(text, encoding="utf-8")
            else:
                left_out = bank_to_kahoot(bank, lang, path)
        except OSError as e:
            self.exported = ("quiz.export_failed", {"reason": e.strerror or str(e)})
            return
        self.exported = ("quiz.exported_left", {"path": str(path), "n": len(left_out),
                                                "ids": ", ".join(p.split(":")[0] for p in left_out)}) \
            if left_out else ("quiz.exported", {"path": str(path)})

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
        elif event.ui_element in self.exports:
            self.export(*self.exports[event.ui_element])
        else:
            return False
        return True

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("quiz.title"), (200, 70), role="subtitle", bold=True)
        for i, bank in enumerate(self.banks):  # under each: how many questions, and the best round
            line = " · ".join(filter(None, (tr("quiz.bank", n=len(bank.questions)), self.best_text(bank))))
            theme.text(surface, line, (210, 140 + i * ROW + 70), role="small", colour="accent2")
        y = 160 + len(self.banks) * ROW
        if self.exported:
            key, values = self.exported
            y = theme.text(surface, tr(key, **values), (200, y), role="small",
                           colour="bad" if key == "quiz.export_failed" else "good", width=960).bottom + 8
        for message in self.errors:
            y = theme.text(surface, message, (200, y), role="small", colour="bad", width=880).bottom + 4


class QuizScene(Scene):
    def __init__(self, app, bank, time_limit: float = 25.0):
        super().__init__(app)
        self.bank, self.time_limit = bank, time_limit
        self.index, self.score, self.streak = 0, 0, 0
        self.chosen = None  # index chosen, or -1 for "time ran out"; None while answering
        self.results = []  # Answer for each question asked
        self.started = time.perf_counter()
        self.saved = None  # (message key, values) after a try at saving
        self.saved_ok = False  # this round's rows are in the files
        self.tried_leaving = False  # Back was pressed once and saving failed
        self.review = 0  # which missed question the results screen shows
        self.typed = None  # (name, class) as typed, kept when the results screen is rebuilt
        self.pictures = None  # Job drawing the question's live picture(s), if it has any
        self.shuffle = np.random.default_rng()  # each round its own order: the answer is not always A
        order = self.shuffle.permutation(len(bank.questions))
        self.bank = replace(bank, questions=tuple(drawn_for_round(bank.questions[i], self.shuffle) for i in order))
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
        self.typeset = {}  # button → its label, when the label holds a formula pygame_gui cannot draw
        if self.finished:
            typed = self.typed or (tr("quiz.default_name"), "")
            self.name = self.add(UITextEntryLine((100, 236, 440, 44), ui))
            self.klass = self.add(UITextEntryLine((100, 320, 440, 44), ui))
            for entry, text in zip((self.name, self.klass), typed):
                entry.set_text_length_limit(NAME_LENGTH)
                entry.set_text(text)
            self.save = self.add(UIButton((100, 384, 440, 56), tr("quiz.save"), ui, object_id="#primary"))
            if self.saved_ok:
                self.save.disable()
            self.review_buttons = {}
            if len(self.missed) > 1:
                for step, (x, label) in {-1: (660, "◀"), 1: (1100, "▶")}.items():
                    self.review_buttons[self.add(UIButton((x, 640, 80, 48), label, ui))] = step
            return
        for i, k in enumerate(self.order):  # button i shows choice k of the bank
            label = f"{'ABCD'[i]}.  {self.question.choices[k][tr.lang]}"
            button = self.add(UIButton((100, 260 + i * 70, 1080, 58), "" if has_math(label) else label, ui,
                                       object_id=self.app.theme.button_font(label, 1080)))  # a long choice (large text)
            if has_math(label):
                self.typeset[button] = label
            self.choice_buttons.append(button)
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
        letter = "ABCD"[self.order.index(choice)] if choice >= 0 else ""
        self.results.append(Answer(self.question, choice, letter, right, round(seconds, 1), gained,
                                   time.strftime(STAMP)))
        self.chosen = choice
        self.rebuild()

    def advance(self) -> None:
        if self.chosen is None:
            return
        self.index, self.chosen, self.started = self.index + 1, None, time.perf_counter()
        if self.finished:
            self.app.record_quiz(self.bank.id, self.right, len(self.results), self.score)
        self.start_question()
        self.rebuild()

    @property
    def right(self) -> int:
        return sum(a.right for a in self.results)

    @property
    def missed(self) -> list[Answer]:
        return [a for a in self.results if not a.right]

    def save_results(self) -> bool:
        """Add this round to the day's two CSV files for the teacher, both whole or neither:
        one row per answer, and one row of summary. True when saved (now or before)."""
        if self.saved_ok:
            return True
        tr = self.app.tr
        name, klass = (entry.get_text().strip() for entry in (self.name, self.klass))
        who = (klass, name or "?", tr.lang, self.bank.id)
        answers = [(a.time, *who, a.question.id, plain_math(a.question.text[tr.lang]), a.letter,  # a sheet shows no LaTeX
                    plain_math(a.question.choices[a.chosen][tr.lang]) if a.chosen >= 0 else tr("quiz.timeout"),
                    int(a.right), float(a.seconds), a.points) for a in self.results]
        summary = [(time.strftime(STAMP), *who, len(self.results), self.right,
                    len(self.results) - self.right, self.score)]
        dialect = dialect_for(self.app.results_decimal or tr("number.decimal"))
        stem = export_dir() / f"quiz-{self.bank.id}-{time.strftime('%Y%m%d')}"
        answers_path, summary_path = stem.with_name(stem.name + ".csv"), stem.with_name(stem.name + "-summary.csv")
        try:
            append_together([(answers_path, ANSWER_HEADER, answers), (summary_path, SUMMARY_HEADER, summary)], dialect)
        except OSError as e:
            self.saved = ("quiz.save_failed", {"reason": e.strerror or str(e)})
            return False
        self.saved, self.saved_ok, self.typed = ("quiz.saved", {"path": str(answers_path)}), True, (name, klass)
        self.save.disable()
        return True

    def leave(self) -> None:
        """Back or Escape on the results saves them first; when saving fails the screen stays
        and says why, and a second Back leaves without them."""
        if self.save_results() or self.tried_leaving:
            self.app.pop()
        self.tried_leaving = True

    def handle_event(self, event):
        leaving = event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.back \
            or event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE
        if self.finished and leaving:
            self.leave()
            return True
        if self.handle_navigation(event):
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element in self.choice_buttons:
                self.answer(self.order[self.choice_buttons.index(event.ui_element)])
            elif event.ui_element is self.next:
                self.advance()
            elif self.finished and event.ui_element is self.save:
                self.save_results()
            elif self.finished and event.ui_element in self.review_buttons:
                self.review = (self.review + self.review_buttons[event.ui_element]) % len(self.missed)
            else:
                return False
            return True
        if event.type == pygame_gui.UI_TEXT_ENTRY_CHANGED and self.finished and event.ui_element in (self.name, self.klass):
            self.typed = (self.name.get_text(), self.klass.get_text())  # a language switch rebuilds the entries
            return False
        if event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED and self.finished and event.ui_element in (self.name, self.klass):
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

    def exit(self):
        if self.finished and not self.saved_ok:
            try:  # the game closing, or another screen taking this one's place: keep the round
                self.save_results()
            except Exception as e:  # leaving must not fail on it
                self.app.log_error(e)
        super().exit()

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

    def draw_over_widgets(self, surface):
        for button, label in self.typeset.items():  # the button's own text, typeset
            self.app.theme.text(surface, label, button.rect.center, anchor="center",
                                colour="text" if button.is_enabled else "muted")

    def draw(self, surface):
        theme, tr = self.app.theme, self.app.tr
        w, h = surface.get_size()
        theme.text(surface, self.bank.title[tr.lang], (170, 24), role="subtitle", bold=True)
        theme.text(surface, tr("quiz.score", score=self.score, streak=self.streak), (w - 30, 30), role="heading",
                   colour="accent", anchor="topright")
        if self.finished:
            self.draw_results(surface)
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
        y = theme.text(surface, verdict, (100, 548), role="heading", bold=True,
                       colour="good" if self.chosen == q.answer else "bad").bottom + 4
        self.draw_lesson(surface, q, self.chosen, 100, y, 860)

    def draw_lesson(self, surface, q, chosen, x, y, width):
        """After an answer: the mistaken idea a wrong choice stands for, the explanation, and
        the level to replay."""
        theme, tr = self.app.theme, self.app.tr
        idea = q.misconceptions[chosen] if 0 <= chosen != q.answer else None
        if idea:
            y = theme.text(surface, tr("quiz.misconception", idea=idea[tr.lang]), (x, y), role="small", colour="bad",
                           width=width).bottom + 4
        y = theme.text(surface, q.explanation[tr.lang], (x, y), role="small" if idea else "body", width=width).bottom + 4
        title = level_titles().get(q.level)
        if chosen != q.answer and title:
            theme.text(surface, tr("quiz.replay", level=title[tr.lang]), (x, y), role="small", colour="accent2", width=width)

    def draw_results(self, surface):
        """Left: the score, who played, the save button. Right: the missed questions, one at a
        time, with the right answer and its explanation."""
        theme, tr = self.app.theme, self.app.tr
        theme.text(surface, tr("quiz.final", right=self.right, n=len(self.results), score=self.score), (100, 90),
                   role="subtitle", bold=True, width=460)
        theme.text(surface, tr("quiz.name"), (100, 208), role="small", colour="muted")
        theme.text(surface, tr("quiz.class"), (100, 292), role="small", colour="muted")
        if self.saved:
            key, values = self.saved
            colour = "bad" if key == "quiz.save_failed" else "good"
            theme.text(surface, tr(key, **values), (100, 452), role="small", colour=colour, width=460)
        x, width = 660, 520
        if not self.missed:
            theme.text(surface, tr("quiz.all_right"), (x, 90), role="heading", bold=True, colour="good", width=width)
            return
        self.review %= len(self.missed)
        miss = self.missed[self.review]
        q, lang = miss.question, tr.lang
        y = theme.text(surface, tr("quiz.review", i=self.review + 1, n=len(self.missed)), (x, 90), role="small",
                       colour="muted").bottom + 8
        y = theme.text(surface, q.text[lang], (x, y), role="heading", bold=True, width=width).bottom + 12
        yours = q.choices[miss.chosen][lang] if miss.chosen >= 0 else tr("quiz.timeout")
        y = theme.text(surface, tr("quiz.yours", choice=yours), (x, y), colour="bad", width=width).bottom + 6
        y = theme.text(surface, tr("quiz.correct", choice=q.choices[q.answer][lang]), (x, y), colour="good",
                       width=width).bottom + 12
        self.draw_lesson(surface, q, miss.chosen, x, y, width)


def drawn_for_round(q, rng):
    """The question with its picture drawn for this round: a new seed (the same prompt and t),
    and for the guidance question the four guidance values in a new order, the right answer
    and the misconceptions following their pictures."""
    if q.image is None:
        return q
    image = {**q.image, "seed": int(rng.integers(0, 1000))}
    if image["kind"] != "guidance":
        return replace(q, image=image)
    order = rng.permutation(4).tolist()  # picture i shows what picture order[i] showed
    image["guidance"] = [q.image["guidance"][k] for k in order]
    return replace(q, image=image, answer=order.index(q.answer), misconceptions=tuple(q.misconceptions[k] for k in order))


@cache
def level_titles() -> dict:
    """Where a question's `level` sends the player after a wrong answer, by id: the title of a
    level (the campaign's or Explore's), of Explore's side-by-side grids ("compare") or of a
    Saber más card."""
    from game.cards import load_cards
    from game.i18n import LANGUAGES, Catalogs

    titles = {level.id: level.title for level in load_all_levels()}
    titles["compare"] = {lang: Catalogs(lang)("compare.title") for lang in LANGUAGES}
    return titles | {card.id: card.title for card in load_cards()}


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
