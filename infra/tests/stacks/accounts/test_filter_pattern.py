"""The filter-pattern evaluator the alarm tests rely on."""

from __future__ import annotations

import pytest

from tests.stacks.accounts.filter_pattern import matches

EVENT = {"eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}, "errorCode": "AccessDenied"}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.userIdentity.type = "Root" }', True),
        ('{ $.userIdentity.type = "Ro*" }', True),
        ('{ $.userIdentity.type = "IAMUser" }', False),
        ('{ $.userIdentity.type != "Root" }', False),
        ("{ $.eventName = ConsoleLogin }", True),
        ("{ $.eventName = Console* }", False),  # bare words are literal
        ('{ $.userIdentity.invokedBy NOT EXISTS && $.userIdentity.type = "Root" }', True),
        ('{ ($.eventName = "X") || ($.errorCode = "Access*") }', True),
        ('{ ($.eventName = "X") || (($.errorCode = "A*") && ($.missing = "y")) }', False),
        ('{ $.missing != "y" }', False),
    ],
)
def test_matches(pattern: str, expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize("pattern", ["ERROR", "{ $.a > 1 }", '{ ($.a = "b" }'])
def test_unsupported_syntax_is_refused(pattern: str) -> None:
    with pytest.raises((ValueError, IndexError)):
        matches(pattern, EVENT)
