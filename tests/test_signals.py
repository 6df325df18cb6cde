"""SIGTERM and SIGINT end the game and the kiosk cleanly: the process exits 0 with no
traceback, its scenes' workers stopped and the profile saved. Each runs in a subprocess."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

SCRIPT = """
import sys
from game.app import App
from game.kiosk import KioskApp
from game.scenes.title import TitleScene
if sys.argv[1] == "kiosk":
    app = KioskApp(fullscreen=False)
else:
    app = App(lang="es")
    app.push(TitleScene(app))
app.profile["stars"]["forward-noise"] = 2  # as if won this session, not yet saved
frames = 0
def counted(dt, frame=app.frame):
    global frames
    frames += 1
    if frames == 30:
        print("ready", flush=True)
    frame(dt)
app.frame = counted
app.run()
print("clean exit", flush=True)
"""


@pytest.mark.parametrize("mode", ["game", "kiosk"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_the_game_cleanly_and_saves(tmp_path, mode, sig):
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", DIFFUSION_QUEST_HOME=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, mode], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    line = ""
    while "ready" not in line and time.monotonic() < deadline and proc.poll() is None:
        line = proc.stdout.readline()
    assert "ready" in line, proc.stderr.read()[-2000:]
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "clean exit" in out and "Traceback" not in err, err[-2000:]
    assert json.loads((tmp_path / "profile.json").read_text())["stars"] == {"forward-noise": 2}
