"""Every visible string comes from a catalog: game/i18n/<lang>.toml, with flat dotted keys
("menu.lab") built from TOML tables. Values may hold {placeholders}; a number put into one is
written as the language writes numbers (its [number] table: "0,25" and "10 %" in Spanish)."""

import locale
import numbers
import os
import re
import string
import tomllib

import numpy as np

from sim_core.resources import resource

FOLDER = resource("game.i18n")
LANGUAGES = ("es", "en")


def flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = str(value)
    return out


def load_catalog(lang: str) -> dict[str, str]:
    with open(FOLDER / f"{lang}.toml", "rb") as f:
        return flatten(tomllib.load(f))


def system_language() -> str:
    """The system locale's language when we have it, else Spanish (the course's language): a C
    or POSIX locale, or one in a language we lack, means Spanish. The first of LC_ALL,
    LC_MESSAGES, LANG that is set decides (as in POSIX); only without any of them is Python's
    locale asked (Windows), since it reports C.UTF-8 as English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return value[:2] if value[:2] in LANGUAGES else "es"
    code = (locale.getlocale()[0] or "")[:2]
    return code if code in LANGUAGES else "es"


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class NumberFormatter(string.Formatter):
    """str.format with the language's decimal mark and percent sign for every number."""

    def __init__(self, decimal: str, percent: str):
        self.decimal, self.percent = decimal, percent

    def parse(self, format_string):
        """As str.format's, but the LaTeX between $…$ is literal text: its braces are the
        formula's groups ("$x_{t-1}$"), never placeholders."""
        pieces = format_string.split("$")
        if len(pieces) < 3:
            yield from super().parse(format_string)
            return
        for i, piece in enumerate(pieces):
            if i % 2:  # inside a formula (an unpaired last $ stays text)
                yield (f"${piece}$" if i < len(pieces) - 1 else f"${piece}", None, None, None)
            elif piece:
                yield from super().parse(piece)

    def format_field(self, value, format_spec):
        text = format(value, format_spec)
        if not isinstance(value, numbers.Number) or isinstance(value, bool):
            return text
        if text.endswith("%"):
            text = text[:-1] + self.percent
        return text.replace(".", self.decimal).replace("-", "−")  # the minus sign, as typeset, not a hyphen


class Catalogs:
    """The strings of the current language; `switch` changes it at any time."""

    def __init__(self, lang: str | None = None):
        self.catalogs = {lang: load_catalog(lang) for lang in LANGUAGES}
        self.formatters = {lang: NumberFormatter(c["number.decimal"], c["number.percent"]) for lang, c in self.catalogs.items()}
        self.lang = lang if lang in LANGUAGES else system_language()

    def switch(self, lang: str | None = None) -> None:
        """To `lang`, or to the other language."""
        self.lang = lang or LANGUAGES[(LANGUAGES.index(self.lang) + 1) % len(LANGUAGES)]

    def word(self, model_word: str) -> str:
        """A model word ("star") as this language shows it ("estrella")."""
        return self(f"words.{model_word}").split("|")[0]

    def option(self, option_id: str) -> tuple[str, str]:
        """A menu option: (what this language shows, the id the files and the code use)."""
        return self(f"options.{option_id}"), option_id

    def options(self, option_ids) -> list[tuple[str, str]]:
        return [self.option(i) for i in option_ids]

    def phrase(self, prompt: str) -> str:
        """A model prompt ("red star") as this language says it ("estrella roja"): word order
        and the colour's gender come from the catalog's [grammar]."""
        words = prompt.split()
        if len(words) != 2:
            return " ".join(self.word(w) for w in words)
        color, shape = words
        return self("grammar.phrase", color=self.word_in(color, prompt), shape=self.word(shape))

    def word_in(self, model_word: str, prompt: str) -> str:
        """A word of a prompt as this language writes it there: "red" in "red star" (or "star
        red") is "roja" — a colour agrees with a feminine shape beside it."""
        forms = self(f"words.{model_word}").split("|")
        feminine = any(w in self("grammar.feminine_shapes").split() for w in prompt.split() if w != model_word)
        return forms[1] if feminine and len(forms) > 1 else forms[0]

    def typed_words(self, text: str) -> list[str]:
        """The words of a typed prompt, lower case: runs of letters (punctuation and digits
        are no words), less either language's filler words ([grammar] filler: "una estrella
        roja", "a red star" were refused for their articles)."""
        filler = {w for catalog in self.catalogs.values() for w in catalog.get("grammar.filler", "").lower().split("|")}
        return [word for word in re.findall(r"[^\W\d_]+", text.lower()) if word not in filler]

    def to_model_words(self, text: str) -> list[str]:
        """The typed words (typed_words) in the model's vocabulary; a word that is no form of
        any model word, in either language, stays as typed (the caller reports it)."""
        forms = {}
        for catalog in self.catalogs.values():
            for key, value in catalog.items():
                if key.startswith("words."):
                    forms.update({form: key[len("words."):] for form in value.lower().split("|")})
        return [forms.get(word, word) for word in self.typed_words(text)]

    def __call__(self, key: str, **values) -> str:
        text = self.catalogs[self.lang].get(key)
        if text is None:
            return f"⟨{key}⟩"  # visible, never a crash: tests keep the catalogs complete
        return self.formatters[self.lang].format(text, **values) if values else text

    def number(self, value, spec: str = "") -> str:
        """One number as this language writes it: number(0.25, ".2f") is "0,25" in Spanish."""
        return self.formatters[self.lang].format_field(value, spec)

    def significant(self, value: float, digits: int = 4) -> str:
        """`value` with `digits` significant digits, never rounded to 0: 0.00004132 is
        "4,132·10⁻⁵" and 0.0031567 with 3 is "0,00316" (rounding to four decimals once printed
        "1.0000 / 0.0000 = 24221", and capping the decimals at `digits` printed β₅₀₀ as 0,003)."""
        if value == 0 or 1e-3 <= abs(value) < 1e5:
            decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(value))))) if value else 0
            return self.number(value, f".{decimals}f")
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        return f"{self.number(float(mantissa), f'.{digits - 1}f')}·10{str(int(exponent)).translate(SUPERSCRIPTS)}"
