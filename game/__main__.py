"""`diffusion-quest`: play, or render every screen to PNGs.

    diffusion-quest [--lang es|en] [--fullscreen]
    diffusion-quest --screenshot-tour DIR [--lang es|en]
"""

import argparse
import os
import sys
from pathlib import Path


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="diffusion-quest", description="Diffusion Quest · Misión Difusión")
    parser.add_argument("--lang", choices=("es", "en"), help="language (default: the system's, else Spanish)")
    parser.add_argument("--fullscreen", action="store_true")
    parser.add_argument("--screenshot-tour", type=Path, metavar="DIR", help="render every screen to PNGs in DIR and exit")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot_tour:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        from game.tour import screenshot_tour

        for path in screenshot_tour(args.screenshot_tour, args.lang or "es"):
            print(path)
        return 0
    from game.app import App
    from game.scenes.title import TitleScene

    app = App(lang=args.lang, fullscreen=args.fullscreen)
    app.push(TitleScene(app))
    app.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
