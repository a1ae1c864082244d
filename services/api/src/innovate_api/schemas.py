"""Request and response models; the OpenAPI document is generated from them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

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


Text = Annotated[str, AfterValidator(_storable)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class RegisterIn(_In):
    email: Annotated[EmailStr, Field(max_length=254)]
    password: Annotated[Text, Field(min_length=12, max_length=128)]


class LoginIn(_In):
    email: Annotated[EmailStr, Field(max_length=254)]
    password: Annotated[Text, Field(min_length=1, max_length=128)]


class NoteIn(_In):
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    body: Annotated[Text, Field(max_length=10000)] = ""


class NotePatch(_In):
    title: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    body: Annotated[Text, Field(max_length=10000)] | None = None

    @model_validator(mode="after")
    def _something(self) -> NotePatch:
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
