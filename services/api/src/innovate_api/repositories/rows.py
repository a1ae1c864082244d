"""psycopg row factories that build frozen dataclasses from the columns' names.

A factory runs once per result set, on every request: it reads the column names from
the raw result (``PGresult.fname``, bytes) rather than ``cursor.description`` (one
``Column`` object per column, each decoding its name), and keeps the row maker it built
for each list of names it has seen, so the names are checked against the class once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from psycopg import Cursor

T = TypeVar("T")
Maker = Callable[[Sequence[Any]], Any]
Names = tuple[bytes, ...]


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _maker(cls: type[T], names: tuple[str, ...], skip: int) -> Callable[[Sequence[Any]], T]:
    """Build ``cls`` from each row's columns after the first ``skip``."""
    fields = _field_names(cls)
    names = names[skip:]
    if names == fields:  # the usual case: positional, no dict per row
        if skip:
            return lambda values: cls(*values[skip:])
        return lambda values: cls(*values)
    if set(names) != set(fields):
        raise TypeError(f"columns {names} do not map onto {cls.__name__}{fields}")
    return lambda values: cls(**dict(zip(names, values[skip:], strict=True)))


def _names(cursor: Cursor[Any]) -> Names:
    result = cursor.pgresult
    if result is None:
        return ()
    return tuple(result.fname(i) or b"" for i in range(result.nfields))


def _cached(build: Callable[[tuple[str, ...]], Maker]) -> Callable[[Cursor[Any]], Maker]:
    # Keyed by the raw names: a constant statement always hits the same entry. The dict
    # is only ever added to (a lost race builds the same maker twice), and bounded by
    # the distinct column lists of the statements that use this factory.
    makers: dict[Names, Maker] = {}

    def factory(cursor: Cursor[Any]) -> Maker:
        names = _names(cursor)
        maker = makers.get(names)
        if maker is None:
            maker = makers[names] = build(tuple(n.decode() for n in names))
        return maker

    return factory


def record(cls: type[T]) -> Callable[[Cursor[Any]], Callable[[Sequence[Any]], T]]:
    """Row factory: each row becomes ``cls(**{column: value})`` (names checked once)."""
    return _cached(lambda names: _maker(cls, names, 0))


def flagged(
    cls: type[T],
) -> Callable[[Cursor[Any]], Callable[[Sequence[Any]], tuple[bool, T]]]:
    """Row factory for rows led by a boolean flag column: ``(flag, cls(...rest))``.

    The flag is true unless the column is exactly ``False`` (fails closed)."""

    def build(names: tuple[str, ...]) -> Maker:
        make = _maker(cls, names, 1)
        if names[1:] == _field_names(cls):  # positional: one call per row
            return lambda values: (values[0] is not False, cls(*values[1:]))
        return lambda values: (values[0] is not False, make(values))

    return _cached(build)
