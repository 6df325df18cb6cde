"""The glossary: one term per concept in each language, its definition, and the variants no
text may use (game/i18n/glossary.toml). The Glossary screen shows it; `variants_in` is what
the tests (and a teacher checking a level) run over every text."""

import re
from dataclasses import dataclass
from functools import cache

from game.i18n import FOLDER
from game.levels import LevelError, read_toml

GLOSSARY_FILE = FOLDER / "glossary.toml"


@dataclass(frozen=True)
class Term:
    id: str
    words: dict  # {"es": ..., "en": ...}
    definition: dict
    gloss: str | None  # the English a Spanish text keeps in parentheses on first use
    avoid: dict  # {"es": (...), "en": (...)}: variants no text may use


@dataclass(frozen=True)
class Glossary:
    terms: tuple
    instead: dict  # a word → what to write instead (Spain's words, words that mean another thing here)

    def variants_in(self, text: str, lang: str) -> list[tuple[str, str]]:
        """(variant found, the word to use instead) for every forbidden variant in `text`. A
        gloss in parentheses — "autocodificador (autoencoder)" — is not a variant."""
        for term in self.terms:
            if term.gloss:
                text = text.replace(f"({term.gloss})", "")
        found = [(v, t.words[lang]) for t in self.terms for v in t.avoid[lang] if _has(text, v)]
        if lang == "es":
            found += [(word, use) for word, use in self.instead.items() if _has(text, word)]
        return found


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE) is not None


@cache
def load_glossary(path=GLOSSARY_FILE) -> Glossary:
    data = read_toml(path)
    terms = []
    for i, entry in enumerate(data.get("terms", [])):
        where = f"{path.name}: terms[{i}]"
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) and entry[k].strip()
                                                  for k in ("id", "es", "en")):
            raise LevelError(f"{where} must have id, es and en as texts")
        definition = entry.get("definition")
        if not isinstance(definition, dict) or not all(isinstance(definition.get(k), str) for k in ("es", "en")):
            raise LevelError(f"{where}.definition must be a table with 'es' and 'en' texts")
        avoid = {lang: tuple(entry.get(f"avoid_{lang}", ())) for lang in ("es", "en")}
        terms.append(Term(entry["id"], {"es": entry["es"], "en": entry["en"]}, definition, entry.get("gloss"), avoid))
    return Glossary(tuple(terms), dict(data.get("instead", {})))
