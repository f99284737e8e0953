"""``NOTIFIER_PEOPLE``: a YAML file of people loaded at start-up, checked whole before any write.

The file maps each person id to the same body ``PUT /people/{id}`` takes, so one pydantic
model (``PersonBody``) is the only home of what a valid person is. One bad entry fails
start-up naming it; nothing from the file is written until every entry has passed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import yaml
from pydantic import ValidationError

from services.notifier.adapters.directory import MongoDirectory
from services.notifier.schemas import PersonBody

logger = logging.getLogger(__name__)


class PeopleFileError(ValueError):
    """The file cannot be loaded; the message names the file and the entry at fault."""


def parse_people(text: str, source: str) -> dict[str, PersonBody]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PeopleFileError(f"{source}: not YAML: {exc}") from exc
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise PeopleFileError(f"{source}: expected a mapping of person id to person")
    people: dict[str, PersonBody] = {}
    for person_id, body in document.items():
        if not isinstance(person_id, str) or not person_id:
            raise PeopleFileError(f"{source}: person id {person_id!r} is not a string")
        try:
            people[person_id] = PersonBody.model_validate(body)
        except ValidationError as exc:
            raise PeopleFileError(f"{source}: person {person_id!r}: {exc}") from exc
    return people


def read_people(path: Path) -> dict[str, PersonBody]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PeopleFileError(f"{path}: cannot read: {exc}") from exc
    return parse_people(text, str(path))


async def load_people(directory: MongoDirectory, people: dict[str, PersonBody]) -> int:
    """PUT semantics: each listed person is created or replaced; people not listed stay."""
    for person_id, body in people.items():
        await directory.put_person(person_id, body)
    return len(people)


def people_loader(path: Path, directory: MongoDirectory) -> Callable[[], Awaitable[None]]:
    """Read and check the file now, so a bad one stops start-up before anything is written."""
    people = read_people(path)

    async def load() -> None:
        count = await load_people(directory, people)
        logger.info("people loaded", extra={"fields": {"file": str(path), "people": count}})

    return load
