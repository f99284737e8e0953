"""API tokens: what one is, how it is stored, and the one writer of the ``api_tokens`` collection.

A token is ``sst_`` plus 32 random bytes (``secrets.token_urlsafe``), shown once and stored only
as its SHA-256. A slow hash would add nothing: the input has 256 bits of entropy, so there is no
dictionary to grind, and a lookup by hash compares no secret byte by byte (nothing to time).

``TokenRegistry`` is the collection's only writer; the CLI's ``slipstream token`` commands (and
``slipstream up``, through them) are its only users, so the collection belongs to no service and
every service reads it through ``TokenLookup``. ``tests/unit/test_architecture.py`` checks that.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

TOKENS = "api_tokens"
PREFIX = "sst_"
Scope = Literal["read", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "admin")


class NameTaken(Exception):
    """Another live token already has this name; names are how tokens are revoked."""


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def grants(held: str, needed: str) -> bool:
    """``admin`` implies ``read``."""
    return held == needed or held == "admin"


@dataclass(frozen=True)
class TokenRecord:
    """What a service learns from a valid token: who it was given to and what it may do."""

    name: str
    scope: Scope
    created_at: datetime
    hash: str


def record(document: dict[str, Any]) -> TokenRecord:
    scope = cast(Scope, document["scope"])
    return TokenRecord(document["name"], scope, document["created_at"], document["_id"])


class TokenRegistry:
    """Create, list and revoke tokens (synchronous: its callers are CLI commands)."""

    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.tokens = db[TOKENS]

    def create(self, name: str, scope: Scope, now: datetime) -> str:
        """The new token, which is not stored anywhere: the caller shows it once."""
        if scope not in SCOPES:
            raise ValueError(f"scope is one of {', '.join(SCOPES)}")
        self.tokens.create_index("name", unique=True)
        if self.tokens.find_one({"name": name}) is not None:
            raise NameTaken(name)
        token = new_token()
        document = {"_id": token_hash(token), "name": name, "scope": scope, "created_at": now}
        try:
            self.tokens.insert_one(document)
        except DuplicateKeyError as exc:
            raise NameTaken(name) from exc
        return token

    def all(self) -> list[TokenRecord]:
        return [record(d) for d in self.tokens.find({}).sort("created_at", 1)]

    def revoke(self, name: str) -> bool:
        return self.tokens.delete_one({"name": name}).deleted_count == 1

    def find(self, token: str) -> TokenRecord | None:
        found = self.tokens.find_one({"_id": token_hash(token)})
        return None if found is None else record(found)


class TokenLookup:
    """The read side every service uses (through ``shared.auth.Authenticator``'s cache)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.tokens = db[TOKENS]

    async def by_hash(self, hashed: str) -> TokenRecord | None:
        found = await self.tokens.find_one({"_id": hashed})
        return None if found is None else record(found)
