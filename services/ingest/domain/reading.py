"""Typed reads from untyped JSON: absent or mistyped optional fields read as None.

Required fields raise ``Uninterpretable`` so a body we misunderstand is kept and
dead-lettered rather than turned into half-true events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from services.ingest.domain.model import Uninterpretable

JsonObject = Mapping[str, object]


def obj(data: JsonObject, key: str) -> JsonObject | None:
    value = data.get(key)
    return value if isinstance(value, Mapping) else None


def need_obj(data: JsonObject, key: str, what: str) -> JsonObject:
    value = obj(data, key)
    if value is None:
        raise Uninterpretable(f"{what}: missing object '{key}'")
    return value


def objs(data: JsonObject, key: str) -> list[JsonObject]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, Mapping)]


def text(data: JsonObject, key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def need_text(data: JsonObject, key: str, what: str) -> str:
    value = text(data, key)
    if not value:
        raise Uninterpretable(f"{what}: missing text '{key}'")
    return value


def integer(data: JsonObject, key: str) -> int | None:
    value = data.get(key)
    # bool is an int subclass; a flag is never an issue number.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def need_integer(data: JsonObject, key: str, what: str) -> int:
    value = integer(data, key)
    if value is None:
        raise Uninterpretable(f"{what}: missing number '{key}'")
    return value


def scalar_id(data: JsonObject, key: str) -> str | None:
    """An id that vendors send as a number in one API version and a string in another."""
    number = integer(data, key)
    return str(number) if number is not None else text(data, key) or None


def instant(value: object) -> datetime | None:
    """An ISO-8601 string as aware UTC; a naive time is taken as UTC, as vendors mean it."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def epoch(value: object, *, millis: bool) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = value / 1000 if millis else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def day(value: object) -> date | None:
    """A calendar date from ``2024-05-01`` or a full timestamp (its UTC date)."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    moment = instant(value)
    return moment.date() if moment else None


def epoch_text(value: str, *, millis: bool) -> datetime | None:
    """Epoch time from a header; only ASCII digits, since ``int`` also reads "٣" and fails "²"."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 15:
        return None
    return epoch(int(value), millis=millis)
