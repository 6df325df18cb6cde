"""Where the game writes: a per-user folder that works on Windows, macOS and Linux."""

import logging
import os
import sys
import tempfile
from pathlib import Path


def user_data_dir() -> Path:
    """DIFFUSION_QUEST_HOME when set (tests, classroom machines), else the platform's place."""
    if os.environ.get("DIFFUSION_QUEST_HOME"):
        return Path(os.environ["DIFFUSION_QUEST_HOME"])
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "diffusion-quest"


def export_dir() -> Path:
    """Exported PNGs and GIFs: DIFFUSION_QUEST_EXPORTS, else a folder in the user's data."""
    return Path(os.environ.get("DIFFUSION_QUEST_EXPORTS", user_data_dir() / "exports"))


def file_logger(name: str, filename: str) -> logging.Logger:
    """A logger writing to `filename` in the user data folder (to the console when that
    folder cannot be written)."""
    log = logging.getLogger(name)
    if not log.handlers:
        try:
            folder = user_data_dir()
            folder.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(folder / filename, encoding="utf-8")
        except OSError:
            handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def staged_file(path: Path, data: bytes) -> str:
    """A temporary file beside `path` holding `data`, on disk (fsync), with the permissions a
    new file of the user's gets (mkstemp's own are owner-only): os.replace(it, path) then puts
    it in place whole. OSError, and no temporary file left, when it cannot be written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return temp


def replace_whole(path: Path, data: bytes) -> None:
    """`data` as the file at `path`, all of it or (an OSError) none."""
    temp = staged_file(path, data)
    try:
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
