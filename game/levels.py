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
from dataclasses import dataclass, field
from pathlib import Path

from game.i18n import LANGUAGES
from sim_core.resources import levels

LEVELS_DIR = levels()
METRICS = {  # level kind → the metrics its activity can measure
    "forward": ("t_error",),
    "walk_jump": ("variance_gap",),
    "schedules": ("snr_error",),
    "unet": ("t_with_ssim",),
    "toy2d": ("chamfer",),
    "latent": ("judge_confidence",),
    "sampling": ("judge_confidence", "ssim", "budget_steps", "guided"),
}
KINDS = tuple(METRICS)


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

    def stars(self, score: float) -> int:
        """0–3 stars: each threshold passed is a star (thresholds from easy to hard)."""
        lower = self.objective["better"] == "lower"
        return sum((score <= t) if lower else (score >= t) for t in self.objective["stars"])


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
        text = _need(table, lang, str, path, "a non-empty text", f"{where}{key}.")
        if not text.strip():
            raise LevelError(f"{path.name}: field '{where}{key}.{lang}' must be a non-empty text")
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
        for lang in LANGUAGES:
            _need(hint, lang, str, path, "a text", f"hints[{i}].")
    target = _need(data, "target", dict, path, "a table with 'prompt' and 'seed'")
    _need(target, "prompt", str, path, "a prompt such as \"red star\"", "target.")
    _need(target, "seed", int, path, "a whole number", "target.")
    objective = _need(data, "objective", dict, path, "a table with 'metric', 'better' and 'stars'")
    metric = _need(objective, "metric", str, path, f"one of {', '.join(METRICS[kind])}", "objective.")
    if metric not in METRICS[kind]:
        raise LevelError(f"{path.name}: field 'objective.metric' must be one of {', '.join(METRICS[kind])} for kind {kind!r}; got {metric!r}")
    better = _need(objective, "better", str, path, "\"lower\" or \"higher\"", "objective.")
    if better not in ("lower", "higher"):
        raise LevelError(f"{path.name}: field 'objective.better' must be \"lower\" or \"higher\"; got {better!r}")
    stars = _need(objective, "stars", list, path, "a list of 3 numbers, easiest first", "objective.")
    ordered = sorted(stars, reverse=better == "lower")
    if len(stars) != 3 or not all(isinstance(s, (int, float)) and not isinstance(s, bool) for s in stars) or stars != ordered:
        raise LevelError(f"{path.name}: field 'objective.stars' must be a list of 3 numbers, easiest first; got {stars!r}")
    return Level(
        path=path, id=level_id, kind=kind,
        chapter=_need(data, "chapter", int, path, "a whole number"),
        order=_need(data, "order", int, path, "a whole number"),
        title=_texts(data, "title", path), goal=_texts(data, "goal", path), text=_texts(data, "text", path),
        hints=hints, target=target, objective=objective,
        controls=data.get("controls", {}) if isinstance(data.get("controls", {}), dict) else {},
    )


def load_level(path: Path) -> Level:
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise LevelError(f"{path.name}: cannot be read ({e.strerror or e})") from None
    except tomllib.TOMLDecodeError as e:
        raise LevelError(f"{path.name}: not valid TOML ({e})") from None
    return parse_level(path, data)


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
