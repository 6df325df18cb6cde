"""The game installs as a real package: the wheel carries every file the game reads, and the
installed game runs from any folder (no paths relative to a checkout)."""

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_package_folder():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for top in ("sim_core", "game") for p in (ROOT / top).rglob("__init__.py")}
    assert folders <= listed, f"missing from pyproject.toml's packages: {sorted(folders - listed)}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    return next(dist.glob("diffusion_quest-*.whl"))


def test_wheel_carries_everything_the_game_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"game/theme.json", "game/i18n/es.toml", "game/i18n/en.toml",
                "diffusion_quest_assets/fonts/DejaVuSans.ttf", "diffusion_quest_levels/chapters.toml"}
    expected |= {f"diffusion_quest_levels/{p.relative_to(ROOT / 'levels').as_posix()}" for p in (ROOT / "levels").rglob("*.toml")}
    for model in ("shapes32", "shapes32-eps", "shapes32-noskips", "latent8", "autoencoder", "judge"):
        expected |= {f"diffusion_quest_assets/models/{model}/model.json", f"diffusion_quest_assets/models/{model}/weights.npz"}
    assert expected - names == set()
    assert not [n for n in names if n.endswith(".png")], "sample grids are documentation, not game data"


def test_installed_wheel_plays_from_another_folder(wheel, tmp_path):
    """A fresh venv with only the wheel (and its dependencies): validate the shipped levels and
    render every screen, from a folder that is not the checkout."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", DIFFUSION_QUEST_HOME=str(tmp_path / "home"))
    env.pop("PYTHONPATH", None)
    game = str(bin_dir / "diffusion-quest")
    find_levels = "from sim_core.resources import levels; print(levels())"
    installed_levels = subprocess.run([str(bin_dir / "python"), "-c", find_levels], cwd=elsewhere, env=env,
                                      check=True, capture_output=True, text=True).stdout.strip()
    assert Path(installed_levels).is_relative_to(venv), installed_levels  # not the checkout's
    files = sorted(str(p) for p in Path(installed_levels).glob("[0-9][0-9]-*.toml"))
    assert subprocess.run([game, "validate", *files], cwd=elsewhere, env=env, capture_output=True).returncode == 0
    tour = subprocess.run([game, "--screenshot-tour", "shots", "--no-play", "--lang", "en"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert tour.returncode == 0, tour.stderr[-2000:]
    shots = {p.name for p in (elsewhere / "shots").glob("*.png")}
    assert {"en-title.png", "en-lab-done.png", "en-campaign.png", "en-quiz-answered.png"} <= shots
