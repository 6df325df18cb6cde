"""`diffusion-quest`: play, play one level file, check level files, or render every screen.

    diffusion-quest [--lang es|en] [--fullscreen] [--level PATH.toml | --quiz BANK.toml | --kiosk]
    diffusion-quest validate PATH...
    diffusion-quest --screenshot-tour DIR [--lang es|en]   (levels that sample are played too)
"""

import argparse
import os
import sys
from pathlib import Path


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="diffusion-quest", description="Diffusion Quest · Misión Difusión")
    parser.add_argument("--lang", choices=("es", "en"), help="language (default: the system's, else Spanish)")
    parser.add_argument("--fullscreen", action="store_true")
    parser.add_argument("--level", type=Path, metavar="PATH", help="play one level file")
    parser.add_argument("--quiz", type=Path, metavar="PATH", help="run a classroom quiz from a bank file")
    parser.add_argument("--kiosk", action="store_true", help="museum kiosk: fullscreen, attract loop; quit with Ctrl+Shift+Q")
    parser.add_argument("--screenshot-tour", type=Path, metavar="DIR", help="render every screen to PNGs in DIR and exit")
    parser.add_argument("--no-play", action="store_true", help="with --screenshot-tour: do not play the levels")
    return parser.parse_args(argv)


def validate(paths) -> int:
    """Check level, quiz-bank and chapter files (told apart by what they hold: [[questions]],
    [[chapters]], else a level); print one line per file; exit 1 if any is malformed."""
    from game.levels import LevelError
    from game.quiz import load_course_file

    failed = 0
    for path in map(Path, paths):
        try:
            item = load_course_file(path)
            print(f"ok    {path} ({f'{len(item)} chapters' if isinstance(item, list) else item.id})")
        except LevelError as e:  # QuizError is a LevelError
            failed += 1
            print(f"error {e}")
    return 1 if failed else 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["validate"]:
        if len(argv) < 2:
            print("usage: diffusion-quest validate PATH...", file=sys.stderr)
            return 2
        return validate(argv[1:])
    args = parse_args(argv)
    if args.screenshot_tour:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        from game.tour import screenshot_tour

        try:
            for path in screenshot_tour(args.screenshot_tour, args.lang or "es", play=not args.no_play):
                print(path)
        except OSError as e:
            print(f"error: cannot write the screenshots to {args.screenshot_tour}: {e.strerror or e}", file=sys.stderr)
            return 1
        return 0
    from game.levels import LevelError, load_level
    from game.quiz import load_bank

    try:  # a teacher's file is checked before any window opens
        bank = load_bank(args.quiz) if args.quiz else None
        level = load_level(args.level) if args.level else None
    except LevelError as e:
        print(f"error {e}", file=sys.stderr)
        return 1
    if args.kiosk:
        from game.kiosk import KioskApp

        KioskApp(lang=args.lang).run()
        return 0
    from game.app import App
    from game.scenes.title import TitleScene

    from game.scenes.warmup import WarmupScene

    app = App(lang=args.lang, fullscreen=args.fullscreen)

    def first_scene(app):
        if bank is not None:
            from game.scenes.quiz import QuizScene

            return QuizScene(app, bank)
        if level is not None:
            from game.scenes.campaign import level_scene

            return level_scene(app, level)
        return TitleScene(app)

    app.push(WarmupScene(app, first_scene))
    app.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
