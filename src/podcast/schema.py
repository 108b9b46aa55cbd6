"""Validating TOML tables into frozen dataclasses: the machinery under podcast.toml.

A dataclass field declares its type (str, int, float, bool, Path, tuple[str, ...], a nested
dataclass, or one of those or None) and optionally a check in its metadata
(``field(default=5, metadata=between(1, 10))``, ``metadata=check(email)``). Errors are one line
naming the file, the dotted key and the value.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

# -- checks: each returns None or raises ValueError saying what the value must be --------------


def check(validate: Callable[[Any], None]) -> dict[str, Any]:
    return {"check": validate}


def one_of(*choices: str) -> dict[str, Any]:
    def validate(value: str) -> None:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")

    return check(validate)


def between(low: int, high: int) -> dict[str, Any]:
    def validate(value: int) -> None:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")

    return check(validate)


def timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Asia/Shanghai or "
                         "Europe/Berlin") from None


def email(value: str) -> None:
    if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError("must be an e-mail address such as podcast@example.com")


def positive_number(value: float) -> None:
    if value <= 0:
        raise ValueError("must be a positive number")


def fraction(value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError("must be between 0 and 1")


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d)")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(text: str) -> float:
    """A duration such as "90s", "10m", "6h" or "1d", in seconds."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError('must be a duration such as "90s", "10m", "6h" or "1d"')
    return float(match[1]) * _UNITS[match[2]]


def duration(value: str) -> None:
    seconds(value)


def clock_time(value: str) -> None:
    if value and not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value):
        raise ValueError('must be a time of day such as "10:00", or "" for none')


def http_url(value: str) -> None:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ValueError("must be an http:// or https:// URL")



@dataclass(frozen=True)
class Context:
    file: str
    base_dir: Path

    def error(self, key: str, problem: str, value: Any = dataclasses.MISSING) -> ConfigError:
        shown = "" if value is dataclasses.MISSING else f" = {toml_repr(value)}"
        return ConfigError(f"{self.file}: {key}{shown}: {problem}")


def subtable(data: dict[str, Any], key: str, ctx: Context) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ctx.error(key, f"must be a [{key}] table", value)
    return value


def parse_table(
    cls: type[Any], table: dict[str, Any], where: str, ctx: Context,
    extra_known: tuple[str, ...] = (),
) -> Any:
    """Validate ``table`` against the frozen dataclass ``cls`` and build it."""
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    reject_unknown(table, (*fields, *extra_known), where, ctx)
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        key = f"{where}.{name}" if where else name
        if name not in table:
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                raise ctx.error(key, "is required")
            if isinstance(spec.default, Path):  # defaults are relative to the config file too
                values[name] = (ctx.base_dir / spec.default).resolve()
            continue
        value = coerce(table[name], hints[name], key, ctx)
        check = spec.metadata.get("check")
        if check:
            try:
                check(value)
            except ValueError as exc:
                raise ctx.error(key, str(exc), table[name]) from None
        values[name] = value
    return cls(**values)


def reject_unknown(table: dict[str, Any], known: tuple[str, ...], where: str, ctx: Context) -> None:
    for key in table:
        if key not in known:
            full = f"{where}.{key}" if where else key
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"expected one of: {', '.join(known)}"
            raise ctx.error(full, f"unknown key; {hint}")


def coerce(value: Any, hint: Any, key: str, ctx: Context) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return coerce(value, options[0], key, ctx)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):  # a class, not an instance
        if not isinstance(value, dict):
            raise ctx.error(key, f"must be a [{key}] table", value)
        return parse_table(hint, value, key, ctx)
    if hint is bool:
        if not isinstance(value, bool):
            raise ctx.error(key, "must be true or false", value)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.error(key, "must be a whole number", value)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.error(key, "must be a number", value)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ctx.error(key, "must be a string", value)
        return value.strip()
    if hint is Path:
        if not isinstance(value, str) or not value.strip():
            raise ctx.error(key, "must be a path (a non-empty string)", value)
        return (ctx.base_dir / Path(value.strip()).expanduser()).resolve()
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ctx.error(key, "must be a list of strings", value)
        return tuple(item.strip() for item in value)
    raise TypeError(f"config type {hint!r} of {key} is not supported")  # a bug, not user error


def toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)[:60]
    return json.dumps(value, ensure_ascii=False)
