"""``python -m gdx``."""

from gdx.cli import main

if __name__ == "__main__":
    main()
