"""Backends (paper sources, script writers, TTS engines, publish targets): one class each, found
by name in a registry of their kind.

Every backend declares what the rest of the program needs to know about it, so that the core
never names one: the keys it takes (``Options``, a dataclass validated when podcast.toml is
read), whether it works without a network (``offline``), and whether it is the one that stands
in for the others of its kind when they cannot work (``stands_in``: the sample papers, the
template writer, the offline voice).

A registry knows the backends that come with the program by name and module, and imports a
backend's module only when that backend is asked for: a config that names no source of feeds
loads no feed source, and ``podcast status`` loads no TTS engine. A backend registered at run
time (a test's, a plug-in's) is known from its registration on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from .errors import ConfigError


@dataclass(frozen=True)
class NoOptions:
    """Options of a backend that takes none."""


@dataclass(frozen=True)
class BackendConfig:
    """Which backend (``type``) and its own validated options object."""

    type: str
    options: Any


class Backend:
    """What every backend has: the name it is registered under, the dataclass of the config keys
    it takes, whether it works without a network, and whether it stands in for the others."""

    name: ClassVar[str]
    Options: ClassVar[type] = NoOptions
    offline: ClassVar[bool] = False
    stands_in: ClassVar[bool] = False  # the offline stand-in of its kind (one per registry)

    def __init__(self, options: Any) -> None:
        self.options = options

    def standin(self) -> str | None:
        """How the 'offline stand-ins' line names this backend, or None if it is the real thing."""
        return None


B = TypeVar("B", bound=type[Backend])


class Registry(Generic[B]):
    """Backends of one kind, by the name a config file uses for them.

    ``modules`` names the module of each backend that comes with the program (``{"edge":
    "podcast.speak.edge"}``): the module registers its class when it is imported, which is the
    first time the backend is asked for (:meth:`get`, :meth:`classes`, :meth:`stand_in`).
    Knowing the names (:meth:`names`, ``in``, iterating) imports nothing.
    """

    def __init__(self, kind: str, modules: Mapping[str, str] | None = None) -> None:
        self.kind = kind
        self._classes: dict[str, B] = {}
        self._modules: dict[str, str] = dict(modules or {})

    def register(self, name: str) -> Callable[[B], B]:
        def add(cls: B) -> B:
            if name in self._classes:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            cls.name = name
            self._classes[name] = cls
            return cls

        return add

    def unregister(self, name: str) -> None:
        """Forget a backend (tests that register one of their own take it out again)."""
        self._classes.pop(name, None)
        self._modules.pop(name, None)

    def get(self, name: str) -> B:
        """The backend registered as ``name``, its module imported first if it comes with the
        program and was not imported yet."""
        if name not in self._classes and name in self._modules:
            importlib.import_module(self._modules[name])
            if name not in self._classes:  # a bug: the table names the wrong module
                raise RuntimeError(f"{self._modules[name]} does not register {self.kind} {name!r}")
        try:
            return self._classes[name]
        except KeyError:
            raise ConfigError(
                f"unknown {self.kind} {name!r}; choose one of: {', '.join(self.names())}"
            ) from None

    def module(self, name: str) -> str | None:
        """The module a backend that comes with the program is in (None for one registered at
        run time)."""
        return self._modules.get(name)

    def stand_in(self) -> B:
        """The backend that stands in for the others of this kind when they cannot work."""
        found = [cls for cls in self.classes() if cls.stands_in]
        if len(found) != 1:
            raise RuntimeError(f"{len(found)} {self.kind}s declare stands_in; one must")  # a bug
        return found[0]

    def names(self) -> list[str]:
        return sorted(self._classes.keys() | self._modules.keys())

    def classes(self) -> list[B]:
        """Every backend of this kind, each one's module imported."""
        return [self.get(name) for name in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._classes or name in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
