"""Prompts to token ids for the shapes-world text encoder.

A prompt becomes exactly three tokens: <bos>, its colour (or <no-color>) and its shape (or
<no-shape>). The empty prompt "" is therefore the null prompt of classifier-free guidance:
<bos> <no-color> <no-shape>.
"""

import numpy as np

from sim_core.worlds.shapes import VOCABULARY, Vocabulary

SPECIAL_TOKENS = ("<bos>", "<no-color>", "<no-shape>")


def token_list(vocabulary: Vocabulary = VOCABULARY) -> list[str]:
    """Every token, its index being its id."""
    return list(SPECIAL_TOKENS) + list(vocabulary.words)


def tokenize(prompts, tokens: list[str], vocabulary: Vocabulary = VOCABULARY) -> np.ndarray:
    """Token ids (N, 3) for a prompt or a list of prompts."""
    if isinstance(prompts, str):
        prompts = [prompts]
    ids = {tok: i for i, tok in enumerate(tokens)}
    rows = []
    for prompt in prompts:
        color, shape = vocabulary.parse(prompt)
        rows.append([ids["<bos>"], ids[color or "<no-color>"], ids[shape or "<no-shape>"]])
    return np.array(rows, dtype=np.int64)
