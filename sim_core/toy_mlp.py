"""A tiny MLP denoiser for 2-D points, trained live with numba: v_θ(x_t, t) (or ε_θ, or
the velocity of flow matching).

    input   [x_t (2), sin/cos features of t (TIME_FEATURES)]
    hidden  h1 = SiLU(input · W1 + b1),  h2 = SiLU(h1 · W2 + b2)   (width: the player's choice)
    output  ε̂ = h2 · W3 + b3

Training minimises ‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖² (Ho et al. 2020, algorithm 1) with
Adam; forward and backward are written out by hand in one compiled loop, the parameters
kept in one flat vector θ. The learned score is ∇ log p_t(x) ≈ −ε_θ(x, t) / √(1 − ᾱ_t).
"""

import math

import numpy as np

from sim_core._numba import kernel
from sim_core.parameterization import PREDICTION_TYPES, pred_epsilon

TIME_FEATURES = 16
INPUTS = 2 + TIME_FEATURES


@kernel
def _views(theta, hidden):  # pragma: no cover  (compiled)
    """W1, b1, W2, b2, W3, b3 as views into the flat vector θ."""
    sizes = (INPUTS * hidden, hidden, hidden * hidden, hidden, hidden * 2, 2)
    o = np.cumsum(np.array((0,) + sizes))
    return (theta[o[0]:o[1]].reshape(INPUTS, hidden), theta[o[1]:o[2]],
            theta[o[2]:o[3]].reshape(hidden, hidden), theta[o[3]:o[4]],
            theta[o[4]:o[5]].reshape(hidden, 2), theta[o[5]:o[6]])


@kernel
def _forward(theta, hidden, x, t, num_steps, feats, a1, h1, a2, h2, out):  # pragma: no cover
    w1, b1, w2, b2, w3, b3 = _views(theta, hidden)
    half = TIME_FEATURES // 2
    for n in range(x.shape[0]):
        feats[n, 0], feats[n, 1] = x[n, 0], x[n, 1]
        for k in range(half):  # sinusoidal features of t over octaves
            angle = t[n] / num_steps * 2 * math.pi * (2.0**k) / 4
            feats[n, 2 + k] = math.sin(angle)
            feats[n, 2 + half + k] = math.cos(angle)
        for j in range(hidden):
            s = b1[j]
            for i in range(INPUTS):
                s += feats[n, i] * w1[i, j]
            a1[n, j], h1[n, j] = s, s / (1.0 + math.exp(-s))
        for j in range(hidden):
            s = b2[j]
            for i in range(hidden):
                s += h1[n, i] * w2[i, j]
            a2[n, j], h2[n, j] = s, s / (1.0 + math.exp(-s))
        for c in range(2):
            s = b3[c]
            for i in range(hidden):
                s += h2[n, i] * w3[i, c]
            out[n, c] = s


@kernel
def _silu_grad(a):  # pragma: no cover  (compiled)
    s = 1.0 / (1.0 + math.exp(-a))
    return s * (1.0 + a * (1.0 - s))


@kernel
def _loss_and_grad(theta, hidden, x, t, target, num_steps, grad):  # pragma: no cover  (compiled)
    """Mean of (output − target)² over the batch (the target: v or ε), and its gradient with
    respect to θ into `grad`."""
    batch = x.shape[0]
    feats = np.empty((batch, INPUTS), np.float32)
    a1 = np.empty((batch, hidden), np.float32)
    h1, a2, h2 = np.empty_like(a1), np.empty_like(a1), np.empty_like(a1)
    out = np.empty((batch, 2), np.float32)
    _forward(theta, hidden, x, t, num_steps, feats, a1, h1, a2, h2, out)
    grad[:] = 0.0
    gw1, gb1, gw2, gb2, gw3, gb3 = _views(grad, hidden)
    w1, b1, w2, b2, w3, b3 = _views(theta, hidden)
    d_h1 = np.empty(hidden, np.float32)
    d_a2 = np.empty(hidden, np.float32)
    loss = 0.0
    for n in range(batch):
        d_a2[:] = 0.0
        for c in range(2):  # output layer
            diff = out[n, c] - target[n, c]
            loss += diff * diff
            d_out = 2.0 * diff / (batch * 2)
            gb3[c] += d_out
            for j in range(hidden):
                gw3[j, c] += h2[n, j] * d_out
                d_a2[j] += w3[j, c] * d_out
        for j in range(hidden):  # second hidden layer
            d_a2[j] *= _silu_grad(a2[n, j])
            gb2[j] += d_a2[j]
        for i in range(hidden):
            d_h1[i] = 0.0
            for j in range(hidden):
                gw2[i, j] += h1[n, i] * d_a2[j]
                d_h1[i] += w2[i, j] * d_a2[j]
        for j in range(hidden):  # first hidden layer
            d_a1 = d_h1[j] * _silu_grad(a1[n, j])
            gb1[j] += d_a1
            for i in range(INPUTS):
                gw1[i, j] += feats[n, i] * d_a1
    return loss / (batch * 2)


@kernel
def _train(theta, adam_m, adam_v, adam_step, hidden, data, sqrt_ac, sqrt_1m_ac, steps, batch, lr, seed, v_target,
           flow, losses):  # pragma: no cover
    """`steps` Adam steps on fresh batches; losses[k] is step k's mean squared error. The
    target is v = √ᾱ ε − √(1 − ᾱ) x_0 with v_target, else ε; with `flow` (flow matching,
    Lipman et al. 2023; Liu et al. 2023) x_s = (1 − s) x_0 + s ε at s ~ U(0, 1), seen as
    timestep s·T, and the target is the velocity ε − x_0."""
    np.random.seed(seed)
    num_steps = sqrt_ac.shape[0]
    x = np.empty((batch, 2), np.float32)
    target = np.empty((batch, 2), np.float32)
    t = np.empty(batch, np.float32)
    grad = np.zeros_like(theta)
    for k in range(steps):
        for n in range(batch):
            i = np.random.randint(data.shape[0])
            if flow:
                s = np.random.random()
                t[n] = s * num_steps
                for c in range(2):
                    eps = np.random.standard_normal()
                    x[n, c] = (1.0 - s) * data[i, c] + s * eps  # the straight path from x_0 to ε
                    target[n, c] = eps - data[i, c]
                continue
            ti = np.random.randint(num_steps)
            t[n] = ti
            for c in range(2):
                eps = np.random.standard_normal()
                x[n, c] = sqrt_ac[ti] * data[i, c] + sqrt_1m_ac[ti] * eps  # q_sample
                target[n, c] = sqrt_ac[ti] * eps - sqrt_1m_ac[ti] * data[i, c] if v_target else eps
        losses[k] = _loss_and_grad(theta, hidden, x, t, target, num_steps, grad)
        adam_step[0] += 1.0  # Adam (Kingma & Ba 2015), bias-corrected
        c1, c2 = 1.0 - 0.9 ** adam_step[0], 1.0 - 0.999 ** adam_step[0]
        for q in range(theta.shape[0]):
            adam_m[q] = 0.9 * adam_m[q] + 0.1 * grad[q]
            adam_v[q] = 0.999 * adam_v[q] + 0.001 * grad[q] * grad[q]
            theta[q] -= lr * (adam_m[q] / c1) / (math.sqrt(adam_v[q] / c2) + 1e-8)


def parameter_count(hidden: int) -> int:
    return INPUTS * hidden + hidden + hidden * hidden + hidden + hidden * 2 + 2


class ToyDenoiser:
    """The MLP with its Adam state; `train(steps)` continues training, `__call__` predicts v
    (or ε, with prediction_type="epsilon") for points shaped (N, 2, 1, 1) so sim_core's
    samplers run on it unchanged."""

    def __init__(self, schedule, data: np.ndarray, hidden: int = 64, lr: float = 3e-3, seed: int = 0,
                 prediction_type: str = "v_prediction"):
        if not 4 <= hidden <= 512:
            raise ValueError(f"hidden must lie in [4, 512]; got {hidden}")
        if prediction_type not in (*PREDICTION_TYPES, "flow"):
            raise ValueError(f"prediction_type must be one of {', '.join(PREDICTION_TYPES)} or flow; got {prediction_type!r}")
        self.prediction_type = prediction_type
        rng = np.random.default_rng(seed)
        self.schedule, self.data, self.hidden, self.lr, self.seed = schedule, np.ascontiguousarray(data, np.float32), hidden, lr, seed
        self.theta = np.zeros(parameter_count(hidden), np.float32)
        w1, _, w2, _, w3, _ = _views(self.theta, hidden)
        w1[:] = rng.normal(0, 1 / math.sqrt(INPUTS), w1.shape)  # variance-preserving start
        w2[:] = rng.normal(0, 1 / math.sqrt(hidden), w2.shape)
        w3[:] = rng.normal(0, 0.1 / math.sqrt(hidden), w3.shape)
        self.adam_m, self.adam_v = np.zeros_like(self.theta), np.zeros_like(self.theta)
        self.adam_step = np.zeros(1, np.float64)
        self.losses: list[float] = []

    def train(self, steps: int, batch: int = 128) -> np.ndarray:
        """Run `steps` training steps; returns their losses (also appended to `losses`)."""
        losses = np.empty(steps, np.float32)
        s = self.schedule
        _train(self.theta, self.adam_m, self.adam_v, self.adam_step, self.hidden, self.data,
               s.sqrt_alphas_cumprod, s.sqrt_one_minus_alphas_cumprod, steps, batch, np.float32(self.lr),
               self.seed + len(self.losses), self.prediction_type == "v_prediction", self.prediction_type == "flow", losses)
        self.losses.extend(losses.tolist())
        return losses

    def predict(self, points: np.ndarray, t) -> np.ndarray:
        """The network's output (v̂, or ε̂) for points (N, 2) at timestep t (int or (N,))."""
        n = len(points)
        t = np.broadcast_to(np.asarray(t, np.float32), (n,)).copy()
        buffers = [np.empty((n, INPUTS), np.float32)] + [np.empty((n, self.hidden), np.float32) for _ in range(4)]
        out = np.empty((n, 2), np.float32)
        _forward(self.theta, self.hidden, np.ascontiguousarray(points, np.float32), t, self.schedule.num_steps, *buffers, out)
        return out

    def loss_and_grad(self, x: np.ndarray, t: np.ndarray, target: np.ndarray):
        """The training loss on a given batch (target: v or ε) and its gradient (flat, like θ)."""
        grad = np.zeros_like(self.theta)
        loss = _loss_and_grad(self.theta, self.hidden, np.ascontiguousarray(x, np.float32),
                              np.asarray(t, np.float32), np.ascontiguousarray(target, np.float32), self.schedule.num_steps, grad)
        return float(loss), grad

    def score(self, points: np.ndarray, t: int) -> np.ndarray:
        """∇ log p_t(x) ≈ −ε̂ / √(1 − ᾱ_t): the arrows pointing toward the data."""
        s = self.schedule
        alpha, sigma = s.sqrt_alphas_cumprod[t], s.sqrt_one_minus_alphas_cumprod[t]
        return -pred_epsilon(self.predict(points, t), points, alpha, sigma, self.prediction_type) / sigma

    def flow_paths(self, x_1: np.ndarray, steps: int) -> np.ndarray:
        """A flow-matching model's Euler steps from noise x_1 (N, 2) at s = 1 down to s = 0:
        x_{s−h} = x_s − h v̂(x_s, s), h = 1/steps. Returns every point along the way,
        (steps + 1, N, 2), the first x_1 and the last the sample."""
        if self.prediction_type != "flow":
            raise ValueError("flow_paths needs a model trained with prediction_type='flow'")
        path = [np.asarray(x_1, np.float32)]
        for k in range(steps):
            s = 1.0 - k / steps
            path.append(path[-1] - self.predict(path[-1], s * self.schedule.num_steps) / steps)
        return np.stack(path)

    def encode_prompt(self, text):  # the sampling loop's model interface: no prompts here
        return None

    def __call__(self, x, t, cond=None):
        return self.predict(x.reshape(len(x), 2), t).reshape(x.shape)
