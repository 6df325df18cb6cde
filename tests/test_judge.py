import numpy as np
import pytest
import torch

from sim_core.judge import load_judge
from sim_core.worlds.shapes import render_batch
from training.train_judge import JudgeNet as TorchJudgeNet


@pytest.fixture(scope="module")
def judge():
    return load_judge()


def test_judge_reads_rendered_images(judge):
    images, prompts = render_batch(range(3000))
    verdicts = judge(images)
    accuracy = np.mean([v.agrees_with(p) for v, p in zip(verdicts, prompts)])
    assert accuracy >= 0.99, f"judge agrees on {accuracy:.2%} of 3000 renders"


def test_judge_is_unsure_on_noise(judge):
    rng = np.random.default_rng(0)
    gauss = np.clip(rng.standard_normal((100, 3, 32, 32)), -1, 1)
    uniform = rng.uniform(-1, 1, (100, 3, 32, 32))
    verdicts = judge(np.concatenate([gauss, uniform]).astype(np.float32))
    assert np.mean([v.sure for v in verdicts]) <= 0.02
    assert np.median([v.confidence for v in verdicts]) < 0.2


def test_judge_matches_its_torch_twin(judge):
    channels = judge.card["architecture"]["channels"]
    twin = TorchJudgeNet(channels, 6, 6)
    twin.load_state_dict({k: torch.from_numpy(getattr_path(judge.net, k)) for k in twin.state_dict()})
    images, _ = render_batch(range(8))
    with torch.no_grad():
        logits_c, logits_s = twin(torch.from_numpy(images))
    p_c, p_s = judge.probabilities(images)
    np.testing.assert_allclose(p_c, torch.softmax(logits_c, 1).numpy(), atol=1e-5)
    np.testing.assert_allclose(p_s, torch.softmax(logits_s, 1).numpy(), atol=1e-5)


def getattr_path(module, dotted):
    for part in dotted.split("."):
        module = module[int(part)] if part.isdigit() else getattr(module, part)
    return module


def test_bad_judge_input(judge):
    with pytest.raises(ValueError, match=r"the judge reads finite \(N, 3, 32, 32\) images"):
        judge(np.zeros((3, 16, 16), np.float32))
