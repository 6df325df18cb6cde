import numpy as np
from PIL import Image

from game import export
from sim_core.images import to_rgb8
from sim_core.sampling import SampleStep

SETTINGS = dict(prompt="red star", sampler="ddim", steps=3, guidance=7.5, seed=4)


def test_png_is_the_final_image_enlarged_crisply(tmp_path, monkeypatch):
    monkeypatch.setenv("DIFFUSION_QUEST_EXPORTS", str(tmp_path))
    image = np.random.default_rng(0).uniform(-1, 1, (3, 32, 32)).astype(np.float32)
    path = export.save_png(image, SETTINGS)
    assert path.parent == tmp_path and "red-star-ddim-3-w7.5-s4" in path.name
    saved = np.asarray(Image.open(path))
    assert saved.shape == (256, 256, 3)
    np.testing.assert_array_equal(saved[::8, ::8], to_rgb8(image))


def test_gif_holds_every_step(tmp_path, monkeypatch):
    monkeypatch.setenv("DIFFUSION_QUEST_EXPORTS", str(tmp_path))
    rng = np.random.default_rng(1)
    steps = [SampleStep(i, 900 - 300 * i, None, None, None, rng.uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32),
                        rng.uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32)) for i in range(3)]
    gif = Image.open(export.save_gif(steps, SETTINGS))
    assert gif.n_frames == 3
    assert gif.size == (2 * 32 * 6 + 3 * 4, 32 * 6 + 2 * 4)
