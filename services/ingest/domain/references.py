"""Cross-tool dependencies written in prose: "blocked by PAY-12", "depends on #12".

Teams link work across tools in descriptions because no tool links to another; reading
those phrases is how one dependency graph spans GitHub, Jira and Linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.ingest.domain.model import SourceRules

_REF = (
    r"(?:(?:github|jira|linear):)?"  # explicit tool prefix
    r"(?:[A-Za-z0-9][\w.-]*/[\w.-]+)?#\d+"  # owner/repo#12 or #12
    r"|(?:(?:jira|linear):)?(?-i:[A-Z][A-Z0-9]+)-\d+"  # PAY-12, linear:ENG-7; keys upper-case only
)
_LIST = rf"(?:{_REF})(?:\s*(?:,|\band\b|&)?\s*(?:{_REF}))*"
_PHRASE = re.compile(
    rf"\b(?P<verb>blocked\s+(?:by|on)|depends\s+on|requires|blocks)\s*:?\s+(?P<refs>{_LIST})",
    re.IGNORECASE,
)
_ONE = re.compile(_REF, re.IGNORECASE)
# Every phrase contains one of these, and none holds a letter that IGNORECASE matches to a
# non-ASCII one (i, k, s): a cheap test that spares most descriptions the regex scan.
_VERB_STEMS = ("bloc", "depend", "requ")


@dataclass(frozen=True)
class Reference:
    """``other`` blocks the described item, or is blocked by it when ``other_is_blocked``."""

    other: str
    other_is_blocked: bool


def _resolve(token: str, home_repo: str | None, rules: SourceRules) -> str | None:
    tool, _, rest = token.partition(":")
    if not rest:
        tool, rest = "", token
    tool = tool.lower()
    if "#" in rest:
        if tool not in ("", "github"):
            return None
        repo, _, number = rest.partition("#")
        repo = repo or (home_repo or "")
        return f"github:{repo}#{number}" if repo else None
    key = rest.upper()
    if not tool:
        tool = "linear" if key.split("-")[0] in rules.linear_team_keys else "jira"
    return f"{tool}:{key}" if tool in ("jira", "linear") else None


def find_references(
    text: str | None, *, home_repo: str | None, rules: SourceRules
) -> tuple[Reference, ...]:
    """Every item named after a blocking phrase; ``home_repo`` resolves a bare ``#12``."""
    if not text:
        return ()
    lowered = text.lower()
    if not any(stem in lowered for stem in _VERB_STEMS):
        return ()
    found: dict[Reference, None] = {}  # ordered set: event ids depend on emission order
    for phrase in _PHRASE.finditer(text):
        reverse = phrase.group("verb").lower() == "blocks"
        for token in _ONE.findall(phrase.group("refs")):
            item = _resolve(token, home_repo, rules)
            if item:
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
