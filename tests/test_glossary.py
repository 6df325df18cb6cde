"""One term per concept (DESIGN.md): no catalog string, level or quiz uses a variant the
glossary forbids, nor a word the glossary says to write otherwise (words of Spain, in Spanish); a term Spanish
courses keep in English is glossed — "calendario de ruido (noise schedule)" — in the first
level that uses it."""

import re

import pytest

from game.glossary import load_glossary
from game.i18n import LANGUAGES, load_catalog
from game.levels import load_all_levels, load_campaign
from game.quiz import load_banks, load_chapters

GLOSSARY = load_glossary()


def level_texts(level, lang) -> list[str]:
    return [level.title[lang], level.goal[lang], level.text[lang], *(h[lang] for h in level.hints)]


def every_text(lang) -> dict[str, str]:
    """Where → text, for everything the player reads in `lang`."""
    texts = {f"{lang}.toml:{key}": text for key, text in load_catalog(lang).items()}
    for level in load_all_levels():
        texts.update({f"{level.path.name}[{i}]": t for i, t in enumerate(level_texts(level, lang))})
    for bank in load_banks()[0]:
        for q in bank.questions:
            parts = [q.text[lang], *(c[lang] for c in q.choices), q.explanation[lang]]
            texts.update({f"{bank.id}:{q.id}[{i}]": t for i, t in enumerate(parts)})
    for chapter in load_chapters():
        texts[f"chapters.toml:{chapter['number']}"] = chapter["title"][lang]
    for term in GLOSSARY.terms:
        texts[f"glossary.toml:{term.id}"] = term.definition[lang]
    return texts


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_uses_a_variant_the_glossary_forbids(lang):
    found = {where: GLOSSARY.variants_in(text, lang) for where, text in every_text(lang).items()}
    found = {where: variants for where, variants in found.items() if variants}
    assert not found, "\n".join(f"{where}: {', '.join(f'{v!r} → {use!r}' for v, use in vs)}" for where, vs in found.items())


def test_the_checker_finds_variants_and_lets_glosses_through():
    assert GLOSSARY.variants_in("El proceso directo añade ruido; pulsa Comprobar.", "es") == [
        ("proceso directo", "proceso hacia adelante"), ("pulsa", "presiona")]
    assert GLOSSARY.variants_in("Un autocodificador (autoencoder) comprime la imagen.", "es") == []
    assert GLOSSARY.variants_in("Un autoencoder comprime.", "es") == [("autoencoder", "autocodificador")]
    assert GLOSSARY.variants_in("pulsar", "en") == [] and GLOSSARY.variants_in("repulsa", "es") == []


def test_a_glossed_term_is_glossed_where_the_campaign_first_uses_it():
    levels = load_campaign()[0]
    for term in (t for t in GLOSSARY.terms if t.gloss):
        users = [lv for lv in levels if any(term.words["es"].lower() in t.lower() for t in level_texts(lv, "es"))]
        if users:  # "muestreador (sampler)", or its plural "muestreadores (samplers)"
            glossed = rf"{re.escape(term.words['es'])}\w* \({re.escape(term.gloss)}\w*\)"
            assert any(re.search(glossed, t, re.IGNORECASE) for t in level_texts(users[0], "es")), (term.id, users[0].path.name)


def test_every_term_is_defined_in_both_languages_once():
    ids = [t.id for t in GLOSSARY.terms]
    assert len(ids) == len(set(ids)) >= 15
    assert all(t.definition["es"].strip() and t.definition["en"].strip() for t in GLOSSARY.terms)


def test_the_glossary_screen_shows_every_term_once_across_its_pages(app):
    """Each term and its definition once over the pages (arrow keys and ◀ ▶ turn them), with
    the other language's word beside it, in both languages."""
    import pygame

    from conftest import press
    from game.scenes.glossary import GlossaryScene

    def drawn():
        app.theme.drawn = []
        try:
            app.draw()
            return [text for _, text in app.theme.drawn]
        finally:
            app.theme.drawn = None

    scene = GlossaryScene(app)
    app.push(scene)
    for lang, other in (("es", "en"), ("en", "es")):
        app.switch_language(lang)
        seen = []
        for page in range(len(scene.pages())):
            assert scene.page == page
            seen += drawn()
            if page + 1 < len(scene.pages()):
                app.dispatch(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT, mod=0, unicode=""))
        for term in GLOSSARY.terms:
            assert seen.count(term.definition[lang]) == 1, term.id
        assert f"{GLOSSARY.terms[0].words[lang]} ({GLOSSARY.terms[0].words[other]})" in seen
        assert not scene.next.is_enabled and len(scene.pages()) > 1
        press(app, scene.previous)
        assert scene.page == len(scene.pages()) - 2
        scene.page = 0
        scene.rebuild()
    app.pop()
