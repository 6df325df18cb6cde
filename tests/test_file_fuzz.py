"""Teacher-written files, fuzzed: mutated bytes and mutated TOML trees of the real level,
chapter and quiz files give either a loaded file or the project's own error (LevelError,
QuizError) naming the file — never another exception; and a fixed sample of mutants that
pass validation is played to its end (the schema's extremes of every control)."""

import copy
import functools
import random
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.level_kinds import KINDS, MAX_SEED, Choice, Choices, Flag, Number, Prompt, Range
from game.levels import LEVELS_DIR, LevelError, parse_level
from game.quiz import QUIZ_DIR, load_course_file, parse_bank, parse_chapters
from sim_core.worlds.shapes import VOCABULARY

LEVEL_FILES = sorted(LEVELS_DIR.glob("[0-9][0-9]-*.toml"))
FILES = LEVEL_FILES + [LEVELS_DIR / "chapters.toml"] + sorted(QUIZ_DIR.glob("*.toml"))
ORIGINAL_BYTES = {path: path.read_bytes() for path in FILES}
ORIGINAL_TREES = {path: tomllib.loads(data.decode()) for path, data in ORIGINAL_BYTES.items()}
FUZZ = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# values that broke loaders before: odd numbers, odd text, odd nesting
TOKENS = [b"nan", b"inf", b"-inf", b"-1", b"0", b"1e999", b"99999999999999999999", b"1" * 5000, b'"\\u0000"',
          b'""', b'"\\u0007x"', b"[", b"]", b"{", b"}", b"=", b"\n", b"\xff", b"\xe9", b"true", b"[[", b"[" * 2000,
          b'"red"', b'"lorem"', b"[]", b"{}", b'{min = 5, max = 1, start = 3}', b"0.5", b"1000", b"-0.0"]
VALUES = st.one_of(
    st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 1, 2, 49, 999, 1000, 1001, MAX_SEED + 1]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.text(max_size=6),
    st.sampled_from(["", "\x00", "ddim", "ddpm", "dpmsolver++", "euler", "cosine", "linear", "red star", "star",
                     "blue", "red blue", "lorem", "moons", "lower", "higher", "ssim", "forward", "sampling"]),
    st.lists(st.integers(-5, 1200), max_size=4), st.lists(st.text(max_size=3), max_size=3), st.just({}),
    st.fixed_dictionaries({"min": st.integers(-5, 1200), "max": st.integers(-5, 1200), "start": st.integers(-5, 1200)}),
    st.fixed_dictionaries({"es": st.text(max_size=4), "en": st.text(max_size=4)}),
)


def parse_tree(path, data):
    if "questions" in data:
        return parse_bank(path, data)
    if "chapters" in data:
        return parse_chapters(path, data)
    return parse_level(path, data)


@st.composite
def mutated_bytes(draw):
    path = draw(st.sampled_from(FILES))
    data = bytearray(ORIGINAL_BYTES[path])
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["value", "value", "flip", "delete", "insert"]))
        if op == "value":  # a line's value swapped for a token
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            key = lines[k].split(b"=", 1)[0] if b"=" in lines[k] else lines[k]
            lines[k] = key.rstrip() + b" = " + draw(st.sampled_from(TOKENS))
            data = bytearray(b"\n".join(lines))
        elif op == "flip" and i < len(data):
            data[i] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[i: i + draw(st.integers(1, 40))]
        else:
            data[i:i] = draw(st.sampled_from(TOKENS))
    return path, bytes(data)


@given(mutated_bytes())
@FUZZ
def test_mutated_bytes_load_or_name_their_error(tmp_path_factory, case):
    original, data = case
    path = tmp_path_factory.mktemp("fuzz") / original.name
    path.write_bytes(data)
    try:
        load_course_file(path)
    except LevelError as e:  # QuizError is a LevelError
        assert str(e).startswith(path.name + ":")


def places(tree, prefix=()):
    """Every (container, key) in a TOML tree."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        yield tree, key
        yield from places(value, prefix + (key,))


@st.composite
def mutated_trees(draw):
    path = draw(st.sampled_from(FILES))
    tree = copy.deepcopy(ORIGINAL_TREES[path])
    for _ in range(draw(st.integers(1, 3))):
        spots = list(places(tree))
        if not spots:
            break
        container, key = draw(st.sampled_from(spots))
        op = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if op == "replace":
            container[key] = copy.deepcopy(draw(VALUES))  # st.just({}) is one shared object
        elif op == "delete":
            del container[key]
        elif isinstance(container[key], dict):
            container[key][draw(st.sampled_from(["extra", "min", "es", "start", "kind", "stars"]))] = copy.deepcopy(draw(VALUES))
        elif isinstance(container[key], list):
            container[key].append(copy.deepcopy(draw(VALUES)))
    return path, tree


@given(mutated_trees())
@FUZZ
def test_mutated_trees_load_or_name_their_error(case):
    path, tree = case
    try:
        parse_tree(path, tree)
    except LevelError as e:
        assert str(e).startswith(path.name + ":")


def extremes(field):
    """The values at the edges of a control's schema (all of them valid)."""
    if isinstance(field, Number):
        return [field.lo, field.hi]
    if isinstance(field, Range):
        lo, hi = field.lo, field.hi
        return [{"min": lo, "max": hi, "start": lo}, {"min": lo, "max": hi, "start": hi}]
    if isinstance(field, Choice):
        return list(field.options)
    if isinstance(field, Choices):
        return [[o] for o in field.options] + [list(field.options)]
    if isinstance(field, Flag):
        return [True, False]
    assert isinstance(field, Prompt)
    return ["", "red", "star", "purple ring"]


@functools.cache
def extreme_mutants(count=24, seed=0):
    """A fixed sample of level trees with one or two controls (or the target) at an edge of
    their schema, each accepted by the loader."""
    rng, out, tries = random.Random(seed), [], 0
    while len(out) < count and tries < 2000:
        tries += 1
        path = rng.choice(LEVEL_FILES)
        tree = copy.deepcopy(ORIGINAL_TREES[path])
        schema = KINDS[tree["kind"]].controls
        for _ in range(rng.randint(1, 2)):
            key = rng.choice(list(schema) + ["target.seed", "target.prompt"])
            if key == "target.seed":
                tree["target"]["seed"] = rng.choice([0, MAX_SEED])
            elif key == "target.prompt":
                tree["target"]["prompt"] = rng.choice(list(VOCABULARY.words) + ["purple ring"])
            else:
                tree.setdefault("controls", {})[key] = rng.choice(extremes(schema[key]))
        try:
            out.append(parse_level(path, tree))
        except LevelError:
            continue
    return out


@pytest.mark.parametrize("index", range(24))
def test_accepted_extreme_levels_play_to_the_end(app, index):
    from game.scenes.campaign import level_scene

    level = extreme_mutants()[index]
    scene = level_scene(app, level)
    app.push(scene)
    try:
        app.run_until(lambda: False, timeout=0.1)
        done = scene.demo()
        if done is not None:
            assert app.run_until(done, timeout=240), f"{level.id} {level.controls} did not finish"
        scene.check_score()
        app.run_until(lambda: False, timeout=0.1)
        assert app.running and app.stack[-1] is scene
        if done is not None:
            assert scene.result is not None or scene.message is not None
    finally:
        app.pop()
