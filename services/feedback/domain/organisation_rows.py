"""Rows of the organisations file (``FEEDBACK_ORGANISATIONS``), checked all or nothing.

Columns (CSV header or YAML keys): ``name`` (required), ``id`` (optional; else derived from
the name as ``org:<slug>``), ``domains`` (CSV: separated by spaces or ``;``; YAML: a list),
``tier`` (free text), ``arr`` (annual recurring revenue, a number >= 0; empty = unknown),
``owner`` (optional: who owns the account, an e-mail or a tool identity such as
``jira:5b10…``; the notifier tells them when work their customers waited on ships).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from services.feedback.domain.organisations import Organisation, organisation_id

COLUMNS = frozenset({"id", "name", "domains", "tier", "arr", "owner"})
_SEPARATORS = re.compile(r"[;\s,]+")


class BadOrganisationRow(ValueError):
    def __init__(self, row: int, problem: str) -> None:
        super().__init__(f"organisations file, row {row}: {problem}")
        self.row = row


def organisation_from_row(row: int, values: Mapping[str, object]) -> Organisation:
    unknown = set(values) - COLUMNS
    if unknown:
        raise BadOrganisationRow(row, f"unknown column(s) {', '.join(sorted(unknown))}")
    name = str(values.get("name") or "").strip()
    if not name:
        raise BadOrganisationRow(row, "name is required")
    try:
        key = str(values.get("id") or "").strip() or organisation_id(name)
    except ValueError as exc:
        raise BadOrganisationRow(row, str(exc)) from exc
    return Organisation(
        organisation_id=key,
        name=name,
        domains=domains_of(values.get("domains")),
        tier=str(values["tier"]).strip() or None if values.get("tier") is not None else None,
        arr=arr_of(row, values.get("arr")),
        owner=str(values.get("owner") or "").strip() or None,
    )


def domains_of(raw: object) -> tuple[str, ...]:
    parts = raw if isinstance(raw, list) else _SEPARATORS.split(str(raw or ""))
    return tuple(sorted({str(p).strip().lower() for p in parts if str(p).strip()}))


def arr_of(row: int, raw: object) -> float | None:
    if raw is None or str(raw).strip() == "":
        return None
    try:
        arr = float(str(raw).replace("_", ""))
    except ValueError:
        raise BadOrganisationRow(row, f"arr {raw!r} is not a number") from None
    if arr < 0 or arr != arr:
        raise BadOrganisationRow(row, f"arr {raw!r} must be a number >= 0")
    return arr


def organisations_from_rows(
    rows: Iterable[tuple[int, Mapping[str, object]]],
) -> dict[str, Organisation]:
    """Every row or none: the first bad row (or a repeated id) raises, naming its number."""
    found: dict[str, Organisation] = {}
    for row, values in rows:
        organisation = organisation_from_row(row, values)
        if organisation.organisation_id in found:
            raise BadOrganisationRow(row, f"id {organisation.organisation_id} repeats")
        found[organisation.organisation_id] = organisation
    return found
