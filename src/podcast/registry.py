"""Name → class registries for backends (paper sources, writers, TTS engines, publish targets)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T", bound=type)


@dataclass(frozen=True)
class NoOptions:
    """Options of a backend that takes none."""


class Backend:
    """What every backend has: the name it is registered under, the dataclass of the config keys
    it takes (validated when podcast.toml is read), and whether it works without a network."""

    name: ClassVar[str]
    Options: ClassVar[type] = NoOptions
    offline: ClassVar[bool] = False

    def __init__(self, options: Any) -> None:
        self.options = options

    def standin(self) -> str | None:
        """How the 'offline stand-ins' line names this backend, or None if it is the real thing."""
        return None


class Registry(Generic[T]):
    """Backends of one kind, by the name a config file uses for them."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(cls: T) -> T:
            if name in self._classes:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            cls.name = name
            self._classes[name] = cls
            return cls

        return add

    def get(self, name: str) -> T:
        try:
            return self._classes[name]
        except KeyError:
            raise ConfigError(
                f"unknown {self.kind} {name!r}; choose one of: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._classes)

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
