"""Every bad input gets a ValueError that says what was expected."""

import numpy as np
import pytest

from sim_core.forward import q_posterior_mean_variance, q_sample, q_step
from sim_core.guidance import cfg
from sim_core.samplers import make_sampler
from sim_core.schedules import make_schedule

S = make_schedule("linear")
X = np.zeros((2, 3, 4, 4), np.float32)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: q_sample(X[0], 5, X[0], S), r"x0 must be a float32 array of shape \(N, C, H, W\); got a float32 array of shape \(3, 4, 4\)"),
        (lambda: q_sample(X.astype(np.float64), 5, X, S), "x0 must be a float32 array.*got a float64 array"),
        (lambda: q_sample(X.tolist(), 5, X, S), "x0 must be a float32 array.*got list"),
        (lambda: q_sample(X, 5, X[:1], S), r"noise must have the shape of x0, \(2, 3, 4, 4\); got \(1, 3, 4, 4\)"),
        (lambda: q_sample(X, 1000, X, S), r"t must lie in \[0, 999\]; got 1000"),
        (lambda: q_sample(X, -1, X, S), r"t must lie in \[0, 999\]"),
        (lambda: q_sample(X, 2.5, X, S), r"t must be an integer or an integer array of shape \(2,\)"),
        (lambda: q_step(X, np.array([1, 2, 3]), X, S), r"integer array of shape \(2,\)"),
        (lambda: q_step(np.full_like(X, np.nan), 3, X, S), "x_prev contains NaN or infinite values"),
        (lambda: q_posterior_mean_variance(X, X[:, :1], 3, S), "x_t must have the shape of x0"),
        (lambda: make_sampler("euler", S), "unknown sampler 'euler'; expected one of ddpm, ddim, dpmsolver\\+\\+"),
        (lambda: make_sampler("ddim", S, spacing="even"), "unknown spacing 'even'; expected one of leading, trailing, linspace"),
        (lambda: make_sampler("ddim", S, steps=0), r"steps must be an integer in \[1, 1000\] for ddim; got 0"),
        (lambda: make_sampler("dpmsolver++", S, steps=1000), r"steps must be an integer in \[1, 999\]"),
        (lambda: make_sampler("ddim", S, steps=50.0), "steps must be an integer"),
        (lambda: make_sampler("ddim", S, eta=2.0), r"eta must lie in \[0, 1\]"),
        (lambda: make_sampler("ddpm", S, eta=0.5), "eta and use_clipped_model_output apply to ddim only"),
        (lambda: make_sampler("ddim", "linear"), "schedule must come from make_schedule"),
        (lambda: make_sampler("ddim", S, clip_sample=-1), "clip_sample must be a positive number"),
        (lambda: make_sampler("ddpm", S, steps=10).step(X, 899, X), "the ddpm step at t=899 is stochastic: pass noise"),
        (lambda: make_sampler("ddim", S, steps=10).step(X, 901, X), "t must be one of this sampler's timesteps; got 901"),
        (lambda: make_sampler("ddim", S, steps=10).step(X[:1], 899, X), "model_output must have the shape of x"),
        (lambda: make_sampler("ddim", S, prediction_type="sample"), "unknown prediction_type 'sample'"),
        (lambda: make_sampler("dpmsolver++", S, use_clipped_model_output=True), "apply to ddim only"),
        (lambda: _dpm_out_of_order(), "dpmsolver\\+\\+ is multistep: visit its timesteps in order"),
        (lambda: cfg(X, X, float("nan")), "guidance scale w must be a finite number"),
    ],
)
def test_bad_input_is_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _dpm_out_of_order():
    smp = make_sampler("dpmsolver++", S, steps=10)
    smp.step(X, 999, X)
    smp.step(X, 799, X)


def test_eps_model_at_zero_terminal_snr_is_explained():
    s = make_schedule("linear", zero_terminal_snr=True)
    smp = make_sampler("ddim", s, steps=10, spacing="trailing")
    with pytest.raises(ValueError, match="zero terminal SNR"):
        smp.step(X, 999, X)
