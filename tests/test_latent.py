"""Latent diffusion: the autoencoder (numpy = torch twin), its round trip, the latent U-Net
and the level that compares pixel and latent space."""

import numpy as np
import pytest
import torch

from sim_core.model import DEFAULT_LATENT_MODEL, ModelLoadError, load_latent_model
from sim_core.model.autoencoder import Autoencoder
from sim_core.model.text import token_list
from sim_core.worlds.shapes import render_batch
from training.train import LATENT_CONFIG
from training.train_autoencoder import CONFIG as AE_CONFIG
from training.unet_torch import Autoencoder as TorchAutoencoder
from training.unet_torch import UNet as TorchUNet


def test_autoencoder_matches_torch():
    torch.manual_seed(0)
    twin = TorchAutoencoder(**AE_CONFIG["architecture"]).eval()
    with torch.no_grad():
        for p in twin.parameters():
            p.add_(0.05 * torch.randn_like(p))
    ours = Autoencoder(**AE_CONFIG["architecture"])
    assert dict(ours.named_shapes()) == {k: tuple(v.shape) for k, v in twin.state_dict().items()}
    ours.assign({k: v.detach().numpy().copy() for k, v in twin.state_dict().items()})
    x = render_batch(np.arange(4))[0]
    with torch.no_grad():
        reconstruction, z = twin(torch.from_numpy(x))
    assert ours.encode(x).shape == (4, 4, 8, 8)
    np.testing.assert_allclose(ours.encode(x), z.numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(ours.decode(z.numpy()), reconstruction.numpy(), atol=1e-4, rtol=1e-4)


def test_latent_unet_matches_torch():
    arch = LATENT_CONFIG["architecture"]
    torch.manual_seed(1)
    twin = TorchUNet(num_tokens=len(token_list()), **arch).eval()
    from sim_core.model import build_unet

    ours = build_unet({"architecture": arch, "tokens": token_list()})
    ours.assign({k: v.detach().numpy().copy() for k, v in twin.state_dict().items()})
    z = np.random.default_rng(0).standard_normal((2, 4, 8, 8), dtype=np.float32)
    ids = torch.zeros((2, 3), dtype=torch.long)
    with torch.no_grad():
        expected = twin(torch.from_numpy(z), torch.tensor([3, 700]), ids).numpy()
    got = ours(z, np.array([3, 700]), ours.text(ids.numpy()))
    assert got.shape == (2, 4, 8, 8)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


@pytest.fixture(scope="module")
def ldm():
    return load_latent_model()


def test_shipped_autoencoder_round_trip_keeps_the_image(ldm):
    from sim_core.metrics import psnr

    x = render_batch(np.arange(2_000_000, 2_000_064))[0]  # seeds no training batch drew
    z = ldm.autoencoder.encode(x)
    assert z.shape == (64, 4, 8, 8)
    assert 0.7 < z.std() < 1.4  # the scaling factor puts latents at the schedule's unit variance
    quality = psnr(ldm.decode(z), x)  # dB per image
    assert quality.min() > 25.0 and quality.mean() > 29.0


def test_latent_sampling_draws_the_prompt(ldm):
    from sim_core.judge import load_judge
    from sim_core.sampling import sample

    prompts = ["red circle", "blue square", "yellow star", "green heart", "purple ring", "orange triangle"]
    z_T = np.random.default_rng(0).standard_normal((len(prompts), 4, 8, 8), dtype=np.float32)
    z = sample(ldm, z_T, ldm.schedule, sampler="ddim", steps=30, guidance=7.5, cond=ldm.encode_prompt(prompts))
    verdicts = load_judge()(ldm.decode(z))
    colours = sum(v.color == p.split()[0] for v, p in zip(verdicts, prompts))
    assert colours >= 5, [(v.color, v.shape) for v in verdicts]


def test_a_latent_model_without_its_autoencoder_is_a_clear_error(tmp_path):
    import shutil

    folder = tmp_path / "latent8"
    shutil.copytree(DEFAULT_LATENT_MODEL, folder)
    with pytest.raises(ModelLoadError, match=r"autoencoder.*model card not found"):
        load_latent_model(folder)
