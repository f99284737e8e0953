"""Names resolved from stored item documents: global ids, and keys from before a move."""

from __future__ import annotations

from typing import Any

from services.scheduler.aliases import all_names, decided_edges, names_from, tool_ref
from tests.unit.scheduler_app.support import at


def doc(item_id: str, node: str | None, minute: int) -> dict[str, Any]:
    return {"_id": item_id, "node_id": node, "source_updated_at": at(minute)}


def edge(blocker: str, blocked: str, minute: int, present: bool = True) -> dict[str, Any]:
    return {
        "blocker_id": blocker,
        "blocked_id": blocked,
        "present": present,
        "source_updated_at": at(minute),
    }


NAMES = names_from(
    [
        doc("jira:PAY-1", "10", 1),
        doc("jira:OPS-7", "10", 5),  # PAY-1 moved to OPS-7
        doc("jira:WEB-2", "20", 1),
        doc("github:acme/api#3", "I_3", 1),
        doc("linear:ENG-1", None, 1),
    ]
)


def test_global_ids_and_old_keys_name_the_newest_key() -> None:
    assert tool_ref("jira:PAY-1", "10") == "jira-id:10"
    assert tool_ref("linear:ENG-1", "x") is None
    assert [NAMES.of(n) for n in ("jira-id:10", "jira:PAY-1", "github-node:I_3", "jira-id:99")] == [
        "jira:OPS-7",
        "jira:OPS-7",
        "github:acme/api#3",
        "jira-id:99",  # not known yet: stays as named
    ]
    assert NAMES.superseded == {"jira:PAY-1"}
    assert all_names(NAMES, ["jira:OPS-7"]) == {"jira:OPS-7", "jira:PAY-1", "jira-id:10"}


def test_one_edge_per_resolved_pair_decided_by_the_later_statement() -> None:
    edges = [
        edge("jira-id:10", "jira-id:20", 2),  # the UI link
        edge("jira:PAY-1", "jira:WEB-2", 3),  # the same link from a changelog, under the old key
        edge("jira-id:10", "jira-id:20", 4, present=False),  # deleted in the UI
        edge("jira-id:20", "jira-id:20", 4),  # a self-loop after resolution: never an edge
    ]
    assert decided_edges(edges, NAMES, {}) == {("jira:OPS-7", "jira:WEB-2"): False}
    assert decided_edges(edges[:2], NAMES, {}) == {("jira:OPS-7", "jira:WEB-2"): True}
    removed = {"jira:WEB-2": at(5)}  # an end deleted after the link: the edge went with it
    assert decided_edges(edges[:2], NAMES, removed) == {("jira:OPS-7", "jira:WEB-2"): False}
