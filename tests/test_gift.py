"""GIFT (Moodle's quiz import format): every shipped bank written and read back whole in both
languages, a teacher's hand-written file with Moodle's escapes read right, and a file that is
not a 4-choice bank refused with its line."""

import pytest

from game.gift import GiftError, bank_to_gift, gift_to_bank_toml, read_gift
from game.quiz import load_banks


@pytest.mark.parametrize("lang", ("es", "en"))
def test_every_bank_comes_back_from_gift_as_it_was(tmp_path, lang):
    for bank in load_banks()[0]:
        path = tmp_path / f"{bank.id}.gift"
        path.write_text(bank_to_gift(bank, lang)[0], encoding="utf-8")
        back = read_gift(path)
        carried = [q for q in bank.questions if q.image is None]  # a live picture cannot go
        assert [q["id"] for q in back] == [q.id for q in carried]
        for q, b in zip(carried, back):
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


def test_moodles_own_export_reads_as_plain_text(tmp_path):
    """Moodle writes [html], tags, entities and %credit% weights; they showed as typed."""
    path = tmp_path / "moodle.txt"
    path.write_text("// topic: forward\n::q1::[html]<p>¿Qué añade el proceso <strong>directo</strong> a x&lt;sub&gt;0?</p>{\n"
                    "\t=%100%<p>Ruido gaussiano</p>#<p>¡Sí!</p>\n\t~%-33.33333%<p>Color</p>\n\t~%0%Brillo\n\t~Nada\n"
                    "\t####<p>El proceso directo suma ruido.</p>\n}\n", encoding="utf-8")
    [q] = read_gift(path)
    assert q["text"] == "¿Qué añade el proceso directo a x<sub>0?"  # an entity stays text once unescaped
    assert q["choices"] == ["Ruido gaussiano", "Color", "Brillo", "Nada"] and q["answer"] == 0
    assert q["explanation"] == "El proceso directo suma ruido."


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


def test_picture_questions_are_left_out_and_named(tmp_path):
    """A question whose live picture is the question cannot go to Moodle or Kahoot."""
    from game.kahoot import bank_to_kahoot

    bank = next(b for b in load_banks()[0] if any(q.image for q in b.questions))
    pictured = {q.id for q in bank.questions if q.image}
    text, left_out = bank_to_gift(bank, "en")
    assert {p.split(":")[0] for p in left_out} == pictured and not any(f"::{i}::" in text for i in pictured)
    assert pictured <= {p.split(":")[0] for p in bank_to_kahoot(bank, "en", tmp_path / "k.xlsx")}


GOOD = "// topic: forward\n::a::One? {{=a ~b ~c ~d}}\n\n// topic: {topic}\n::{name}::{text} {{=a ~b ~c ~d}}\n"


@pytest.mark.parametrize("second, expected", [
    (dict(topic="poetry", name="b", text="Two?"), "line 5: question 'b': field 'topic' must be one of forward"),
    (dict(topic="forward", name="a", text="Two?"), "line 5: question 'a': field 'id' must be a text unique"),
    (dict(topic="forward", name="b", text=""), "line 5: question 'b': field 'text' must have non-empty"),
])
def test_what_would_not_play_is_refused_by_import_and_validate_with_its_line(tmp_path, second, expected):
    from game.__main__ import main

    path = tmp_path / "t.gift"
    path.write_text(GOOD.format(**second), encoding="utf-8")
    with pytest.raises(GiftError, match="t.gift") as e:
        gift_to_bank_toml(path, None, "t", "T")
    assert expected in str(e.value)
    assert main(["validate", str(path)]) == 1


def test_a_failed_import_leaves_the_bank_file_that_was_there(tmp_path, capsys):
    from game.__main__ import main

    bad, out = tmp_path / "bad.gift", tmp_path / "keep.toml"
    bad.write_text(GOOD.format(topic="poetry", name="b", text="Two?"), encoding="utf-8")
    out.write_text("id = 'mine'\n", encoding="utf-8")
    assert main(["quiz", "import", str(bad), "--id", "k", "--title", "K", "--out", str(out)]) == 1
    assert out.read_text(encoding="utf-8") == "id = 'mine'\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.gift", "keep.toml"]
    assert "bad.gift: line 5" in capsys.readouterr().err


def test_two_questions_without_a_blank_line_are_refused_not_merged(tmp_path):
    path = tmp_path / "t.gift"
    path.write_text("// topic: forward\n::a::One? {=a ~b ~c ~d}\n::b::Two? {=a ~b ~c ~d}\n", encoding="utf-8")
    with pytest.raises(GiftError, match="t.gift: line 2: a second question"):
        read_gift(path)


def test_validate_reads_gift_in_txt_as_moodle_names_it_and_says_when_a_file_is_missing(tmp_path, capsys):
    from game.__main__ import main

    path = tmp_path / "moodle.txt"
    path.write_text(GOOD.format(topic="guidance", name="b", text="Two?"), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert "(2 questions)" in capsys.readouterr().out
    assert main(["validate", str(tmp_path / "nope.gift")]) == 1
    assert "no such file" in capsys.readouterr().out


def test_an_error_in_the_english_file_names_the_english_file(tmp_path):
    es, en = tmp_path / "es.gift", tmp_path / "en.gift"
    es.write_text(GOOD.format(topic="forward", name="b", text="¿Dos?"), encoding="utf-8")
    en.write_text(GOOD.format(topic="forward", name="b", text=""), encoding="utf-8")
    with pytest.raises(GiftError, match="en.gift: line 5: question 'b': field 'text'"):
        gift_to_bank_toml(es, en, "t", "T")
