"""Slack blocks and email parts rendered from one digest, inside Slack's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.notifier.domain.change import Change
from services.notifier.domain.email_message import email_content
from services.notifier.domain.message_content import headline, link_for
from services.notifier.domain.slack_blocks import MAX_BLOCKS, MAX_SECTION_TEXT, slack_message
from shared.events import RiskLevel
from tests.support.notifier_receivers import block_kit_errors

pytestmark = pytest.mark.unit


def change(index: int, level: RiskLevel = RiskLevel.OFF_TRACK, why: str = "blocked") -> Change:
    return Change(
        f"c{index}",
        f"github:acme/web#{index}",
        level,
        RiskLevel.ON_TRACK,
        title=f"Item <{index}>",
        target=date(2026, 12, 10),
        forecast=date(2026, 12, 20),
        slip_days=10,
        reasons=(why,),
        chain=("jira:API-1", f"github:acme/web#{index}"),
    )


def test_one_item_says_its_level_dates_why_chain_and_links_back() -> None:
    message = slack_message([change(7)])
    assert message["text"] == "Item &lt;7&gt; is off track"  # mrkdwn, escaped
    assert message["blocks"][0]["text"]["text"] == "Item <7> is off track"  # plain_text
    section = message["blocks"][1]["text"]["text"]
    assert "forecast 2026-12-20 vs target 2026-12-10 (10 days late)" in section
    assert "*Why:* blocked" in section
    assert "jira:API-1 → github:acme/web#7" in section
    assert "https://github.com/acme/web/issues/7" in message["blocks"][2]["elements"][0]["text"]
    assert block_kit_errors(message) == []


def test_text_from_a_tracker_cannot_mention_the_channel_or_disguise_a_link_in_slack() -> None:
    hostile = replace(
        change(3, why="see <https://evil.test|your bank> & <@U123>"),
        title="<!channel> ship it",
        chain=("<!here>", "github:acme/web#3"),
    )
    message = slack_message([hostile])
    section = message["blocks"][1]["text"]["text"]
    assert "*&lt;!channel&gt; ship it* is off track" in section
    assert "*Why:* see &lt;https://evil.test|your bank&gt; &amp; &lt;@U123&gt;" in section
    assert "&lt;!here&gt; → github:acme/web#3" in section
    assert message["text"] == "&lt;!channel&gt; ship it is off track"
    # Slack parses mentions in mrkdwn only; the plain_text header shows the title as written.
    parsed = [message["text"], section, message["blocks"][2]["elements"][0]["text"]]
    assert not any(mark in text for text in parsed for mark in ("<!", "<@"))
    assert message["blocks"][0]["text"] == {
        "type": "plain_text",
        "text": "<!channel> ship it is off track",
    }
    # Our own link back still is one, and a URL from a tracker cannot carry its own label.
    assert message["blocks"][2]["elements"][0]["text"].startswith("<https://github.com/")
    relabelled = slack_message([replace(hostile, url="https://evil.test/x|Your bank")])
    context = relabelled["blocks"][2]["elements"][0]["text"]
    assert context == "<https://evil.test/x%7CYour bank|github:acme/web#3>"
    assert block_kit_errors(message) == []


def test_many_items_stay_within_50_blocks_and_count_the_rest() -> None:
    message = slack_message([change(i) for i in range(100)])
    assert len(message["blocks"]) <= MAX_BLOCKS
    assert "and 76 more" in message["blocks"][-1]["text"]["text"]
    assert block_kit_errors(message) == []


def test_a_huge_explanation_is_clipped_to_the_section_limit() -> None:
    message = slack_message([change(1, why="x" * 10_000)])
    assert len(message["blocks"][1]["text"]["text"]) == MAX_SECTION_TEXT
    assert block_kit_errors(message) == []


def test_the_headline_counts_items_and_how_many_are_off_track() -> None:
    assert headline([change(1), change(2, RiskLevel.AT_RISK)]) == (
        "2 items changed delivery risk (1 off track)"
    )


def test_only_github_ids_link_back_without_a_configured_base() -> None:
    assert link_for("github:acme/web#7") == "https://github.com/acme/web/issues/7"
    assert link_for("jira:API-1") is None
    assert link_for("github:acme/web#x") is None


def test_email_has_plain_and_escaped_html_parts_saying_the_same() -> None:
    content = email_content([change(1), change(2, RiskLevel.AT_RISK)])
    assert content.subject == "[Slipstream] 2 items changed delivery risk (1 off track)"
    assert "- Item <1> is off track (github:acme/web#1)" in content.plain
    assert "Item &lt;1&gt;" in content.html
    assert "<1>" not in content.html
    assert content.html.count("<li ") == 2
    # The level reads at a glance, in inline style (mail clients drop <style> blocks).
    assert '<strong style="color: #b42318;">is off track</strong>' in content.html
    assert '<strong style="color: #b54708;">is at risk</strong>' in content.html
    assert "<style" not in content.html


def test_who_waits_on_an_item_is_said_in_slack_and_in_both_email_parts() -> None:
    waited_on = replace(change(7), customers=3, organisations=2)
    section = slack_message([waited_on])["blocks"][1]["text"]["text"]
    email = email_content([waited_on])

    assert "*3 customers from 2 organisations are waiting on it*" in section
    assert "3 customers from 2 organisations are waiting on it" in email.plain
    assert "<strong>3 customers from 2 organisations are waiting on it</strong>" in email.html


@pytest.mark.parametrize(
    ("customers", "organisations", "said"),
    [
        (1, 1, "1 customer is waiting on it"),
        (2, 1, "2 customers from 1 organisation are waiting on it"),
        (4, None, "4 customers are waiting on it"),
    ],
)
def test_the_waiting_line_counts_people_and_their_organisations(
    customers: int, organisations: int | None, said: str
) -> None:
    waited_on = replace(change(1), customers=customers, organisations=organisations)
    assert said in slack_message([waited_on])["blocks"][1]["text"]["text"]


def test_nobody_waiting_says_nothing_about_it() -> None:
    assert "waiting" not in slack_message([change(7)])["blocks"][1]["text"]["text"]
    assert "waiting" not in email_content([change(7)]).plain


def test_each_item_links_to_its_explanation_when_a_dashboard_is_configured() -> None:
    item, release = (
        change(7),
        replace(change(8), kind="release", item_id="github:acme/web/milestone/3"),
    )
    dashboard = "https://slipstream.example.com/"
    message = slack_message([item, release], dashboard)
    contexts = [b["elements"][0]["text"] for b in message["blocks"] if b["type"] == "context"]
    assert contexts[0].endswith(
        " · <https://slipstream.example.com/#/item/github%3Aacme%2Fweb%237|Why, in Slipstream>"
    )
    assert contexts[1].endswith(" · <https://slipstream.example.com/#/releases|Why, in Slipstream>")
    assert block_kit_errors(message) == []
    mail = email_content([item], dashboard)
    assert (
        "  why, in Slipstream: https://slipstream.example.com/#/item/github%3Aacme%2Fweb%237"
        in mail.plain
    )
    assert '<a href="https://slipstream.example.com/#/item/github%3Aacme%2Fweb%237">' in mail.html
    # Without one, nothing points anywhere it cannot reach.
    assert "Slipstream>" not in str(slack_message([item]))
    assert "why, in Slipstream" not in email_content([item]).plain


DASHBOARD = "http://slipstream.test/"


def test_each_chain_member_links_to_its_own_explanation_when_a_dashboard_is_set() -> None:
    chained = replace(
        change(7),
        chain=("Checkout <redesign> (github:acme/web#7)", "Ledger migration (jira:API-1)"),
        chain_ids=("github:acme/web#7", "jira:API-1"),
    )
    section = slack_message([chained], DASHBOARD)["blocks"][1]["text"]["text"]
    html = email_content([chained], DASHBOARD).html

    web, api = "github%3Aacme%2Fweb%237", "jira%3AAPI-1"
    assert (
        f"*Critical chain:* <http://slipstream.test/#/item/{web}|Checkout &lt;redesign&gt; "
        f"(github:acme/web#7)> → <http://slipstream.test/#/item/{api}|Ledger migration "
        "(jira:API-1)>"
    ) in section
    page = f"http://slipstream.test/#/item/{api}"
    assert f'<a href="{page}">Ledger migration (jira:API-1)</a>' in html
    assert "Checkout &lt;redesign&gt;" in html
    assert block_kit_errors(slack_message([chained], DASHBOARD)) == []


def test_a_chain_without_ids_or_without_a_dashboard_is_named_but_not_linked() -> None:
    # A digest entry stored before chains carried their ids has names only.
    named_only = change(7)
    linked = replace(named_only, chain_ids=named_only.chain)

    assert (
        "jira:API-1 → github:acme/web#7"
        in (slack_message([named_only], DASHBOARD)["blocks"][1]["text"]["text"])
    )
    assert "jira:API-1 → github:acme/web#7" in slack_message([linked])["blocks"][1]["text"]["text"]
    assert "critical chain:</span> jira:API-1 &rarr;" in email_content([linked]).html
