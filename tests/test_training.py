"""The training command: fixed batches whoever renders them, resuming, and the export's card."""

import json

import numpy as np
import torch

from sim_core.model import load_model
from sim_core.model.text import token_list
from sim_core.samplers import make_sampler
from sim_core.schedules import make_schedule
from training import export, train

CFG = dict(train.CONFIG, steps=3, batch_size=4)


def test_batches_rendered_by_worker_processes_equal_those_rendered_here():
    here = list(train.batches(0, CFG, token_list(), workers=0))
    there = list(train.batches(0, CFG, token_list(), workers=2))
    assert len(here) == len(there) == 3
    for (images, ids, t, rng), (images2, ids2, t2, rng2) in zip(here, there):
        np.testing.assert_array_equal(images, images2)
        np.testing.assert_array_equal(ids, ids2)
        np.testing.assert_array_equal(t, t2)
        # the noise comes next from each batch's generator: the same too
        np.testing.assert_array_equal(rng.standard_normal(5), rng2.standard_normal(5))
    assert not np.array_equal(here[0][0], here[1][0])  # each step a new batch


def test_train_resume_and_export_record_the_runs(tmp_path):
    run, dest = tmp_path / "run", tmp_path / "shapes32"
    train.main(["--run", str(run), "--steps", "2", "--batch-size", "4", "--device", "cpu"])
    train.main(["--run", str(run), "--steps", "3", "--batch-size", "4", "--device", "cpu", "--workers", "1"])
    assert json.loads((run / "progress.json").read_text())["step"] == 3
    card = export.export_unet(run, dest)
    training = card["training"]
    assert training["steps"] == 3
    objective = {"prediction_type": "v_prediction", "zero_terminal_snr": True, "lr_from_step": 0}
    assert training["history"] == [
        {"from_step": 0, "steps": 2, "batch_size": 4, "device": "cpu", **objective},
        {"from_step": 2, "steps": 3, "batch_size": 4, "device": "cpu", **objective},
    ]
    assert training["command"] == (f"python -m training.train --run {run} --steps 3 --batch-size 4 --device cpu "
                                   f"--workers 1 && python -m training.export --run {run} --dest {dest}")
    model = load_model(dest)  # the game loads what the export wrote, and samples it as trained
    assert (model.prediction_type, model.spacing, model.clip_sample) == ("v_prediction", "trailing", 1.5)
    assert model.schedule.zero_terminal_snr and model.schedule.alphas_cumprod[-1] == 0
    x = np.zeros((1, 3, 32, 32), np.float32)
    assert np.isfinite(model(x, 500, model.encode_prompt("red star"))).all()


def test_v_target_is_what_the_samplers_invert():
    """The v the trainer teaches gives back x_0 and ε through sim_core's samplers (to float32
    rounding), at every t including ᾱ = 0: trainer and sampler agree on the definition."""
    schedule = make_schedule("cosine", zero_terminal_snr=True)
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, (1, 3, 4, 4)).astype(np.float32)
    noise = rng.standard_normal(x0.shape, dtype=np.float32)
    smp = make_sampler("ddim", schedule, 1000, "trailing", prediction_type="v_prediction")
    for t in (999, 990, 500, 0):
        ac = torch.tensor(schedule.alphas_cumprod[t])
        x_t = (ac.sqrt() * torch.from_numpy(x0) + (1 - ac).sqrt() * torch.from_numpy(noise)).numpy()
        v = train.training_target(torch.from_numpy(x0), torch.from_numpy(noise), ac, {"prediction_type": "v_prediction"})
        np.testing.assert_allclose(smp.pred_original_sample(v.numpy(), t, x_t), x0, atol=1e-5)
        np.testing.assert_allclose(smp.pred_epsilon(v.numpy(), t, x_t), noise, atol=1e-5)
