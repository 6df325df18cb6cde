"""The latent-diffusion autoencoder in numpy: 32×32×3 images ↔ 8×8×4 latents.

    x ─ conv_in ─ ResBlock ─ ↓2 ─ ResBlock ─ ↓2 ─ ResBlock ─ GN, SiLU, conv_out ─ z   (encoder)
    z ─ conv_in ─ ResBlock ─ ↑2 ─ ResBlock ─ ↑2 ─ ResBlock ─ GN, SiLU, conv_out ─ x̂  (decoder)

As in Stable Diffusion (Rombach et al. 2022), diffusion then runs on the latents times a
`scaling_factor` (there 0.18215) chosen so that they have unit variance, the scale the
noise schedule assumes. Ours is deterministic (no KL sampling): a small penalty on |z|²
keeps the latents bounded, and the scaling factor is measured at export.
"""

import numpy as np

from sim_core.model.layers import Conv2d, GroupNorm, Module, channels_first, channels_last, upsample_nearest
from sim_core.model.unet import GROUPS, ResBlock


class Encoder(Module):
    def __init__(self, channels, latent_channels, in_channels=3):
        super().__init__()
        c0, c1 = channels
        self.conv_in = Conv2d(in_channels, c0, 3)
        self.res = [ResBlock(c0, c0), ResBlock(c0, c1), ResBlock(c1, c1)]
        self.downsample = [Conv2d(c0, c0, 3, stride=2), Conv2d(c1, c1, 3, stride=2)]
        self.norm_out = GroupNorm(GROUPS, c1)
        self.conv_out = Conv2d(c1, latent_channels, 3)

    def __call__(self, x):
        h = self.conv_in(channels_last(x))
        for i, res in enumerate(self.res):
            h = res(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
        return channels_first(self.conv_out(h, norm=self.norm_out))


class Decoder(Module):
    def __init__(self, channels, latent_channels, out_channels=3):
        super().__init__()
        c0, c1 = channels
        self.conv_in = Conv2d(latent_channels, c1, 3)
        self.res = [ResBlock(c1, c1), ResBlock(c1, c0), ResBlock(c0, c0)]
        self.upsample = [Conv2d(c1, c1, 3), Conv2d(c0, c0, 3)]  # after each nearest ×2
        self.norm_out = GroupNorm(GROUPS, c0)
        self.conv_out = Conv2d(c0, out_channels, 3)

    def __call__(self, z):
        h = self.conv_in(channels_last(z))
        for i, res in enumerate(self.res):
            h = res(h)
            if i < len(self.upsample):
                h = self.upsample[i](upsample_nearest(h))
        return channels_first(self.conv_out(h, norm=self.norm_out))


class Autoencoder(Module):
    """encode: (N, 3, 32, 32) → (N, 4, 8, 8); decode: the way back. Architecture fields as
    in the model card's "architecture"."""

    def __init__(self, channels, latent_channels):
        super().__init__()
        self.encoder = Encoder(channels, latent_channels)
        self.decoder = Decoder(channels, latent_channels)

    def encode(self, x) -> np.ndarray:
        return self.encoder(x).astype(np.float32)

    def decode(self, z) -> np.ndarray:
        return self.decoder(z).astype(np.float32)
