"""``python -m gdx``."""

import sys

from gdx.cli import main

if __name__ == "__main__":
    sys.exit(main())
