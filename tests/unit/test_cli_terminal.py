"""The terminal: an aligned risk table for long ids, ``--json``, and the demo's secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from services.cli import main, scheduler_commands
from services.cli.demo import risk_table
from services.cli.stack import dev_secret

pytestmark = pytest.mark.unit


def row(item_id: str, score: float, **more: Any) -> dict[str, Any]:
    return {"item_id": item_id, "level": "at_risk", "score": score, "slip_days": 12,
            "target": "2026-03-10", "forecast": "2026-03-22",
            "reasons": [{"code": "blocked_late", "message": "waits on jira:API-1"}],
            **more}  # fmt: skip


ROWS = [
    row("github:acme-corporation/checkout-web#12345", 81.5),
    row("jira:WEB-1", 7.0),
]


def test_columns_stay_aligned_when_an_id_is_longer_than_the_header_allows() -> None:
    lines = risk_table(ROWS).splitlines()
    header, rows = lines[0], lines[2:]
    assert {line.index("at_risk") for line in rows} == {header.index("level")}
    assert {line.index("2026-03-22") for line in rows} == {header.index("forecast")}
    assert {line.index("waits on") for line in rows} == {header.index("why")}
    assert rows[0].startswith("github:acme-corporation/checkout-web#12345 at_risk")
    scores = zip(rows, ("81.5", "7.0"), strict=True)
    score_ends = {line.index(score) + len(score) for line, score in scores}
    assert score_ends == {header.index("score") + len("score")}  # right-aligned


def test_risk_json_prints_the_rows_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler_commands, "_get", lambda url, params=None: ROWS)
    result = CliRunner().invoke(main.app, ["risk", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == ROWS


def test_demo_signs_with_the_data_directorys_secret_when_none_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("INGEST_GITHUB_SECRET", raising=False)
    expected = dev_secret(tmp_path, "github")  # what `slipstream up --data-dir` wrote
    used: list[str] = []
    monkeypatch.setattr(
        main, "_run_demo", lambda ingest, scheduler, secrets, token: used.append(secrets)
    )
    result = CliRunner().invoke(main.app, ["demo", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [(github, _standard)] = used  # the demo also signs Standard Webhooks feedback
    assert github == expected


def test_every_command_with_a_data_directory_takes_it_from_slipstream_data_dir() -> None:
    """One exported SLIPSTREAM_DATA_DIR points `up`, `token …` and the rest at one place."""

    def commands(group: Any, path: str = "") -> list[tuple[str, Any]]:
        found = []
        for name, command in getattr(group, "commands", {}).items():
            found += commands(command, f"{path} {name}") or [(f"{path} {name}", command)]
        return found

    taking = {
        name: next(p for p in command.params if p.name == "data_dir")
        for name, command in commands(typer.main.get_command(main.app))
        if any(p.name == "data_dir" for p in command.params)
    }
    assert {" up", " token create", " token list"} <= set(taking)
    assert {name: p.envvar for name, p in taking.items()} == dict.fromkeys(
        taking, "SLIPSTREAM_DATA_DIR"
    )
