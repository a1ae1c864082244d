"""Request and response models; the OpenAPI document is generated from them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


def _storable(value: str) -> str:
    """PostgreSQL text cannot hold NUL: a validation error, never a 500."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


# The pattern documents the NUL rule in the OpenAPI document; _storable enforces it.
_NO_NUL = Field(json_schema_extra={"pattern": r"^[^\x00]*$"})
# Length limits come before the validator so that pydantic reports them as string
# limits ("at least 1 character"), not as generic post-validation checks.
NewPassword = Annotated[
    str, StringConstraints(min_length=12, max_length=128), AfterValidator(_storable), _NO_NUL
]
Password = Annotated[
    str, StringConstraints(min_length=1, max_length=128), AfterValidator(_storable), _NO_NUL
]
Title = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_storable), _NO_NUL
]
Body = Annotated[str, StringConstraints(max_length=10000), AfterValidator(_storable), _NO_NUL]


def _email(value: str) -> str:
    # Syntax only: no DNS lookups; the RFC 2606 ".test" domain is accepted (used by
    # generated test data and harmless). Stored lower-cased.
    try:
        result = validate_email(
            value, check_deliverability=False, globally_deliverable=False, test_environment=True
        )
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from None
    return result.normalized.lower()


Email = Annotated[
    str,
    AfterValidator(_email),
    Field(max_length=254, json_schema_extra={"format": "email"}),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class RegisterIn(_In):
    email: Email
    password: NewPassword


class LoginIn(_In):
    email: Email
    password: Password


class NoteIn(_In):
    title: Title
    body: Body = ""


def _absent_not_null(schema: dict[str, Any]) -> None:
    """Optional fields may be omitted but not sent as null: document them that way."""
    schema["minProperties"] = 1
    for prop in schema.get("properties", {}).values():
        variants = prop.pop("anyOf", None)
        if variants:
            prop.update(next(v for v in variants if v.get("type") != "null"))
        prop.pop("default", None)


class NotePatch(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_absent_not_null)
    title: Title | None = None
    body: Body | None = None

    @field_validator("title", "body", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:  # explicit null; an absent field never reaches this
            raise ValueError("must be a string (omit the field to keep it unchanged)")
        return value

    @model_validator(mode="after")
    def _at_least_one(self) -> NotePatch:
        if self.title is None and self.body is None:
            raise ValueError("give at least one of title, body")
        return self


class PageQuery(_In):
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE
    cursor: (
        Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")] | None
    ) = None


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    created_at: dt.datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class NoteOut(BaseModel):
    id: uuid.UUID
    title: str
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime


class NotePage(BaseModel):
    items: list[NoteOut]
    next_cursor: str | None


class VersionOut(BaseModel):
    version: str
    git_sha: str
    color: str


class StatusOut(BaseModel):
    status: str
