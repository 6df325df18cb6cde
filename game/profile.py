"""The player's profile: stars, quiz results, language and settings, kept as JSON in the
user data folder.

Writes are atomic and durable (a temporary file, fsync, then os.replace), so a crash never
leaves half a file; temporaries a killed process left behind are removed on start. A save
that fails (disk full, read-only folder) is retried on every later change and at exit, and
`failing` stays set, for a notice on screen, until one succeeds. A profile that does not fit
the schema keeps every entry that does; the file as it was is copied aside as a backup
(never overwriting an earlier one) whenever something had to be dropped.
"""

import json
import os
import tempfile
import time
from pathlib import Path

from game.paths import user_data_dir

VERSION = 1
FILE_NAME = "profile.json"
TEMP_PREFIX, TEMP_SUFFIX = ".profile-", ".tmp"
LANGUAGES = (None, "es", "en")


def fresh() -> dict:
    return {"version": VERSION, "language": None, "stars": {}, "quiz": [], "settings": {"large_text": False}}


def _valid_quiz_round(entry) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("bank"), str)
            and all(isinstance(entry.get(k), int) and not isinstance(entry.get(k), bool) and 0 <= entry[k] <= 1_000_000
                    for k in ("right", "questions", "score") if k in entry))


def salvage(data) -> tuple[dict, list[str]]:
    """The valid part of a loaded profile, and the names of what had to be dropped."""
    profile, dropped = fresh(), []
    if not isinstance(data, dict):
        return profile, ["everything (not a JSON object)"]
    if data.get("version") != VERSION:
        dropped.append(f"version {data.get('version')!r}")
    if data.get("language") in LANGUAGES:
        profile["language"] = data.get("language")
    else:
        dropped.append("language")
    stars = data.get("stars", {})
    if isinstance(stars, dict):
        for level, n in stars.items():
            if isinstance(level, str) and isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 3:
                profile["stars"][level] = n
            else:
                dropped.append(f"stars.{str(level)[:40]}")
    else:
        dropped.append("stars")
    rounds = data.get("quiz", [])
    if isinstance(rounds, list):
        profile["quiz"] = [r for r in rounds if _valid_quiz_round(r)]
        dropped += ["a quiz result"] * (len(rounds) - len(profile["quiz"]))
    else:
        dropped.append("quiz")
    settings = data.get("settings", {})
    if isinstance(settings, dict) and isinstance(settings.get("large_text", False), bool):
        profile["settings"]["large_text"] = settings.get("large_text", False)
    else:
        dropped.append("settings")
    return profile, dropped


class ProfileStore:
    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else user_data_dir()
        self.path = self.folder / FILE_NAME
        self.failing = False  # the last save failed; the next change (or exit) tries again
        self.message = None  # (catalog key, values) for the player

    def load(self) -> dict:
        self._remove_stray_temporaries()
        if not self.path.exists():
            return fresh()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
            # ValueError: bad JSON, or an integer past Python's 4300-digit limit; RecursionError: deep nesting
            return self._set_aside(fresh(), f"{type(e).__name__}: {str(e)[:200]}")
        profile, dropped = salvage(data)
        if dropped:
            return self._set_aside(profile, ", ".join(dropped[:5]) + (" …" if len(dropped) > 5 else ""))
        return profile

    def _set_aside(self, profile: dict, problem: str) -> dict:
        """Copy the file as it is to a backup, then go on with what could be kept."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup, n = self.folder / f"profile.unreadable-{stamp}.json", 1
        while backup.exists():  # never overwrite an earlier backup
            backup, n = self.folder / f"profile.unreadable-{stamp}-{n}.json", n + 1
        try:
            backup.write_bytes(self.path.read_bytes())
            self.message = ("profile.corrupt", {"backup": str(backup), "problem": problem})
        except OSError as e:  # say what happened, not what was meant to
            self.message = ("profile.corrupt_kept", {"path": str(self.path), "problem": problem,
                                                     "reason": e.strerror or str(e)})
        return profile

    def _remove_stray_temporaries(self) -> None:
        """Temporaries of saves a killed process never finished."""
        for tmp in self.folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}") if self.folder.is_dir() else ():
            try:
                tmp.unlink()
            except OSError:
                pass

    def save(self, data: dict) -> bool:
        """Write atomically and durably. False, with `failing` set and a message, when the folder
        cannot be written; the caller simply saves again on its next change."""
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, indent=1)
                f.flush()
                os.fsync(f.fileno())  # the data is on disk before the name points at it
            os.replace(tmp, self.path)
        except OSError as e:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            self.failing = True
            self.message = ("profile.unwritable", {"folder": str(self.folder), "problem": e.strerror or str(e)})
            return False
        if self.failing:
            self.failing, self.message = False, ("profile.saved_again", {})
        return True
