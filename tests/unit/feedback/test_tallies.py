"""Which items a piece counts on, and how the tally of an item is written."""

from __future__ import annotations

from datetime import UTC, datetime

from services.feedback.adapters.tallies import TallyChanges, asked_of, key_of
from services.feedback.domain.counting import counted_on
from services.feedback.domain.weighing import Ask

T0 = datetime(2026, 11, 25, tzinfo=UTC)


def test_people_decide_over_the_tool_both_ways() -> None:
    assert counted_on(("a", "b"), False, {}) == {"a", "b"}
    assert counted_on(("a", "b"), False, {"b": False, "c": True}) == {"a", "c"}
    assert counted_on((), False, {"c": True}) == {"c"}


def test_retracted_feedback_counts_nowhere_even_where_a_person_linked_it() -> None:
    assert counted_on(("a",), True, {"c": True}) == set()


def test_keys_are_field_names_and_never_shared_by_two_feedback_ids() -> None:
    ids = ["standard:a.b", "standard:a%2Eb", "$set", "canny:post/1", "zendesk:ticket/1.5"]
    keys = [key_of(i) for i in ids]
    assert len(set(keys)) == len(ids)
    assert all("." not in k and not k.startswith("$") for k in keys)


def test_a_piece_recorded_and_dropped_in_one_write_stays_recorded() -> None:
    changes = TallyChanges()
    changes.stops("f1", ["a", "b"])
    changes.counts("f1", Ask("email:x@acme.test", importance=2), T0, ["a"])
    by_item = {item: (set(update), creates) for item, update, creates in changes.updates()}
    assert by_item == {"a": ({"$set"}, True), "b": ({"$unset"}, False)}
    # Only a tally something was dropped from can be left empty, to be deleted then.
    assert changes.may_empty() == ["a", "b"]


def test_a_tally_reads_back_as_what_weighing_reads() -> None:
    changes = TallyChanges()
    changes.counts("f1", Ask("email:x@acme.test", "Acme", 3, "ticket", "urgent"), T0, ["a"])
    ((_, update, _),) = changes.updates()
    pieces = {path.split(".", 1)[1]: value for path, value in update["$set"].items()}
    (asked,) = asked_of({"_id": "a", "pieces": pieces})
    assert (asked.feedback_id, asked.at) == ("f1", T0)
    assert asked.feedback == Ask("email:x@acme.test", "Acme", 3, "ticket", "urgent")
