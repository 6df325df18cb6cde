"""Where the game writes: a per-user folder that works on Windows, macOS and Linux."""

import os
import sys
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
