"""A Jira issue snapshot as a canonical item.

Jira sends the whole issue with every delivery, so fields are read from the snapshot;
the changelog contributes what the snapshot cannot say (which links were removed) and
fills a field the snapshot left empty.
"""

from __future__ import annotations

import re

from services.ingest.domain.model import Emitter, SourceRules
from services.ingest.domain.reading import (
    JsonObject,
    day,
    instant,
    need_obj,
    need_text,
    obj,
    objs,
    scalar_id,
    text,
)
from shared.events import ItemChangedV1, ItemStatus, ReleaseChangedV1, ReleaseState

_REST_PATH = re.compile(r"/rest/api/.*$")


def issue_key(issue: JsonObject) -> str:
    return f"jira:{need_text(issue, 'key', 'jira issue')}"


def version_id(version_id: str) -> str:
    return f"jira:version/{version_id}"


def _status(fields: JsonObject, rules: SourceRules) -> ItemStatus:
    status = obj(fields, "status") or {}
    by_name = {name.lower(): value for name, value in rules.jira_statuses.items()}
    name = (text(status, "name") or "").lower()
    if name in by_name:
        return by_name[name]
    category = text(obj(status, "statusCategory") or {}, "key") or "new"
    return rules.jira_status_categories.get(category, ItemStatus.TODO)


def _team(fields: JsonObject, rules: SourceRules) -> str | None:
    if rules.jira_team_field:
        value = fields.get(rules.jira_team_field)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict):
            # Atlassian Team fields carry "name"/"title"; select lists carry "value".
            for key in ("name", "title", "value"):
                if isinstance(value.get(key), str):
                    return str(value[key])
    components = objs(fields, "components")
    if components and text(components[0], "name"):
        return text(components[0], "name")
    return text(obj(fields, "project") or {}, "key")


def _person(value: JsonObject | None) -> str | None:
    if not value:
        return None
    # accountId on Cloud is stable; Server only has the user name.
    return text(value, "accountId") or text(value, "name") or text(value, "displayName")


def _changed_to(changelog: JsonObject | None, field_id: str) -> str | None:
    for entry in objs(changelog or {}, "items"):
        if field_id in (text(entry, "fieldId"), text(entry, "field")):
            return text(entry, "to")
    return None


def _browse_url(issue: JsonObject) -> str | None:
    link = text(issue, "self")
    key = text(issue, "key")
    if not link or not key or "/rest/api/" not in link:
        return None
    return f"{_REST_PATH.sub('', link)}/browse/{key}"


def item_changed(
    em: Emitter, issue: JsonObject, changelog: JsonObject | None, rules: SourceRules
) -> ItemChangedV1:
    fields = need_obj(issue, "fields", "jira issue")
    status = _status(fields, rules)
    updated = instant(fields.get("updated")) or em.occurred_at
    versions = objs(fields, "fixVersions")
    release = scalar_id(versions[0], "id") if versions else _changed_to(changelog, "fixVersions")
    parent = obj(fields, "parent")
    labels = fields.get("labels")
    return ItemChangedV1(
        **em.header(),
        item_id=issue_key(issue),
        title=text(fields, "summary") or "",
        status=status,
        source_updated_at=updated,
        team=_team(fields, rules),
        owner=_person(obj(fields, "assignee")),
        target=day(fields.get("duedate")) or day(_changed_to(changelog, "duedate")),
        start=day(fields.get(rules.jira_start_field)),
        done_at=(instant(fields.get("resolutiondate")) or updated)
        if status is ItemStatus.DONE
        else None,
        release_id=version_id(release) if release else None,
        url=_browse_url(issue),
        labels=tuple(v for v in labels if isinstance(v, str)) if isinstance(labels, list) else (),
        parent_id=f"jira:{text(parent, 'key')}" if parent and text(parent, "key") else None,
        # Link events name issues by this id, and it survives a move to another project.
        node_id=scalar_id(issue, "id"),
    )


def release_changed(em: Emitter, version: JsonObject, *, deleted: bool = False) -> ReleaseChangedV1:
    released = version.get("released") is True
    state = ReleaseState.RELEASED if released else ReleaseState.OPEN
    identifier = scalar_id(version, "id") or need_text(version, "name", "jira version")
    return ReleaseChangedV1(
        **em.header(),
        release_id=version_id(identifier),
        name=text(version, "name") or "",
        state=ReleaseState.DELETED if deleted else state,
        # Versions carry no updated-at; the webhook's own timestamp orders their changes.
        source_updated_at=em.occurred_at,
        due=day(version.get("releaseDate")),
        url=text(version, "self"),
    )
