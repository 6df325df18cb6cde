"""Paths in 2-D: straightness and Langevin dynamics against closed forms, flow matching
trained live, and the facts the level "Paths in 2-D" stands on, measured."""

import numpy as np
import pytest

from game.scenes.paths_level import paths, steps_needed, straighter
from sim_core.schedules import short_schedule
from sim_core.toy_mlp import ToyDenoiser
from sim_core.trajectories import langevin, straightness
from sim_core.worlds.toy2d import chamfer_distance, sample_points


def test_straightness_is_one_for_a_line_and_two_over_pi_for_a_half_circle():
    s = np.linspace(0, 1, 50)[:, None, None]
    line = s * np.array([[[3.0, -1.0]]])
    angle = np.linspace(0, np.pi, 2001)
    half_circle = np.stack([np.cos(angle), np.sin(angle)], -1)[:, None, :]
    np.testing.assert_allclose(straightness(line), [1.0], rtol=1e-6)
    np.testing.assert_allclose(straightness(half_circle), [2 / np.pi], rtol=1e-5)


def test_langevin_on_a_gaussian_score_draws_the_gaussian():
    """∇ log N(μ, I) = μ − x: from points far away, the chain ends distributed as N(μ, I)."""
    mu = np.array([2.0, -1.0], np.float32)
    start = np.full((4000, 2), 10.0, np.float32)
    *_, x = langevin(lambda x: mu - x, start, 0.02, 1500, np.random.default_rng(0))
    np.testing.assert_allclose(x.mean(0), mu, atol=0.08)
    np.testing.assert_allclose(x.std(0), [1.0, 1.0], atol=0.05)


@pytest.fixture(scope="module")
def trained():
    data = sample_points("moons", 2000, np.random.default_rng(1))
    schedule = short_schedule("cosine", 200)
    diffusion = ToyDenoiser(schedule, data, hidden=32, seed=1)
    flow = ToyDenoiser(schedule, data, hidden=32, seed=1, prediction_type="flow")
    for model in (diffusion, flow):
        model.train(1500)
    return data, diffusion, flow


def test_flow_matching_learns_the_velocity_and_euler_steps_reach_the_data(trained):
    data, _, flow = trained
    assert np.mean(flow.losses[-200:]) < 0.8 * np.mean(flow.losses[:50])  # it learns (E‖ε − x₀‖² = 2.5 at the start)
    x_1 = np.random.default_rng(2).standard_normal((400, 2)).astype(np.float32)
    path = flow.flow_paths(x_1, 20)
    x = x_1  # the same Euler steps, written out: x ← x − h v̂(x, s)
    for k in range(20):
        x = x - flow.predict(x, (1 - k / 20) * 200) / 20
    np.testing.assert_allclose(path[-1], x, atol=1e-6)
    assert path.shape == (21, 400, 2) and chamfer_distance(path[-1], data[:400]) < 0.12
    assert chamfer_distance(x_1, data[:400]) > 2.5 * chamfer_distance(path[-1], data[:400])  # from noise far off
    with pytest.raises(ValueError, match="prediction_type='flow'"):
        trained[1].flow_paths(x_1, 5)


def test_here_the_ddim_paths_are_straighter_than_flow_matchings_and_ddpm_wanders(trained):
    """The level's answer, measured: DDIM's probability-flow ODE paths are nearly straight,
    flow matching's bend (its velocity averages the straight lines crossing each point)."""
    data, diffusion, flow = trained
    x_T = np.random.default_rng(1).standard_normal((400, 2)).astype(np.float32)
    drawn = paths(diffusion, flow, x_T, 20, seed=1)
    medians = {f: float(np.median(straightness(p))) for f, p in drawn.items()}
    assert medians["ddim"] > 0.95 and medians["flow"] < 0.9 and medians["ddpm"] < 0.3
    assert straighter(medians) == "ddim"
    assert all(chamfer_distance(p[-1], data[:400]) < 0.12 for p in drawn.values())  # all three reach the moons
    assert straighter({"ddim": 0.8, "flow": 0.78}) == "same" and straighter({"ddim": 0.5, "flow": 0.9}) == "flow"
    # how many steps each needs to land within 0.1 of the data: both few, neither one
    needed = steps_needed(diffusion, flow, x_T, data[:400], seed=1)
    assert all(2 <= n <= 8 for n in needed.values()), needed
