"""Re-run the README's console examples at 80 columns and report the ones whose output drifted.

    python bench/readme_examples.py [README.md] [--only WORD] [--update]

Every ```console block is a sequence of ``$ command`` lines, each followed by the output it
shows.  Commands are run in order in one temporary directory (so a file one writes, the next
reads), with COLUMNS=80, NO_COLOR=1, TERM=dumb and this interpreter's gdx first on PATH.  The
output is compared line by line, trailing spaces ignored; a README line that is just ``…``
stands for any number of lines; wall times (``0.05 s``, ``12.3 ms``) are masked and runs of
spaces compared as one.  Commands that
install or set things up (pip, git, python, cd, source) are skipped; a command with no output
shown (``… > /dev/null``) is run, not compared.  Prints one line per
example (ok / DRIFT / skipped) and, for a drift, the first differing line.

``--update`` writes the fresh output into the README for every drifted example that shows its
whole output (no ``…``) and is not about the environment (a missing extra).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SKIP = ("pip ", "git ", "python", "cd ", "source ", ". ", "export ")
KEEP = ("missing extra",)  # outputs that depend on the machine: never rewritten
TIME = re.compile(r"\b\d+(\.\d+)?\s?(ms|s|µs)\b")


def examples(text: str):
    """(command, shown output lines) for every ``$`` line of every console block."""
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.S)
    for block in blocks:
        current, shown = None, []
        for line in block.split("\n"):
            if line.startswith("$ "):
                if current is not None:
                    yield current, shown
                current, shown = line[2:].split("  #")[0].strip(), []
            elif current is not None:
                shown.append(line)
        if current is not None:
            yield current, shown


def rewrite(text: str, fresh: dict) -> str:
    """The README with the shown output of the examples in ``fresh`` replaced."""
    index = -1

    def block(match) -> str:
        nonlocal index
        out, skipping = [], False
        for line in match.group(1).split("\n"):
            if line.startswith("$ "):
                index += 1
                out.append(line)
                skipping = index in fresh
                if skipping:
                    out.extend(fresh[index])
                continue
            if not skipping:
                out.append(line)
        body = "\n".join(out)
        return "```console\n" + (body if body.endswith("\n") else body + "\n") + "```"

    return re.sub(r"```console\n(.*?)```", block, text, flags=re.S)


def normal(line: str) -> str:
    """Wall times masked, runs of spaces as one (a masked time changes the padding after it)."""
    return re.sub(r" +", " ", TIME.sub("<time>", line.rstrip()))


def matches(shown: list[str], got: list[str]) -> tuple[bool, str]:
    """Whether ``got`` has the shown lines, ``…`` lines matching any run of lines."""
    while shown and not shown[-1].strip():
        shown = shown[:-1]
    while got and not got[-1].strip():
        got = got[:-1]
    parts, part = [], []
    for line in shown:
        if line.strip() == "…":
            parts.append(part)
            part = []
        else:
            part.append(normal(line))
    parts.append(part)
    got = [normal(g) for g in got]
    if len(parts) == 1:
        for i, (a, b) in enumerate(zip(parts[0], got)):
            if a != b:
                return False, f"line {i + 1}: README {a!r} vs now {b!r}"
        if len(parts[0]) != len(got):
            return False, f"README shows {len(parts[0])} lines, now {len(got)}"
        return True, ""
    head, tail = parts[0], parts[-1]
    if got[: len(head)] != head:
        i = next(i for i, (a, b) in enumerate(zip(head, got)) if a != b) if any(
            a != b for a, b in zip(head, got)) else min(len(head), len(got))
        return False, f"head line {i + 1}: README {head[i] if i < len(head) else None!r} vs now {got[i] if i < len(got) else None!r}"
    if tail and got[-len(tail):] != tail:
        return False, f"tail: README {tail[-1]!r} vs now {got[-1] if got else None!r}"
    return True, ""


def main(argv) -> int:
    readme = Path(argv[0]) if argv and not argv[0].startswith("--") else Path(__file__).resolve().parents[1] / "README.md"
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    env = dict(os.environ, COLUMNS="80", LINES="40", NO_COLOR="1", TERM="dumb")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("COLORTERM", None)
    drifted = 0
    update = "--update" in argv
    fresh = {}  # index of the example → its new output lines
    with tempfile.TemporaryDirectory(prefix="gdx-readme-") as tmp:
        env["XDG_CACHE_HOME"] = os.path.join(tmp, ".cache")
        for index, (command, shown) in enumerate(examples(readme.read_text(encoding="utf-8"))):
            if only and only not in command:
                continue
            if command.startswith(SKIP):
                print(f"skipped  {command}")
                continue
            try:
                done = subprocess.run(["bash", "-c", command], cwd=tmp, env=env, capture_output=True, text=True,
                                      timeout=120)
                got = (done.stdout + done.stderr).split("\n")
            except subprocess.TimeoutExpired:
                print(f"TIMEOUT  {command}")
                drifted += 1
                continue
            if not any(line.strip() for line in shown):  # a step that makes a file for the next one
                print(f"ran      {command}")
                continue
            ok, why = matches(shown, got)
            print(f"{'ok      ' if ok else 'DRIFT   '} {command}" + ("" if ok else f"\n           {why}"))
            drifted += not ok
            if not ok and not any(line.strip() == "…" for line in shown) and not any(k in "\n".join(shown) for k in KEEP):
                while got and not got[-1].strip():
                    got = got[:-1]
                fresh[index] = [g.rstrip() for g in got]
    print(f"{drifted} drifted")
    if update and fresh:
        readme.write_text(rewrite(readme.read_text(encoding="utf-8"), fresh), encoding="utf-8")
        print(f"{len(fresh)} rewritten in {readme}")
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
