"""Ingest's pure domain: verify each vendor's signature and turn its bodies into events.

No I/O, no clocks (``now`` is passed in), no framework: the HTTP layer calls
``SOURCES[name].verify`` on the raw bytes, parses JSON, then ``delivery_id`` and
``normalise``.
"""

from collections.abc import Mapping

from services.ingest.domain.canny import CannyParser
from services.ingest.domain.github import GitHubParser
from services.ingest.domain.intercom import IntercomParser
from services.ingest.domain.jira import JiraParser
from services.ingest.domain.linear import LinearParser
from services.ingest.domain.model import (
    Delivery,
    Normalised,
    SourceParser,
    SourceRules,
    Uninterpretable,
    VerificationFailed,
)
from services.ingest.domain.standard import StandardParser
from services.ingest.domain.zendesk import ZendeskParser

_PARSERS: tuple[SourceParser, ...] = (
    GitHubParser(),
    JiraParser(),
    LinearParser(),
    ZendeskParser(),
    IntercomParser(),
    CannyParser(),
    StandardParser(),
)
SOURCES: Mapping[str, SourceParser] = {parser.name: parser for parser in _PARSERS}

__all__ = [
    "SOURCES",
    "Delivery",
    "Normalised",
    "SourceParser",
    "SourceRules",
    "Uninterpretable",
    "VerificationFailed",
]
