"""Where the shipped data lives: one locator, through importlib.resources, for everything the
game reads — model folders, fonts, levels and quizzes, catalogs, the theme — so the game runs
the same from a checkout (an editable install) and from an installed wheel.

The top-level folders `assets/` and `levels/` are packaged as `diffusion_quest_assets` and
`diffusion_quest_levels` (pyproject.toml's package-dir), which is how they travel in the wheel.
"""

from importlib.resources import files
from pathlib import Path

ASSETS = "diffusion_quest_assets"
LEVELS = "diffusion_quest_levels"


def resource(package: str, *parts: str) -> Path:
    """The file or folder `parts` inside `package`, as a real path (wheels install unzipped)."""
    root = files(package)
    return Path(str(root.joinpath(*parts))) if parts else Path(str(root))


def assets(*parts: str) -> Path:
    """assets/…: models/<name>/ (weights.npz + model.json), fonts/."""
    return resource(ASSETS, *parts)


def levels(*parts: str) -> Path:
    """levels/…: the campaign's level files, chapters.toml, quizzes/."""
    return resource(LEVELS, *parts)
