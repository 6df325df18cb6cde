from dataclasses import replace

import pytest

from game.kahoot import plain_math
from game.levels import LEVELS_DIR
from game.quiz import QUIZ_DIR, TOPICS, QuizError, load_bank, load_banks, points


def drop_first_questions_last_choice(text: str) -> str:
    start = text.index("choices = [\n")
    lines = text[start:].split("\n")
    return text[:start] + "\n".join(lines[:4] + lines[5:])


def test_banks_load_with_forty_questions_over_the_curriculum():
    banks, errors = load_banks()
    assert errors == []
    questions = [q for b in banks for q in b.questions]
    assert len(questions) >= 40
    assert {q.topic for q in questions} == set(TOPICS)
    assert len({q.id for q in questions}) == len(questions)
    # the right answer is not always in the same place
    assert len({q.answer for q in questions}) >= 2


GOOD = (QUIZ_DIR / "01-forward-and-training.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.replace("answer = 0", "answer = 4", 1), r"field 'questions\[0\].answer' must be the index of the right choice, 0 to 3; got 4"),
        (lambda s: s.replace('topic = "forward"', 'topic = "poetry"', 1), r"field 'questions\[0\].topic' must be one of forward"),
        (lambda s: s.replace('id = "fwd-end"', 'id = "fwd-markov"'), r"field 'questions\[1\].id' must be a text unique in the bank"),
        (lambda s: drop_first_questions_last_choice(s), r"field 'questions\[0\].choices' must be a list of 4 choices"),
        (lambda s: s.replace('en = "In the forward process, what does $x_t$ depend on?"', 'en = ""'), r"field 'questions\[0\].text' must have non-empty 'es' and 'en' texts"),
        # the id names the results files: a path, a name too long to save, or what Windows refuses lost a round
        (lambda s: s.replace('id = "forward-and-training"', 'id = "../../tmp/evil"', 1), r"field 'id' must be 1 to 64 letters"),
        (lambda s: s.replace('id = "forward-and-training"', f'id = "{"x" * 65}"', 1), r"field 'id' must be 1 to 64 letters"),
        (lambda s: s.replace('id = "forward-and-training"', 'id = "tema 1: ruido?"', 1), r"field 'id' must be 1 to 64 letters"),
        # what the screen cannot show whole (a long choice was cut at both ends)
        (lambda s: s.replace('en = "In the forward process, what does $x_t$ depend on?"', f'en = "{"x" * 201}"'),
         r"field 'questions\[0\].text.en' has 201 characters; the quiz screen shows at most 200"),
    ],
)
def test_malformed_bank_names_file_field_and_expectation(tmp_path, change, message):
    path = tmp_path / "bad-bank.toml"
    path.write_text(change(GOOD), encoding="utf-8")
    with pytest.raises(QuizError, match=message) as info:
        load_bank(path)
    assert str(info.value).startswith("bad-bank.toml: ")


def test_a_bank_saved_with_a_bom_loads_and_a_second_bank_of_a_taken_id_is_refused(tmp_path):
    """Notepad's "UTF-8 with BOM" read as "not valid TOML (line 1, column 1)"; a copy of a bank
    under another file name would have sent both rounds' results to one file."""
    (tmp_path / "a.toml").write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    (tmp_path / "b.toml").write_text(GOOD, encoding="utf-8")
    banks, errors = load_banks(tmp_path)
    assert [b.path.name for b in banks] == ["a.toml"] and banks[0].id == "forward-and-training"
    assert errors == ["b.toml: field 'id' is 'forward-and-training', as in a.toml: each bank needs its own id"]


def test_the_longest_choice_a_bank_may_hold_fits_its_button_in_large_text(tmp_path):
    """A choice over the button's width was cut at both ends; it gets the compact font, and the
    bank's limit (quiz.LONGEST) is what that font shows whole."""
    from dataclasses import replace

    from game.app import App
    from game.quiz import LONGEST
    from game.scenes.quiz import QuizScene

    app = App(lang="es")
    app.set_large_text(True)
    bank = load_banks()[0][0]
    q = next(q for q in bank.questions if q.image is None and not any("$" in c["es"] for c in q.choices))
    longest = ("muestreo " * 20)[:LONGEST["choice"]]
    quiz = QuizScene(app, replace(bank, questions=(replace(q, choices=({"es": longest, "en": longest}, *q.choices[1:])),)))
    app.push(quiz)
    long_button = quiz.choice_buttons[quiz.order.index(0)]
    label = f"{'ABCD'[quiz.order.index(0)]}.  {longest}"
    assert "#compact" in long_button.object_ids and app.theme.font_of("#compact").size(label)[0] <= 1080 - 20
    assert all("#compact" not in b.object_ids for b in quiz.choice_buttons if b is not long_button)
    app.pop()


def test_points_reward_right_fast_and_streaks():
    assert points(False, 1.0, 20.0, 5) == 0
    assert points(True, 20.0, 20.0, 0) == 100
    assert points(True, 0.0, 20.0, 0) == 150
    assert points(True, 10.0, 20.0, 3) == 100 + 25 + 30


def test_a_classroom_round_scores_streaks_timeouts_and_writes_the_csv(tmp_path, monkeypatch):
    import pygame
    import pygame_gui

    from game.app import App
    from game.results_csv import read_rows
    from game.scenes.quiz import QuizScene

    monkeypatch.setenv("DIFFUSION_QUEST_EXPORTS", str(tmp_path))
    app = App(lang="en")
    bank = load_banks()[0][0]
    quiz = QuizScene(app, bank, time_limit=1000.0)
    app.push(quiz)
    first = quiz.question  # the round's own order
    quiz.answer(first.answer)  # right
    quiz.advance()
    quiz.answer(quiz.question.answer)  # right again: a streak bonus
    quiz.advance()
    quiz.time_limit = 0.0
    quiz.update(0.016)  # the third runs out of time
    assert [a.right for a in quiz.results] == [True, True, False] and quiz.results[2].chosen == -1
    assert quiz.results[1].points >= 110 and quiz.streak == 0
    while not quiz.finished:
        quiz.advance()
        quiz.update(0.016)
    app.draw()
    quiz.name.set_text("Ana")
    quiz.klass.set_text("3ºB")
    app.dispatch(pygame.event.Event(pygame_gui.UI_TEXT_ENTRY_FINISHED, ui_element=quiz.name, text="Ana"))  # Enter saves
    rows = read_rows(next(tmp_path.glob("quiz-*[0-9].csv")))
    assert len(rows) == len(bank.questions) and rows[0]["player"] == "Ana" and rows[0]["class"] == "3ºB"
    # the texts as a sheet shows them: formulas in Unicode, not LaTeX
    assert rows[0]["correct"] == "1" and rows[0]["question_text"] == plain_math(first.text["en"]) and rows[0]["language"] == "en"
    letter = rows[0]["choice_letter"]
    assert letter in "ABCD" and rows[0]["choice_text"] == plain_math(first.choices[first.answer]["en"])
    assert not any("$" in r["question_text"] + r["choice_text"] for r in rows)
    assert rows[2]["choice_letter"] == "" and rows[2]["choice_text"] == "Time is up."
    assert sum(int(r["points"]) for r in rows) == quiz.score
    summary = read_rows(next(tmp_path.glob("quiz-*-summary.csv")))
    assert [(s["player"], s["right"], s["wrong"], s["score"]) for s in summary] == \
        [("Ana", "2", str(len(bank.questions) - 2), str(quiz.score))]
    # saving twice (Enter, then the button) does not write the round twice
    app.dispatch(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=quiz.save))
    assert len(read_rows(next(tmp_path.glob("quiz-*[0-9].csv")))) == len(bank.questions)
    # the round is kept in the saved profile, and the bank menu shows the best one
    from game.profile import ProfileStore
    from game.scenes.quiz import QuizMenuScene

    kept = ProfileStore().load()["quiz"][-1]
    assert kept["bank"] == bank.id and kept["right"] == 2 and kept["score"] == quiz.score
    menu = QuizMenuScene(app)
    app.push(menu)
    assert menu.best_text(bank) == f"Your best round: 2/{len(bank.questions)} right, {quiz.score} points"
    app.pop()
    # a round started alone (diffusion-quest --quiz): Back on its results leads to the title, not out
    from game.scenes.title import TitleScene

    app.close_scenes()
    app.push(quiz)
    app.dispatch(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=quiz.back))
    assert app.running and isinstance(app.top, TitleScene)
    pygame.quit()


def finished_round(app, bank, wrong: int):
    """A QuizScene on its results screen, the first `wrong` questions answered wrong."""
    from game.scenes.quiz import QuizScene

    quiz = QuizScene(app, bank, time_limit=1000.0)
    app.push(quiz)
    while not quiz.finished:
        q = quiz.question
        quiz.answer((q.answer + 1) % 4 if quiz.index < wrong else q.answer)
        quiz.advance()
    return quiz


def test_the_results_screen_reviews_each_missed_question_with_its_answer_and_explanation(tmp_path, monkeypatch):
    import pygame
    import pygame_gui

    monkeypatch.setenv("DIFFUSION_QUEST_EXPORTS", str(tmp_path))
    from game.app import App

    app = App(lang="es")
    bank = load_banks()[0][0]
    quiz = finished_round(app, bank, wrong=2)
    app.theme.drawn = []
    app.draw()
    texts = [t for _, t in app.theme.drawn]
    first, second = quiz.bank.questions[:2]  # the round's own order
    assert "Para repasar: 1 de 2" in texts and first.text["es"] in texts and first.explanation["es"] in texts
    assert f"La correcta: {first.choices[first.answer]['es']}" in texts
    assert f"Tu respuesta: {first.choices[(first.answer + 1) % 4]['es']}" in texts
    forward = next(b for b, step in quiz.review_buttons.items() if step == 1)
    app.dispatch(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=forward))
    app.theme.drawn = []
    app.draw()
    assert second.text["es"] in [t for _, t in app.theme.drawn]
    # what is typed survives a language switch (which rebuilds the screen)
    quiz.name.set_text("Zoé")
    app.dispatch(pygame.event.Event(pygame_gui.UI_TEXT_ENTRY_CHANGED, ui_element=quiz.name, text="Zoé"))
    app.switch_language()
    assert quiz.name.get_text() == "Zoé"
    app.switch_language()
    # leaving with Escape saves first
    assert not list(tmp_path.glob("*.csv"))
    app.dispatch(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode=""))
    assert app.top is not quiz and len(list(tmp_path.glob("*.csv"))) == 2
    pygame.quit()


def test_a_failed_save_says_so_and_keeps_the_screen_until_a_second_back(tmp_path, monkeypatch):
    import pygame
    import pygame_gui

    from game import results_csv
    from game.app import App

    monkeypatch.setenv("DIFFUSION_QUEST_EXPORTS", str(tmp_path))

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results_csv.os, "fsync", full_disk)
    app = App(lang="en")
    quiz = finished_round(app, load_banks()[0][0], wrong=0)
    app.dispatch(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=quiz.back))
    assert app.top is quiz and quiz.saved[0] == "quiz.save_failed"
    app.theme.drawn = []
    app.draw()
    assert any("No space left on device" in t for _, t in app.theme.drawn)
    assert not [p for p in tmp_path.iterdir()]  # no partial file, no temporary left behind
    app.dispatch(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=quiz.back))
    assert app.top is not quiz
    pygame.quit()


def test_every_chapter_closes_with_a_checkpoint_quiz_on_its_topics():
    from game.levels import load_campaign
    from game.quiz import CHECKPOINT_QUESTIONS, checkpoint_bank, load_chapters

    chapters = load_chapters()
    assert {lv.chapter for lv in load_campaign()[0]} == {c["number"] for c in chapters}
    banks = load_banks()[0]
    for chapter in chapters:
        quiz = checkpoint_bank(chapter, banks)
        assert 1 <= len(quiz.questions) <= CHECKPOINT_QUESTIONS
        assert {q.topic for q in quiz.questions} <= set(chapter["quiz_topics"])


def test_picture_questions_draw_their_images(tmp_path):
    import numpy as np
    import pygame

    from game.app import App
    from game.scenes.quiz import question_pictures

    app = App(lang="en")
    pictured = [q for b in load_banks()[0] for q in b.questions if q.image]
    assert {q.image["kind"] for q in pictured} == {"noised", "guidance"}
    for q in pictured:
        images = question_pictures(app, q.image)
        assert len(images) == (4 if q.image["kind"] == "guidance" else 1)
        assert all(im.shape == (3, 32, 32) and np.isfinite(im).all() for im in images)
    pygame.quit()


def test_validate_checks_quiz_banks_too(tmp_path, capsys):
    from game.__main__ import validate

    bad = tmp_path / "mine.toml"  # a bank is told by its [[questions]], wherever it lies
    bad.write_text(GOOD.replace("answer = 0", "answer = 9", 1), encoding="utf-8")
    assert validate(sorted(QUIZ_DIR.glob("*.toml"))) == 0
    assert validate([bad, LEVELS_DIR / "01-forward-noise.toml"]) == 1
    out = capsys.readouterr().out
    line = bad.read_text(encoding="utf-8").splitlines().index("[[questions]]") + 1  # where the question starts
    assert f"mine.toml: line {line}: field 'questions[0].answer'" in out and "ok    " in out  # the files after a bad one are checked
    typo = tmp_path / "typo.toml"  # a misspelt table is named, not taken for a level without a kind
    typo.write_text(GOOD.replace("[[questions]]", "[[question]]"), encoding="utf-8")
    assert validate([typo]) == 1
    assert "typo.toml: [[question]] tables: a quiz bank holds [[questions]] tables" in capsys.readouterr().out
    empty = tmp_path / "empty.toml"  # a bank begun, no question yet: not "missing field 'kind'"
    empty.write_text('id = "mine"\n[title]\nes = "Mío"\nen = "Mine"\n', encoding="utf-8")
    assert validate([empty]) == 1
    assert "empty.toml: neither a quiz bank nor a level: a bank holds [[questions]] tables" in capsys.readouterr().out


def test_choices_are_shuffled_and_a_press_answers_the_choice_it_shows():
    import pygame
    import pygame_gui

    from game.app import App
    from game.scenes.quiz import QuizScene

    app = App(lang="en")
    bank = load_banks()[0][1]
    quiz = QuizScene(app, bank, time_limit=1000.0)
    app.push(quiz)
    places = []
    while not quiz.finished:
        q = quiz.question
        place = quiz.order.index(q.answer)
        places.append(place)
        button = quiz.choice_buttons[place]
        assert quiz.typeset.get(button, button.text).endswith(q.choices[q.answer]["en"])  # a formula is drawn over its button
        app.dispatch(pygame.event.Event(pygame_gui.UI_BUTTON_PRESSED, ui_element=quiz.choice_buttons[place]))
        assert quiz.results[-1].right and quiz.results[-1].chosen == q.answer
        quiz.advance()
    assert len(set(places)) >= 3  # the right answer is not always in the same place
    pygame.quit()


def test_a_round_draws_its_own_question_order_and_a_checkpoint_takes_every_topic_in_turn():
    import numpy as np
    import pygame

    from game.app import App
    from game.quiz import checkpoint_bank, load_chapters
    from game.scenes.quiz import QuizScene

    app = App(lang="en")
    bank = load_banks()[0][0]
    orders = {tuple(q.id for q in QuizScene(app, bank).bank.questions) for _ in range(4)}
    assert len(orders) > 1 and all(sorted(o) == sorted(q.id for q in bank.questions) for o in orders)
    banks = load_banks()[0]
    for chapter in load_chapters():
        topics = chapter["quiz_topics"]
        picked = [q.topic for q in checkpoint_bank(chapter, banks, np.random.default_rng(0)).questions]
        assert set(picked[: len(topics)]) == set(topics[:5]), (chapter["number"], picked)  # one of each before a second
    first = load_chapters()[0]
    draws = {tuple(q.id for q in checkpoint_bank(first, banks, np.random.default_rng(seed)).questions) for seed in range(6)}
    assert len(draws) > 1
    pygame.quit()


def test_a_wrong_answer_names_its_mistaken_idea_and_the_level_to_replay(tmp_path):
    import pygame

    from conftest import drawn_text
    from game.app import App
    from game.quiz import Bank, Question
    from game.scenes.quiz import QuizScene, level_titles

    app = App(lang="es")
    text = {"es": "¿Pregunta?", "en": "Question?"}
    idea = {"es": "el ruido se aprende en el proceso hacia adelante.", "en": "the noise is learnt going forward."}
    q = Question("q1", "forward", text, tuple({"es": f"op {i}", "en": f"ch {i}"} for i in range(4)), 0,
                 {"es": "Porque sí.", "en": "Because."}, level="forward-noise", misconceptions=(None, idea, None, None))
    quiz = QuizScene(app, Bank(tmp_path / "b.toml", "b", text, (q,)), time_limit=1000.0)
    app.push(quiz)
    quiz.answer(1)
    shown = drawn_text(app)
    assert idea["es"] in shown and level_titles()["forward-noise"]["es"] in shown
    pygame.quit()


def test_the_shipped_banks_test_understanding():
    """Issue 22's bars: at least 60 questions; every wrong choice names the misconception it
    stands for; the right answer is the longest choice in at most a third of each bank's
    questions (in each language), so length gives nothing away; every question outside the
    advanced bank (what the campaign does not teach) links what teaches it: a level, Explore's
    grids or a Saber más card."""
    from game.kahoot import plain_math
    from game.scenes.quiz import level_titles

    banks = load_banks()[0]
    assert sum(len(b.questions) for b in banks) >= 60
    for bank in banks:
        for q in bank.questions:
            assert all((m is None) == (i == q.answer) for i, m in enumerate(q.misconceptions)), (bank.id, q.id)
            assert q.level in level_titles() if bank.id != "advanced" else q.level is None or q.level in level_titles(), \
                (bank.id, q.id, q.level)
        for lang in ("es", "en"):
            shown = [[len(plain_math(c[lang])) for c in q.choices] for q in bank.questions]  # as read, not as LaTeX
            longest = sum(max(range(4), key=lengths.__getitem__) == q.answer for q, lengths in zip(bank.questions, shown))
            assert longest <= len(bank.questions) / 3, (bank.id, lang, longest, len(bank.questions))


def test_a_rounds_pictures_are_drawn_for_it_and_the_answer_follows_them():
    import numpy as np

    from game.scenes.quiz import drawn_for_round

    banks = load_banks()[0]
    q = next(q for b in banks for q in b.questions if q.image is not None and q.image["kind"] == "guidance")
    w15 = q.image["guidance"][q.answer]
    rounds = [drawn_for_round(q, np.random.default_rng(seed)) for seed in range(8)]
    for r in rounds:
        assert r.image["guidance"][r.answer] == w15 and sorted(r.image["guidance"]) == sorted(q.image["guidance"])
        assert r.misconceptions[r.answer] is None and sum(m is None for m in r.misconceptions) == 1
    assert len({r.answer for r in rounds}) > 1 and len({r.image["seed"] for r in rounds}) > 1
    noised = next(q for b in banks for q in b.questions if q.image is not None and q.image["kind"] == "noised")
    again = drawn_for_round(noised, np.random.default_rng(1))
    assert again.image["t"] == noised.image["t"] and again.answer == noised.answer


def test_the_excel_choice_writes_for_a_decimal_comma_whatever_the_language(tmp_path, monkeypatch):
    """diffusion-quest --quiz BANK --excel comma: an English round for a Spanish-locale Excel."""
    import pygame

    from game.__main__ import parse_args
    from game.app import App

    monkeypatch.setenv("DIFFUSION_QUEST_EXPORTS", str(tmp_path))
    assert parse_args(["--quiz", "b.toml", "--excel", "comma"]).excel == "comma"
    app = App(lang="en")
    app.results_decimal = ","
    quiz = finished_round(app, load_banks()[0][0], wrong=1)
    quiz.results[0] = replace(quiz.results[0], seconds=2.5)
    assert quiz.save_results()
    text = next(tmp_path.glob("quiz-*[0-9].csv")).read_bytes().decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.startswith("time;class;player;language") and ";2,5;" in first
    pygame.quit()
