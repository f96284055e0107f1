"""``gdx --help`` without rich.markdown, rich.syntax and rich.traceback (0.3 s of imports).

The rule: ``typer.rich_utils`` (imported by typer when it formats help) imports ``Markdown``
(markdown_it, pygments) and ``Traceback`` (pygments) at its top, though gdx's help never
uses them: gdx sets ``rich_markup_mode="rich"`` (no Markdown) and
``pretty_exceptions_enable=False`` (no rich traceback).  :func:`install` adds an import hook
that, only while ``typer.rich_utils`` itself executes, puts stand-in modules at
``rich.markdown`` and ``rich.traceback``; they are removed as soon as it is loaded.  Each
stand-in class builds the real rich class on first use (so Markdown help, were it ever asked
for, still renders exactly), and nothing else in the process sees a stand-in: a later
``import rich.markdown`` loads the real module.  tests/test_cli.py checks the help text is
unchanged and that those modules are not imported by ``--help``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
import types

_TARGET = "typer.rich_utils"
_STAND_INS = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


def _stand_in(module_name: str, class_name: str) -> type:
    """A class named like rich's whose construction (or ``from_exception``) imports the real one."""

    def real():
        return getattr(importlib.import_module(module_name), class_name)

    def __new__(cls, *args, **kwargs):  # noqa: N807 - a class's constructor
        return real()(*args, **kwargs)

    def from_exception(cls, *args, **kwargs):
        return real().from_exception(*args, **kwargs)

    return type(class_name, (), {"__new__": __new__, "from_exception": classmethod(from_exception),
                                 "__module__": module_name})


class _Loader(importlib.abc.Loader):
    def __init__(self, loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        placed = []
        for name, class_name in _STAND_INS.items():
            if name not in sys.modules:
                stand_in = types.ModuleType(name)
                setattr(stand_in, class_name, _stand_in(name, class_name))
                sys.modules[name] = stand_in
                placed.append(name)
        try:
            self.loader.exec_module(module)
        finally:
            for name in placed:
                sys.modules.pop(name, None)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != _TARGET:
            return None
        from importlib.util import find_spec

        sys.meta_path.remove(self)  # once: find the real spec, then wrap its loader
        spec = find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Loader(spec.loader)
        return spec


def install() -> None:
    """Add the hook (once; no effect when typer.rich_utils is already imported)."""
    if _TARGET in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())
