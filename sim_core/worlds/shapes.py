"""The shapes world: 32×32 RGB images of one coloured shape on a plain background, each
described by a two-word prompt such as "red star".

Rendering is deterministic from a seed. Shapes are drawn from signed distance functions
(negative inside, in pixels) with one pixel of anti-aliasing: coverage = clip(½ − sdf, 0, 1).
The same renderer makes the training data, the level targets and the judge's tests.
"""

from dataclasses import dataclass

import numpy as np

SIZE = 32
COLORS = {  # name: RGB in [0, 1], saturated and far apart in hue
    "red": (0.90, 0.12, 0.10),
    "orange": (1.00, 0.55, 0.05),
    "yellow": (0.95, 0.90, 0.12),
    "green": (0.12, 0.72, 0.22),
    "blue": (0.15, 0.35, 0.95),
    "purple": (0.62, 0.22, 0.88),
}
SHAPES = ("circle", "square", "triangle", "star", "heart", "ring")


@dataclass(frozen=True)
class Vocabulary:
    colors: tuple[str, ...] = tuple(COLORS)
    shapes: tuple[str, ...] = SHAPES

    @property
    def words(self) -> tuple[str, ...]:
        return self.colors + self.shapes

    def prompts(self) -> list[str]:
        """Every full prompt, "red circle" … "purple ring"."""
        return [f"{c} {s}" for c in self.colors for s in self.shapes]

    def parse(self, prompt: str) -> tuple[str | None, str | None]:
        """(colour, shape) named by a prompt; either may be None ("star", "red", "").
        Unknown words: ValueError naming the known ones."""
        if not isinstance(prompt, str):
            raise ValueError(f"a prompt must be text; got {type(prompt).__name__}")
        color = shape = None
        for word in prompt.lower().split():
            if word in self.colors and color is None:
                color = word
            elif word in self.shapes and shape is None:
                shape = word
            elif word in self.words:
                raise ValueError(f"a prompt names at most one colour and one shape; got {prompt!r}")
            else:
                raise ValueError(
                    f"unknown word {word!r} in prompt {prompt!r}; known words: {', '.join(self.words)}"
                )
        return color, shape


VOCABULARY = Vocabulary()


@dataclass(frozen=True)
class ShapeImage:
    image: np.ndarray  # (3, 32, 32) float32 in [−1, 1]
    color: str
    shape: str
    center: tuple[float, float]
    radius: float
    angle: float

    @property
    def prompt(self) -> str:
        return f"{self.color} {self.shape}"


def _polygon_sdf(px: np.ndarray, py: np.ndarray, vx: np.ndarray, vy: np.ndarray) -> np.ndarray:
    """Signed distance to a closed polygon (any simple polygon; Inigo Quilez's sdPolygon)."""
    d = (px - vx[0]) ** 2 + (py - vy[0]) ** 2
    sign = np.ones_like(px)
    n = len(vx)
    for i in range(n):
        j = i - 1
        ex, ey = vx[j] - vx[i], vy[j] - vy[i]
        wx, wy = px - vx[i], py - vy[i]
        h = np.clip((wx * ex + wy * ey) / (ex * ex + ey * ey), 0, 1)
        d = np.minimum(d, (wx - ex * h) ** 2 + (wy - ey * h) ** 2)
        c1, c2, c3 = py >= vy[i], py < vy[j], ex * wy > ey * wx
        flip = (c1 & c2 & c3) | (~c1 & ~c2 & ~c3)
        sign = np.where(flip, -sign, sign)
    return sign * np.sqrt(d)


def _regular(n: int, radius, inner: float | None = None, phase: float = -np.pi / 2):
    """Vertices of a regular n-gon (or an n-pointed star with the given inner radius ratio)."""
    if inner is None:
        angles = phase + 2 * np.pi * np.arange(n) / n
        radii = np.full(n, radius)
    else:
        angles = phase + np.pi * np.arange(2 * n) / n
        radii = np.where(np.arange(2 * n) % 2 == 0, radius, radius * inner)
    return radii * np.cos(angles), radii * np.sin(angles)


def shape_sdf(shape: str, px: np.ndarray, py: np.ndarray, radius: float) -> np.ndarray:
    """Signed distance (pixels) of an upright shape of the given radius centred at 0."""
    r = np.hypot(px, py)
    if shape == "circle":
        return r - radius
    if shape == "ring":
        return np.abs(r - 0.72 * radius) - 0.3 * radius
    if shape == "square":
        return _polygon_sdf(px, py, *_regular(4, 1.15 * radius, phase=np.pi / 4))
    if shape == "triangle":
        return _polygon_sdf(px, py, *_regular(3, 1.2 * radius))
    if shape == "star":
        return _polygon_sdf(px, py, *_regular(5, 1.2 * radius, inner=0.45))
    if shape == "heart":  # two lobes over a square turned 45°, point down
        lobe = 0.5 * radius
        left = np.hypot(px + 0.45 * radius, py + 0.2 * radius) - lobe
        right = np.hypot(px - 0.45 * radius, py + 0.2 * radius) - lobe
        vx, vy = _regular(4, 0.95 * radius, phase=0)
        body = _polygon_sdf(px, py, vx, vy * 1.0 + 0.12 * radius)
        return np.minimum(np.minimum(left, right), body)
    raise ValueError(f"unknown shape {shape!r}; expected one of {', '.join(SHAPES)}")


def render(color: str, shape: str, rng: np.random.Generator) -> ShapeImage:
    """One image of a `color` `shape` with size, position, rotation and background drawn
    from `rng`."""
    if color not in COLORS:
        raise ValueError(f"unknown colour {color!r}; expected one of {', '.join(COLORS)}")
    radius = rng.uniform(6.5, 11.0)
    margin = radius + 1.5
    cx, cy = rng.uniform(margin, SIZE - margin, size=2)
    angle = 0.0 if shape in ("circle", "ring") else rng.uniform(-np.pi, np.pi)
    if shape == "heart":
        angle = rng.uniform(-0.5, 0.5)  # a heart upside down is not a heart
    ys, xs = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    dx, dy = xs - cx, ys - cy
    cos, sin = np.cos(angle), np.sin(angle)
    coverage = np.clip(0.5 - shape_sdf(shape, cos * dx + sin * dy, -sin * dx + cos * dy, radius), 0, 1)

    gray = rng.uniform(0.06, 0.5)
    tint = rng.uniform(-0.04, 0.04, size=3)
    slope = rng.uniform(-0.08, 0.08, size=2) / SIZE
    ramp = slope[0] * (xs - SIZE / 2) + slope[1] * (ys - SIZE / 2)
    background = np.clip(gray + tint[:, None, None] + ramp, 0, 1)
    fill = np.clip(np.array(COLORS[color]) + rng.uniform(-0.05, 0.05, size=3), 0, 1)
    fill = fill * rng.uniform(0.85, 1.0)
    rgb = background * (1 - coverage) + fill[:, None, None] * coverage
    image = (rgb * 2 - 1).astype(np.float32)
    return ShapeImage(image, color, shape, (float(cx), float(cy)), float(radius), float(angle))


def render_seed(seed: int, prompt: str | None = None) -> ShapeImage:
    """The shapes-world image of `seed`: its colour and shape come from the seed too unless
    `prompt` ("red star") names them."""
    rng = np.random.default_rng(seed)
    color = str(rng.choice(VOCABULARY.colors))
    shape = str(rng.choice(VOCABULARY.shapes))
    if prompt is not None:
        named_color, named_shape = VOCABULARY.parse(prompt)
        color, shape = named_color or color, named_shape or shape
    return render(color, shape, rng)


def render_batch(seeds) -> tuple[np.ndarray, list[str]]:
    """Images (N, 3, 32, 32) and prompts for a list of seeds."""
    items = [render_seed(int(s)) for s in seeds]
    return np.stack([i.image for i in items]), [i.prompt for i in items]
