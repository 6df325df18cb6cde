import numpy as np
import pytest

from sim_core.worlds.shapes import COLORS, SHAPES, VOCABULARY, render, render_batch, render_seed


def test_rendering_is_deterministic_and_in_range():
    a, b = render_seed(123), render_seed(123)
    np.testing.assert_array_equal(a.image, b.image)
    assert a.prompt == b.prompt
    assert a.image.shape == (3, 32, 32) and a.image.dtype == np.float32
    images, prompts = render_batch(range(200))
    assert images.min() >= -1 and images.max() <= 1
    assert len(set(prompts)) == 36, "200 seeds cover every colour × shape"
    assert not np.array_equal(render_seed(1).image, render_seed(2).image)


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_is_anti_aliased_and_coloured(shape):
    item = render("blue", shape, np.random.default_rng(0))
    rgb = (item.image + 1) / 2
    blue = np.array(COLORS["blue"])[:, None, None]
    inside = np.abs(rgb - blue).max(axis=0) < 0.2
    assert 30 < inside.sum() < 600
    # edge pixels mix shape and background: anti-aliasing
    levels = np.unique(np.round(rgb[2], 2))
    assert len(levels) > 20


def test_prompt_fixes_colour_and_shape():
    item = render_seed(5, "purple heart")
    assert (item.color, item.shape) == ("purple", "heart")
    assert render_seed(5, "ring").shape == "ring"


def test_vocabulary():
    assert VOCABULARY.parse("Red  STAR") == ("red", "star")
    assert VOCABULARY.parse("") == (None, None)
    assert len(VOCABULARY.prompts()) == 36
    with pytest.raises(ValueError, match="unknown word 'dragon'.*known words: red, orange"):
        VOCABULARY.parse("red dragon")
    with pytest.raises(ValueError, match="at most one colour and one shape"):
        VOCABULARY.parse("red blue star")


def test_image_helpers_match_skimage_saturation():
    from skimage.color import rgb2hsv

    from sim_core.images import make_grid, mean_saturation, to_rgb8

    images, _ = render_batch(range(4))
    expected = np.mean([rgb2hsv((im.transpose(1, 2, 0) + 1) / 2)[..., 1] for im in images])
    assert mean_saturation(images) == pytest.approx(expected, abs=1e-5)
    assert to_rgb8(np.full((3, 1, 1), -1.0))[0, 0].tolist() == [0, 0, 0]
    assert to_rgb8(np.full((3, 1, 1), 2.0))[0, 0].tolist() == [255, 255, 255]
    grid = make_grid(images, cols=2, pad=1, scale=2)
    assert grid.shape == (2 * 65 + 1, 2 * 65 + 1, 3)
    np.testing.assert_array_equal(grid[1:3, 1:3], to_rgb8(images[0])[:1, :1].repeat(2, 0).repeat(2, 1))


def test_background_brightness_reads_the_background_not_the_shape():
    """The corners are background for every shape at every size and place: they agree with the
    pixels well away from the shape (the background's ramp ±0.08 allows a little), and a shape
    painted in the middle of a flat field does not move them."""
    from sim_core.images import background_brightness

    items = [render_seed(s) for s in range(300)]
    measured = background_brightness(np.stack([i.image for i in items]))
    ys, xs = np.mgrid[0:32, 0:32] + 0.5
    for item, value in zip(items, measured):
        far = np.hypot(xs - item.center[0], ys - item.center[1]) > 1.3 * item.radius + 1
        assert abs(value - (item.image[:, far].mean() + 1) / 2) < 0.05, item.prompt
    flat = np.full((2, 3, 32, 32), -0.6, np.float32)
    flat[1, :, 4:28, 4:28] = 1.0
    np.testing.assert_allclose(background_brightness(flat), [0.2, 0.2], atol=1e-6)
    assert measured.min() < 0.1 and measured.max() > 0.45  # the world's backgrounds: near black to mid-grey
