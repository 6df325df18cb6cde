"""A bank as Kahoot's quiz spreadsheet (the .xlsx template its "Import spreadsheet" reads):
a title block, the header row on row 8 and one question a row from row 9 —

    No. | Question - max 120 characters | Answer 1 … 4 - max 75 characters |
    Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs | Correct answer(s) - choose at least one

Kahoot shows plain text, so formulas are written in Unicode ("$\\sqrt{\\bar\\alpha_t}$" →
"√(ᾱ_t)"). A question longer than Kahoot allows is left out rather than cut, and reported, as
is one that needs the live picture the game draws for it.
"""

import re
from pathlib import Path

QUESTION_LIMIT, ANSWER_LIMIT = 120, 75
TIME_LIMITS = (5, 10, 20, 30, 60, 90, 120, 240)
HEADER = ("No.", "Question - max 120 characters", *(f"Answer {i} - max 75 characters" for i in range(1, 5)),
          "Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs", "Correct answer(s) - choose at least one")
HEADER_ROW = 8

SYMBOLS = {r"\bar\alpha": "ᾱ", r"\alpha": "α", r"\beta": "β", r"\sigma": "σ", r"\epsilon": "ε", r"\lambda": "λ",
           r"\mu": "μ", r"\theta": "θ", r"\rho": "ρ", r"\gamma": "γ", r"\eta": "η", r"\nabla": "∇", r"\prod": "∏", r"\sum": "∑", r"\leq": "≤", r"\geq": "≥",
           r"\mid": "|", r"\sim": "~", r"\cdot": "·", r"\times": "×", r"\quad": " ", r"\;": " ", r"\,": "", r"\ ": " ",
           r"\log": "log", r"\infty": "∞", r"\approx": "≈", r"\cdots": "⋯", r"\to": "→", r"\varnothing": "∅",
           r"\|": "‖", r"\omega": "ω", r"\delta": "δ", r"\propto": "∝"}
SUBSCRIPT = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def plain_math(text: str) -> str:
    """Formulas between $…$ as Unicode text: Greek letters, √(…), x̂₀, ᾱ, 2⁻²⁴; braces dropped."""
    def convert(match):
        tex = match.group(1).replace("{,}", ",")  # LaTeX's decimal comma
        tex = re.sub(r"_(?:\{(-?\d+)\}|(\d))", lambda m: (m.group(1) or m.group(2)).translate(SUBSCRIPT), tex)
        tex = re.sub(r"\^(?:\{(-?\d+)\}|(\d))", lambda m: (m.group(1) or m.group(2)).translate(SUPERSCRIPT), tex)
        tex = re.sub(r"\\sqrt\{([^{}]*)\}", r"√(\1)", tex)
        tex = re.sub(r"\\(?:mathrm|mathcal|text)\{([^{}]*)\}", r"\1", tex)
        tex = re.sub(r"_\{(\w+)\}", r"_\1", tex)  # ε_{cond} → ε_cond
        tex = re.sub(r"\\hat\{?\\(\w+)\}?", lambda m: SYMBOLS.get("\\" + m.group(1), m.group(1)) + "\u0302", tex)
        tex = re.sub(r"\\hat\{?(\w)\}?", "\\1\u0302", tex)
        tex = re.sub(r"\\tilde\{?\\?(\w+)\}?", lambda m: SYMBOLS.get("\\" + m.group(1), m.group(1)) + "\u0303", tex)
        for command, symbol in sorted(SYMBOLS.items(), key=lambda kv: -len(kv[0])):
            tex = tex.replace(command, symbol)
        tex = re.sub(r"\\bar\{?(\S)\}?", "\\1\u0304", tex)
        return tex.replace("{", "(").replace("}", ")").replace("-", "−").replace("\\", "")

    return re.sub(r"\$([^$]+)\$", convert, text)


def bank_to_kahoot(bank, lang: str, path: Path, seconds: int = 20) -> list[str]:
    """Write `bank`'s questions in `lang` to the .xlsx at `path`; returns the questions left
    out, each "id: why" (Kahoot's limits: question ≤ 120 characters, answers ≤ 75; a live
    picture the question needs)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from game.quiz import exportable

    if seconds not in TIME_LIMITS:
        raise ValueError(f"Kahoot's time limits are {', '.join(map(str, TIME_LIMITS))} seconds; got {seconds}")
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet["B2"] = "Quiz template"
    sheet["B2"].font = Font(bold=True, size=14)
    sheet["B3"] = f"Diffusion Quest · {bank.title[lang]} ({lang})"
    for column, name in enumerate(HEADER, 1):
        sheet.cell(HEADER_ROW, column, name).font = Font(bold=True)
    questions, left_out = exportable(bank)
    row = HEADER_ROW + 1
    for q in questions:
        question, answers = plain_math(q.text[lang]), [plain_math(c[lang]) for c in q.choices]
        too_long = [f"question {len(question)} > {QUESTION_LIMIT}"] if len(question) > QUESTION_LIMIT else []
        too_long += [f"answer {i + 1} {len(a)} > {ANSWER_LIMIT}" for i, a in enumerate(answers) if len(a) > ANSWER_LIMIT]
        if too_long:
            left_out.append(f"{q.id}: {', '.join(too_long)} characters (Kahoot's limits)")
            continue
        for column, value in enumerate([row - HEADER_ROW, question, *answers, seconds, q.answer + 1], 1):
            cell = sheet.cell(row, column, value)
            if isinstance(value, str) and value.startswith("="):  # text, not a formula ("= 0,5" broke the import)
                cell.data_type = "s"
        row += 1
    for column, width in zip("ABCDEFGH", (5, 60, 30, 30, 30, 30, 14, 14)):
        sheet.column_dimensions[column].width = width
    book.save(path)
    return left_out
