"""``NOTIFIER_PEOPLE``: people loaded from YAML at start-up into a real Mongo-wire server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.notifier.adapters.directory import MongoDirectory
from services.notifier.config import NotifierSettings
from services.notifier.main import create_app
from services.notifier.people_file import PeopleFileError, people_loader
from services.notifier.schemas import PersonBody

pytestmark = pytest.mark.integration

GOOD = """
ada:
  name: Ada
  email: ada@example.com
  identities: [github:ada]
  channels: {slack: {webhook_url: "https://hooks.slack.example/T/B/x"}}
  timezone: Europe/Berlin
  quiet_hours: {start: "22:00", end: "07:00"}
bo:
  name: Bo
  identities: [jira:5b10]
"""
BAD_THIRD = """
cy:
  name: Cy
  timezone: Mars/Olympus
"""
BAD_SECOND = GOOD + BAD_THIRD


@pytest.fixture
async def directory(mongodb_url: str, unique: str) -> AsyncIterator[MongoDirectory]:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    yield MongoDirectory(mongo[f"people_file_{unique}"])
    await mongo.drop_database(f"people_file_{unique}")
    await mongo.close()


async def test_people_in_the_file_are_created_and_others_stay(
    directory: MongoDirectory, tmp_path: Path
) -> None:
    await directory.put_person("zed", PersonBody(name="Zed"))
    await directory.put_person("bo", PersonBody(name="Old Bo"))
    path = tmp_path / "people.yaml"
    path.write_text(GOOD)
    await people_loader(path, directory)()
    people, _ = await directory.snapshot()
    by_id = {p.person_id: p for p in people}
    assert sorted(by_id) == ["ada", "bo", "zed"]
    assert by_id["bo"].name == "Bo", "the file replaces a listed person"
    assert by_id["ada"].is_known_as("github:ada")
    assert by_id["ada"].quiet_hours is not None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (BAD_SECOND, "person 'cy'"),
        ("ada: {name: Ada, quiet_hour: {start: '22:00'}}", "person 'ada'"),
        ("- ada\n- bo\n", "mapping of person id"),
        ("ada: [unclosed", "not YAML"),
    ],
)
async def test_a_bad_file_fails_naming_the_entry_and_writes_nothing(
    directory: MongoDirectory, tmp_path: Path, text: str, named: str
) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(text)
    with pytest.raises(PeopleFileError, match=named) as raised:
        people_loader(path, directory)
    assert str(path) in str(raised.value)
    assert await directory.all_people() == [], "never half-loaded"


def test_the_notifier_refuses_to_start_with_a_bad_people_file(tmp_path: Path) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(BAD_SECOND)
    with pytest.raises(PeopleFileError, match="person 'cy'"):
        create_app(NotifierSettings(people=path))
    with pytest.raises(PeopleFileError, match="cannot read"):
        create_app(NotifierSettings(people=tmp_path / "missing.yaml"))
