"""Which items a piece of feedback counts on: what the tool linked, then what people decided.

A person's decision wins both ways: a manual link adds an item the tool never named, a
manual unlink removes one however often later deliveries name it again. Retracted feedback
(a deleted ticket, a withdrawn vote) counts nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def counted_on(item_ids: Iterable[str], retracted: bool, decisions: Mapping[str, bool]) -> set[str]:
    """``decisions``: item id -> linked (True) or unlinked (False) by a person."""
    if retracted:
        return set()
    linked = {item for item, yes in decisions.items() if yes}
    return ({*item_ids} | linked) - {item for item, yes in decisions.items() if not yes}
