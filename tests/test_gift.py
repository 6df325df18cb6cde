"""GIFT (Moodle's quiz import format): every shipped bank written and read back whole in both
languages, a teacher's hand-written file with Moodle's escapes read right, and a file that is
not a 4-choice bank refused with its line."""

import pytest

from game.gift import GiftError, bank_to_gift, read_gift
from game.quiz import load_banks


@pytest.mark.parametrize("lang", ("es", "en"))
def test_every_bank_comes_back_from_gift_as_it_was(tmp_path, lang):
    for bank in load_banks()[0]:
        path = tmp_path / f"{bank.id}.gift"
        path.write_text(bank_to_gift(bank, lang), encoding="utf-8")
        back = read_gift(path)
        assert [q["id"] for q in back] == [q.id for q in bank.questions]
        for q, b in zip(bank.questions, back):
            assert (b["topic"], b["text"], b["answer"], b["explanation"]) == (q.topic, q.text[lang], q.answer,
                                                                              q.explanation[lang])
            assert b["choices"] == [c[lang] for c in q.choices]


def test_a_hand_written_file_with_moodles_escapes_and_feedback(tmp_path):
    path = tmp_path / "teacher.txt"
    path.write_text("\ufeff// mi banco\n$CATEGORY: $course$/difusion\n\n"
                    "// topic: guidance\n::w \\= 1::¿Qué hace w \\= 1 en x_\\{t\\}? {\n"
                    "~Nada#no\n=El modelo condicional simple#¡sí!\n~Ignora la descripción\n~Quema los colores\n"
                    "####Con w \\= 1 la guía no cambia nada\\: es el modelo condicional.\n}\n", encoding="utf-8")
    [q] = read_gift(path)
    assert q["id"] == "w = 1" and q["text"] == "¿Qué hace w = 1 en x_{t}?" and q["topic"] == "guidance"
    assert q["choices"] == ["Nada", "El modelo condicional simple", "Ignora la descripción", "Quema los colores"]
    assert q["answer"] == 1 and q["explanation"] == "Con w = 1 la guía no cambia nada: es el modelo condicional."


@pytest.mark.parametrize("body, expected", [
    ("::a::True or false? {TRUE}", "line 3: expected a multiple-choice question with 4 answers"),
    ("::a::Two? {=yes ~no}", "found 2 answers, 1 right"),
    ("::a::No closing brace {=a ~b ~c ~d", "line 3: expected the answers between { and }"),
])
def test_what_is_not_a_four_choice_question_is_refused_with_its_line(tmp_path, body, expected):
    path = tmp_path / "bad.gift"
    path.write_text(f"// first\n\n{body}\n", encoding="utf-8")
    with pytest.raises(GiftError, match="bad.gift") as e:
        read_gift(path, topic="forward")
    assert expected in str(e.value)


def test_a_question_without_a_topic_says_how_to_give_one(tmp_path):
    path = tmp_path / "t.gift"
    path.write_text("Q? {=a ~b ~c ~d}\n", encoding="utf-8")
    with pytest.raises(GiftError, match="// topic: forward"):
        read_gift(path)
    assert read_gift(path, topic="forward")[0]["id"] == "q1"
