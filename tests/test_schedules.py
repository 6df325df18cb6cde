import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler

from sim_core.schedules import DIFFUSERS_NAMES, KINDS, linspace_f32, make_schedule


def diffusers_schedule(kind, num_steps, zero_terminal_snr):
    return DDPMScheduler(
        num_train_timesteps=num_steps,
        beta_schedule=DIFFUSERS_NAMES[kind],
        rescale_betas_zero_snr=zero_terminal_snr,
    )


@pytest.mark.parametrize("n", [2, 7, 10, 999, 1000, 1001])
def test_linspace_f32_matches_torch_bit_for_bit(n):
    for start, end in [(0.0001, 0.02), (0.0001**0.5, 0.02**0.5), (-6.0, 6.0)]:
        ours = linspace_f32(start, end, n)
        theirs = torch.linspace(start, end, n, dtype=torch.float32).numpy()
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("zero_terminal_snr", [False, True])
@pytest.mark.parametrize("num_steps", [1000, 250])
def test_schedule_matches_diffusers(kind, zero_terminal_snr, num_steps):
    ours = make_schedule(kind, num_steps, zero_terminal_snr=zero_terminal_snr)
    theirs = diffusers_schedule(kind, num_steps, zero_terminal_snr)
    # The zero-SNR rescale divides neighbouring ᾱ: a 1-ulp difference in float32 sqrt (this
    # torch build's vectorised sqrt is not always correctly rounded) shows as ~1e-6 in β.
    atol = 5e-6 if zero_terminal_snr else 1e-9
    rtol = 2e-5 if zero_terminal_snr else 2e-6
    for name in ("betas", "alphas", "alphas_cumprod"):
        a, b = getattr(ours, name), getattr(theirs, name).numpy()
        assert a.dtype == np.float32 and a.shape == (num_steps,)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("kind", ["linear", "scaled_linear", "cosine"])
def test_alphas_cumprod_is_bit_exact_where_torch_ops_are_exact(kind):
    ours = make_schedule(kind).alphas_cumprod
    np.testing.assert_array_equal(ours, diffusers_schedule(kind, 1000, False).alphas_cumprod.numpy())


def test_zero_terminal_snr_ends_in_pure_noise():
    s = make_schedule("scaled_linear", zero_terminal_snr=True)
    assert s.alphas_cumprod[-1] == 0 and s.snr[-1] == 0 and s.log_snr[-1] == -np.inf
    # the first step keeps its original signal level
    assert s.alphas_cumprod[0] == pytest.approx(make_schedule("scaled_linear").alphas_cumprod[0])


def test_helpers_are_the_formulas():
    s = make_schedule("cosine")
    ac = s.alphas_cumprod_f64
    np.testing.assert_allclose(s.alphas_cumprod, ac, rtol=1e-6)
    np.testing.assert_allclose(s.signal_scale**2, ac, rtol=1e-6)
    np.testing.assert_allclose(s.noise_scale**2, 1 - ac, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(s.snr, ac / (1 - ac), rtol=1e-12)
    np.testing.assert_allclose(s.log_snr, np.log(ac / (1 - ac)), rtol=1e-12)
    assert np.all(np.diff(s.log_snr) < 0), "log-SNR falls monotonically"
    assert s.alphas_cumprod_prev[0] == 1 and s.alphas_cumprod_prev[5] == s.alphas_cumprod[4]


def test_cosine_keeps_more_signal_early_than_linear():
    lin, cos = make_schedule("linear"), make_schedule("cosine")
    assert cos.alphas_cumprod[300] > lin.alphas_cumprod[300] + 0.2


def test_arrays_are_read_only():
    s = make_schedule("linear")
    with pytest.raises(ValueError):
        s.betas[0] = 1.0


@pytest.mark.parametrize(
    "args, message",
    [
        (("quadratic",), "unknown schedule 'quadratic'; expected one of linear"),
        (("linear", 1), r"num_steps must lie in \[2, 100000\]"),
        (("linear", 10.5), "num_steps must be an integer"),
    ],
)
def test_bad_arguments_say_what_was_expected(args, message):
    with pytest.raises(ValueError, match=message):
        make_schedule(*args)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_a_short_schedule_still_ends_in_noise(kind):
    """The 2-D toy's T = 200: unscaled linear β left √ᾱ_T = 0.36, so x_T ~ N(0, I) was wrong."""
    from sim_core.schedules import short_schedule

    s = short_schedule(kind, 200)
    assert np.sqrt(s.alphas_cumprod[-1]) < 0.01 and s.betas.max() < 1
    assert np.sqrt(make_schedule("linear", 200).alphas_cumprod[-1]) > 0.3  # what the toy had
