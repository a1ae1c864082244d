"""A small evaluator of CloudWatch Logs JSON filter patterns, for the subset the alarms
use: ``{ <expr> }`` where an expression is ``$.a.b = "value"`` / ``!=`` (``*`` wildcards
in quoted values, bare words compared literally), ``$.a NOT EXISTS``, combined with
``&&``, ``||`` and parentheses ("Filter pattern syntax for metric filters", CloudWatch
Logs User Guide). Anything else raises ValueError, so a test never passes on a pattern
it did not understand."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

_TOKEN = re.compile(
    r'\s*(?:(?P<op>&&|\|\||\(|\)|!=|=)|(?P<sel>\$\.[\w.]+)|(?P<str>"[^"]*")'
    r"|(?P<kw>NOT EXISTS)|(?P<word>[\w*:-]+))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(f"not a JSON filter pattern: {text!r}")
    body = body[1:-1]
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        match = _TOKEN.match(body, pos)
        if match is None:
            raise ValueError(f"unsupported syntax at {body[pos:]!r}")
        kind = match.lastgroup
        assert kind is not None
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _lookup(event: dict[str, Any], selector: str) -> Any:
    value: Any = event
    for part in selector[2:].split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def matches(pattern: str, event: dict[str, Any]) -> bool:
    tokens = _tokens(pattern)
    pos = 0

    def peek() -> tuple[str, str] | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        token = tokens[pos]
        pos += 1
        return token

    def primary() -> bool:
        token = take()
        if token == ("op", "("):
            result = disjunction()
            if take() != ("op", ")"):
                raise ValueError("unbalanced parentheses")
            return result
        if token[0] != "sel":
            raise ValueError(f"expected a selector, got {token!r}")
        value = _lookup(event, token[1])
        nxt = take()
        if nxt == ("kw", "NOT EXISTS"):
            return value is None
        if nxt not in (("op", "="), ("op", "!=")):
            raise ValueError(f"unsupported comparison {nxt!r}")
        kind, raw = take()
        if kind == "str":
            expected, wildcard = raw[1:-1], True
        elif kind == "word":
            expected, wildcard = raw, False
        else:
            raise ValueError(f"unsupported value {raw!r}")
        equal = value is not None and (
            fnmatch.fnmatchcase(str(value), expected) if wildcard else str(value) == expected
        )
        return equal if nxt[1] == "=" else (value is not None and not equal)

    def conjunction() -> bool:
        result = primary()
        while peek() == ("op", "&&"):
            take()
            result = primary() and result
        return result

    def disjunction() -> bool:
        result = conjunction()
        while peek() == ("op", "||"):
            take()
            result = conjunction() or result
        return result

    result = disjunction()
    if pos != len(tokens):
        raise ValueError(f"trailing tokens {tokens[pos:]!r}")
    return result
