"""Cross-tool dependencies written in prose: "blocked by PAY-12", "depends on <a URL>".

Teams link work across tools in descriptions because no tool links to another; reading
those phrases is how one dependency graph spans GitHub, Jira and Linear. Only what follows
a blocking phrase counts: a list ("blocked by A, B and C", each a key, a URL, a Markdown or
wiki link) or the list items under a heading that is the phrase ("## Blocked by").
What a single token names is decided in ``mentions``, the one reader of references.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from services.ingest.domain.mentions import TOKEN, keys_by_url, resolve
from services.ingest.domain.model import SourceRules

_VERBS = (
    r"blocked\s+(?:by|on)|depends\s+on|dependent\s+on|requires|waiting\s+(?:on|for)"
    r"|is\s+blocking|blocks"
)
_REVERSE = ("blocks", "is blocking")  # the described item is the blocker
_FLAGS = re.IGNORECASE | re.ASCII  # ASCII: the stem pre-check below must never miss a match
_PHRASE = re.compile(rf"\b(?P<verb>{_VERBS})\b[ \t]*:?", _FLAGS)
_HEADING = re.compile(
    rf"^[ \t]*(?:#{{1,6}}[ \t]*)?(?:\*\*|__)?(?P<verb>{_VERBS})[ \t]*:?[ \t]*(?:\*\*|__)?[ \t]*:?"
    r"[ \t]*\r?$",
    _FLAGS | re.MULTILINE,
)
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d+[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_SEPARATOR = re.compile(r"(?:\s*(?:,|;|&|\+|\band\b|\bor\b))*\s*", _FLAGS)
# A link whose label, target or both may name the item: Markdown, Jira wiki, <URL>, <a href>.
_WRAPPED = re.compile(
    r"\[[^\]\n]*\]\([^)\s]*\)|\[[^\]|\n]*\|[^\]\s]*\]|<https?://[^>\s]*>|<a\s[^>]*>.*?</a>",
    _FLAGS | re.DOTALL,
)
_VERB_STEMS = ("bloc", "depend", "requ", "wait")


@dataclass(frozen=True)
class Reference:
    """``other`` blocks the described item, or is blocked by it when ``other_is_blocked``."""

    other: str
    other_is_blocked: bool


def _list_at(
    text: str, pos: int, home_repo: str | None, rules: SourceRules, by_url: Mapping[str, str]
) -> list[str]:
    """The items of a reference list starting at ``pos``; it ends at the first non-reference."""
    items: list[str] = []
    pos = _SEPARATOR.match(text, pos).end()  # type: ignore[union-attr]
    while pos < len(text):
        wrapped = _WRAPPED.match(text, pos)
        if wrapped:
            inside = TOKEN.finditer(text, wrapped.start(), wrapped.end())
            items += [item for m in inside if (item := resolve(m, home_repo, rules, by_url))]
            end = wrapped.end()
        elif token := TOKEN.match(text, pos):
            item = resolve(token, home_repo, rules, by_url)
            items += [item] if item else []
            end = token.end()
        else:
            break
        pos = _SEPARATOR.match(text, end).end()  # type: ignore[union-attr]
    return items


def _listed_under(text: str, pos: int) -> list[int]:
    """Where each item's text starts in the list right after a heading (blank lines aside)."""
    starts: list[int] = []
    while pos < len(text):
        eol = text.find("\n", pos)
        eol = len(text) if eol < 0 else eol
        if text[pos:eol].strip():
            item = _LIST_ITEM.match(text, pos)
            if not item:
                break
            starts.append(item.end())
        elif starts:
            break
        pos = eol + 1
    return starts


def find_references(
    text: str | None, *, home_repo: str | None, rules: SourceRules
) -> tuple[Reference, ...]:
    """Every item named after a blocking phrase; ``home_repo`` resolves a bare ``#12``."""
    if not text or not any(stem in text.lower() for stem in _VERB_STEMS):
        return ()
    found: dict[Reference, None] = {}  # ordered set: event ids depend on emission order
    by_url = keys_by_url(text, rules)
    for phrase in _PHRASE.finditer(text):
        reverse = " ".join(phrase.group("verb").lower().split()) in _REVERSE
        for item in _list_at(text, phrase.end(), home_repo, rules, by_url):
            found[Reference(item, reverse)] = None
    for heading in _HEADING.finditer(text):
        reverse = " ".join(heading.group("verb").lower().split()) in _REVERSE
        for start in _listed_under(text, heading.end()):
            for item in _list_at(text, start, home_repo, rules, by_url):
                found[Reference(item, reverse)] = None
    return tuple(found)


def reference_changes(
    old: str | None, new: str | None, *, home_repo: str | None, rules: SourceRules
) -> tuple[tuple[Reference, ...], tuple[Reference, ...]]:
    """(added, removed) between two versions of a description."""
    before = find_references(old, home_repo=home_repo, rules=rules)
    after = find_references(new, home_repo=home_repo, rules=rules)
    return (
        tuple(ref for ref in after if ref not in before),
        tuple(ref for ref in before if ref not in after),
    )
