"""The teacher's results files: read back as a spreadsheet reads them (the BOM, the
locale's separator and decimal mark), never a formula, never a partial row."""

import csv
from pathlib import Path

import pytest

from game.results_csv import BOM, append_rows, dialect_for, read_rows, spreadsheet_safe

HEADER = ("player", "seconds", "points")

HOSTILE = ["=HYPERLINK(\"http://x\",\"clic\")", "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", " =1+1", "\t=1",
           "Ana, \"la\" de\nsegundo", "x" * 500, "¿Quién? Ñandú"]


@pytest.mark.parametrize("decimal,delimiter", [(",", ";"), (".", ",")])
def test_a_file_has_the_bom_and_the_separator_and_decimal_mark_of_its_locale(tmp_path, decimal, delimiter):
    path = tmp_path / "r.csv"
    append_rows(path, HEADER, [("Ana", 3.5, 140)], dialect_for(decimal))
    raw = path.read_bytes()
    assert raw.startswith(BOM.encode("utf-8"))
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines == [delimiter.join(HEADER), delimiter.join(["Ana", f"3{decimal}5", "140"])]
    # a file keeps the dialect it was started in, whatever language appends to it later
    append_rows(path, HEADER, [("Beto", 1.25, 100)], dialect_for("." if decimal == "," else ","))
    assert [r["player"] for r in read_rows(path)] == ["Ana", "Beto"]
    assert read_rows(path)[1]["seconds"] == f"1{decimal}25"


def test_a_file_excel_saved_again_in_windows_1252_keeps_its_accents_when_a_round_is_added(tmp_path):
    """Spanish Excel's "CSV (delimitado por comas)" drops the BOM and writes Windows-1252; rows
    appended in UTF-8 after it read "MarÃ­a", and the file could no longer be read."""
    path = tmp_path / "r.csv"
    path.write_bytes("player;seconds;points\r\nMaría 2ºB;3,5;140\r\n".encode("cp1252"))
    append_rows(path, HEADER, [("José", 1.25, 100)], dialect_for(","))
    assert path.read_bytes().startswith(BOM.encode("utf-8"))
    assert [(r["player"], r["seconds"]) for r in read_rows(path)] == [("María 2ºB", "3,5"), ("José", "1,25")]


def test_every_hostile_name_comes_back_as_one_text_cell_that_is_not_a_formula(tmp_path):
    path = tmp_path / "r.csv"
    append_rows(path, HEADER, [(name, 1.0, 0) for name in HOSTILE], dialect_for(","))
    rows = read_rows(path)
    assert len(rows) == len(HOSTILE) and all(set(r) == set(HEADER) for r in rows)
    for name, row in zip(HOSTILE, rows):
        cell = row["player"]
        assert "\n" not in cell and "\r" not in cell and "\t" not in cell
        assert not cell.lstrip().startswith(("=", "+", "-", "@")), cell
        assert cell.lstrip("'").replace(" ", "") == " ".join(name.splitlines()).replace("\t", " ").replace(" ", "")
    with open(path, encoding="utf-8-sig", newline="") as f:  # the raw file is valid CSV, a row a line
        assert len(list(csv.reader(f, delimiter=";"))) == len(HOSTILE) + 1


def test_spreadsheet_safe_leaves_ordinary_text_alone():
    assert spreadsheet_safe("María José") == "María José"
    assert spreadsheet_safe("−0,5 (signo menos tipográfico)") == "−0,5 (signo menos tipográfico)"
    assert spreadsheet_safe("") == ""


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(tmp_path, monkeypatch):
    from game import results_csv

    path = tmp_path / "r.csv"
    append_rows(path, HEADER, [("Bea", 2.0, 120)], dialect_for("."))
    before = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results_csv.os, "fsync", full_disk)
    with pytest.raises(OSError):
        append_rows(path, HEADER, [("x" * 10, 1.0, 0)], dialect_for("."))
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["r.csv"]
    monkeypatch.undo()
    append_rows(path, HEADER, [("Carla", 1.0, 110)], dialect_for("."))
    assert [r["player"] for r in read_rows(path)] == ["Bea", "Carla"]
    # a first write that fails leaves no header-less file behind
    with monkeypatch.context() as m:
        m.setattr(results_csv.os, "fsync", full_disk)
        with pytest.raises(OSError):
            append_rows(tmp_path / "new.csv", HEADER, [("Ana", 1.0, 0)], dialect_for("."))
    assert not (tmp_path / "new.csv").exists()


def test_a_round_s_two_files_change_together_so_a_retry_adds_no_row_twice(tmp_path, monkeypatch):
    """The second file's write failing (a full disk after the answers were staged) leaves the
    first as it was too; trying again then writes each row once."""
    from game import results_csv
    from game.results_csv import append_together

    answers, summary = tmp_path / "a.csv", tmp_path / "s.csv"
    files = [(answers, HEADER, [("Ana", 1.0, 100), ("Ana", 2.0, 0)]), (summary, HEADER, [("Ana", 3.0, 100)])]
    real_fsync, calls = results_csv.os.fsync, []

    def second_fails(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(results_csv.os, "fsync", second_fails)
    with pytest.raises(OSError):
        append_together(files, dialect_for("."))
    assert len(calls) == 2 and list(tmp_path.iterdir()) == []  # neither file, no temporary
    monkeypatch.undo()
    append_together(files, dialect_for("."))
    assert [r["player"] for r in read_rows(answers)] == ["Ana", "Ana"] and len(read_rows(summary)) == 1


def test_a_failed_replacement_puts_the_first_file_back(tmp_path, monkeypatch):
    """The summary held open (Windows refuses to replace it): the answers file gets its old
    bytes back, so a retry still writes each row once."""
    from game import results_csv
    from game.results_csv import append_together

    answers, summary = tmp_path / "a.csv", tmp_path / "s.csv"
    append_together([(answers, HEADER, [("Ana", 1.0, 100)]), (summary, HEADER, [("Ana", 1.0, 100)])], dialect_for("."))
    before = answers.read_bytes()
    real_replace, calls = results_csv.os.replace, []

    def summary_locked(src, dst):
        calls.append(dst)
        if Path(dst) == summary:
            raise PermissionError(13, "The file is in use")
        real_replace(src, dst)

    monkeypatch.setattr(results_csv.os, "replace", summary_locked)
    with pytest.raises(OSError):
        append_together([(answers, HEADER, [("Beto", 2.0, 0)]), (summary, HEADER, [("Beto", 2.0, 0)])], dialect_for("."))
    monkeypatch.undo()
    assert answers.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "s.csv"]


def test_files_written_whole_get_a_new_file_s_permissions(tmp_path):
    """mkstemp's temporary files are owner-only; a teacher's bank or results file should not be."""
    import os
    import stat

    from game.paths import replace_whole

    old_mask = os.umask(0o022)
    try:
        replace_whole(tmp_path / "bank.toml", b"id = 'x'\n")
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE((tmp_path / "bank.toml").stat().st_mode) == 0o644
