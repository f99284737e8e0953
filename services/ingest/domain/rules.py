"""Per-organisation mapping choices the normalisers follow (statuses, teams, date fields)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.events import ItemStatus


def _default_jira_categories() -> dict[str, ItemStatus]:
    # Jira's three fixed status-category keys; every workflow status belongs to one.
    return {
        "new": ItemStatus.TODO,
        "indeterminate": ItemStatus.IN_PROGRESS,
        "done": ItemStatus.DONE,
    }


def _default_linear_states() -> dict[str, ItemStatus]:
    return {
        "triage": ItemStatus.TODO,
        "backlog": ItemStatus.TODO,
        "unstarted": ItemStatus.TODO,
        "started": ItemStatus.IN_PROGRESS,
        "completed": ItemStatus.DONE,
        "canceled": ItemStatus.DONE,
    }


@dataclass(frozen=True)
class SourceRules:
    """Per-organisation mapping choices; the defaults suit a team that configured nothing.

    Names (labels, statuses, field names) are compared case-insensitively.
    """

    in_progress_labels: frozenset[str] = frozenset({"in progress", "in-progress", "doing", "wip"})
    assignee_means_in_progress: bool = False
    team_label_prefix: str = "team:"
    github_teams: Mapping[str, str] = field(default_factory=dict)  # "owner/repo" -> team
    start_field_names: frozenset[str] = frozenset({"start", "start date"})
    target_field_names: frozenset[str] = frozenset(
        {"target", "target date", "due", "due date", "end date"}
    )
    jira_status_categories: Mapping[str, ItemStatus] = field(
        default_factory=_default_jira_categories
    )
    jira_statuses: Mapping[str, ItemStatus] = field(default_factory=dict)  # by name; wins
    jira_start_field: str = "customfield_10015"  # Jira Cloud's built-in "Start date"
    jira_team_field: str | None = None  # e.g. the Atlassian Team custom field id
    jira_link_types: frozenset[str] = frozenset({"blocks"})  # issue-link type names
    # How the changelog words a link from this side: "This issue blocks PAY-3".
    jira_link_outward: frozenset[str] = frozenset({"blocks"})
    jira_link_inward: frozenset[str] = frozenset({"is blocked by"})
    linear_state_types: Mapping[str, ItemStatus] = field(default_factory=_default_linear_states)
    linear_team_keys: frozenset[str] = frozenset()  # bare "ENG-7" with these keys means Linear
    # Whose issue URLs are ours (lower-case host names, Linear workspace slugs); empty: anyone's.
    jira_sites: frozenset[str] = frozenset()
    linear_workspaces: frozenset[str] = frozenset()
