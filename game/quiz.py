"""Quiz banks as data: TOML files in levels/quizzes/, validated like levels.

    id = "forward-and-training"      [title] es = "…" en = "…"
    [[questions]] id, topic, text {es, en}, choices [4 × {es, en}], answer (0–3),
                  explanation {es, en}; optional: level (the id of the campaign level that
                  teaches it, named after a wrong answer), image (a live picture), and on each
                  wrong choice misconception {es, en} (the mistaken idea it stands for)

Scoring: a right answer is worth 100 points plus a time bonus (up to 50, falling with the
seconds taken) and a streak bonus (10 per right answer in a row before it).
"""

import re
from dataclasses import dataclass
from pathlib import Path

from game.i18n import LANGUAGES
from game.level_kinds import MAX_SEED, ControlError, check_prompt, is_number
from game.levels import LEVELS_DIR, LevelError, check_text, load_each, parse_level, read_toml

QUIZ_DIR = LEVELS_DIR / "quizzes"
TOPICS = ("forward", "closed_form", "schedules", "unet", "training", "ddpm", "samplers", "guidance",
          "text", "latent", "score", "flawed_schedule", "comparison", "mistakes", "advanced")


class QuizError(LevelError):
    """A quiz bank that cannot be used; str() names the file, the field and the problem."""


IMAGE_KINDS = ("noised", "guidance")


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    text: dict
    choices: tuple
    answer: int
    explanation: dict
    image: dict | None = None  # a live picture: {kind = "noised", prompt, seed, t} or
    #                            {kind = "guidance", prompt, seed, guidance = [w for A, B, C, D]}
    level: str | None = None  # the campaign level that teaches it
    misconceptions: tuple = (None,) * 4  # per choice: the mistaken idea a wrong one stands for


def _image(value, path: Path, field: str):
    if value is None:
        return None
    ok = isinstance(value, dict) and value.get("kind") in IMAGE_KINDS and isinstance(value.get("prompt"), str) \
        and isinstance(value.get("seed"), int) and not isinstance(value["seed"], bool) and 0 <= value["seed"] <= MAX_SEED
    if ok and value["kind"] == "noised":
        ok = set(value) == {"kind", "prompt", "seed", "t"} and isinstance(value["t"], int) \
            and not isinstance(value["t"], bool) and 0 <= value["t"] < 1000
    elif ok:
        ok = set(value) == {"kind", "prompt", "seed", "guidance"} and isinstance(value["guidance"], list) \
            and len(value["guidance"]) == 4 and all(is_number(w) and 0 <= w <= 30 for w in value["guidance"])
    if not ok:
        raise QuizError(f"{path.name}: field '{field}' must be {{kind = \"noised\", prompt, seed, t}} or "
                        f"{{kind = \"guidance\", prompt, seed, guidance = [4 values from 0 to 30]}}; got {value!r}")
    try:
        check_prompt(value["prompt"], f"{field}.prompt")
    except ControlError as e:
        raise QuizError(f"{path.name}: {e}") from None
    return value


@dataclass(frozen=True)
class Bank:
    path: Path
    id: str
    title: dict
    questions: tuple


# the most characters the quiz screen shows whole in large text (a choice on its one-line button
# in the compact font; longer ones were cut at both ends, a long explanation ran under "Next")
LONGEST = {"text": 200, "choice": 110, "explanation": 350}


def _text(value, path: Path, field: str, longest: int | None = None) -> dict:
    if not isinstance(value, dict) or any(not isinstance(value.get(lang), str) or not value[lang].strip() for lang in LANGUAGES):
        raise QuizError(f"{path.name}: field '{field}' must have non-empty 'es' and 'en' texts; got {value!r}")
    for lang in LANGUAGES:
        check_text(value[lang], path, f"{field}.{lang}", QuizError)
        if longest is not None and len(value[lang]) > longest:
            raise QuizError(f"{path.name}: field '{field}.{lang}' has {len(value[lang])} characters; the quiz screen "
                            f"shows at most {longest}")
    return value


BANK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def parse_bank(path: Path, data: dict) -> Bank:
    bank_id = check_text(data.get("id"), path, "id", QuizError)
    if not BANK_ID.fullmatch(bank_id):  # it names the bank's results and exports, on every system
        raise QuizError(f"{path.name}: field 'id' must be 1 to 64 letters (a–z, no accents), digits, '-' or '_', "
                        f"starting with a letter or digit: it names the bank's results files; got {bank_id!r}")
    questions, seen = [], set()
    raw = data.get("questions")
    if not isinstance(raw, list) or not raw:
        raise QuizError(f"{path.name}: field 'questions' must be a list of [[questions]] tables")
    for i, q in enumerate(raw):
        where = f"questions[{i}]"
        qid = q.get("id") if isinstance(q, dict) else None
        if not isinstance(qid, str) or qid in seen:
            raise QuizError(f"{path.name}: field '{where}.id' must be a text unique in the bank; got {qid!r}")
        seen.add(qid)
        check_text(qid, path, f"{where}.id", QuizError)
        if q.get("topic") not in TOPICS:
            raise QuizError(f"{path.name}: field '{where}.topic' must be one of {', '.join(TOPICS)}; got {q.get('topic')!r}")
        choices = q.get("choices")
        if not isinstance(choices, list) or len(choices) != 4:
            raise QuizError(f"{path.name}: field '{where}.choices' must be a list of 4 choices; got {choices!r}")
        answer = q.get("answer")
        if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < 4:
            raise QuizError(f"{path.name}: field '{where}.answer' must be the index of the right choice, 0 to 3; got {answer!r}")
        level = q.get("level")
        if level is not None:
            check_text(level, path, f"{where}.level", QuizError)
        misconceptions = []
        for j, c in enumerate(choices):
            wrong = c.get("misconception") if isinstance(c, dict) else None
            if wrong is not None and j == answer:
                raise QuizError(f"{path.name}: field '{where}.choices[{j}].misconception' belongs on a wrong choice; "
                                f"choice {j} is the right answer")
            misconceptions.append(None if wrong is None else _text(wrong, path, f"{where}.choices[{j}].misconception"))
        questions.append(Question(
            qid, q["topic"], _text(q.get("text"), path, f"{where}.text", LONGEST["text"]),
            tuple(_text({k: c[k] for k in c if k != "misconception"} if isinstance(c, dict) else c, path,
                        f"{where}.choices[{j}]", LONGEST["choice"]) for j, c in enumerate(choices)),
            answer, _text(q.get("explanation"), path, f"{where}.explanation", LONGEST["explanation"]),
            _image(q.get("image"), path, f"{where}.image"), level, tuple(misconceptions),
        ))
    return Bank(path, data["id"], _text(data.get("title"), path, "title"), tuple(questions))


def load_bank(path: Path) -> Bank:
    path = Path(path)
    return _parse_bank_file(path, read_toml(path, QuizError))


def failing_question(error: QuizError) -> int | None:
    """The index of the question a parse_bank error is about (its field 'questions[i]…'), or None."""
    found = re.search(r"'questions\[(\d+)\]", str(error))
    return int(found.group(1)) if found else None


def _parse_bank_file(path: Path, data: dict) -> Bank:
    """parse_bank, its errors in a question told with the line where that question starts."""
    try:
        return parse_bank(path, data)
    except QuizError as e:
        index = failing_question(e)
        headers = [number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                   if line.split("#")[0].strip() == "[[questions]]"] if index is not None else []
        if index is None or index >= len(headers):
            raise
        raise QuizError(str(e).replace(": ", f": line {headers[index]}: ", 1)) from None


def load_banks(folder: Path = QUIZ_DIR) -> tuple[list[Bank], list[str]]:
    """Every bank in `folder`, and the messages of those that failed; a second bank with an
    id already taken is one (both rounds' results would go to one file)."""
    banks, errors = load_each(sorted(Path(folder).glob("*.toml")), load_bank)
    first = {}
    for bank in banks:
        first.setdefault(bank.id, bank)
        if first[bank.id] is not bank:
            errors.append(f"{bank.path.name}: field 'id' is {bank.id!r}, as in {first[bank.id].path.name}: "
                          "each bank needs its own id")
    return [bank for bank in banks if first[bank.id] is bank], errors


def exportable(bank: Bank) -> tuple[list, list[str]]:
    """The questions a file for another tool (Moodle, Kahoot) can carry, and "id: why" for those
    it cannot: a question that shows a live picture cannot be answered without it."""
    return ([q for q in bank.questions if q.image is None],
            [f"{q.id}: its picture is drawn live by the game, and the question needs it" for q in bank.questions if q.image])


CHECKPOINT_QUESTIONS = 5


def load_chapters(path: Path = LEVELS_DIR / "chapters.toml") -> list[dict]:
    """The chapters (number, title, quiz_topics), checked like everything else we load."""
    path = Path(path)
    return parse_chapters(path, read_toml(path, QuizError))


def parse_chapters(path: Path, data: dict) -> list[dict]:
    chapters = data.get("chapters")
    if not isinstance(chapters, list):
        raise QuizError(f"{path.name}: field 'chapters' must be a list of [[chapters]] tables; got {chapters!r}")
    for i, ch in enumerate(chapters):
        topics = ch.get("quiz_topics") if isinstance(ch, dict) else None
        number = ch.get("number") if isinstance(ch, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 999 \
                or not isinstance(topics, list) or not topics or not all(t in TOPICS for t in topics):
            raise QuizError(f"{path.name}: field 'chapters[{i}]' needs a 'number' from 1 to 999 and a non-empty "
                            f"'quiz_topics' from {', '.join(TOPICS)}")
        _text(ch.get("title"), path, f"chapters[{i}].title")
    return chapters


def load_course_file(path: Path):
    """Any file a teacher writes, told apart by what it holds: a quiz bank ([[questions]]),
    the chapter list ([[chapters]]) or a level. LevelError (QuizError) if it cannot be used."""
    path = Path(path)
    data = read_toml(path)
    if "questions" in data:
        return _parse_bank_file(path, data)
    if "chapters" in data:
        return parse_chapters(path, data)
    if isinstance(data.get("question"), list):  # a level has no [[question]] tables: a misspelt bank
        raise QuizError(f"{path.name}: [[question]] tables: a quiz bank holds [[questions]] tables")
    if "kind" not in data and "objective" not in data:  # read as a level, it was "missing field 'kind'"
        raise QuizError(f"{path.name}: neither a quiz bank nor a level: a bank holds [[questions]] tables, "
                        "a level a 'kind' and an [objective]")
    return parse_level(path, data)


def checkpoint_bank(chapter: dict, banks: list[Bank], rng=None) -> Bank:
    """The quiz that closes a chapter: CHECKPOINT_QUESTIONS questions taken in turn from each
    of its topics (one of every topic before a second of any), each topic's drawn by `rng`
    (in file order without one)."""
    by_topic = {topic: [q for b in banks for q in b.questions if q.topic == topic] for topic in chapter["quiz_topics"]}
    if rng is not None:
        by_topic = {topic: [qs[i] for i in rng.permutation(len(qs))] for topic, qs in by_topic.items()}
    questions = [qs[i] for i in range(max(map(len, by_topic.values()), default=0)) for qs in by_topic.values() if i < len(qs)]
    return Bank(LEVELS_DIR / "chapters.toml", checkpoint_id(chapter), chapter["title"],
                tuple(questions[:CHECKPOINT_QUESTIONS]))


def checkpoint_id(chapter: dict) -> str:
    """The id its rounds are saved under."""
    return f"checkpoint-{chapter['number']}"


def points(right: bool, seconds: float, time_limit: float, streak: int) -> int:
    """100 for a right answer, + up to 50 for speed, + 10 per right answer in a row before it."""
    if not right:
        return 0
    speed = max(0.0, 1 - seconds / time_limit)
    return 100 + round(50 * speed) + 10 * streak
