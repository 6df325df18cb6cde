"""Context cards ("Saber más"): the file loads and names its errors, every card's measurement
fills its sentence in both languages, the numbers agree with oracles (diffusers, the torch
twin), and the title and the campaign open them."""

import re

import numpy as np
import pytest

from conftest import drawn_text, press
from game.cards import MEASURES, load_cards
from game.levels import LevelError
from game.quiz import load_chapters
from game.scenes.cards import CardsScene
from sim_core.model import load_model

CARDS = load_cards()


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def measured(model):
    return {card.id: MEASURES[card.measure](model) for card in CARDS}


def test_every_card_belongs_to_a_chapter_and_the_issue_topics_are_there():
    assert {c.chapter for c in CARDS} <= {ch["number"] for ch in load_chapters()}
    assert len({c.id for c in CARDS}) == len(CARDS)
    assert {"physics", "hierarchical-vae", "fixed-variance", "text-encoders", "other-models", "applications",
            "one-step"} <= {c.id for c in CARDS}


@pytest.mark.parametrize("field, value, message", [
    ("measure", '"weather"', "field 'cards[0].measure' must be one of forward_end"),
    ("chapter", "0", "field 'cards[0].chapter' must be a whole number from 1 to 999"),
    ("title", '{ es = "solo" }', "cards[0].title.en"),
])
def test_a_bad_card_file_names_the_field(tmp_path, field, value, message):
    good = 'id = "x"\nchapter = 1\nmeasure = "data_size"\ntitle = { es = "a", en = "a" }\n' \
           'text = { es = "b", en = "b" }\nmeasured = { es = "c", en = "c" }\n'
    lines = [f"{field} = {value}" if line.startswith(f"{field} =") else line for line in good.splitlines()]
    path = tmp_path / "cards.toml"
    path.write_text("[[cards]]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(LevelError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_cards(path)


def test_the_measurements_agree_with_their_oracles(model, measured):
    from diffusers import DDPMScheduler

    from training.unet_torch import UNet as TorchUNet

    physics = measured["physics"]  # x_T is N(0, I): nothing of the image is left
    assert abs(physics["mean"]) < 0.05 and abs(physics["std"] - 1) < 0.05 and physics["signal"] == 0
    twin = TorchUNet(num_tokens=len(model.card["tokens"]), **model.card["architecture"])
    assert measured["hierarchical-vae"]["millions"] * 1e6 == pytest.approx(sum(p.numel() for p in twin.parameters()))
    scheduler = DDPMScheduler(beta_schedule="squaredcos_cap_v2", rescale_betas_zero_snr=True)  # fixed_small: β̃_t
    for t in (1, 500):
        # 1 − ᾱ_0 ≈ 4·10⁻⁵ keeps three digits in float32, rounded differently there (tests/test_loss.py)
        assert measured["fixed-variance"][f"tilde_{t}"] == pytest.approx(float(scheduler._get_variance(t)), rel=3e-3)
        assert measured["fixed-variance"][f"beta_{t}"] == pytest.approx(float(scheduler.betas[t]), rel=1e-4)
    assert measured["text-encoders"]["numbers"] == int(np.prod(model.encode_prompt("red star").shape))
    assert measured["one-step"]["ssim"] < 0.6  # one DDIM step is far from the 50-step image
    assert measured["other-models"]["evaluations"] == 100 and measured["other-models"]["step_ms"] > 0


@pytest.mark.parametrize("lang", ["es", "en"])
def test_each_card_shows_its_text_and_its_measured_sentence(app, lang):
    app.switch_language(lang)
    scene = CardsScene(app)
    app.push(scene)
    for card in scene.cards:
        press(app, next(b for b, c in scene.buttons.items() if c is card))  # the buttons are rebuilt after each press
        assert scene.shown is card and app.run_until(lambda card=card: card.id in scene.measured, timeout=60)
        text = drawn_text(app)
        assert card.text[lang][:40] in text
        assert ("Medido aquí" if lang == "es" else "Measured here") in text
        assert not re.search(r"\{[a-z_0-9]+\}", text)  # every value filled in (LaTeX braces start with a backslash)
    app.switch_language("es")


def test_the_title_and_the_campaign_open_the_cards(app):
    from game.scenes.campaign import CampaignScene, CardsEntry
    from game.scenes.title import TitleScene

    title = TitleScene(app)
    app.push(title)
    press(app, title.cards)
    assert isinstance(app.top, CardsScene) and app.top.chapter is None and len(app.top.cards) == len(CARDS)
    app.pop()
    campaign = CampaignScene(app)
    app.push(campaign)
    entries = campaign.entries()
    for chapter in {c.chapter for c in CARDS}:  # each after its chapter's checkpoint quiz
        i = entries.index(CardsEntry(chapter))
        assert isinstance(entries[i - 1], dict) and entries[i - 1]["number"] == chapter
    press(app, next(b for b, e in campaign.buttons.items() if e == CardsEntry(2)))
    assert isinstance(app.top, CardsScene) and {c.chapter for c in app.top.cards} == {2}
    assert "Saber más · capítulo 2" in drawn_text(app)
