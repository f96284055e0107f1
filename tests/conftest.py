"""Test setup: fixed terminal facts before anything imports typer or rich (DESIGN.md traps)."""

import os

os.environ["COLUMNS"] = "100"
os.environ["LINES"] = "40"
os.environ.pop("NO_COLOR", None)
os.environ.pop("GDX_DEBUG", None)
os.environ["TERM"] = "dumb"
# The compiled cache of the suite lives in a directory of its own, never the user's ~/.cache.
import tempfile  # noqa: E402

os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="gdx-test-cache-")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _own_compiled_cache(tmp_path_factory, monkeypatch):
    """Every test starts with an empty compiled cache of its own (a hit in one test must not
    change what another sees)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture
def gdx_main():
    """Run ``gdx.cli.main(argv, stdout, stderr)`` into StringIO streams; return (exit code, stdout, stderr)."""
    import io

    from gdx.cli import main

    def call(*argv):
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return call


class Ran:
    """What a command run in-process returned: exit status, stdout, stderr."""

    def __init__(self, code, out, err):
        self.returncode, self.stdout, self.stderr = code, out, err


@pytest.fixture
def gdx(gdx_main, monkeypatch):
    """``gdx(*args)`` → Ran, with NO_COLOR set (the shape the sweep and basin tests read)."""
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args):
        return Ran(*gdx_main(*args))

    return run
