"""Formulas typeset as in the slides (matplotlib's mathtext): every $…$ the game can show, in
both languages, typesets; a typeset formula is not its source text; the braces inside $…$ are
LaTeX's, never placeholders; a line never breaks inside a formula."""

import os
import re

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np
import pygame
import pytest

from game.glossary import load_glossary
from game.i18n import LANGUAGES, Catalogs, load_catalog
from game.levels import load_all_levels
from game.quiz import load_banks
from game.theme import FONT_REGULAR, wrap
from game.widgets.mathtext import formula, has_math, render_line, segments



@pytest.fixture
def font():
    pygame.font.init()  # other tests quit pygame: a font of this test's own
    return pygame.font.Font(FONT_REGULAR, 20)


def shown_texts(lang) -> list[str]:
    """Every catalog string (filled with numbers), level text, quiz text and definition in `lang`."""
    tr = Catalogs(lang)
    texts = []
    for key, text in load_catalog(lang).items():
        fields = [name for _, name, _, _ in tr.formatters[lang].parse(text) if name]
        texts.append(tr(key, **{name: 3 for name in fields}) if fields else text)
    for level in load_all_levels():
        texts += [level.goal[lang], level.text[lang], level.why[lang], *(h[lang] for h in level.hints)]
    for bank in load_banks()[0]:
        for q in bank.questions:
            texts += [q.text[lang], *(c[lang] for c in q.choices), q.explanation[lang]]
    return texts + [t.definition[lang] for t in load_glossary().terms]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_formula_the_game_shows_typesets(lang):
    formulas = {piece for text in shown_texts(lang) if has_math(text) for is_math, piece in segments(text) if is_math}
    assert len(formulas) >= 20  # the formula panels and the quizzes hold LaTeX
    for tex in formulas:
        surface, depth = formula(tex, 20, (255, 255, 255))
        assert surface.get_width() > 4 and surface.get_height() > 4, tex


def test_a_typeset_formula_is_not_its_source(font):
    """x_{t-1}: the braces vanish and t−1 goes down as a subscript (ink below the baseline)."""
    surface, depth = formula("x_{t-1}", 20, (255, 255, 255))
    assert surface.get_width() < 0.7 * font.size("x_{t-1}")[0] and depth >= 3
    root, _ = formula(r"\sqrt{\bar\alpha_t}", 20, (255, 255, 255))
    assert root.get_height() > font.get_ascent()  # the root's bar rises over the letters
    line = render_line(r"a $\sqrt{\bar\alpha_t}$ b", font, (255, 255, 255))
    alpha = pygame.surfarray.array_alpha(line)
    assert alpha.max() == 255 and line.get_width() >= root.get_width() + font.size("a  b")[0] - 2


def test_braces_inside_a_formula_are_latex_and_placeholders_stay_outside():
    tr = Catalogs("es")
    out = tr("formula.ddim_numbers", a=0.5, b=0.25, t=999, tp="t' = 979")
    assert out == r"= 0,500 $\hat{x}_0$ + 0,250 $\hat\epsilon$      (t = 999 → t' = 979)"
    for lang in LANGUAGES:  # no catalog formula hides a placeholder ({a:.3f} would be shown as it is)
        for key, text in load_catalog(lang).items():
            for is_math, piece in segments(text):
                assert not (is_math and re.search(r"\{[a-z_]+:[^}]*\}", piece)), key


def test_a_line_breaks_between_words_never_inside_a_formula(font):
    text = r"El paso $x_{t-1} = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \epsilon$ sigue con palabras"
    lines = wrap(text, font, 160)
    assert len(lines) >= 3 and all(line.count("$") % 2 == 0 for line in lines)
    assert any(r"x_{t-1} = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \epsilon" in line for line in lines)


def test_significant_digits_never_print_zero_for_a_small_number():
    tr = Catalogs("es")
    assert tr.significant(4.132e-5) == "4,132·10⁻⁵" and tr.significant(0.7856) == "0,7856" and tr.significant(24221.3) == "24221"
    assert tr.significant(0.0031567, 3) == "0,00316" and tr.significant(4.56e-5, 3) == "4,56·10⁻⁵"  # three, as asked
    tr.switch("en")
    assert tr.significant(0.0123) == "0.01230" and np.isfinite(float(tr.significant(3.5)))


def test_a_formula_mathtext_cannot_parse_is_shown_as_its_source(font):
    from game.widgets.mathtext import MathError

    with pytest.raises(MathError, match=r"cannot typeset \$\\frac\{1\$"):
        formula(r"\frac{1", 20, (255, 255, 255))
    line = render_line(r"a $\frac{1$ b", font, (255, 255, 255))
    assert line.get_width() == font.size(r"a $\frac{1$ b")[0]


RAW_NOTATION = re.compile(r"[α-ωΓ-Ωᾱ√∇‖∅\u0302\u0304₀-₉]|(?<!10)[²⁻]|_[\w{]")  # 4·10⁻⁵ is a number


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_writes_notation_outside_a_formula(lang):
    """x̂₀, √ᾱ_t, ε_θ in plain text are the look the slides do not have: symbols live in $…$."""
    raw = {}
    for text in shown_texts(lang):
        prose = "".join(piece for is_math, piece in segments(text) if not is_math)
        if found := RAW_NOTATION.findall(prose):
            raw[text[:90]] = found
    assert not raw, "\n".join(f"{t!r}: {f}" for t, f in raw.items())
