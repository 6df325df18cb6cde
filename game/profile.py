"""The player's profile: stars, quiz results, language and settings, kept as JSON in the
user data folder.

Writes are atomic (a temporary file, then os.replace), so a crash never leaves half a
file. A save that cannot be read is moved aside as a backup (never overwriting an
earlier backup) and the game starts fresh with a message; a folder that cannot be
written keeps the profile in memory for this session, with a message.
"""

import json
import os
import tempfile
import time
from pathlib import Path

from game.paths import user_data_dir

VERSION = 1
FILE_NAME = "profile.json"


def fresh() -> dict:
    return {"version": VERSION, "language": None, "stars": {}, "quiz": [], "settings": {"large_text": False}}


def _valid(data) -> bool:
    return (isinstance(data, dict) and data.get("version") == VERSION and isinstance(data.get("stars"), dict)
            and all(isinstance(v, int) and 0 <= v <= 3 for v in data["stars"].values())
            and isinstance(data.get("quiz"), list) and isinstance(data.get("settings"), dict)
            and data.get("language") in (None, "es", "en"))


class ProfileStore:
    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else user_data_dir()
        self.path = self.folder / FILE_NAME
        self.in_memory = False
        self.message = None  # (catalog key, values) for the player, once

    def load(self) -> dict:
        if not self.path.exists():
            return fresh()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if _valid(data):
                return {**fresh(), **data}
            problem = "not a profile of this version"
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            problem = str(e)
        backup = self._keep_aside()
        self.message = ("profile.corrupt", {"backup": str(backup), "problem": problem})
        return fresh()

    def _keep_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup, n = self.folder / f"profile.unreadable-{stamp}.json", 1
        while backup.exists():  # never overwrite an earlier backup
            backup, n = self.folder / f"profile.unreadable-{stamp}-{n}.json", n + 1
        try:
            os.replace(self.path, backup)
        except OSError:
            self.in_memory = True  # cannot even move it: leave it be and keep this session in memory
        return backup

    def save(self, data: dict) -> bool:
        """Write atomically; False (and memory-only from now on, with a message) if the
        folder cannot be written."""
        if self.in_memory:
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".profile-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, indent=1)
            os.replace(tmp, self.path)
            return True
        except OSError as e:
            self.in_memory = True
            self.message = ("profile.unwritable", {"folder": str(self.folder), "problem": e.strerror or str(e)})
            return False
