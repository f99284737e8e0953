"""Dashboard sessions: a random cookie value exchanged once for a token, kept server-side.

The cookie holds only a random id; the scheduler stores its SHA-256 beside the token's hash, so
neither the token nor a usable session id sits in the database, any scheduler replica can
serve the session, and revoking the token ends its sessions (``Authenticator`` checks it).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

SESSION_HOURS = 12


def session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class MongoSessions:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], clock: Callable[[], datetime]) -> None:
        self.sessions = db["dashboard_sessions"]
        self.clock = clock

    async def ensure_indexes(self) -> None:
        await self.sessions.create_index("expires_at", name="expiry", expireAfterSeconds=0)

    async def open(self, token_hash: str) -> str:
        session_id = secrets.token_urlsafe(32)
        expires = self.clock() + timedelta(hours=SESSION_HOURS)
        document = {"_id": session_key(session_id), "token": token_hash, "expires_at": expires}
        await self.sessions.insert_one(document)
        return session_id

    async def token_hash(self, session_id: str) -> str | None:
        found = await self.sessions.find_one({"_id": session_key(session_id)})
        if found is None or found["expires_at"] <= self.clock():
            return None
        return str(found["token"])

    async def close(self, session_id: str) -> None:
        await self.sessions.delete_one({"_id": session_key(session_id)})
