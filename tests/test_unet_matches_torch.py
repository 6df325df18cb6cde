"""The numpy U-Net equals its torch twin on the same weights, to 1e-4."""

import copy

import numpy as np
import pytest
import torch

from sim_core.model import build_unet
from sim_core.model.layers import Conv2d
from sim_core.model.text import token_list, tokenize
from training.train import CONFIG
from training.unet_torch import UNet as TorchUNet

ARCH = CONFIG["architecture"]


@pytest.fixture(scope="module")
def twins():
    torch.manual_seed(0)
    twin = TorchUNet(num_tokens=len(token_list()), **ARCH).eval()
    with torch.no_grad():  # random, not-small weights so that every layer matters
        for p in twin.parameters():
            p.add_(0.05 * torch.randn_like(p))
    ours = build_unet({"architecture": ARCH, "tokens": token_list()})
    ours.assign({k: v.detach().numpy().copy() for k, v in twin.state_dict().items()})
    return ours, twin


def test_parameter_names_and_shapes_match(twins):
    ours, twin = twins
    assert dict(ours.named_shapes()) == {k: tuple(v.shape) for k, v in twin.state_dict().items()}


@pytest.mark.parametrize("use_skips", [True, False])
def test_unet_matches_torch(twins, use_skips):
    ours, twin = twins
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 3, 32, 32), dtype=np.float32)
    t = np.array([0, 417, 999])
    ids = tokenize(["red star", "", "ring"], token_list())
    with torch.no_grad():
        expected = twin(torch.from_numpy(x), torch.from_numpy(t), torch.from_numpy(ids), use_skips=use_skips).numpy()
    got = ours(x, t, ours.text(ids), use_skips=use_skips)
    assert np.abs(expected).mean() > 0.1  # a meaningful comparison
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("t, shared", [((417, 417), True), ((417, 416), False)])
def test_a_guided_batch_runs_the_layers_before_the_prompt_once(twins, monkeypatch, t, shared):
    """Classifier-free guidance evaluates x_t twice, without and with the prompt: the layers the
    prompt does not reach yet run on one copy (when x_t and t repeat), and the numbers stay torch's."""
    ours, twin = twins
    x = np.random.default_rng(1).standard_normal((1, 3, 32, 32), dtype=np.float32)
    x, t = np.concatenate([x, x]), np.array(t)
    ids = tokenize(["", "red star"], token_list())
    batches, conv_call = [], Conv2d.__call__

    def recording(self, inp, **kwargs):
        if self is ours.conv_in:
            batches.append(len(inp))
        return conv_call(self, inp, **kwargs)

    monkeypatch.setattr(Conv2d, "__call__", recording)
    got = ours(x, t, ours.text(ids))
    with torch.no_grad():
        expected = twin(torch.from_numpy(x), torch.from_numpy(t), torch.from_numpy(ids)).numpy()
    assert batches == [1 if shared else 2]
    assert np.abs(got[0] - got[1]).mean() > 0.01  # the prompt still makes its difference
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


def test_the_ablation_twin_architecture_is_the_unet_with_its_skips_zeroed(twins):
    """architecture.skips = false (training --no-skips) computes what use_skips=False does, in
    both frameworks, with the same parameter names: one loader reads both models."""
    ours, twin = twins
    state = {k: v.detach().numpy().copy() for k, v in twin.state_dict().items()}
    arch = dict(ARCH, skips=False)
    ours_cut = build_unet({"architecture": arch, "tokens": token_list()})
    ours_cut.assign(state)
    twin_cut = TorchUNet(num_tokens=len(token_list()), **arch).eval()
    twin_cut.load_state_dict(twin.state_dict())
    rng = np.random.default_rng(1)
    x, t, ids = rng.standard_normal((2, 3, 32, 32), dtype=np.float32), np.array([5, 600]), tokenize(["blue ring", ""], token_list())
    cut = ours(x, t, ours.text(ids), use_skips=False)
    np.testing.assert_array_equal(ours_cut(x, t, ours.text(ids)), cut)
    assert np.abs(ours(x, t, ours.text(ids)) - cut).mean() > 0.01  # the skips matter to these weights
    with torch.no_grad():
        expected = twin_cut(torch.from_numpy(x), torch.from_numpy(t), torch.from_numpy(ids)).numpy()
    np.testing.assert_allclose(cut, expected, atol=1e-4, rtol=1e-4)

def test_kept_prompt_projections_follow_the_prompt_and_the_weights(twins):
    """Cross-attention keeps each prompt's projections between calls: another prompt, or new
    weights, must still get torch's answer."""
    ours, twin = twins
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32), dtype=np.float32)
    t = np.array([300, 300])

    def both(prompts, net):
        ids = tokenize(prompts, token_list())
        with torch.no_grad():
            expected = net(torch.from_numpy(x), torch.from_numpy(t), torch.from_numpy(ids)).numpy()
        return ours(x, t, ours.text(ids)), expected

    for prompts in (["red star", ""], ["blue circle", "green"]):
        np.testing.assert_allclose(*both(prompts, twin), atol=1e-4, rtol=1e-4)
    other = copy.deepcopy(twin)
    with torch.no_grad():  # the same text encoder, so the same context: only the weights tell
        for name, p in other.named_parameters():
            if not name.startswith("text."):
                p.mul_(1.1)
    ours.assign({k: v.detach().numpy().copy() for k, v in other.state_dict().items()})
    try:
        got, expected = both(["blue circle", "green"], other)
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)
    finally:  # the fixture's weights back, for the other tests
        ours.assign({k: v.detach().numpy().copy() for k, v in twin.state_dict().items()})


def test_text_encoder_matches_torch(twins):
    ours, twin = twins
    ids = tokenize(["blue heart", "green", ""], token_list())
    with torch.no_grad():
        expected = twin.text(torch.from_numpy(ids)).numpy()
    np.testing.assert_allclose(ours.text(ids), expected, atol=1e-5)


def test_capture_exposes_feature_maps_and_cross_attention(twins):
    ours, _ = twins
    x = np.zeros((1, 3, 32, 32), np.float32)
    capture = {}
    ours(x, np.array([500]), ours.text(tokenize("red star", token_list())), capture=capture)
    assert capture["down.0"].shape == (1, 32, 32, 32)
    assert capture["mid"].shape == (1, 128, 8, 8)
    attn = capture["cross_attn.down.1"]
    assert attn.shape == (1, 16 * 16, 3)
    np.testing.assert_allclose(attn.sum(axis=-1), 1.0, rtol=1e-5)
