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
