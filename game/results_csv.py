"""Quiz results as a teacher's spreadsheet opens them.

Excel reads a CSV in the list separator of its locale: "," where the decimal mark is a point
(English), ";" where it is a comma (Spanish). A file is written in the dialect of the language
it is started in and keeps it (rows appended later follow the header's separator), UTF-8 with a
byte-order mark so Excel does not read "¿" as "Â¿". Every text cell is spreadsheet-safe (OWASP's
CSV-injection guidance): one line, and an apostrophe in front of a leading = + - @ tab or CR, so
a name like =HYPERLINK(…) shows as text instead of running as a formula.

A round is written whole: each file's old bytes and the new rows go to a temporary file that
then replaces it, so a full disk leaves the old file as it was, never a partial row; and a
round's two files (its answers and its summary) change together or not at all.
"""

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from game.paths import replace_whole, staged_file

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ANSWER_HEADER = ("time", "class", "player", "language", "bank", "question", "question_text",
                 "choice_letter", "choice_text", "correct", "seconds", "points")
SUMMARY_HEADER = ("time", "class", "player", "language", "bank", "questions", "right", "wrong", "score")


@dataclass(frozen=True)
class Dialect:
    delimiter: str  # the list separator
    decimal: str  # the decimal mark numbers are written with

    def number(self, value: float) -> str:
        return f"{value:g}".replace(".", self.decimal)


def dialect_for(decimal: str) -> Dialect:
    """The dialect Excel reads in a locale with this decimal mark."""
    return Dialect(";" if decimal == "," else ",", decimal)


def spreadsheet_safe(text: str) -> str:
    """`text` on one line, with an apostrophe before a first character a spreadsheet would
    take as the start of a formula."""
    text = " ".join(str(text).splitlines()).replace("\t", " ") if text else ""
    return "'" + text if text.lstrip(" ").startswith(FORMULA_STARTS) else text


def _cells(row, dialect: Dialect) -> list[str]:
    return [dialect.number(v) if isinstance(v, float) else str(v) if isinstance(v, int) else spreadsheet_safe(v)
            for v in row]


def existing_dialect(data: bytes, fallback: Dialect) -> Dialect:
    """The dialect a file's bytes were started in (from its header), or `fallback` for none."""
    if not data:
        return fallback
    header = data.split(b"\n", 1)[0]
    return dialect_for(",") if header.count(b";") > header.count(b",") else dialect_for(".")


def append_rows(path: Path, header, rows, dialect: Dialect) -> None:
    """Add `rows` to the CSV at `path` (a new file gets the BOM and `header`), all or nothing.
    OSError when it cannot be written; the file is then as it was."""
    append_together([(path, header, rows)], dialect)


def append_together(files, dialect: Dialect) -> None:
    """Add rows to several CSV files, (path, header, rows) each, all of them or none: every
    file's old bytes and new rows are written in full to a temporary file beside it first, and
    only then do the temporary files replace the files; should a replacement fail (a file held
    open on Windows), the files already replaced get their old bytes back. OSError when they
    cannot be written; every file is then as it was, so trying again adds no row twice."""
    staged, replaced = [], []
    try:
        for path, header, rows in files:
            path = Path(path)
            old = path.read_bytes() if path.exists() else None
            staged.append((staged_file(path, _appended(old or b"", header, rows, dialect)), path, old))
        for temp, path, old in staged:
            os.replace(temp, path)
            replaced.append((path, old))
    except BaseException:
        for temp, _, _ in staged:
            Path(temp).unlink(missing_ok=True)
        for path, old in replaced:
            if old is None:
                path.unlink(missing_ok=True)
            else:
                replace_whole(path, old)
        raise


def as_utf8(old: bytes) -> bytes:
    """A results file's bytes as UTF-8 with the BOM. Spanish Excel's "CSV (delimitado por comas)"
    saves in Windows-1252 without the BOM: rows appended in UTF-8 after that read "MarÃ­a", and
    the file could no longer be read whole."""
    try:
        old.decode("utf-8")
    except UnicodeDecodeError:
        old = old.decode("cp1252", errors="replace").encode("utf-8")
    return old if not old or old.startswith(BOM.encode("utf-8")) else BOM.encode("utf-8") + old


def _appended(old: bytes, header, rows, dialect: Dialect) -> bytes:
    """A file's bytes (as_utf8) with the new rows after them (a new file starts with the BOM and
    the header)."""
    old = as_utf8(old)
    dialect = existing_dialect(old, dialect)
    if old and not old.endswith(b"\n"):
        old += b"\r\n"  # a file cut short by an earlier failure elsewhere: start on a line of its own
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n")
    if not old:
        buffer.write(BOM)
        writer.writerow(header)
    writer.writerows(_cells(row, dialect) for row in rows)
    return old + buffer.getvalue().encode("utf-8")


def read_rows(path: Path) -> list[dict]:
    """The rows of a results file as dicts (as a spreadsheet would split them)."""
    text = Path(path).read_bytes()
    dialect = existing_dialect(text, dialect_for("."))
    return list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"), newline=""), delimiter=dialect.delimiter))
