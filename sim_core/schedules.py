"""Noise schedules of the forward process.

    β_t              how much noise step t adds           (betas)
    α_t  = 1 − β_t                                        (alphas)
    ᾱ_t  = ∏_{s≤t} α_s   signal left after t+1 steps      (alphas_cumprod)
    SNR(t) = ᾱ_t / (1 − ᾱ_t)

Timesteps are indices 0..T−1 as in diffusers. Every kind equals the diffusers
`beta_schedule` of the same meaning with its default beta range, float32 rounding included:
"linear", "scaled_linear", "cosine" ("squaredcos_cap_v2"), "sigmoid".
"""

import math

import numpy as np

from sim_core._checks import check_choice

KINDS = ("linear", "scaled_linear", "cosine", "sigmoid")
DIFFUSERS_NAMES = {
    "linear": "linear",
    "scaled_linear": "scaled_linear",
    "cosine": "squaredcos_cap_v2",
    "sigmoid": "sigmoid",
}
BETA_START, BETA_END = 0.0001, 0.02  # diffusers' defaults (Ho et al. 2020)
MAX_NUM_STEPS = 100_000


def linspace_f32(start: float, end: float, n: int) -> np.ndarray:
    """torch.linspace(start, end, n, dtype=float32), bit for bit: torch computes the step in
    float32, then start + step·i for the first half and end − step·(n−1−i) for the second,
    each with one fused multiply-add (one rounding), which float64 arithmetic reproduces."""
    start32, end32 = np.float32(start), np.float32(end)
    if n == 1:
        return np.array([start32])
    step = np.float64((end32 - start32) / np.float32(n - 1))
    i = np.arange(n, dtype=np.float64)
    head = np.float64(start32) + step * i
    tail = np.float64(end32) - step * (n - 1 - i)
    return np.where(i < n // 2, head, tail).astype(np.float32)


def cumprod_f32(x: np.ndarray) -> np.ndarray:
    """torch's CPU cumprod: accumulated in double, stored in float32."""
    return np.cumprod(x.astype(np.float64)).astype(np.float32)


def cosine_betas(num_steps: int, max_beta: float = 0.999) -> np.ndarray:
    """Nichol & Dhariwal 2021, eq. 17: ᾱ(t) = cos²((t/T + s)/(1 + s) · π/2) with s = 0.008,
    β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999)."""

    def alpha_bar(u: float) -> float:
        return math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2

    betas = [
        min(1 - alpha_bar((i + 1) / num_steps) / alpha_bar(i / num_steps), max_beta)
        for i in range(num_steps)
    ]
    return np.array(betas, dtype=np.float32)


def make_betas(kind: str, num_steps: int) -> np.ndarray:
    """β_1..β_T of a named schedule, float32, as diffusers builds them."""
    check_choice(kind, KINDS, "schedule")
    if kind == "linear":
        return linspace_f32(BETA_START, BETA_END, num_steps)
    if kind == "scaled_linear":  # Stable Diffusion's: linear in √β
        return linspace_f32(BETA_START**0.5, BETA_END**0.5, num_steps) ** 2
    if kind == "cosine":
        return cosine_betas(num_steps)
    x = linspace_f32(-6.0, 6.0, num_steps)  # sigmoid
    sigmoid = (1 / (1 + np.exp(-x))).astype(np.float32)
    return (sigmoid * np.float32(BETA_END - BETA_START) + np.float32(BETA_START)).astype(np.float32)


def short_schedule(kind: str, num_steps: int) -> "Schedule":
    """A schedule for a short T (the 2-D toy's 200): linear β scaled by 1000/T, as Nichol &
    Dhariwal's get_named_beta_schedule does, so that ᾱ_T stays near 0 and x_T ~ N(0, I)
    holds (unscaled, T = 200 keeps √ᾱ_T = 0.36); cosine needs no scaling."""
    if kind != "linear":
        return make_schedule(kind, num_steps)
    scale = 1000 / num_steps
    return Schedule(kind, linspace_f32(BETA_START * scale, BETA_END * scale, num_steps), False)


def rescale_zero_terminal_snr(betas: np.ndarray) -> np.ndarray:
    """Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed",
    Algorithm 1: shift √ᾱ so that its last value is 0 (pure noise, SNR = 0), then scale so
    that its first value is unchanged."""
    alphas_bar_sqrt = np.sqrt(cumprod_f32(1 - betas))
    first, last = alphas_bar_sqrt[0], alphas_bar_sqrt[-1]
    alphas_bar_sqrt = (alphas_bar_sqrt - last) * (first / (first - last))
    alphas_bar = alphas_bar_sqrt**2
    alphas = np.concatenate([alphas_bar[:1], alphas_bar[1:] / alphas_bar[:-1]])
    return (1 - alphas).astype(np.float32)


class Schedule:
    """A noise schedule with the coefficient arrays the equations use, named after their
    symbols (read-only float32 arrays of shape (T,))."""

    def __init__(self, kind: str, betas: np.ndarray, zero_terminal_snr: bool):
        self.kind = kind
        self.zero_terminal_snr = zero_terminal_snr
        self.betas = _frozen(betas)
        self.alphas = _frozen(1 - betas)
        self.alphas_cumprod = _frozen(cumprod_f32(self.alphas))  # as torch: α in float32
        # ᾱ in float64 for what subtracts from 1: float32 ᾱ_0 = 0.9999 keeps only ~3 digits
        # of 1 − ᾱ_0 = β_0
        self.alphas_cumprod_f64 = np.cumprod(1 - self.betas.astype(np.float64))
        self.alphas_cumprod_f64.flags.writeable = False
        # ᾱ_{t−1}, with ᾱ_{−1} = 1 (no noise before the first step)
        self.alphas_cumprod_prev = _frozen(np.append(np.float32(1), self.alphas_cumprod[:-1]))
        self.sqrt_alphas_cumprod = _frozen(np.sqrt(self.alphas_cumprod))
        self.sqrt_one_minus_alphas_cumprod = _frozen(np.sqrt(1 - self.alphas_cumprod))

    @property
    def num_steps(self) -> int:
        return len(self.betas)

    @property
    def signal_scale(self) -> np.ndarray:
        """√ᾱ_t: how much of x_0 is left in x_t."""
        return self.sqrt_alphas_cumprod

    @property
    def noise_scale(self) -> np.ndarray:
        """√(1 − ᾱ_t): the standard deviation of the noise in x_t."""
        return self.sqrt_one_minus_alphas_cumprod

    @property
    def snr(self) -> np.ndarray:
        """SNR(t) = ᾱ_t / (1 − ᾱ_t), in float64 (it spans many decades)."""
        ac = self.alphas_cumprod_f64
        with np.errstate(divide="ignore"):
            return ac / (1 - ac)

    @property
    def log_snr(self) -> np.ndarray:
        """λ_t = log SNR(t); −inf where the terminal SNR is zero."""
        with np.errstate(divide="ignore"):
            return np.log(self.snr)

    def __repr__(self) -> str:
        ztsnr = ", zero_terminal_snr=True" if self.zero_terminal_snr else ""
        return f"Schedule({self.kind!r}, num_steps={self.num_steps}{ztsnr})"


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float32)
    a.flags.writeable = False
    return a


def make_schedule(kind: str, num_steps: int = 1000, zero_terminal_snr: bool = False) -> Schedule:
    """The schedule `kind` over `num_steps` training timesteps, optionally rescaled to zero
    terminal SNR (then x_{T−1} is pure noise and ε-prediction cannot recover x_0 there)."""
    check_choice(kind, KINDS, "schedule")
    if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)):
        raise ValueError(f"num_steps must be an integer; got {num_steps!r}")
    if not 2 <= num_steps <= MAX_NUM_STEPS:
        raise ValueError(f"num_steps must lie in [2, {MAX_NUM_STEPS}]; got {num_steps}")
    betas = make_betas(kind, int(num_steps))
    if zero_terminal_snr:
        betas = rescale_zero_terminal_snr(betas)
    return Schedule(kind, betas, bool(zero_terminal_snr))
