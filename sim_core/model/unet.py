"""The shapes-world U-Net in numpy: ε_θ(x_t, t, prompt).

    x_t ─ conv_in ─ down[0] ──────────────────────────────── up[2] ─ norm, SiLU, conv_out ─ ε
                      └ stride-2 conv ─ down[1] ──────── up[1] ┘ (nearest ×2)
                                          └ stride-2 conv ─ down[2] ─ middle ─ up[0] ┘
    each level: ResBlock (+ self-attention) (+ cross-attention to the prompt); every up level
    also takes the skip tensor of its down level (concatenated channels).

The timestep t enters every ResBlock through a sinusoidal embedding and a small MLP; the
prompt enters through cross-attention to the text encoder's three token vectors.
"""

import numpy as np

from sim_core.model.blas import matmul_into, one_blas_thread
from sim_core.model.layers import (
    Conv2d,
    Embedding,
    GroupNorm,
    LayerNorm,
    Linear,
    Module,
    attend,
    attention,
    channels_first,
    channels_last,
    merge_heads,
    silu,
    softmax_columns,
    split_heads,
    timestep_embedding,
    upsample_nearest,
)

GROUPS = 8
HEAD_DIM = 32


class ResBlock(Module):
    """h = conv(SiLU(GN(x))) + MLP(t_emb);  out = skip(x) + conv(SiLU(GN(h)))
    The MLP is SiLU then Linear; the U-Net hands every block SiLU(t_emb), computed once.
    (tdim=None: no timestep, as in the autoencoder)"""

    def __init__(self, cin, cout, tdim=None):
        super().__init__()
        self.norm1, self.conv1 = GroupNorm(GROUPS, cin), Conv2d(cin, cout, 3)
        self.time = Linear(tdim, cout) if tdim else None
        self.norm2, self.conv2 = GroupNorm(GROUPS, cout), Conv2d(cout, cout, 3)
        self.skip = Conv2d(cin, cout, 1) if cin != cout else None

    def __call__(self, x, silu_temb=None):
        h = self.conv1(x, norm=self.norm1, shift=None if self.time is None else self.time(silu_temb))
        return self.conv2(h, norm=self.norm2, residual=x if self.skip is None else self.skip(x))


class Attention(Module):
    """Residual multi-head attention of the pixels to themselves (self-attention) or to the
    prompt's tokens (cross-attention: keys and values from the text encoder)."""

    def __init__(self, ch, context_dim=None):
        super().__init__()
        self.heads = max(1, ch // HEAD_DIM)
        self.norm = GroupNorm(GROUPS, ch)
        self.q = Linear(ch, ch)
        self.k = Linear(context_dim or ch, ch)
        self.v = Linear(context_dim or ch, ch)
        self.out = Linear(ch, ch)

    def __call__(self, x, context=None, capture=None, name=""):
        return self.self_attention(x) if context is None else self.cross_attention(x, context, capture, name)

    def qkv(self):
        """W_q/√d, W_k and W_v stacked (3C, C), and their biases (3C,): one product makes q, k
        and v; remade when a weight array changes."""
        parts = (self.q.weight, self.k.weight, self.v.weight, self.q.bias, self.k.bias, self.v.bias)

        def make():
            scale = np.float32(1 / np.sqrt(self.q.weight.shape[0] // self.heads))
            return np.concatenate([parts[0] * scale, *parts[1:3]]), np.concatenate([parts[3] * scale, *parts[4:]])

        return self.kept("qkv", make, parts)

    def self_attention(self, x):
        """x + W_o·attend(W_qkv·GN(x) + b_qkv) + b_o over the pixels of channels-last x. The
        biases and the residual start in the products' outputs (matmul_into accumulates)."""
        n, h, w, c = x.shape
        weight, bias = self.qkv()
        qkv = np.empty((n, h * w, 3 * c), np.float32)
        qkv[:] = bias
        matmul_into(self.norm(x).reshape(n, h * w, c), weight.T[None], qkv, accumulate=True)
        out = x.reshape(n, h * w, c) + self.out.bias
        matmul_into(attend(qkv, self.heads), self.out.weight.T[None], out, accumulate=True)
        return out.reshape(n, h, w, c)

    def prompt_projections(self, context):
        """For each head, the prompt's keys with W_q folded in, (N, heads·L, C), their biases
        k·b_q/√d (N, heads, L, 1), and its values with W_o folded in, (N, heads·L, C).
        A sample asks with the same prompts at every step, so the last answer is kept."""
        weights = (self.q.weight, self.q.bias, self.k.weight, self.k.bias, self.v.weight, self.v.bias, self.out.weight)
        return self.kept("prompt", lambda: self._fold_prompt(context), weights, context)

    def _fold_prompt(self, context):
        n, length, _ = context.shape
        c = self.q.weight.shape[0]
        heads, d = self.heads, c // self.heads
        k, v = (split_heads(p, heads) for p in (self.k(context), self.v(context)))  # (N, heads, L, d)
        k = k / np.float32(np.sqrt(d))
        keys = (k @ self.q.weight.reshape(heads, d, c)).reshape(n, heads * length, c)
        key_bias = k @ self.q.bias.reshape(heads, d, 1)
        values = (v @ self.out.weight.reshape(c, heads, d).transpose(1, 2, 0)).reshape(n, heads * length, c)
        return keys, key_bias, values

    def cross_attention(self, x, context, capture=None, name=""):
        """Cross-attention to a few prompt tokens, with the projections folded into them.
        Per head, scores = (W_q x + b_q)·k / √d = (k W_q / √d)·x + k·b_q / √d, and the output
        W_o Σ_l p_l v_l = Σ_l p_l (W_o v_l): two products with L·heads rows, where the
        pixels never meet a C×C matrix. The scores are made keys down, pixels across, so
        that the softmax runs down their columns."""
        n, h, w, c = x.shape
        keys, key_bias, values = self.prompt_projections(context)
        heads, length = key_bias.shape[1:3]
        weights = np.empty((n, heads * length, h * w), np.float32)
        weights[:] = key_bias.reshape(n, heads * length, 1)
        matmul_into(keys, np.swapaxes(self.norm(x).reshape(n, h * w, c), 1, 2), weights, accumulate=True)  # the scores
        softmax_columns(weights.reshape(n * heads, length, h * w))  # over each head's L keys
        if capture is not None:  # (N, pixels, keys), averaged over heads
            capture[name] = weights.reshape(n, heads, length, h * w).mean(axis=1).transpose(0, 2, 1)
        out = x.reshape(n, h * w, c) + self.out.bias
        matmul_into(np.swapaxes(weights, 1, 2), values, out, accumulate=True)
        return out.reshape(n, h, w, c)


class MultiheadSelfAttention(Module):
    """torch.nn.MultiheadAttention's layout: one (3E, E) input projection, then out_proj."""

    def __init__(self, dim):
        super().__init__()
        self.heads = max(1, dim // HEAD_DIM)
        self.param("in_proj_weight", 3 * dim, dim)
        self.param("in_proj_bias", 3 * dim)
        self.out_proj = Linear(dim, dim)

    def __call__(self, x):
        qkv = x @ self.in_proj_weight.T + self.in_proj_bias
        q, k, v = (split_heads(p, self.heads) for p in np.split(qkv, 3, axis=-1))
        return self.out_proj(merge_heads(attention(q, k, v)[0]))


class TextEncoder(Module):
    """Token + position embeddings, one pre-norm transformer layer, a final LayerNorm."""

    def __init__(self, num_tokens, length, dim):
        super().__init__()
        self.token = Embedding(num_tokens, dim)
        self.param("position", length, dim)
        self.norm1, self.attn = LayerNorm(dim), MultiheadSelfAttention(dim)
        self.norm2, self.mlp1, self.mlp2 = LayerNorm(dim), Linear(dim, 2 * dim), Linear(2 * dim, dim)
        self.norm_out = LayerNorm(dim)

    def __call__(self, ids):
        h = self.token(ids) + self.position[None]
        h = h + self.attn(self.norm1(h))
        h = h + self.mlp2(silu(self.mlp1(self.norm2(h))))
        return self.norm_out(h)


class Level(Module):
    def __init__(self, cin, cout, tdim, context_dim, self_attn, cross_attn):
        super().__init__()
        self.res = ResBlock(cin, cout, tdim)
        self.self_attn = Attention(cout) if self_attn else None
        self.cross_attn = Attention(cout, context_dim) if cross_attn else None

    def __call__(self, x, silu_temb, context, capture, name):
        x = self.res(x, silu_temb[:len(x)])
        if self.self_attn is not None:
            x = self.self_attn(x)
        if self.cross_attn is not None:
            x = self.cross_attn(repeated(x, len(context)), context, capture, attention_key(name))
        return x


def repeated(h, n: int):
    """h for n images: its rows repeated when it was computed once for images that share it
    (see UNet.__call__)."""
    return h if len(h) == n else np.concatenate([h] * (n // len(h)))


def decoder_input(h, skip, upsample: bool):
    """[h upsampled ×2 (when asked), skip] along the channels, made in one array: the skip's rows
    repeated when it was computed once for images that share it."""
    n, hh, ww, c = h.shape
    scale = 2 if upsample else 1
    out = np.empty((n, scale * hh, scale * ww, c + skip.shape[3]), dtype=np.float32)
    if upsample:
        upsample_nearest(h, out)  # into its first c channels
    else:
        out[..., :c] = h
    out[..., c:].reshape(n // len(skip), *skip.shape)[...] = skip  # (see repeated)
    return out


def shared_copies(x, t) -> int:
    """2 when the second half of the batch repeats the first (the same x_t at the same t, as
    classifier-free guidance evaluates each image with and without its prompt), else 1."""
    half = len(x) // 2
    same = len(x) % 2 == 0 and half > 0 and np.array_equal(t[:half], t[half:]) and np.array_equal(x[:half], x[half:])
    return 2 if same else 1


def attention_key(level: str) -> str:
    """Where `capture` keeps a level's cross-attention maps, (N, pixels, tokens), averaged
    over heads: level "down.i", "mid" or "up.j"."""
    return f"cross_attn.{level}"


class UNet(Module):
    """The denoiser. Architecture fields as in the model card's "architecture"; skips=False
    is a twin trained with zeros where the decoder's skip connections would be."""

    def __init__(self, channels, self_attn, cross_attn, time_dim, context_dim, num_tokens,
                 prompt_length=3, in_channels=3, skips=True):
        super().__init__()
        self.skips = bool(skips)
        self.time_freq_dim = channels[0]
        self.time1, self.time2 = Linear(channels[0], time_dim), Linear(time_dim, time_dim)
        self.text = TextEncoder(num_tokens, prompt_length, context_dim)
        self.conv_in = Conv2d(in_channels, channels[0], 3)
        self.down, self.downsample = [], []
        cin = channels[0]
        for i, ch in enumerate(channels):
            self.down.append(Level(cin, ch, time_dim, context_dim, self_attn[i], cross_attn[i]))
            if i < len(channels) - 1:
                self.downsample.append(Conv2d(ch, ch, 3, stride=2))
            cin = ch
        self.mid1 = ResBlock(cin, cin, time_dim)
        self.mid_attn = Attention(cin)
        self.mid_cross = Attention(cin, context_dim)
        self.mid2 = ResBlock(cin, cin, time_dim)
        self.up = []
        for i in reversed(range(len(channels))):
            self.up.append(Level(cin + channels[i], channels[i], time_dim, context_dim, False, cross_attn[i]))
            cin = channels[i]
        self.norm_out = GroupNorm(GROUPS, cin)
        self.conv_out = Conv2d(cin, in_channels, 3)

    def __call__(self, x, t, context, use_skips=True, capture=None):
        """The prediction (ε̂ or v̂, NCHW) for x (N, C, H, W) at timesteps t (N,) given the text
        encoder's context (N, L, D). `capture`, a dict, receives every level's feature maps
        (keys "down.i", "mid", "up.j") and every cross-attention map (attention_key(level));
        use_skips=False feeds the decoder zeros instead of the skips.

        The layers before the first cross-attention never see the prompt: where the batch's
        second half repeats its first (classifier-free guidance), they run on the first half
        only, and their outputs are repeated where the prompt enters: the same numbers (to
        float32 rounding: the products' sums run in another order) for less work."""
        with one_blas_thread():
            return self._forward(x, t, context, use_skips, capture)

    def _forward(self, x, t, context, use_skips, capture):
        context = np.broadcast_to(context, (len(x), *context.shape[1:]))  # one prompt for all, or one each
        silu_temb = silu(self.time2(silu(self.time1(timestep_embedding(t, self.time_freq_dim)))))
        copies = shared_copies(x, t) if capture is None else 1  # captured maps keep every row
        h = self.conv_in(channels_last(x[:len(x) // copies]))
        keep = (lambda name, value: capture.__setitem__(name, channels_first(value))) if capture is not None else (lambda *_: None)
        skips = []
        for i, level in enumerate(self.down):
            h = level(h, silu_temb, context, capture, f"down.{i}")
            keep(f"down.{i}", h)
            skips.append(h if use_skips and self.skips else np.zeros_like(h))
            if i < len(self.downsample):
                h = self.downsample[i](h)
        h = self.mid1(h, silu_temb[:len(h)])
        h = self.mid_cross(repeated(self.mid_attn(h), len(x)), context, capture, attention_key("mid"))
        h = self.mid2(h, silu_temb)
        keep("mid", h)
        for j, level in enumerate(self.up):
            h = level(decoder_input(h, skips.pop(), upsample=j > 0), silu_temb, context, capture, f"up.{j}")
            keep(f"up.{j}", h)
        return channels_first(self.conv_out(h, norm=self.norm_out))
