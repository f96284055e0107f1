"""The command line as the user typed it → the command line click can read.

A function may start with a minus (``gdx optimize "-cos(x)*cos(y)" -q``): click would read
``-cos(x)*cos(y)`` as the short option ``-c``.  :func:`function_first` finds the token in the
FUNCTION position and moves it behind a ``--``, so click takes it as the argument whatever it
starts with.  The rule, for the commands that take a FUNCTION (:data:`FUNCTION_COMMANDS`):

* a token that is one of the command's options (``--lr``, ``--lr=0.1``, ``-o``, ``-oadam``, a
  cluster of short flags such as ``-qh``) stays an option, and the value of an option that takes
  one is never looked at;
* the first other token is the FUNCTION: a plain word, a token after ``--``, or a token starting
  with ``-`` that is no option of the command and looks like an expression (it has a character
  no option has — ``( ) * ^ + / . , |`` or a space — or its first two characters are no short
  option);
* leading and trailing whitespace of the FUNCTION is dropped (``" -cos(x)"`` is ``-cos(x)``);
* everything after the FUNCTION is read as options again (``gdx optimize -- "-x^2" -q``).

Anything else is left to click, which names the unknown option as before (``--lrr``).
"""

from __future__ import annotations

FUNCTION_COMMANDS = ("optimize", "analyze", "plot", "compare", "sweep")
EXPRESSION_CHARS = set("()*^+/.,| ")


def options_of(command) -> dict[str, bool]:
    """Every option string of a click command → whether it takes a value."""
    table = {"-h": False, "--help": False}
    for p in command.params:
        if getattr(p, "param_type_name", "") != "option":
            continue
        takes_value = not (getattr(p, "is_flag", False) or getattr(p, "count", False))
        for opt in (*p.opts, *p.secondary_opts):
            table[opt] = takes_value
    return table


def _is_option(token: str, options: dict[str, bool]) -> bool:
    """``--name``, ``--name=value``, ``-x``, ``-xVALUE`` or a cluster of short flags."""
    if token.startswith("--"):
        return token.split("=", 1)[0] in options
    head = token[:2]
    if head not in options:
        return False
    if options[head]:  # -oadam: a short option with its value attached
        return True
    return all(f"-{c}" in options for c in token[1:])  # -qh: a cluster of flags


def looks_like_expression(token: str, options: dict[str, bool]) -> bool:
    """A ``-``-token that is no option of the command and reads as the start of an expression."""
    body = token.strip()
    if not body.startswith("-") or body.startswith("--") or body == "-":
        return False
    if token != body or EXPRESSION_CHARS & set(body[1:]):
        return True
    return body[:2] not in options


def function_first(argv: list[str], commands: dict) -> list[str]:
    """``argv`` with the FUNCTION of a FUNCTION command moved behind ``--`` (see the module docstring).

    ``commands`` maps a command name to its click command.  Other command lines come back as they are.
    """
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":  # gdx --debug optimize …
        i += 1
    if i >= len(argv) or argv[i] not in FUNCTION_COMMANDS or argv[i] not in commands:
        return list(argv)
    options = options_of(commands[argv[i]])
    head, rest = list(argv[: i + 1]), argv[i + 1 :]
    kept: list[str] = []
    function: str | None = None
    j = 0
    while j < len(rest):
        token = rest[j]
        if function is None and token == "--":
            if j + 1 < len(rest):
                function = rest[j + 1].strip()
                j += 2
                continue
            kept.append(token)
        elif _is_option(token, options):
            kept.append(token)
            name = token.split("=", 1)[0] if token.startswith("--") else token[:2]
            if options.get(name) and "=" not in token and token == name and j + 1 < len(rest):
                kept.append(rest[j + 1])  # the option's value, whatever it looks like (--lr -0.1)
                j += 1
        elif function is None and (not token.startswith("-") or looks_like_expression(token, options)):
            function = token.strip()
        else:
            kept.append(token)
        j += 1
    if function is None:
        return list(argv)
    return [*head, *kept, "--", function]
