"""psycopg row factories that build frozen dataclasses from the columns' names."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from psycopg import Cursor

T = TypeVar("T")
Maker = Callable[[Sequence[Any]], Any]


def _maker(cls: type[T], names: tuple[str, ...]) -> Callable[[Sequence[Any]], T]:
    fields = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    if names == fields:  # the usual case: positional, no dict per row
        return lambda values: cls(*values)
    if set(names) != set(fields):
        raise TypeError(f"columns {names} do not map onto {cls.__name__}{fields}")
    return lambda values: cls(**dict(zip(names, values, strict=True)))


def record(cls: type[T]) -> Callable[[Cursor[Any]], Callable[[Sequence[Any]], T]]:
    """Row factory: each row becomes ``cls(**{column: value})`` (names checked once)."""

    def factory(cursor: Cursor[Any]) -> Callable[[Sequence[Any]], T]:
        names = tuple(c.name for c in cursor.description or ())
        return _maker(cls, names)

    return factory


def flagged(
    cls: type[T],
) -> Callable[[Cursor[Any]], Callable[[Sequence[Any]], tuple[bool, T]]]:
    """Row factory for rows led by a boolean flag column: ``(flag, cls(...rest))``."""

    def factory(cursor: Cursor[Any]) -> Callable[[Sequence[Any]], tuple[bool, T]]:
        names = tuple(c.name for c in cursor.description or ())
        make = _maker(cls, names[1:])
        return lambda values: (bool(values[0]), make(values[1:]))

    return factory
