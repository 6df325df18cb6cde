"""Entry point for `diffusion-quest`."""


def main() -> int:
    print("Diffusion Quest: the game is not built yet (see issue 5).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
