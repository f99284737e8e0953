"""The explanation of an item's forecast: its whole critical chain.

A stored assessment's chain stops at the policy's ``chain_limit`` to keep documents small; the
chain of its last member continues it. The engine (``Portfolio.explain``) and the read API
(from stored assessments) both walk it with ``continue_chain``.
"""

from __future__ import annotations

from collections.abc import Sequence


def first_links(item_id: str, chain: Sequence[str]) -> list[str]:
    """Where the walk starts: the item's stored chain (just the item when it has none)."""
    return list(chain) or [item_id]


def continue_chain(found: list[str], last_chain: Sequence[str]) -> bool:
    """Extend ``found`` with the stored chain of its last member; False when it ends there
    (the member is not blocked, or, defensively, the chain would come back on itself)."""
    more = list(last_chain)[1:]
    if len(found) < 2 or not more or set(more) & set(found):
        return False
    found.extend(more)
    return True
