"""Kahoot's quiz spreadsheet, read back with openpyxl (what Kahoot's importer reads): the
header on row 8, one row a question with its four answers, time limit and right answer;
formulas as plain Unicode; questions over Kahoot's limits left out and named. The CLI and
the quiz menu write it, and GIFT files, and read GIFT back as a bank."""

import re

import pytest
from openpyxl import load_workbook

from game.kahoot import ANSWER_LIMIT, HEADER, HEADER_ROW, QUESTION_LIMIT, bank_to_kahoot, plain_math
from game.quiz import load_bank, load_banks

BANKS = load_banks()[0]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_bank_reads_back_as_kahoots_template_with_the_questions_that_fit(tmp_path, lang):
    bank = BANKS[0]
    left_out = bank_to_kahoot(bank, lang, tmp_path / "k.xlsx", seconds=30)
    sheet = load_workbook(tmp_path / "k.xlsx").active
    assert tuple(c.value for c in sheet[HEADER_ROW][: len(HEADER)]) == HEADER
    rows = [[c.value for c in row[: len(HEADER)]] for row in sheet.iter_rows(min_row=HEADER_ROW + 1) if row[1].value]
    fits = [q for q in bank.questions if q.image is None and len(plain_math(q.text[lang])) <= QUESTION_LIMIT
            and all(len(plain_math(c[lang])) <= ANSWER_LIMIT for c in q.choices)]
    assert len(rows) == len(fits) and len(left_out) == len(bank.questions) - len(fits)
    assert {p.split(":")[0] for p in left_out} == {q.id for q in bank.questions} - {q.id for q in fits}
    for number, (row, q) in enumerate(zip(rows, fits), 1):
        assert row == [number, plain_math(q.text[lang]), *(plain_math(c[lang]) for c in q.choices), 30, q.answer + 1]
        assert not any("$" in str(v) or "\\" in str(v) for v in row), row
    with pytest.raises(ValueError, match="time limits are 5, 10, 20"):
        bank_to_kahoot(bank, lang, tmp_path / "x.xlsx", seconds=25)


def test_a_text_that_starts_with_an_equals_sign_stays_text(tmp_path):
    """openpyxl writes "= 0,5" as a formula, which Excel cannot read and Kahoot's import refuses."""
    from dataclasses import replace

    bank = BANKS[0]
    q = next(q for q in bank.questions if q.image is None)
    choices = ({"es": "= 0,5", "en": "= 0.5"}, *q.choices[1:])
    odd = replace(q, text={"es": "=1+1 ¿cuánto vale?", "en": "=1+1 what is it?"}, choices=choices)
    bank_to_kahoot(replace(bank, questions=(odd,)), "es", tmp_path / "k.xlsx", seconds=30)
    row = load_workbook(tmp_path / "k.xlsx").active[HEADER_ROW + 1]
    assert (row[1].value, row[1].data_type, row[2].value, row[2].data_type) == ("=1+1 ¿cuánto vale?", "s", "= 0,5", "s")


def test_formulas_become_plain_unicode():
    assert plain_math(r"de $x_{t-1}$ y $\sqrt{\bar\alpha_t}$, $\hat{x}_0$, $\tilde\mu + \sigma_t z$, $\hat\epsilon$") == \
        "de x_(t−1) y √(ᾱ_t), x̂₀, μ̃ + σ_t z, ε̂"
    assert plain_math(r"$\bar\alpha = 2^{-24}$, $1 - \bar\alpha_t \approx 0{,}60$, $\|x_0 - \hat{x}_0\|^2$") == \
        "ᾱ = 2⁻²⁴, 1 − ᾱ_t ≈ 0,60, ‖x₀ − x̂₀‖²"
    for bank in BANKS:  # every formula of every bank reads as plain text
        for q in bank.questions:
            for text in (q.text, *q.choices, q.explanation):
                for lang in ("es", "en"):
                    assert not re.search(r"[$\\{}]|\(,\)", plain_math(text[lang])), plain_math(text[lang])


def test_the_cli_exports_gift_and_kahoot_and_imports_gift_back(tmp_path, capsys):
    from game.__main__ import main

    bank = BANKS[0]
    for lang in ("es", "en"):
        assert main(["quiz", "export", bank.id, "--format", "gift", "--lang", lang, "--out", str(tmp_path / f"{lang}.gift")]) == 0
    assert main(["quiz", "export", bank.id, "--format", "kahoot", "--out", str(tmp_path / "k.xlsx")]) == 0
    assert load_workbook(tmp_path / "k.xlsx").active.cell(HEADER_ROW + 1, 2).value
    assert main(["quiz", "import", str(tmp_path / "es.gift"), str(tmp_path / "en.gift"), "--id", "mine", "--title", "Mío",
                 "--out", str(tmp_path / "mine.toml")]) == 0
    back = load_bank(tmp_path / "mine.toml")
    assert [(q.text, q.choices, q.answer, q.explanation, q.topic) for q in back.questions] == \
        [(q.text, q.choices, q.answer, q.explanation, q.topic) for q in bank.questions if q.image is None]
    assert main(["validate", str(tmp_path / "es.gift"), str(tmp_path / "mine.toml")]) == 0
    assert main(["quiz", "export", "no-such-bank", "--format", "gift"]) == 1
    assert "neither a shipped bank" in capsys.readouterr().err
    (tmp_path / "bad.gift").write_text("::q1:: ¿Qué? {\n=Sí\n~No\n}\n", encoding="utf-8")
    assert main(["quiz", "import", str(tmp_path / "bad.gift"), "--id", "b", "--title", "B"]) == 1
    assert "line 1: expected a multiple-choice question with 4 answers" in capsys.readouterr().err


def test_the_quiz_menu_exports_a_bank_into_the_exports_folder(tmp_path, monkeypatch):
    import pygame

    from conftest import press
    from game.app import App
    from game.scenes.quiz import QuizMenuScene

    monkeypatch.setenv("DIFFUSION_QUEST_EXPORTS", str(tmp_path))
    app = App(lang="es")
    menu = QuizMenuScene(app)
    app.push(menu)
    for button, (bank, kind) in list(menu.exports.items())[:2]:
        press(app, button)
        path = tmp_path / f"{bank.id}-es.{'gift' if kind == 'gift' else 'xlsx'}"
        assert path.is_file() and menu.exported[0].startswith("quiz.exported") and str(path) in menu.exported[1]["path"]
    pygame.quit()
