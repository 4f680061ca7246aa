"""One registry mechanism for every kind of plug-in: exporters, report formats, register formats.

A :class:`Registry` maps names to things (exporter specs, writer functions...). A built-in
can be *declared* by the module that registers it, so the registry lists every name without
importing any module, and imports the module on the first :meth:`Registry.get` of one of
its names. Third-party packages add theirs through an entry-point group
(:class:`EntryPointPlugins`), loaded once, on the first look-up. An unknown name raises
:class:`~teikit.errors.UnknownFormatError`, whose message lists the known names.

>>> colours = Registry[str]("colour")
>>> colours.register("red", "#f00")
'#f00'
>>> colours.get("red"), colours.names()
('#f00', ['red'])
>>> colours.get("blue")
Traceback (most recent call last):
...
teikit.errors.UnknownFormatError: unknown colour 'blue' (choose from red)
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from teikit.errors import UnknownFormatError

__all__ = ["EntryPointPlugins", "Registry"]

T = TypeVar("T")


class EntryPointPlugins:
    """The plug-ins of one entry-point group, imported once; remembers why any failed.

    Each entry point names a module (whose import registers things) or an object, which
    is passed to *accept* (which registers it, or ignores what it does not know).
    """

    def __init__(self, group: str, accept: Callable[[object], None] | None = None) -> None:
        self.group = group
        self.accept = accept
        self.errors: list[str] = []
        self._loaded = False
        self._lock = threading.Lock()

    def load(self) -> None:
        """Import the entry points of the group, the first time only."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            from importlib import metadata  # not at start-up: it reads every package's metadata

            for entry_point in metadata.entry_points(group=self.group):
                try:
                    loaded = entry_point.load()
                except Exception as exc:  # a broken plug-in must not break the built-ins
                    self.errors.append(
                        f"plug-in {entry_point.name!r} ({entry_point.value}) failed to load: "
                        f"{type(exc).__name__}: {exc}"
                    )
                    continue
                if self.accept is not None:
                    self.accept(loaded)


class Registry(Generic[T]):
    """Things of one kind by name: registered, declared (imported on first use) or plug-ins.

    *what* names the kind in messages (``format``, ``report format``...).
    """

    def __init__(self, what: str, *, plugins: EntryPointPlugins | None = None) -> None:
        self.what = what
        self.plugins = plugins
        self._items: dict[str, T] = {}
        self._declared: dict[str, str] = {}  # name -> the module that registers it

    def declare(self, module: str, *names: str) -> None:
        """Say that importing *module* registers *names* (imported on their first look-up)."""
        for name in names:
            self._declared[name] = module

    def register(self, name: str, item: T, *, origin: str | None = None) -> T:
        """Register *item* as *name* and return it.

        A declared name may only be registered by its module (*origin*).

        :raises ValueError: *name* is already registered (or declared by another module).
        """
        declared = self._declared.get(name)
        if name in self._items or (declared is not None and declared != origin):
            raise ValueError(f"{self.what} {name!r} is already registered")
        self._items[name] = item
        return item

    def add(self, name: str, item: T) -> None:
        """Register *item* as *name* unless the name is taken (what plug-in objects use)."""
        if name not in self._items and name not in self._declared:
            self._items[name] = item

    def _load_plugins(self) -> None:
        if self.plugins is not None:
            self.plugins.load()

    def names(self) -> list[str]:
        """Return every name, registered or declared, sorted (imports no declared module)."""
        self._load_plugins()
        return sorted({*self._items, *self._declared})

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> T:
        """Return the thing called *name*, importing its module if it was only declared.

        :raises UnknownFormatError: no such name; the message lists the known names.
        """
        self._load_plugins()
        if name not in self._items and name in self._declared:
            importlib.import_module(self._declared[name])
        try:
            return self._items[name]
        except KeyError:
            raise UnknownFormatError(
                f"unknown {self.what} {name!r} (choose from {self.choices()})"
            ) from None

    def items(self) -> Iterator[tuple[str, T]]:
        """Yield ``(name, thing)`` for every name, sorted, importing declared modules."""
        for name in self.names():
            yield name, self.get(name)

    def choices(self) -> str:
        """Return the known names for a message, with why any plug-in failed to load."""
        text = ", ".join(self.names()) or "none"
        if self.plugins is not None and self.plugins.errors:
            text += "; " + "; ".join(self.plugins.errors)
        return text
