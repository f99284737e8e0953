"""The leader's marks follow the stored assessments: written after a change, not before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.scheduler.marks_keeper import MarksKeeper
from services.scheduler.mirror import AssessmentMirror
from tests.unit.scheduler_app.fakes import InMemoryAssessmentStore, InMemoryRankMarks
from tests.unit.scheduler_app.test_announcing import BLOCKED, Harness

pytestmark = pytest.mark.unit


def keeper(mirror: AssessmentMirror, marks: InMemoryRankMarks) -> MarksKeeper:
    return MarksKeeper(mirror, marks, 30.0, lambda: datetime(2026, 3, 1, tzinfo=UTC))


async def test_marks_are_written_once_per_change_of_the_stored_assessments() -> None:
    harness, marks = Harness(), InMemoryRankMarks()
    watching = keeper(harness.announcer.mirror, marks)
    await harness.feed(BLOCKED)

    assert await watching.refresh()
    assert not await watching.refresh(), "nothing stored since"
    await harness.feed(BLOCKED)
    assert not await watching.refresh(), "the same documents again change nothing"

    stored = harness.announcer.mirror.stored
    first = [(stored[i]["score"], i) for i in sorted(stored, key=lambda i: -stored[i]["score"])]
    assert marks.written == [(first[:1], 64, 2)]


async def test_marks_follow_a_load_of_the_stored_assessments() -> None:
    assessments, marks = InMemoryAssessmentStore(), InMemoryRankMarks()
    await assessments.save([{"_id": f"jira:L{n}", "score": float(n)} for n in range(130)])
    mirror = AssessmentMirror(assessments)
    watching = keeper(mirror, marks)
    await watching.refresh()
    await mirror.load()
    await watching.refresh()

    assert [(found, rows) for found, _, rows in marks.written] == [
        ([], 0),
        ([(129.0, "jira:L129"), (65.0, "jira:L65"), (1.0, "jira:L1")], 130),
    ]
