"""Ingest's pure domain: verify each vendor's signature and turn its bodies into events.

No I/O, no clocks (``now`` is passed in), no framework: the HTTP layer calls
``SOURCES[name].verify`` on the raw bytes, parses JSON, then ``delivery_id`` and
``normalise``.
"""

from collections.abc import Mapping

from services.ingest.domain.canny import CannyAdapter
from services.ingest.domain.github import GitHubAdapter
from services.ingest.domain.intercom import IntercomAdapter
from services.ingest.domain.jira import JiraAdapter
from services.ingest.domain.linear import LinearAdapter
from services.ingest.domain.model import (
    Delivery,
    Normalised,
    SourceAdapter,
    SourceRules,
    Uninterpretable,
    VerificationFailed,
)
from services.ingest.domain.reading import parse_payload
from services.ingest.domain.standard import StandardAdapter
from services.ingest.domain.zendesk import ZendeskAdapter

_ADAPTERS: tuple[SourceAdapter, ...] = (
    GitHubAdapter(),
    JiraAdapter(),
    LinearAdapter(),
    ZendeskAdapter(),
    IntercomAdapter(),
    CannyAdapter(),
    StandardAdapter(),
)
SOURCES: Mapping[str, SourceAdapter] = {adapter.name: adapter for adapter in _ADAPTERS}

__all__ = [
    "SOURCES",
    "Delivery",
    "Normalised",
    "SourceAdapter",
    "SourceRules",
    "Uninterpretable",
    "VerificationFailed",
    "parse_payload",
]
