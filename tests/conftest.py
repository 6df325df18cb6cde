import os

# Tests run headless everywhere (CI has no display and no sound card).
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import tempfile

# Profiles and exports go to a throw-away folder, never the tester's own.
os.environ["DIFFUSION_QUEST_HOME"] = tempfile.mkdtemp(prefix="dq-home-")
