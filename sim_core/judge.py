"""The judge: which colour and which shape a 32×32 image shows, and how sure it is.

A small convolutional classifier (four stride-2 convolutions, global average pooling, one
head for colour and one for shape), trained by training/train_judge.py on shapes-world
renders, with blur, noise and contrast changes, and with a seventh class, "nothing", for
noise, blank backgrounds and images too noisy to read. Levels score with it; the model's
quality is measured with it.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim_core.model.layers import Conv2d, Linear, Module, channels_last, silu, softmax
from sim_core.model.weights import ModelLoadError, read_card, read_weights
from sim_core.resources import assets
from sim_core.worlds.shapes import VOCABULARY

DEFAULT_JUDGE = assets("models", "judge")
NOTHING = "nothing"
SURE = 0.5  # below this confidence the judge calls itself unsure


class JudgeNet(Module):
    def __init__(self, channels, num_colors, num_shapes):
        super().__init__()
        self.convs, cin = [], 3
        for i, ch in enumerate(channels):
            self.convs.append(Conv2d(cin, ch, 3, stride=1 if i == 0 else 2))
            cin = ch
        self.color_head = Linear(cin, num_colors + 1)
        self.shape_head = Linear(cin, num_shapes + 1)

    def __call__(self, x):
        x = channels_last(x)
        for conv in self.convs:
            x = silu(conv(x))
        features = x.mean(axis=(1, 2))
        return softmax(self.color_head(features)), softmax(self.shape_head(features))


@dataclass
class Verdict:
    color: str | None  # None: the judge sees no colour it knows
    shape: str | None
    confidence: float  # P(colour) · P(shape) for the named pair
    color_probs: dict = field(repr=False, default_factory=dict)
    shape_probs: dict = field(repr=False, default_factory=dict)

    @property
    def sure(self) -> bool:
        return self.color is not None and self.shape is not None and self.confidence >= SURE

    @property
    def prompt(self) -> str | None:
        return f"{self.color} {self.shape}" if self.color and self.shape else None

    def agrees_with(self, prompt: str) -> bool:
        """Whether the judge is sure and sees exactly what `prompt` names, in either word
        order ("star red" is what a Spanish "estrella roja" becomes word by word)."""
        try:
            return self.sure and VOCABULARY.parse(prompt) == (self.color, self.shape)
        except ValueError:  # words outside the world: nothing it could agree with
            return False


class Judge:
    def __init__(self, card: dict, weights: dict, net: JudgeNet):
        self.card = card
        self.colors = list(card["classes"]["colors"]) + [NOTHING]
        self.shapes = list(card["classes"]["shapes"]) + [NOTHING]
        self.net = net
        net.assign(weights)

    def probabilities(self, images: np.ndarray):
        """Colour and shape probabilities, (N, colours+1) and (N, shapes+1)."""
        images = np.asarray(images, dtype=np.float32)
        if images.ndim == 3:
            images = images[None]
        if images.ndim != 4 or images.shape[1:] != (3, 32, 32) or not np.isfinite(images).all():
            raise ValueError(f"the judge reads finite (N, 3, 32, 32) images in [-1, 1]; got shape {images.shape}")
        return self.net(np.clip(images, -1, 1))

    def __call__(self, images) -> list[Verdict]:
        """A verdict for each image of (N, 3, 32, 32) or for one (3, 32, 32) image."""
        p_color, p_shape = self.probabilities(images)
        verdicts = []
        for pc, ps in zip(p_color, p_shape):
            c, s = int(pc.argmax()), int(ps.argmax())
            color = None if self.colors[c] == NOTHING else self.colors[c]
            shape = None if self.shapes[s] == NOTHING else self.shapes[s]
            verdicts.append(Verdict(
                color, shape, float(pc[c] * ps[s]) if color and shape else 0.0,
                dict(zip(self.colors, pc.tolist())), dict(zip(self.shapes, ps.tolist())),
            ))
        return verdicts


def load_judge(path: str | Path | None = None) -> Judge:
    folder = Path(path) if path is not None else DEFAULT_JUDGE
    card = read_card(folder, required=("architecture", "classes", "weights"))
    try:
        net = JudgeNet(card["architecture"]["channels"], len(card["classes"]["colors"]), len(card["classes"]["shapes"]))
    except (TypeError, KeyError) as e:
        raise ModelLoadError(f"{folder / 'model.json'}: architecture cannot be built ({e})") from None
    return Judge(card, read_weights(folder, card, dict(net.named_shapes())), net)
