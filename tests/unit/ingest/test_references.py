"""The one reference reader, over shapes people really write (and look-alikes that are not)."""

from __future__ import annotations

import pytest

from services.ingest.domain import SourceRules
from services.ingest.domain.mentions import linked_items, mentions
from services.ingest.domain.references import find_references

RULES = SourceRules(linear_team_keys=frozenset({"ENG"}))
JIRA = "https://northwind.atlassian.net"

# (text anywhere in feedback, the items it names); home repository acme/web.
MENTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("see PAY-12", ("jira:PAY-12",)),
    ("ENG-7 is ours on Linear", ("linear:ENG-7",)),
    ("linear:OPS-3 and jira:ENG-4", ("linear:OPS-3", "jira:ENG-4")),
    ("acme/api#12", ("github:acme/api#12",)),
    ("fixed in #12", ("github:acme/web#12",)),
    ("github:acme/api#9", ("github:acme/api#9",)),
    (f"{JIRA}/browse/PAY-12", ("jira:PAY-12",)),
    (f"Related: {JIRA}/browse/PAY-12.", ("jira:PAY-12",)),  # trailing full stop
    (f"({JIRA}/browse/PAY-12), ok", ("jira:PAY-12",)),  # parentheses and comma
    (f"<{JIRA}/browse/PAY-12>", ("jira:PAY-12",)),  # angle brackets
    (f"{JIRA}/browse/PAY-12?focusedCommentId=10010", ("jira:PAY-12",)),  # query string
    (f"{JIRA}/browse/PAY-12#comment-10010", ("jira:PAY-12",)),  # comment fragment
    ("https://jira.corp.example/jira/browse/OPS-3", ("jira:OPS-3",)),  # Server context path
    ("http://jira.local:8080/browse/OPS-4", ("jira:OPS-4",)),  # Data Center with a port
    (f"{JIRA}/jira/software/projects/PAY/boards/1?selectedIssue=PAY-13", ("jira:PAY-13",)),
    ("https://linear.app/northwind/issue/ENG-7/rotate-signing-keys", ("linear:ENG-7",)),
    ("https://linear.app/northwind/issue/OPS-9", ("linear:OPS-9",)),  # team not configured
    ("https://github.com/acme/api/issues/12", ("github:acme/api#12",)),
    ("https://github.com/acme/api/pull/13#issuecomment-1", ("github:acme/api#13",)),
    (f"[the ledger]({JIRA}/browse/PAY-12)", ("jira:PAY-12",)),  # Markdown link
    (f'<p>See <a href="{JIRA}/browse/PAY-12">this</a></p>', ("jira:PAY-12",)),  # HTML
    (f"[PAY-12|{JIRA}/browse/PAY-12]", ("jira:PAY-12",)),  # Jira wiki markup
    ("[OPS-9](https://linear.app/nw/issue/OPS-9/x) and OPS-9", ("linear:OPS-9",)),  # URL decides
    ("https%3A nothing PAY-12a PAY-12-rc", ()),  # key glued to more word characters
    ("Encoding UTF-8, digest SHA-256, date ISO-8601, RFC-3339", ()),  # standards
    ("version 2.4.1-3, python3.11-1, ABC-1.2", ()),  # versions
    ("https://wiki.example.com/PAY-12 and https://example.com/issues/PAY-3", ()),  # other sites
    ("https://gitlab.com/acme/api/-/issues/12", ()),  # another forge
    ("https://github.com/acme/api/commit/deadbeef", ()),  # not an issue
    ("page#12 and x#12", ()),  # anchors, not issues
    ("mail alice@PAY-12.example", ()),
]


@pytest.mark.parametrize(("text", "items"), MENTIONS)
def test_mentions(text: str, items: tuple[str, ...]) -> None:
    assert mentions(text, home_repo="acme/web", rules=RULES) == items


def test_configured_sites_and_workspaces_make_other_urls_name_nothing() -> None:
    rules = SourceRules(
        jira_sites=frozenset({"northwind.atlassian.net"}), linear_workspaces=frozenset({"nw"})
    )
    text = (
        f"{JIRA}/browse/PAY-1 https://rival.atlassian.net/browse/PAY-2 "
        "https://linear.app/nw/issue/ENG-1 https://linear.app/rival/issue/ENG-2"
    )
    assert mentions(text, home_repo=None, rules=rules) == ("jira:PAY-1", "linear:ENG-1")


def test_feedback_links_keep_the_tools_own_first_and_add_the_texts() -> None:
    items = linked_items(("jira:PAY-1",), "about PAY-1 and ENG-7", None, rules=RULES)
    assert items == ("jira:PAY-1", "linear:ENG-7")


# (tracker description, (other item, other is blocked) per dependency).
BLOCKING: list[tuple[str, tuple[tuple[str, bool], ...]]] = [
    (
        f"Blocked by {JIRA}/browse/PAY-12 and "
        "https://linear.app/northwind/issue/ENG-7/rotate-signing-keys",
        (("jira:PAY-12", False), ("linear:ENG-7", False)),
    ),
    (
        "blocked by PAY-1, PAY-2 and PAY-3.",
        (("jira:PAY-1", False), ("jira:PAY-2", False), ("jira:PAY-3", False)),
    ),
    ("Depends on: #4 & acme/api#5", (("github:acme/web#4", False), ("github:acme/api#5", False))),
    ("requires PAY-1 or PAY-2", (("jira:PAY-1", False), ("jira:PAY-2", False))),
    ("Waiting on PAY-9; unrelated PAY-10", (("jira:PAY-9", False),)),
    ("This blocks ENG-4. Requires utf-8", (("linear:ENG-4", True),)),
    ("is blocking https://github.com/acme/api/pull/7", (("github:acme/api#7", True),)),
    (f"depends on [ledger]({JIRA}/browse/PAY-4?focusedCommentId=1)", (("jira:PAY-4", False),)),
    (f"Blocked by: [PAY-5|{JIRA}/browse/PAY-5]", (("jira:PAY-5", False),)),
    (
        "## Blocked by\n\n- [ ] PAY-12\n- [x] https://github.com/acme/api/issues/3\n"
        "* ENG-7 rotate keys\n\nLater: PAY-99",
        (("jira:PAY-12", False), ("github:acme/api#3", False), ("linear:ENG-7", False)),
    ),
    ("**Blocks:**\n1. PAY-2\n2) PAY-3\n", (("jira:PAY-2", True), ("jira:PAY-3", True))),
    ("mentions PAY-12 and https://github.com/acme/api/issues/3 but depends on nothing", ()),
    ("Blocked by UTF-8 handling and SHA-256", ()),
    ("blocked by https://example.com/PAY-3", ()),
]


@pytest.mark.parametrize(("text", "expected"), BLOCKING)
def test_blocking_phrases(text: str, expected: tuple[tuple[str, bool], ...]) -> None:
    refs = find_references(text, home_repo="acme/web", rules=RULES)
    assert tuple((r.other, r.other_is_blocked) for r in refs) == expected


def test_a_list_item_under_a_heading_that_is_no_blocking_phrase_is_not_a_dependency() -> None:
    assert find_references("## Notes\n- PAY-1\n", home_repo=None, rules=RULES) == ()
