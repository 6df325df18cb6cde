import json

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


def test_an_unwritable_folder_falls_back_to_memory_with_a_message(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    store = ProfileStore(blocker / "dq")
    assert store.load() == fresh()
    assert store.save(fresh()) is False
    assert store.in_memory and store.message[0] == "profile.unwritable"
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
