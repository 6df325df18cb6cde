"""Levels as data: TOML files in levels/, validated on load.

A level file names its activity (`kind`), its texts in both languages, the controls it
unlocks, its target and how it is scored. A malformed file gets a message naming the
file, the field and what was expected; the other levels still load.

    id = "forward-noise"         chapter = 1       kind = "forward"
    [title] es = "…"  en = "…"   (also [goal], [text], [[hints]])
    [target] prompt = "red star"  seed = 3
    [objective] metric = "t_error"  better = "lower"  stars = [80, 30, 10]
    [controls] …                 (free-form, read by the activity)
"""

import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from game.i18n import LANGUAGES
from game.level_kinds import KINDS as KIND_TABLE
from game.level_kinds import MAX_SEED, METRIC_NEEDS, METRICS, ControlError, check_answer, check_controls, check_prompt, is_number
from sim_core.resources import levels

LEVELS_DIR = levels()
EXPLORE_DIR = LEVELS_DIR / "explore"  # levels outside the campaign, reached from the title's Explore
KINDS = tuple(KIND_TABLE)


class LevelError(ValueError):
    """A level file that cannot be played; str() names the file, the field and the problem."""


@dataclass
class Level:
    path: Path
    id: str
    chapter: int
    order: int
    kind: str
    title: dict
    goal: dict
    text: dict
    hints: list
    target: dict
    objective: dict
    controls: dict = field(default_factory=dict)
    why: dict | None = None  # after a win: why it worked (the run's numbers follow it)
    answer: dict | None = None  # the settings that win it (game.tour.play_level plays them)

    def stars(self, score: float) -> int:
        """0–3 stars: each threshold passed is a star (thresholds from easy to hard)."""
        lower = self.objective["better"] == "lower"
        return sum((score <= t) if lower else (score >= t) for t in self.objective["stars"])

    def most_stars(self, tries: int) -> int:
        """The most stars try number `tries` (1, 2, …) can earn: objective.stars_by_try, whose
        last entry holds for every later try ([3, 2, 1]: a first answer counts, so an answer
        found by bisecting on the feedback of earlier tries earns less). No list: 3 always."""
        by_try = self.objective.get("stars_by_try", [3])
        return by_try[min(max(tries, 1), len(by_try)) - 1]


def read_toml(path: Path, error=None) -> dict:
    """A TOML file as a table; `error` (LevelError or a subclass) naming the file, and the
    line where it can tell, for anything that keeps it from being read."""
    error = error or LevelError
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise error(f"{path.name}: cannot be read ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8-sig")  # Notepad's "UTF-8 with BOM" too
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise error(f"{path.name}: line {line}: not UTF-8 text (byte 0x{raw[e.start]:02x}); "
                    "save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{path.name}: not valid TOML ({e})") from None
    except RecursionError:
        raise error(f"{path.name}: not valid TOML (nested too deeply)") from None
    except ValueError as e:  # e.g. an integer of more digits than Python converts
        raise error(f"{path.name}: not valid TOML ({e})") from None


def check_text(text: str, path: Path, name: str, error=None) -> str:
    """A non-empty text with no control characters other than newline and tab (a NUL cannot
    be drawn)."""
    error = error or LevelError
    if not isinstance(text, str) or not text.strip():
        raise error(f"{path.name}: field '{name}' must be a non-empty text; got {text!r}")
    bad = next((c for c in text if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cs")), None)
    if bad is not None:
        raise error(f"{path.name}: field '{name}' contains the control character U+{ord(bad):04X}")
    return text


def _need(data: dict, key: str, kind, path: Path, what: str, where: str = ""):
    name = f"{where}{key}"
    if key not in data:
        raise LevelError(f"{path.name}: missing field '{name}' ({what})")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise LevelError(f"{path.name}: field '{name}' must be {what}; got {value!r}")
    return value


def _texts(data: dict, key: str, path: Path, where: str = "") -> dict:
    table = _need(data, key, dict, path, "a table with 'es' and 'en' texts", where)
    for lang in LANGUAGES:
        check_text(_need(table, lang, str, path, "a non-empty text", f"{where}{key}."), path, f"{where}{key}.{lang}")
    return table


def parse_level(path: Path, data: dict) -> Level:
    level_id = _need(data, "id", str, path, "a text such as \"forward-noise\"")
    kind = _need(data, "kind", str, path, f"one of {', '.join(KINDS)}")
    if kind not in KINDS:
        raise LevelError(f"{path.name}: field 'kind' must be one of {', '.join(KINDS)}; got {kind!r}")
    hints = _need(data, "hints", list, path, "a list of [[hints]] tables with 'es' and 'en'")
    for i, hint in enumerate(hints):
        if not isinstance(hint, dict):
            raise LevelError(f"{path.name}: field 'hints[{i}]' must be a table with 'es' and 'en'")
        _texts({"": hint}, "", path, f"hints[{i}]")
    target = _need(data, "target", dict, path, "a table with 'prompt' and 'seed'")
    prompt = _need(target, "prompt", str, path, "a prompt such as \"red star\"", "target.")
    seed = _need(target, "seed", int, path, "a whole number", "target.")
    if not 0 <= seed <= MAX_SEED:
        raise LevelError(f"{path.name}: field 'target.seed' must be a whole number from 0 to {MAX_SEED}; got {seed!r}")
    objective = _need(data, "objective", dict, path, "a table with 'metric', 'better' and 'stars'")
    metric = _need(objective, "metric", str, path, f"one of {', '.join(METRICS[kind])}", "objective.")
    if metric not in METRICS[kind]:
        raise LevelError(f"{path.name}: field 'objective.metric' must be one of {', '.join(METRICS[kind])} for kind {kind!r}; got {metric!r}")
    better = _need(objective, "better", str, path, "\"lower\" or \"higher\"", "objective.")
    if better not in ("lower", "higher"):
        raise LevelError(f"{path.name}: field 'objective.better' must be \"lower\" or \"higher\"; got {better!r}")
    stars = _need(objective, "stars", list, path, "a list of 3 numbers, easiest first", "objective.")
    if len(stars) != 3 or not all(map(is_number, stars)) or stars != sorted(stars, reverse=better == "lower"):
        raise LevelError(f"{path.name}: field 'objective.stars' must be a list of 3 finite numbers, easiest first; got {stars!r}")
    by_try = objective.get("stars_by_try", [3])
    if (not isinstance(by_try, list) or not 1 <= len(by_try) <= 3 or not all(isinstance(n, int) and not isinstance(n, bool)
                                                                          and 1 <= n <= 3 for n in by_try)
            or by_try != sorted(by_try, reverse=True)):
        raise LevelError(f"{path.name}: field 'objective.stars_by_try' must be a list of 1 to 3 whole numbers from 3 "
                         f"down to 1, the most stars the first, second, … try can earn (e.g. [3, 2, 1]); got {by_try!r}")
    try:
        check_prompt(prompt, "target.prompt", allow_empty=not KIND_TABLE[kind].draws_target)
        controls = check_controls(kind, data.get("controls", {}), prompt)
        answer = check_answer(kind, data["answer"]) if "answer" in data else None
    except ControlError as e:
        raise LevelError(f"{path.name}: {e}") from None
    needed = METRIC_NEEDS.get(metric)
    if needed and not controls[needed]:
        raise LevelError(f"{path.name}: field 'controls.{needed}' is needed by the metric {metric!r}")
    numbers = {key: _need(data, key, int, path, "a whole number from 1 to 999") for key in ("chapter", "order")}
    for key, value in numbers.items():
        if not 1 <= value <= 999:
            raise LevelError(f"{path.name}: field '{key}' must be a whole number from 1 to 999; got {value!r}")
    return Level(
        path=path, id=check_text(level_id, path, "id"), kind=kind, **numbers,
        title=_texts(data, "title", path), goal=_texts(data, "goal", path), text=_texts(data, "text", path),
        hints=hints, target=target, objective=objective, controls=controls,
        why=_texts(data, "why", path) if "why" in data else None, answer=answer,
    )


def load_level(path: Path) -> Level:
    path = Path(path)
    return parse_level(path, read_toml(path))


def load_each(paths, load) -> tuple[list, list[str]]:
    """Load every file; a bad one becomes a message and the others still load."""
    items, errors = [], []
    for path in paths:
        try:
            items.append(load(path))
        except LevelError as e:  # quiz errors are level errors too
            errors.append(str(e))
    return items, errors


def load_campaign(folder: Path = LEVELS_DIR) -> tuple[list[Level], list[str]]:
    """Every level file (NN-name.toml) in order (chapter, order), and the messages of those
    that failed."""
    levels, errors = load_each(sorted(Path(folder).glob("[0-9][0-9]-*.toml")), load_level)
    return sorted(levels, key=lambda lv: (lv.chapter, lv.order)), errors


def load_explore() -> tuple[list[Level], list[str]]:
    """The Explore menu's levels (levels/explore/NN-name.toml), as load_campaign reads them."""
    return load_campaign(EXPLORE_DIR)


def load_all_levels() -> list[Level]:
    """Every level the game ships, the campaign's first (for tests and tools that read them all)."""
    return load_campaign()[0] + load_explore()[0]
