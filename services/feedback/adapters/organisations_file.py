"""Read ``FEEDBACK_ORGANISATIONS`` (CSV or YAML by extension); rows are checked in the domain."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from services.feedback.domain.organisation_rows import BadOrganisationRow, organisations_from_rows
from services.feedback.domain.organisations import Organisation


def load_organisations(path: Path) -> dict[str, Organisation]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(text) or []
        if not isinstance(data, list):
            raise BadOrganisationRow(0, "the YAML file must be a list of organisations")
        for number, entry in enumerate(data, start=1):
            if not isinstance(entry, dict):
                raise BadOrganisationRow(number, "each entry must be a mapping")
        return organisations_from_rows(enumerate(data, start=1))
    # Row 1 is the header, so data rows are numbered as a spreadsheet shows them.
    reader = csv.DictReader(io.StringIO(text))
    rows = ((number, {k: v for k, v in r.items() if k}) for number, r in enumerate(reader, 2))
    return organisations_from_rows(rows)
