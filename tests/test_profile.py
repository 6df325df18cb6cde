import json

import pytest

from game.profile import FILE_NAME, ProfileStore, fresh


def test_saves_atomically_and_loads_back(tmp_path):
    store = ProfileStore(tmp_path / "dq")
    data = fresh() | {"language": "en", "stars": {"forward-noise": 3}}
    assert store.save(data)
    assert ProfileStore(tmp_path / "dq").load() == data
    assert [p.name for p in (tmp_path / "dq").iterdir()] == [FILE_NAME]  # no temporary left behind


def test_a_corrupt_save_is_kept_aside_and_the_game_starts_fresh(tmp_path):
    (tmp_path / FILE_NAME).write_text("{half a file", encoding="utf-8")
    store = ProfileStore(tmp_path)
    assert store.load() == fresh()
    key, values = store.message
    backups = sorted(tmp_path.glob("profile.unreadable-*.json"))
    assert key == "profile.corrupt" and len(backups) == 1 and values["backup"] == str(backups[0])
    assert backups[0].read_text(encoding="utf-8") == "{half a file"
    # a second bad file never overwrites the first backup
    (tmp_path / FILE_NAME).write_text(json.dumps({"version": 1, "stars": {"x": 9}}), encoding="utf-8")
    assert ProfileStore(tmp_path).load() == fresh()
    assert len(list(tmp_path.glob("profile.unreadable-*.json"))) == 2
    assert backups[0].read_text(encoding="utf-8") == "{half a file"


@pytest.mark.parametrize("text", ["{\"stars\": {\"a\": " + "9" * 5000 + "}}", "[" * 100_000 + "]" * 100_000])
def test_huge_numbers_and_deep_nesting_start_fresh_instead_of_crashing(tmp_path, text):
    (tmp_path / FILE_NAME).write_text(text, encoding="utf-8")
    store = ProfileStore(tmp_path)
    assert store.load() == fresh() and store.message[0] == "profile.corrupt"


def test_one_bad_value_drops_only_itself(tmp_path):
    good = fresh() | {"language": "en", "stars": {"forward-noise": 3, "schedules": 2},
                      "quiz": [{"bank": "b", "right": 4, "questions": 5, "score": 900}]}
    bad = json.loads(json.dumps(good))
    bad["stars"]["guidance"] = 7  # out of range
    bad["quiz"] += ["odd", {"bank": 3}]
    (tmp_path / FILE_NAME).write_text(json.dumps(bad), encoding="utf-8")
    store = ProfileStore(tmp_path)
    assert store.load() == good
    assert store.message[0] == "profile.corrupt" and "stars.guidance" in store.message[1]["problem"]
    assert json.loads(next(tmp_path.glob("profile.unreadable-*.json")).read_text()) == bad  # the original kept


def test_a_read_only_folder_with_a_bad_profile_says_it_could_not_copy_it(tmp_path, monkeypatch):
    (tmp_path / FILE_NAME).write_text("{half", encoding="utf-8")
    monkeypatch.setattr("pathlib.Path.write_bytes", lambda *a: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    store = ProfileStore(tmp_path)
    assert store.load() == fresh()
    assert store.message[0] == "profile.corrupt_kept" and (tmp_path / FILE_NAME).exists()


def test_stray_temporaries_of_killed_saves_are_removed_on_start(tmp_path):
    (tmp_path / ".profile-abc123.tmp").write_text("{", encoding="utf-8")
    ProfileStore(tmp_path).load()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_is_retried_on_the_next_change(tmp_path, monkeypatch):
    import os as _os

    store = ProfileStore(tmp_path)
    real_replace = _os.replace
    monkeypatch.setattr("os.replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    assert store.save(fresh() | {"stars": {"a": 1}}) is False
    assert store.failing and store.message[0] == "profile.unwritable"
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary left behind
    monkeypatch.setattr("os.replace", real_replace)  # the disk recovers
    assert store.save(fresh() | {"stars": {"a": 2}}) is True
    assert not store.failing and store.message == ("profile.saved_again", {})
    assert ProfileStore(tmp_path).load()["stars"] == {"a": 2}


def test_an_unwritable_folder_keeps_trying_with_a_message(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    store = ProfileStore(blocker / "dq")
    assert store.load() == fresh()
    assert store.save(fresh()) is False
    assert store.failing and store.message[0] == "profile.unwritable"
    assert blocker.read_text(encoding="utf-8") == "a file where the folder should be"


def test_the_game_keeps_stars_and_language_across_sessions(tmp_path, monkeypatch):
    import pygame

    from game.app import App

    monkeypatch.setenv("DIFFUSION_QUEST_HOME", str(tmp_path))
    app = App(lang="es")
    app.record_stars("forward-noise", 2)
    app.record_stars("forward-noise", 1)  # the best result stays
    app.switch_language("en")
    pygame.quit()
    again = App()
    assert again.tr.lang == "en" and again.profile["stars"] == {"forward-noise": 2}
    pygame.quit()
