"""The Explore menu and the side-by-side comparisons (game/grids.py, game/scenes/compare.py),
played as a player would: each grid filled from its shared noises, and what its texts
claim measured on the cells it drew."""

import numpy as np
import pygame
import pytest

from conftest import drawn_text, press
from game.grids import GRID_STEPS, GUIDANCE_ROW, RACE_SAMPLERS, RACE_STEPS, grid
from game.scenes.compare import CompareScene
from game.scenes.explore import ExploreScene
from game.scenes.title import TitleScene
from sim_core.sampling import sample, sampler_for


def drawn_grid(app, mode, prompt="red star"):
    scene = CompareScene(app, mode, prompt=prompt)
    app.push(scene)
    press(app, scene.go)
    assert app.run_until(lambda: scene.job is None, timeout=300)
    rows, columns, _ = grid(mode, scene.seed)
    assert scene.status == ("compare.done", {"n": len(rows) * len(columns)}) and len(scene.cells) == len(rows) * len(columns)
    return scene


def test_the_title_opens_explore_which_lists_its_levels_and_the_comparisons(app):
    title = TitleScene(app)
    app.push(title)
    press(app, title.explore)
    menu = app.top
    assert isinstance(menu, ExploreScene) and menu.errors == []
    assert [getattr(e, "id", e) for e in menu.buttons.values()] == ["be-the-denoiser", "paths-in-2d", "compare"]
    assert "Comparar lado a lado" in [b.text for b in menu.buttons]
    press(app, next(b for b, e in menu.buttons.items() if e == "compare"))
    assert isinstance(app.top, CompareScene)
    press(app, app.top.back)
    press(app, next(b for b, e in menu.buttons.items() if e != "compare"))
    assert app.top.level.id == "be-the-denoiser"


def test_the_guidance_grid_shares_each_seed_noise_down_its_column_and_shows_the_trade_off(app):
    scene = drawn_grid(app, "guidance")
    model, cond = app.model, app.model.encode_prompt("red star")
    for row in (1, 4):  # a cell is the sample of its seed's x_T at its row's w
        x_T = np.random.default_rng(scene.seed + 2).standard_normal((1, 3, 32, 32), dtype=np.float32)
        expected = sample(model, x_T, model.schedule, sampler=sampler_for(model, "ddim", GRID_STEPS),
                          guidance=GUIDANCE_ROW[row], cond=cond, rng=np.random.default_rng(0))
        np.testing.assert_allclose(scene.cells[(row, 2)].image, expected[0], atol=1e-4)
    recognised = [sum(scene.recognised(scene.cells[(r, c)]) for c in range(6)) for r in range(len(GUIDANCE_ROW))]
    burnt = [np.mean([scene.cells[(r, c)].out_of_range for c in range(6)]) for r in range(len(GUIDANCE_ROW))]
    # what the text says: w = 0 ignores the prompt, w ≥ 1 draws it, a very large w burns the colours
    assert recognised[0] <= 1 and min(recognised[1:]) >= 5
    assert burnt[1] < 0.01 and burnt[-1] > 0.2
    assert "6 de 6 reconocidas" in drawn_text(app) and "0 de 6 reconocidas" in drawn_text(app)


def test_the_sampler_race_times_each_cell_and_ddpm_lands_elsewhere(app):
    scene = drawn_grid(app, "race")
    image = {(s, n): scene.cells[(r, c)].image for r, s in enumerate(RACE_SAMPLERS) for c, n in enumerate(RACE_STEPS)}
    distance = lambda a, b: float(np.sqrt(np.mean((image[a] - image[b]) ** 2)))  # noqa: E731
    # DDIM and DPM-Solver++ follow the same ODE to nearly one image; DDPM's fresh noise takes it elsewhere
    assert distance(("ddim", 50), ("dpmsolver++", 50)) < 0.5 * distance(("ddim", 50), ("ddpm", 50))
    for r in range(len(RACE_SAMPLERS)):  # ten times the steps, more time (a ratio of 10, not a speed goal)
        assert scene.cells[(r, 3)].seconds > 2 * scene.cells[(r, 0)].seconds
    # a click enlarges a cell with its settings; a click anywhere closes it
    rect = scene.cell_rect((1, 2))
    app.dispatch(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=rect.center, button=1))
    assert scene.enlarged == (1, 2)
    app.theme.drawn = []
    app.draw()
    assert any("DDIM, 20 pasos, w = 3,0, semilla 0" in text for _, text in app.theme.drawn)
    app.theme.drawn = None
    app.dispatch(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode=""))
    assert scene.enlarged is None


def test_new_seeds_draw_sixteen_other_noises_of_the_same_prompt(app):
    scene = drawn_grid(app, "seeds")
    first = {where: cell.image for where, cell in scene.cells.items()}
    assert scene.go.text == "Otras 16 semillas"
    press(app, scene.go)
    assert app.run_until(lambda: scene.job is None, timeout=300) and scene.seed == 16
    assert all(np.abs(scene.cells[w].image - first[w]).max() > 0.5 for w in first)
    # diversity: sixteen seeds, sixteen different drawings, nearly all of the prompt
    images = np.stack([c.image for c in scene.cells.values()])
    assert min(np.sqrt(np.mean((images[i] - images[j]) ** 2)) for i in range(16) for j in range(i)) > 0.05
    assert sum(map(scene.recognised, scene.cells.values())) >= 12


@pytest.mark.parametrize("prompt, message", [("unicornio", "lab.unknown_word"), ("estrella círculo", "lab.one_of_each")])
def test_a_prompt_it_cannot_draw_is_a_message_and_no_run(app, prompt, message):
    scene = CompareScene(app, prompt=prompt)
    app.push(scene)
    press(app, scene.go)
    assert scene.job is None and scene.status[0] == message


def test_leaving_or_switching_grids_stops_the_worker(app):
    scene = CompareScene(app, "guidance")
    app.push(scene)
    press(app, scene.go)
    job = scene.job
    press(app, next(b for b, mode in scene.tabs.items() if mode == "race"))
    assert job.cancelled.is_set() and scene.cells == {} and scene.mode == "race"
    press(app, scene.go)
    job = scene.job
    app.pop()
    assert job.cancelled.is_set() and job.finished.wait(timeout=30)
