"""Everything the engine knows, as one mutable bundle the passes share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from services.scheduler.domain.dates import NO_DATE
from services.scheduler.domain.graph import DependencyGraph
from services.scheduler.domain.items import NodeFacts
from services.scheduler.domain.model import Assessment, RiskPolicy
from services.scheduler.domain.releases import ReleaseBook
from services.scheduler.domain.window import FOREVER

if TYPE_CHECKING:
    from services.scheduler.domain.wide_items import KeptScreen


@dataclass(eq=False)
class EngineState:
    """Parallel per-node lists; index ``n`` everywhere is ``graph.index[item_id]``."""

    policy: RiskPolicy
    graph: DependencyGraph = field(default_factory=DependencyGraph)
    facts: NodeFacts = field(default_factory=NodeFacts)
    releases: ReleaseBook = field(default_factory=ReleaseBook)
    finish: list[int] = field(default_factory=list)
    critical: list[int] = field(default_factory=list)
    chains: list[tuple[str, ...]] = field(default_factory=list)
    waiting: list[float] = field(default_factory=list)
    assessments: list[Assessment | None] = field(default_factory=list)
    # Quiet items whose assessment a full pass left for ``verdict.current`` to build.
    unbuilt: set[int] = field(default_factory=set)
    # The assessment holds for ``valid_from <= today < valid_until`` (ordinals).
    valid_from: list[int] = field(default_factory=list)
    valid_until: list[int] = field(default_factory=list)
    # Wide items' blocker screens, kept between passes (``wide_items``).
    kept_screens: dict[int, KeptScreen] = field(default_factory=dict)

    def node(self, item_id: str) -> int:
        n = self.graph.node(item_id)
        if n == len(self.finish):
            self.facts.grow(n + 1)
            self.finish.append(NO_DATE)
            self.critical.append(-1)
            self.chains.append(())
            self.waiting.append(0.0)
            self.assessments.append(None)
            self.valid_from.append(0)
            self.valid_until.append(FOREVER)
        return n

    def find(self, item_id: str) -> int | None:
        return self.graph.index.get(item_id)
