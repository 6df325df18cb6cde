"""The torch twin of sim_core.model: the same architecture, layer by layer and name by
name, so a state_dict exports straight to the numpy model's weights.npz."""

import math

import torch
import torch.nn.functional as F
from torch import nn

GROUPS = 8
HEAD_DIM = 32


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """[sin(t·f_i), cos(t·f_i)] with f_i = 10000^(−i/(dim/2)) (Vaswani et al. 2017)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, tdim: int | None = None):
        super().__init__()
        self.norm1 = nn.GroupNorm(GROUPS, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time = nn.Linear(tdim, cout) if tdim else None
        self.norm2 = nn.GroupNorm(GROUPS, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time is not None:
            h = h + self.time(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.skip is None else self.skip(x)) + h


class Attention(nn.Module):
    """Multi-head attention over the pixels of x: to themselves (self) or to the prompt's
    tokens (cross, context_dim set). Residual."""

    def __init__(self, ch: int, context_dim: int | None = None):
        super().__init__()
        self.heads = max(1, ch // HEAD_DIM)
        self.norm = nn.GroupNorm(GROUPS, ch)
        self.q = nn.Linear(ch, ch)
        self.k = nn.Linear(context_dim or ch, ch)
        self.v = nn.Linear(context_dim or ch, ch)
        self.out = nn.Linear(ch, ch)

    def forward(self, x, context=None):
        b, c, hgt, wid = x.shape
        h = self.norm(x).reshape(b, c, hgt * wid).transpose(1, 2)
        ctx = h if context is None else context
        q, k, v = (self._split(p) for p in (self.q(h), self.k(ctx), self.v(ctx)))
        attn = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)
        o = (attn @ v).transpose(1, 2).reshape(b, hgt * wid, c)
        return x + self.out(o).transpose(1, 2).reshape(b, c, hgt, wid)

    def _split(self, x):
        b, n, c = x.shape
        return x.reshape(b, n, self.heads, c // self.heads).transpose(1, 2)


class TextEncoder(nn.Module):
    """Token + position embeddings, one pre-norm transformer layer, a final LayerNorm."""

    def __init__(self, num_tokens: int, length: int, dim: int):
        super().__init__()
        self.token = nn.Embedding(num_tokens, dim)
        self.position = nn.Parameter(torch.zeros(length, dim))
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads=max(1, dim // HEAD_DIM), batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp1 = nn.Linear(dim, 2 * dim)
        self.mlp2 = nn.Linear(2 * dim, dim)
        self.norm_out = nn.LayerNorm(dim)

    def forward(self, ids):
        h = self.token(ids) + self.position[None]
        a = self.norm1(h)
        h = h + self.attn(a, a, a, need_weights=False)[0]
        h = h + self.mlp2(F.silu(self.mlp1(self.norm2(h))))
        return self.norm_out(h)


class Level(nn.Module):
    def __init__(self, cin, cout, tdim, context_dim, self_attn, cross_attn):
        super().__init__()
        self.res = ResBlock(cin, cout, tdim)
        self.self_attn = Attention(cout) if self_attn else None
        self.cross_attn = Attention(cout, context_dim) if cross_attn else None

    def forward(self, x, temb, context):
        x = self.res(x, temb)
        if self.self_attn is not None:
            x = self.self_attn(x)
        if self.cross_attn is not None:
            x = self.cross_attn(x, context)
        return x


class UNet(nn.Module):
    """ε_θ(x_t, t, prompt): encoder levels (ResBlock [+ attention]) with stride-2 downsampling,
    a middle at the lowest resolution, decoder levels fed the encoder's skip tensors, nearest
    upsampling. Self-attention where `self_attn`, cross-attention to the prompt where
    `cross_attn`. skips=False: the ablation twin, whose decoder always gets zeros where the
    skips would be (the same shapes, so the same loader)."""

    def __init__(self, channels=(32, 64, 128), self_attn=(False, False, True),
                 cross_attn=(False, True, True), time_dim=128, context_dim=64,
                 num_tokens=15, prompt_length=3, in_channels=3, skips=True):
        super().__init__()
        self.skips = skips
        self.time_freq_dim = channels[0]
        self.time1 = nn.Linear(channels[0], time_dim)
        self.time2 = nn.Linear(time_dim, time_dim)
        self.text = TextEncoder(num_tokens, prompt_length, context_dim)
        self.conv_in = nn.Conv2d(in_channels, channels[0], 3, padding=1)
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        cin = channels[0]
        for i, ch in enumerate(channels):
            self.down.append(Level(cin, ch, time_dim, context_dim, self_attn[i], cross_attn[i]))
            if i < len(channels) - 1:
                self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
            cin = ch
        self.mid1 = ResBlock(cin, cin, time_dim)
        self.mid_attn = Attention(cin)
        self.mid_cross = Attention(cin, context_dim)
        self.mid2 = ResBlock(cin, cin, time_dim)
        self.up = nn.ModuleList()
        for i in reversed(range(len(channels))):
            self.up.append(Level(cin + channels[i], channels[i], time_dim, context_dim, False, cross_attn[i]))
            cin = channels[i]
        self.norm_out = nn.GroupNorm(GROUPS, cin)
        self.conv_out = nn.Conv2d(cin, in_channels, 3, padding=1)

    def forward(self, x, t, ids=None, use_skips: bool = True, context=None):
        """ε for x at timesteps t, given prompt token ids or the text encoder's `context`."""
        temb = self.time2(F.silu(self.time1(timestep_embedding(t, self.time_freq_dim))))
        context = self.text(ids) if context is None else context
        h = self.conv_in(x)
        skips = []
        for i, level in enumerate(self.down):
            h = level(h, temb, context)
            skips.append(h if use_skips and self.skips else torch.zeros_like(h))
            if i < len(self.downsample):
                h = self.downsample[i](h)
        h = self.mid1(h, temb)
        h = self.mid_cross(self.mid_attn(h), context)
        h = self.mid2(h, temb)
        for j, level in enumerate(self.up):
            if j > 0:
                h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = level(torch.cat([h, skips.pop()], dim=1), temb, context)
        return self.conv_out(F.silu(self.norm_out(h)))


class Encoder(nn.Module):
    """sim_core.model.autoencoder.Encoder's twin."""

    def __init__(self, channels=(16, 32), latent_channels=4, in_channels=3):
        super().__init__()
        c0, c1 = channels
        self.conv_in = nn.Conv2d(in_channels, c0, 3, padding=1)
        self.res = nn.ModuleList([ResBlock(c0, c0), ResBlock(c0, c1), ResBlock(c1, c1)])
        self.downsample = nn.ModuleList([nn.Conv2d(c0, c0, 3, stride=2, padding=1), nn.Conv2d(c1, c1, 3, stride=2, padding=1)])
        self.norm_out = nn.GroupNorm(GROUPS, c1)
        self.conv_out = nn.Conv2d(c1, latent_channels, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for i, res in enumerate(self.res):
            h = res(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    """sim_core.model.autoencoder.Decoder's twin."""

    def __init__(self, channels=(16, 32), latent_channels=4, out_channels=3):
        super().__init__()
        c0, c1 = channels
        self.conv_in = nn.Conv2d(latent_channels, c1, 3, padding=1)
        self.res = nn.ModuleList([ResBlock(c1, c1), ResBlock(c1, c0), ResBlock(c0, c0)])
        self.upsample = nn.ModuleList([nn.Conv2d(c1, c1, 3, padding=1), nn.Conv2d(c0, c0, 3, padding=1)])
        self.norm_out = nn.GroupNorm(GROUPS, c0)
        self.conv_out = nn.Conv2d(c0, out_channels, 3, padding=1)

    def forward(self, z):
        h = self.conv_in(z)
        for i, res in enumerate(self.res):
            h = res(h)
            if i < len(self.upsample):
                h = self.upsample[i](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


class Autoencoder(nn.Module):
    def __init__(self, channels=(16, 32), latent_channels=4):
        super().__init__()
        self.encoder = Encoder(channels, latent_channels)
        self.decoder = Decoder(channels, latent_channels)

    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z), z
