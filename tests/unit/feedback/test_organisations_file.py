"""FEEDBACK_ORGANISATIONS: CSV or YAML, every row or none, a bad row named by its number."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.feedback.adapters.organisations_file import load_organisations
from services.feedback.domain.organisation_rows import BadOrganisationRow
from services.feedback.domain.organisations import Organisation

pytestmark = pytest.mark.unit


def written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_rows_become_organisations(tmp_path: Path) -> None:
    path = written(
        tmp_path,
        "orgs.csv",
        "name,domains,tier,arr\nAcme,acme.test; acme.example,gold,120000\nGlobex,,,\n",
    )
    assert load_organisations(path) == {
        "org:acme": Organisation("org:acme", "Acme", ("acme.example", "acme.test"), "gold", 1.2e5),
        "org:globex": Organisation("org:globex", "Globex"),
    }


def test_yaml_lists_domains_and_may_name_the_id(tmp_path: Path) -> None:
    path = written(
        tmp_path, "orgs.yaml", "- id: org:a1\n  name: Acme\n  domains: [Acme.test]\n  arr: 5\n"
    )
    assert load_organisations(path) == {
        "org:a1": Organisation("org:a1", "Acme", ("acme.test",), None, 5.0)
    }


@pytest.mark.parametrize(
    ("text", "row", "problem"),
    [
        ("name,arr\nAcme,1\nGlobex,lots\n", 3, "not a number"),
        ("name,arr\nAcme,-5\n", 2, ">= 0"),
        ("name,arr\n,1\n", 2, "name is required"),
        ("name,colour\nAcme,red\n", 2, "unknown column"),
        ("name\nAcme\nACME\n", 3, "repeats"),
    ],
)
def test_a_bad_csv_row_fails_naming_its_row(
    tmp_path: Path, text: str, row: int, problem: str
) -> None:
    with pytest.raises(BadOrganisationRow, match=problem) as failure:
        load_organisations(written(tmp_path, "orgs.csv", text))
    assert failure.value.row == row
    assert f"row {row}" in str(failure.value)


def test_a_bad_yaml_entry_fails_naming_its_position(tmp_path: Path) -> None:
    with pytest.raises(BadOrganisationRow, match="row 2"):
        load_organisations(written(tmp_path, "orgs.yml", "- name: Acme\n- just a string\n"))
