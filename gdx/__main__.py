"""``python -m gdx``: the same entry point as the ``gdx`` console script."""

from gdx.cli import run

if __name__ == "__main__":
    run()
