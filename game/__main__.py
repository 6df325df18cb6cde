"""`diffusion-quest`: play, play one level file, check level files, or render every screen.

    diffusion-quest [--lang es|en] [--fullscreen] [--level PATH.toml | --quiz BANK.toml [--excel comma|point] | --kiosk]
    diffusion-quest validate PATH...                 (levels, quiz banks, chapters, GIFT files)
    diffusion-quest quiz export BANK --format gift|kahoot [--lang es|en] [--out PATH]
    diffusion-quest quiz import QUIZ.gift [QUIZ-en.gift] --id ID --title TITLE [--out BANK.toml]
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
    parser.add_argument("--excel", choices=("comma", "point"),
                        help="quiz results for an Excel whose decimal mark is a comma (cells split by ';') or a "
                             "point (by ','); default: the game's language's")
    parser.add_argument("--kiosk", action="store_true", help="museum kiosk: fullscreen, attract loop; quit with Ctrl+Shift+Q")
    parser.add_argument("--screenshot-tour", type=Path, metavar="DIR", help="render every screen to PNGs in DIR and exit")
    parser.add_argument("--no-play", action="store_true", help="with --screenshot-tour: do not play the levels")
    return parser.parse_args(argv)


GIFT_SUFFIXES = (".gift", ".txt")  # .txt: what Moodle's exports are called


def validate(paths) -> int:
    """Check level, quiz-bank and chapter files (told apart by what they hold: [[questions]],
    [[chapters]], else a level) and GIFT files (as `quiz import` would read them); print one
    line per file; exit 1 if any is malformed."""
    from game.gift import gift_to_bank_toml
    from game.levels import LevelError
    from game.quiz import load_course_file

    failed = 0
    for path in map(Path, paths):
        try:
            if path.suffix.lower() in GIFT_SUFFIXES:
                bank = gift_to_bank_toml(path, None, path.stem, path.stem)
                print(f"ok    {path} ({bank.count(chr(10) + '[[questions]]' + chr(10))} questions)")
                continue
            item = load_course_file(path)
            print(f"ok    {path} ({f'{len(item)} chapters' if isinstance(item, list) else item.id})")
        except LevelError as e:  # QuizError is a LevelError
            failed += 1
            print(f"error {e}")
    return 1 if failed else 0


def quiz_command(argv) -> int:
    """`quiz export` a bank (a shipped bank's id, or a file) to Moodle GIFT or Kahoot's .xlsx;
    `quiz import` GIFT files (one per language) as a bank file."""
    from game.gift import GiftError, bank_to_gift, gift_to_bank_toml
    from game.kahoot import TIME_LIMITS, bank_to_kahoot
    from game.paths import replace_whole
    from game.levels import LevelError
    from game.quiz import load_bank, load_banks

    parser = argparse.ArgumentParser(prog="diffusion-quest quiz", description="quiz banks to and from the teacher's tools")
    sub = parser.add_subparsers(dest="action", required=True)
    export = sub.add_parser("export", help="a bank as Moodle GIFT or a Kahoot spreadsheet")
    export.add_argument("bank", help="a shipped bank's id (e.g. forward-and-training) or a bank file")
    export.add_argument("--format", choices=("gift", "kahoot"), required=True)
    export.add_argument("--lang", choices=("es", "en"), default="es")
    export.add_argument("--seconds", type=int, choices=TIME_LIMITS, default=20, help="Kahoot's time limit per question")
    export.add_argument("--out", type=Path, help="the file to write (default: BANK-LANG.gift or .xlsx here)")
    imp = sub.add_parser("import", help="GIFT files (Spanish, then optionally English) as a bank file")
    imp.add_argument("gift", type=Path, nargs="+", metavar="QUIZ.gift")
    imp.add_argument("--id", required=True, help="the bank's id")
    imp.add_argument("--title", required=True)
    imp.add_argument("--topic", help="the topic of questions without a '// topic:' line")
    imp.add_argument("--out", type=Path, help="the bank file to write (default: ID.toml here)")
    args = parser.parse_args(argv)
    try:
        if args.action == "export":
            shipped = {b.id: b for b in load_banks()[0]}
            if args.bank not in shipped and not Path(args.bank).is_file():
                print(f"error: {args.bank!r} is neither a shipped bank ({', '.join(shipped)}) nor a bank file", file=sys.stderr)
                return 1
            bank = shipped[args.bank] if args.bank in shipped else load_bank(Path(args.bank))
            out = args.out or Path(f"{bank.id}-{args.lang}.{'gift' if args.format == 'gift' else 'xlsx'}")
            if args.format == "gift":
                text, left_out = bank_to_gift(bank, args.lang)
                out.write_text(text, encoding="utf-8")
            else:
                left_out = bank_to_kahoot(bank, args.lang, out, args.seconds)
            for problem in left_out:
                print(f"left out {problem}")
            print(f"wrote {out} ({len(bank.questions) - len(left_out)} questions)")
            return 0
        if len(args.gift) > 2:
            parser.error("give one GIFT file, or two: Spanish then English")
        text = gift_to_bank_toml(args.gift[0], args.gift[1] if len(args.gift) > 1 else None, args.id, args.title, args.topic)
        out = args.out or Path(f"{args.id}.toml")
        replace_whole(out, text.encode("utf-8"))  # checked before: a file already there is replaced only by a bank that plays
        print(f"wrote {out}" + ("" if len(args.gift) > 1 else " (its English texts are the Spanish ones: translate them)"))
        return 0
    except (GiftError, LevelError) as e:
        print(f"error {e}", file=sys.stderr)
    except FileNotFoundError as e:
        print(f"error: {args.bank if args.action == 'export' else e.filename}: no such bank or file", file=sys.stderr)
    except OSError as e:
        print(f"error: cannot write {e.filename}: {e.strerror}", file=sys.stderr)
    return 1


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["quiz"]:
        return quiz_command(argv[1:])
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
    app.results_decimal = {"comma": ",", "point": ".", None: None}[args.excel]

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
