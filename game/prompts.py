"""What the player types, checked against the model's vocabulary in either language."""


def known_words(tr, vocabulary) -> str:
    """The model's words as the current language shows them."""
    return ", ".join(tr.word(w) for w in vocabulary)


def read_prompt(tr, text: str, model):
    """(the prompt in the model's words, None), or (None, the message saying why not)."""
    words = tr.to_model_words(text)
    unknown = [typed for typed, word in zip(tr.typed_words(text), words) if word not in model.vocabulary]
    if unknown:
        return None, ("lab.unknown_word", {"word": unknown[0], "words": known_words(tr, model.vocabulary)})
    prompt = " ".join(words)
    try:
        model.encode_prompt(prompt)
    except ValueError:  # two colours or two shapes
        return None, ("lab.one_of_each", {})
    return prompt, None
