"""Jira dependencies: issue links (from snapshots, changelogs and link events) and prose.

A link made in Jira's UI arrives as ``issuelink_created`` naming both issues only by their
numeric ids (many admins subscribe to link events only), so that edge names its ends
``jira-id:<id>`` and the scheduler resolves them against the ids its issues arrive with,
whichever comes first. The link's source issue is the outward side: it blocks the
destination.
"""

from __future__ import annotations

from services.ingest.domain.jira_issues import issue_key
from services.ingest.domain.model import Emitter, Normalised, SourceRules
from services.ingest.domain.reading import JsonObject, obj, objs, scalar_id, text
from services.ingest.domain.references import reference_changes
from shared.events import DependencyAddedV1, DependencyRemovedV1, EdgeOrigin

ID_PREFIX = "jira-id:"


def _emit(em: Emitter, added: bool, blocker: str, blocked: str, origin: EdgeOrigin) -> None:
    event = DependencyAddedV1 if added else DependencyRemovedV1
    # A link has no clock of its own; the delivery time orders add against remove.
    em.emit(
        event(
            **em.header(),
            blocker_id=blocker,
            blocked_id=blocked,
            source_updated_at=em.occurred_at,
            origin=origin,
        )
    )


def _blocking(kind: str | None, rules: SourceRules) -> bool:
    return (kind or "").lower() in {name.lower() for name in rules.jira_link_types}


def emit_links(
    em: Emitter, me: str, fields: JsonObject, changelog: JsonObject | None, rules: SourceRules
) -> None:
    """Blocking links: the snapshot re-asserts current ones, the changelog removes old ones."""
    edges: dict[tuple[bool, str, str], None] = {}
    for link in objs(fields, "issuelinks"):
        if not _blocking(text(obj(link, "type") or {}, "name"), rules):
            continue
        outward, inward = obj(link, "outwardIssue"), obj(link, "inwardIssue")
        if outward and text(outward, "key"):
            edges[(True, me, issue_key(outward))] = None
        if inward and text(inward, "key"):
            edges[(True, issue_key(inward), me)] = None
    for entry in objs(changelog or {}, "items"):
        if (text(entry, "field") or "").lower() == "link":
            edge = _changelog_edge(me, entry, rules)
            if edge:
                edges[edge] = None
    for added, blocker, blocked in edges:
        _emit(em, added, blocker, blocked, EdgeOrigin.JIRA_LINK)


def _changelog_edge(me: str, entry: JsonObject, rules: SourceRules) -> tuple[bool, str, str] | None:
    """A "Link" change reads "This issue is blocked by PAY-3"; ``to`` or ``from`` is the key."""
    added = bool(text(entry, "to"))
    other = text(entry, "to") if added else text(entry, "from")
    wording = (text(entry, "toString") if added else text(entry, "fromString")) or ""
    wording = wording.lower().removeprefix("this issue ").strip()
    if not other:
        return None
    phrase = wording.removesuffix(other.lower()).strip()
    if phrase in {p.lower() for p in rules.jira_link_inward}:
        return added, f"jira:{other}", me
    if phrase in {p.lower() for p in rules.jira_link_outward}:
        return added, me, f"jira:{other}"
    return None


def emit_issuelink(em: Emitter, payload: JsonObject, event: str, rules: SourceRules) -> Normalised:
    link = obj(payload, "issueLink") or {}
    kind = text(obj(link, "issueLinkType") or {}, "name") or "?"
    if not _blocking(kind, rules):
        return em.result(f"jira {event}: link type '{kind}' is not a blocking link")
    source, target = scalar_id(link, "sourceIssueId"), scalar_id(link, "destinationIssueId")
    if not source or not target:
        return em.result(f"jira {event}: '{kind}' link without both issue ids")
    added = event == "issuelink_created"
    _emit(em, added, f"{ID_PREFIX}{source}", f"{ID_PREFIX}{target}", EdgeOrigin.JIRA_LINK)
    return em.result()


def _adf_text(node: object) -> str:
    """An Atlassian document's text, a linked run written as Markdown ``[text](href)``."""
    if isinstance(node, list):
        return "".join(_adf_text(child) for child in node)
    if not isinstance(node, dict):
        return ""
    if isinstance(node.get("text"), str):
        marks = node.get("marks")
        links = [m for m in marks if isinstance(m, dict)] if isinstance(marks, list) else []
        attrs = [m.get("attrs") for m in links if m.get("type") == "link"]
        hrefs = [a.get("href") for a in attrs if isinstance(a, dict)]
        href = next((h for h in hrefs if isinstance(h, str)), None)
        return f"[{node['text']}]({href})" if href else str(node["text"])
    if isinstance(node.get("attrs"), dict) and isinstance(node["attrs"].get("url"), str):
        return f" {node['attrs']['url']} "  # an inline card: a pasted URL Jira turned into a chip
    kind, inner = node.get("type"), _adf_text(node.get("content"))
    if kind == "listItem":
        return f"- {inner.strip()}\n"  # so a list under a "Blocked by" heading reads as one
    return inner + "\n" if kind in ("paragraph", "heading") else inner


def _description(value: object) -> str | None:
    """Wiki-markup text (REST v2, what webhooks send) or an Atlassian document (REST v3)."""
    return value if isinstance(value, str) or value is None else _adf_text(value)


def emit_description_references(
    em: Emitter, me: str, fields: JsonObject, changelog: JsonObject | None, rules: SourceRules
) -> None:
    """Prose dependencies: the snapshot re-asserts them, a description edit drops old ones."""
    old = None
    for entry in objs(changelog or {}, "items"):
        if (text(entry, "field") or "").lower() == "description":
            old = text(entry, "fromString")
    new = _description(fields.get("description"))
    added, _ = reference_changes(None, new, home_repo=None, rules=rules)
    _, removed = reference_changes(old, new, home_repo=None, rules=rules)
    for refs, present in ((added, True), (removed, False)):
        for ref in refs:
            if ref.other != me:
                blocker, blocked = (me, ref.other) if ref.other_is_blocked else (ref.other, me)
                _emit(em, present, blocker, blocked, EdgeOrigin.TEXT_REFERENCE)
