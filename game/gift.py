"""Moodle's GIFT quiz format (https://docs.moodle.org/en/GIFT_format), for the multiple-choice
questions a bank holds: one language per file.

    // topic: forward
    ::fwd-markov::In the forward process, what does x_t depend on? {
    	=Only on x_\\{t−1\\} and fresh noise
    	~On every image in the data set
    	####It is a fixed Markov chain …
    }

Writing escapes what Moodle's exporter escapes (qformat_gift::repchar: \\ # = ~ { } : and line
breaks); reading follows Moodle's importer (qformat_gift::readquestion): questions are
separated by blank lines, // starts a comment line, ::name:: is optional, answers lie between
the first { and }, "=" marks the right answer, "~" a wrong one, "#" an answer's feedback and
"####" the general feedback, which becomes the explanation. Formulas: the banks' $…$ are
written as Moodle's TeX notation \\(…\\) (its MathJax and TeX filters read it), and \\(…\\)
or $$…$$ are read back as $…$.
"""

import html
import re
import tomllib
from pathlib import Path

from game.levels import LevelError

RESERVED = {"\\": "\\\\", "#": "\\#", "=": "\\=", "~": "\\~", "{": "\\{", "}": "\\}", ":": "\\:", "\n": "\\n", "\r": ""}
PLACEHOLDERS = {"\\:": "\x01", "\\#": "\x02", "\\=": "\x03", "\\{": "\x04", "\\}": "\x05", "\\~": "\x06", "\\n": "\x07"}
CHARACTERS = {"\x01": ":", "\x02": "#", "\x03": "=", "\x04": "{", "\x05": "}", "\x06": "~", "\x07": "\n"}


class GiftError(LevelError):
    """A GIFT file that cannot be read as a bank; str() names the file, the line and what was expected."""


def escape(text: str) -> str:
    return "".join(RESERVED.get(c, c) for c in text)


def to_moodle_math(text: str) -> str:
    """$x_{t-1}$ → \\(x_{t-1}\\): the notation Moodle's filters typeset."""
    pieces = text.split("$")
    if len(pieces) < 3:
        return text
    return "".join(f"\\({p}\\)" if i % 2 and i < len(pieces) - 1 else ("$" + p if i % 2 else p) for i, p in enumerate(pieces))


def from_moodle_math(text: str) -> str:
    return re.sub(r"\$\$(.+?)\$\$", r"$\1$", re.sub(r"\\\((.+?)\\\)", r"$\1$", text))


def bank_to_gift(bank, lang: str) -> tuple[str, list[str]]:
    """The bank's questions in `lang` as GIFT text, and "id: why" for each left out (one that
    needs the live picture the game draws for it)."""
    from game.quiz import exportable

    def write(text):
        return escape(to_moodle_math(text))

    questions, left_out = exportable(bank)
    blocks = [f"// Diffusion Quest · {bank.title[lang]} ({lang})"]
    for q in questions:
        answers = [f"\t{'=' if i == q.answer else '~'}{write(c[lang])}" for i, c in enumerate(q.choices)]
        blocks.append("\n".join([f"// topic: {q.topic}", f"::{escape(q.id)}::{write(q.text[lang])} {{", *answers,
                                 f"\t####{write(q.explanation[lang])}", "}"]))
    return "\n\n".join(blocks) + "\n", left_out


def _pre(text: str) -> str:
    text = text.replace("\\\\", "\x00")
    for escaped, placeholder in PLACEHOLDERS.items():
        text = text.replace(escaped, placeholder)
    return text.replace("\x00", "\\")


FORMAT = re.compile(r"^\s*\[(?:html|moodle|plain|markdown)\]", re.IGNORECASE)
TAGS = re.compile(r"</?(?:p|br|strong|em|b|i|u|span|div|sub|sup|ul|ol|li|code|pre|a|font|h[1-6])\b[^>]*>", re.IGNORECASE)
WEIGHT = re.compile(r"^%-?\d+(?:\.\d+)?%")  # Moodle's credit for an answer: =%100%…, ~%-33.33333%…


def _plain(text: str) -> str:
    """Text as Moodle's own exports write it, as the game shows it: the format marker
    ([html]) dropped, and HTML tags and entities made plain text (they showed as typed)."""
    marked = FORMAT.match(text)
    text = FORMAT.sub("", text, count=1)
    if marked or TAGS.search(text):
        text = " ".join(html.unescape(TAGS.sub(" ", text)).split())
    return text


def _post(text: str) -> str:
    return from_moodle_math("".join(CHARACTERS.get(c, c) for c in _plain(text)).strip())


def _blocks(text: str):
    """(line number, lines) of each question: runs of lines between blank lines, numbered by
    their first line that is not a // comment (where the question itself starts)."""
    block, start = [], 0
    for number, line in enumerate(text.splitlines() + [""], 1):
        if line.strip():
            block.append(line)
            if not start and not line.strip().startswith("//"):
                start = number
        elif block:
            yield start or number - len(block), block
            block, start = [], 0


def read_gift(path: Path, topic: str | None = None) -> list[dict]:
    """The multiple-choice questions of a GIFT file, as dicts with id, topic, text, choices (4),
    answer and explanation (texts in one language). A question's topic is its "// topic:" line,
    else `topic`. GiftError for anything else."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise GiftError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise GiftError(f"{path.name}: cannot be read as UTF-8 text ({e})") from None
    questions = []
    for line_number, lines in _blocks(text):
        where = f"{path.name}: line {line_number}"
        own_topic = next((ln.split(":", 1)[1].strip() for ln in lines if ln.strip().startswith("// topic:")), topic)
        body = _pre("\n".join(ln for ln in lines if not ln.strip().startswith("//")).strip())
        if not body or body.startswith("$CATEGORY:"):
            continue
        name = None
        if body.startswith("::") and "::" in body[2:]:
            name, body = body[2:].split("::", 1)
            name, body = _post(name), body.strip()
        start, end = body.find("{"), body.find("}")
        if start < 0 or end < start:
            raise GiftError(f"{where}: expected the answers between {{ and }}")
        if "{" in body[end + 1:]:
            raise GiftError(f"{where}: a second question's answers follow this one's: questions must be "
                            "separated by a blank line")
        answers, question = body[start + 1:end].strip(), body[:start] + body[end + 1:]
        answers, _, explanation = answers.rpartition("####") if "####" in answers else (answers, "", "")
        answers = answers.strip()
        parts = [a.strip() for a in answers.replace("=", "~=").split("~") if a.strip()]
        right = [i for i, a in enumerate(parts) if a.startswith("=")]
        if len(parts) != 4 or len(right) != 1:
            raise GiftError(f"{where}: expected a multiple-choice question with 4 answers, one right (=) and three "
                            f"wrong (~); found {len(parts)} answers, {len(right)} right")
        if not own_topic:
            raise GiftError(f"{where}: no topic: add a line '// topic: forward' (or another) above it, or import "
                            "with --topic")
        choices = [_post(WEIGHT.sub("", a.lstrip("=").lstrip(), count=1).split("#", 1)[0]) for a in parts]
        questions.append({"id": name or f"q{len(questions) + 1}", "topic": own_topic, "text": _post(question),
                          "choices": choices, "answer": right[0], "explanation": _post(explanation), "line": line_number})
    if not questions:
        raise GiftError(f"{path.name}: no questions found")
    return questions


def gift_to_bank_toml(es_path: Path, en_path: Path | None, bank_id: str, title: str, topic: str | None = None) -> str:
    """A quiz bank (TOML text) from a GIFT file per language, questions paired by their ::name::
    (from one file, both languages hold its texts: translate the English later), checked as
    the game checks a bank. GiftError, naming the GIFT file and the question's line, for what
    would not play: a topic the game does not know, two questions of one name, an empty text,
    or two files that do not hold the same questions with the same right answers."""
    es = read_gift(es_path, topic)
    en = read_gift(en_path, topic) if en_path else es
    for path, questions in [(es_path, es)] + ([(en_path, en)] if en_path else []):  # each file alone first: its errors name it
        _check(path, _bank_toml(questions, questions, path, path, bank_id, title), questions)
    text = _bank_toml(es, en, es_path, en_path, bank_id, title)
    _check(es_path, text, es)
    return text


def _check(path, text: str, questions: list) -> None:
    """The bank `text`, made from `path`'s questions, parsed as the game parses a bank;
    GiftError at the question's line in `path` for what would not play."""
    from game.quiz import QuizError, failing_question, parse_bank

    try:
        parse_bank(Path(path), tomllib.loads(text))
    except QuizError as e:
        index = failing_question(e)
        if index is None:
            raise GiftError(str(e)) from None
        q = questions[index]
        problem = str(e).split(": ", 1)[1].replace(f"questions[{index}].", "")
        raise GiftError(f"{Path(path).name}: line {q['line']}: question {q['id']!r}: {problem}") from None


def _bank_toml(es: list, en: list, es_path, en_path, bank_id: str, title: str) -> str:
    """The bank's TOML text from each language's questions, unchecked; GiftError when the
    two files do not hold the same questions with the same right answers."""
    by_id = {q["id"]: q for q in en}
    if [q["id"] for q in es] != [q["id"] for q in en]:
        raise GiftError(f"{Path(en_path).name}: its questions ({', '.join(by_id)}) are not those of "
                        f"{Path(es_path).name} ({', '.join(q['id'] for q in es)}), in the same order")
    lines = [f"id = {_toml(bank_id)}", "", "[title]", f"es = {_toml(title)}", f"en = {_toml(title)}"]
    for q in es:
        other = by_id[q["id"]]
        if other["answer"] != q["answer"]:
            raise GiftError(f"{Path(en_path).name}: question {q['id']!r} has answer {other['answer'] + 1}, "
                            f"{Path(es_path).name} has {q['answer'] + 1}")
        pair = lambda a, b: f"{{ es = {_toml(a)}, en = {_toml(b)} }}"  # noqa: E731 — one pair of texts
        lines += ["", "[[questions]]", f"id = {_toml(q['id'])}", f"topic = {_toml(q['topic'])}",
                  f"text = {pair(q['text'], other['text'])}", "choices = [",
                  *(f"  {pair(a, b)}," for a, b in zip(q["choices"], other["choices"])), "]",
                  f"answer = {q['answer']}", f"explanation = {pair(q['explanation'] or q['text'], other['explanation'] or other['text'])}"]
    return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's."""
    import json

    return json.dumps(text, ensure_ascii=False)
