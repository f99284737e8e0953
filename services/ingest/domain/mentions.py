"""Where a piece of text names a work item: keys, tool-prefixed keys and issue URLs.

People paste URLs far more often than they type keys, so a URL is read for what it points
at and decides the tool by itself (a Linear URL is Linear even if its team is not
configured). A URL to any other page is consumed whole, so ``PAY-12`` inside
``https://wiki.example.com/PAY-12`` names nothing. Bare keys that are really standards
(``UTF-8``, ``SHA-256``, ``ISO-8601``) are look-alikes, not work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from services.ingest.domain.model import SourceRules

_KEY = r"[A-Z][A-Z0-9_]*[A-Z0-9]-\d+"
_END = r"(?![\w-]|\.\d)"  # "PAY-12" but not "PAY-12a", "PAY-12-rc" or "ABC-1.2"
_HOST = r"[A-Za-z0-9.-]+(?::\d+)?"
_URL_TAIL = r"[^\s<>\"'\]|)]*"  # query, fragment, slug: never part of the reference
TOKEN = re.compile(
    rf"https?://(?P<jira_host>{_HOST})(?:/[\w.~-]+)*?/browse/(?P<jira_key>{_KEY}){_END}{_URL_TAIL}"
    rf"|https?://linear\.app/(?P<linear_org>[\w-]+)/issue/(?P<linear_key>{_KEY}){_END}{_URL_TAIL}"
    r"|https?://github\.com/(?P<gh_repo>[\w.-]+/[\w.-]+)/(?:issues|pull)/(?P<gh_number>\d+)"
    rf"(?!\d){_URL_TAIL}"
    rf"|https?://(?P<board_host>{_HOST})/[^\s<>\"'\]|)]*?[?&]selectedIssue=(?P<board_key>{_KEY})"
    rf"{_END}{_URL_TAIL}"
    rf"|(?P<other_url>(?:https?|ftp)://{_URL_TAIL})"  # any other page: consumed, names nothing
    r"|(?<![\w/.#-])(?P<tool>github:|jira:|linear:)?"
    r"(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)?#(?P<number>\d+)(?!\w)"
    rf"|(?<![\w/.#@-])(?P<kind>jira:|linear:)?(?P<key>{_KEY}){_END}",
    re.ASCII,
)
# Standards and digests that look like keys; a team whose Jira project is one of these
# can still write ``jira:SHA-1``.
LOOK_ALIKES = frozenset(
    {"ISO", "UTF", "UCS", "SHA", "MD", "RFC", "CVE", "CWE", "GHSA", "PEP", "AES", "RSA", "TLS"}
    | {"SSL", "HTTP", "IPV", "ECMA", "IEEE", "ANSI", "ASCII", "X", "COVID", "ES", "WCAG", "OWASP"}
)


def _ours(host: str, allowed: frozenset[str]) -> bool:
    return not allowed or host.lower().split(":")[0] in allowed


def _bare_key(kind: str, key: str, rules: SourceRules, by_url: Mapping[str, str]) -> str | None:
    if not kind and key in by_url:
        return by_url[key]  # "[ENG-7](https://linear.app/...)": the URL says which tool
    project = key.rsplit("-", 1)[0]
    if kind == "linear:" or (not kind and project in rules.linear_team_keys):
        return f"linear:{key}"
    if not kind and project in LOOK_ALIKES:
        return None
    return f"jira:{key}"


def resolve(
    match: re.Match[str],
    home_repo: str | None,
    rules: SourceRules,
    by_url: Mapping[str, str],
) -> str | None:
    """The canonical id one token names, or None for a look-alike or somebody else's page.

    ``by_url`` holds the keys that URLs in the same text pinned to a tool (``keys_by_url``).
    """
    part = match.groupdict()
    if part["jira_key"] or part["board_key"]:
        host = part["jira_host"] or part["board_host"]
        key = part["jira_key"] or part["board_key"]
        return f"jira:{key}" if _ours(host, rules.jira_sites) else None
    if part["linear_key"]:
        org = part["linear_org"].lower()
        return f"linear:{part['linear_key']}" if _ours(org, rules.linear_workspaces) else None
    if part["gh_repo"]:
        return f"github:{part['gh_repo']}#{part['gh_number']}"
    if part["other_url"]:
        return None
    if part["number"]:
        if part["tool"] not in (None, "github:"):
            return None
        repo = part["repo"] or home_repo
        return f"github:{repo}#{part['number']}" if repo else None
    return _bare_key(part["kind"] or "", part["key"], rules, by_url)


def keys_by_url(
    text: str, rules: SourceRules, matches: Iterable[re.Match[str]] | None = None
) -> dict[str, str]:
    """Key -> canonical id for every Jira or Linear key a URL in the text names."""
    pinned: dict[str, str] = {}
    if "://" not in text:
        return pinned
    for match in TOKEN.finditer(text) if matches is None else matches:
        if match["jira_key"] or match["board_key"] or match["linear_key"]:
            item = resolve(match, None, rules, {})
            if item:
                pinned[item.partition(":")[2]] = item
    return pinned


def mentions(text: str | None, *, home_repo: str | None, rules: SourceRules) -> tuple[str, ...]:
    """Every work item the text names anywhere, in order of first mention (feedback links)."""
    if not text:
        return ()
    found: dict[str, None] = {}
    matches = list(TOKEN.finditer(text))
    by_url = keys_by_url(text, rules, matches)
    for match in matches:
        item = resolve(match, home_repo, rules, by_url)
        if item:
            found[item] = None
    return tuple(found)


EXPLICIT, TEXT = "explicit", "text"


def link_origins(named: tuple[str, ...], *texts: str | None, rules: SourceRules) -> dict[str, str]:
    """Item -> how the feedback points at it: named by its tool (explicit) or by its text."""
    found = dict.fromkeys(named, EXPLICIT)
    for body in texts:
        for item in mentions(body, home_repo=None, rules=rules):
            found.setdefault(item, TEXT)
    return found


def linked_items(named: tuple[str, ...], *texts: str | None, rules: SourceRules) -> tuple[str, ...]:
    """The items a piece of feedback points at: those its tool names, then those its text does."""
    return tuple(link_origins(named, *texts, rules=rules))
