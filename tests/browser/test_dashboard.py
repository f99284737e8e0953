"""The dashboard in a real browser: the demo's slip on every view, and live without a reload."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.cli.demo import repository as github_repository
from services.cli.demo import scenario
from services.cli.stack import Stack
from tests.browser.conftest import post, sign_in
from tests.e2e.test_demand import post_feedback, post_standard
from tests.support.notifier_receivers import slack_stand_in
from tests.support.streams import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHECKOUT, LEDGER, LIMITER = "github:acme/web#7", "github:acme/api#42", "github:acme/api#43"


@pytest.fixture
def page(chromium: Any, stack: Stack) -> Iterator[Any]:
    """A page on the dashboard that records every console error and uncaught exception."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.errors = errors
    opened.base = stack.urls["scheduler"]
    sign_in(opened, stack)
    yield opened
    context.close()
    assert errors == [], f"console errors: {errors}"


def open_view(page: Any, hash_: str, ready: str) -> None:
    page.goto(f"{page.base}/{hash_}")
    page.wait_for_selector(ready, timeout=30_000)


def assert_each_date_labelled_once(page: Any) -> None:
    """The history chart's date axis names each date once, however short its span."""
    dates = page.eval_on_selector_all(
        "#history .vis-data-axis .vis-y-axis", "ls => ls.map(l => l.innerText).filter(Boolean)"
    )
    assert dates, "the date axis has labels"
    assert len(dates) == len(set(dates)), f"a date labelled twice: {dates}"
    days = [date.fromisoformat(d) for d in dates]
    steps = {abs((later - earlier).days) for earlier, later in itertools.pairwise(days)}
    assert len(steps) <= 1, f"dates labelled unevenly apart: {dates}"


def customers_ask_for_the_checkout(stack: Stack) -> None:
    """Three customers of two organisations ask for the blocked checkout (the same pieces each
    time, so asking again changes nothing)."""
    wait_for_blocked_checkout(stack)
    for number, email in enumerate(("ann@acme.test", "bo@acme.test", "cy@globex.test")):
        post_feedback(stack, f"standard:ticket/{number}", email, CHECKOUT)


def board_ids(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("#rows tr[data-item]", "r => r.map(x => x.dataset.item)"))


def wait_for_blocked_checkout(stack: Stack) -> list[dict[str, Any]]:
    def ready() -> list[dict[str, Any]] | None:
        rows = httpx.get(f"{stack.urls['scheduler']}/risk", headers=stack.auth).json()
        hit = any(r["item_id"] == CHECKOUT and r["level"] == "off_track" for r in rows)
        return rows if hit else None

    return wait_until(ready)


def test_board_ranks_by_score_and_filters_narrow_it(
    page: Any, stack: Stack, artifacts: Path
) -> None:
    expected = wait_for_blocked_checkout(stack)
    open_view(page, "#/", f'#rows tr[data-item="{CHECKOUT}"]')
    assert board_ids(page) == [r["item_id"] for r in expected]
    assert board_ids(page)[0] == CHECKOUT
    checkout = page.inner_text(f'#rows tr[data-item="{CHECKOUT}"]')
    assert "off track" in checkout
    assert "Checkout launch" in checkout, "the release by its name, not only its id"
    assert "Ledger migration (github:acme/api#42) is forecast to finish" in checkout
    assert "Checkout launch" in page.inner_text("select[name=release]")
    page.screenshot(path=artifacts / "board.png", full_page=True)

    page.select_option("select[name=team]", "web")
    page.wait_for_function("() => document.querySelectorAll('#rows tr[data-item]').length === 1")
    assert board_ids(page) == [CHECKOUT]
    assert "team=web" in page.url
    page.select_option("select[name=team]", "")
    # The text matches what a row says: the ledger by its title, and the checkout because
    # its reason names the ledger; the limiter neither.
    page.fill("input[name=text]", "ledger")
    page.wait_for_function(
        f"() => [...document.querySelectorAll('#rows tr[data-item]')]"
        f".map(r => r.dataset.item).join() === '{CHECKOUT},{LEDGER}'"
    )
    assert "text=ledger" in page.url
    page.screenshot(path=artifacts / "board-filtered.png", full_page=True)

    page.reload()
    page.wait_for_selector(f'#rows tr[data-item="{LEDGER}"]')
    assert board_ids(page) == [CHECKOUT, LEDGER], "the filter survives a reload: in the URL"


def test_item_page_shows_the_chain_with_dates_and_tool(
    page: Any, stack: Stack, artifacts: Path
) -> None:
    wait_for_blocked_checkout(stack)
    open_view(page, "#/item/github%3Aacme%2Fweb%237", "ol.chain li")
    chain = page.inner_text("ol.chain")
    assert "Checkout redesign" in chain
    assert "Ledger migration" in chain
    assert "from github-dependency" in chain  # the edge's origin, not just its tool
    ledger = httpx.get(
        f"{stack.urls['scheduler']}/items/github:acme/api%2342", headers=stack.auth
    ).json()
    assert ledger["forecast"] in chain
    # Each reason's evidence reads as facts, the blocker a link to its page; no raw JSON.
    assert "release Checkout launch (github:acme/web/milestone/3)" in page.inner_text("main p")
    why = page.inner_text("ul.reasons")
    assert "Ledger migration (github:acme/api#42) is forecast to finish" in why
    assert "days late: 16" in why
    assert "blocker forecast: " + ledger["forecast"] in why
    assert "null" not in why
    assert "{" not in why
    blocker = page.get_attribute("ul.reasons a", "href")
    assert blocker == "#/item/github%3Aacme%2Fapi%2342"
    page.screenshot(path=artifacts / "item.png", full_page=True)

    # The blocker has been on track since its first assessment: no risk change was ever
    # announced, so its page says the chart's one point is today's, not that nothing is kept.
    page.click("ul.reasons a")
    page.wait_for_selector("#history svg")
    history = httpx.get(
        f"{stack.urls['scheduler']}/items/github:acme/api%2342/history", headers=stack.auth
    ).json()
    assert history == []
    empty = page.inner_text("#history + p.empty")
    assert empty == "No risk change announced yet: the chart shows today's assessment."
    # Nobody asked for the ledger: the page says so in words, with no lone dash for demand.
    assert page.query_selector("p.demand") is None
    waits = "No customer feedback linked to this item: nobody waits on it."
    assert waits in page.inner_text("main")


def test_releases_show_target_forecast_and_threats(
    page: Any, stack: Stack, artifacts: Path
) -> None:
    wait_for_blocked_checkout(stack)
    open_view(page, "#/releases", "tr[data-release]")
    row = page.inner_text("tr[data-release]:has-text('Checkout launch')")
    assert "Checkout redesign" in row
    page.wait_for_selector("#timeline .vis-item.late")
    slips = page.eval_on_selector_all("#timeline .vis-item.late", "s => s.map(x => x.innerText)")
    assert slips == ["+16d"], "only the checkout launch slips, from its target to its forecast"
    assert page.locator("#timeline .vis-item.vis-point.target").count() == 3
    page.screenshot(path=artifacts / "releases.png", full_page=True)


def test_the_weekly_report_opens_from_the_dashboard_styled_and_naming_the_chain(
    page: Any, stack: Stack, artifacts: Path
) -> None:
    wait_for_blocked_checkout(stack)
    open_view(page, "#/", f'#rows tr[data-item="{CHECKOUT}"]')
    page.click("nav >> text=Weekly report")
    page.wait_for_selector("h1:has-text('Slipstream weekly status')")
    # Its own stylesheet applies under the scheduler's CSP (a refused one is a console error).
    assert page.eval_on_selector("table", "t => getComputedStyle(t).borderCollapse") == "collapse"
    assert page.locator("svg").count() == 2
    chains = page.inner_text("table:below(h2:has-text('Longest slipping chains'))")
    assert "Checkout redesign (github:acme/web#7) → Ledger migration (github:acme/api#42)" in chains
    page.screenshot(path=artifacts / "report.png", full_page=True)


def test_a_slack_message_links_to_the_items_explanation_on_the_dashboard(
    page: Any, stack: Stack, artifacts: Path
) -> None:
    # Crosses ingest -> scheduler -> notifier -> a Slack stand-in, then the link -> the page.
    overdue = "standard:overdue-export"
    notifier, auth = stack.urls["notifier"], stack.auth
    with slack_stand_in() as slack:
        channels = {"slack": {"webhook_url": f"{slack.url}/mo"}}
        person = {"name": "Mo", "identities": ["standard:mo"], "channels": channels}
        assert httpx.put(f"{notifier}/people/mo", json=person, headers=auth).status_code == 201
        mine = {"person_id": "mo", "channel": "slack", "digest_seconds": 0,
                "filter": {"item": overdue}}  # fmt: skip
        assert httpx.post(f"{notifier}/subscriptions", json=mine, headers=auth).status_code == 201
        target = (date.today() - timedelta(days=3)).isoformat()
        work = {"item_id": overdue, "title": "Overdue export", "status": "in_progress"}
        post_standard(stack, "msg-overdue-export", "item.changed", {**work, "target": target})
        [message] = wait_until(lambda: slack.accepted or None, timeout=60)
    context = next(b for b in message["blocks"] if b["type"] == "context")
    found = re.search(r"<([^|>]+)\|Why, in Slipstream>", context["elements"][0]["text"])
    assert found, context
    assert found[1] == f"{stack.urls['scheduler']}/#/item/standard%3Aoverdue-export"
    page.goto(found[1])
    page.wait_for_selector("h1:has-text('Overdue export')", timeout=30_000)
    assert "off track" in page.inner_text("h1")
    page.wait_for_selector("#history svg")
    assert_each_date_labelled_once(page)  # forecast = target: one date, a short axis
    page.screenshot(path=artifacts / "from-slack.png", full_page=True)


def test_graph_draws_the_nodes_edges_and_critical_chain(
    page: Any, stack: Stack, artifacts: Path
) -> None:
    wait_for_blocked_checkout(stack)
    open_view(page, "#/graph?team=web", "#nodes li")
    page.wait_for_function("() => window.slipstreamGraph?.nodes().length > 0")
    drawn = page.evaluate(
        f"""() => {{ const cy = window.slipstreamGraph; return {{
            nodes: cy.nodes().map(n => n.id()).sort(),
            critical: cy.edges('.critical').map(e => e.source().id() + '>' + e.target().id()),
            external: cy.nodes('.external').map(n => n.id()),
            leftToRight: cy.getElementById('{LEDGER}').position('x')
                < cy.getElementById('{CHECKOUT}').position('x') }}; }}"""
    )
    assert drawn == {
        "nodes": sorted([CHECKOUT, LEDGER]),
        "critical": [f"{LEDGER}>{CHECKOUT}"],
        "external": [LEDGER],
        "leftToRight": True,
    }
    listed = page.inner_text("#nodes")
    assert "Checkout redesign off track web" in " ".join(listed.split())
    assert "Ledger migration on track api" in " ".join(listed.split())
    assert "outside the selection" in page.inner_text('#nodes li:has(a[href*="api%2342"])')
    page.screenshot(path=artifacts / "graph.png", full_page=True)
    box = page.evaluate(
        f"() => {{ const p = window.slipstreamGraph.getElementById('{LEDGER}').renderedPosition();"
        " const r = document.getElementById('graph').getBoundingClientRect();"
        " return {x: r.left + p.x, y: r.top + p.y}; }"
    )
    page.mouse.click(box["x"], box["y"])
    page.wait_for_selector("ol.chain li")
    assert "Ledger migration" in page.inner_text("h1")


def test_a_new_webhook_changes_the_board_without_a_reload(
    page: Any, stack: Stack, artifacts: Path
) -> None:
    wait_for_blocked_checkout(stack)
    open_view(page, "#/", f'#rows tr[data-item="{LIMITER}"]')
    page.wait_for_selector("#live.on")
    page.evaluate("window.notReloaded = true")
    assert "on track" in page.inner_text(f'#rows tr[data-item="{LIMITER}"]')
    ledger, limiter = (d.body["issue"] for d in scenario_issues(stack))
    post(
        stack,
        "issue_dependencies",
        {
            "action": "blocked_by_added",
            "blocked_issue": limiter,
            "blocking_issue": ledger,
            "blocked_issue_id": 43,
            "blocking_issue_id": 42,
            "repository": github_repository("acme/api"),
        },
    )
    page.wait_for_function(
        f"() => document.querySelector('#rows tr[data-item=\"{LIMITER}\"] .level.off_track')",
        timeout=15_000,
    )
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=artifacts / "board-live.png", full_page=True)


def test_phone_width_and_keyboard(chromium: Any, stack: Stack, artifacts: Path) -> None:
    wait_for_blocked_checkout(stack)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(phone, stack)
    phone.goto(f"{stack.urls['scheduler']}/#/")
    phone.wait_for_selector(f'#rows tr[data-item="{CHECKOUT}"]')
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the board scrolls sideways on a phone ({width}px)"
    phone.screenshot(path=artifacts / "board-phone.png", full_page=True)
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent") == "Skip to content"
    context.close()
    assert errors == []


def scenario_issues(stack: Stack) -> list[Any]:
    deliveries = [d for d in scenario(date.today()) if d.event == "issues"]
    return [d for d in deliveries if d.body["issue"]["number"] in (42, 43)]


def test_demand_on_the_board_and_linked_feedback_and_history_on_the_item_page(
    page: Any, stack: Stack, artifacts: Path
) -> None:
    # Near the end of this module: the feedback raises the checkout's score.
    customers_ask_for_the_checkout(stack)

    def waited_on() -> bool | None:
        rows = httpx.get(f"{stack.urls['scheduler']}/risk", headers=stack.auth).json()
        return True if any(r["demand"]["customers"] == 3 for r in rows) else None

    wait_until(waited_on)
    open_view(page, "#/", f'#rows tr[data-item="{CHECKOUT}"]')
    assert page.inner_text(f'#rows tr[data-item="{CHECKOUT}"] .demand') == "3 customers / 2 orgs"
    nobody = page.inner_text(f'#rows tr[data-item="{LEDGER}"] .demand')
    assert nobody == "\N{EN DASH}", "no one waits on the ledger itself"
    page.screenshot(path=artifacts / "board-demand.png", full_page=True)

    open_view(page, "#/item/github%3Aacme%2Fweb%237", "ul.feedback li")
    organisations = page.eval_on_selector_all(
        "ul.feedback li small", "s => s.map(x => x.innerText).sort()"
    )
    assert organisations == ["domain:acme.test", "domain:acme.test", "domain:globex.test"]
    demand = httpx.get(
        f"{stack.urls['scheduler']}/items/github:acme/web%237", headers=stack.auth
    ).json()["demand"]
    # The weight as the customer-demand page writes it, two decimals.
    assert page.inner_text("p.demand") == f"3 customers / 2 orgs · weight {demand['weight']:.2f}"
    page.wait_for_selector("#history svg")
    assert page.inner_text("#history .vis-legend-text").split() == ["forecast", "target"]
    assert_each_date_labelled_once(page)

    def drawn_as_kept() -> tuple[list[str], list[dict[str, Any]]] | None:
        # The page redraws when the live feed says the item changed, so page and API are
        # compared at one moment, again until a late reassessment has settled into both.
        history = httpx.get(
            f"{stack.urls['scheduler']}/items/github:acme/web%237/history", headers=stack.auth
        ).json()
        points = page.eval_on_selector_all(
            "#history circle.vis-point",
            "cs => cs.filter(c => !c.closest('.vis-legend'))"
            ".map(c => c.getAttribute('class').split(' ')[0])",
        )
        # One point per kept assessment with a forecast, and one for now, per line.
        expected = [sum(1 for h in history if h[line]) + 1 for line in ("forecast", "target")]
        drawn = [points.count(line) for line in ("forecast", "target")]
        return (points, history) if drawn == expected else None

    _, history = wait_until(drawn_as_kept, timeout=15)
    assert history, "the checkout's slip was kept"
    page.screenshot(path=artifacts / "item-history-feedback.png", full_page=True)


def test_customer_demand_ranks_where_customers_wait_with_pace_and_risk(
    page: Any, stack: Stack, artifacts: Path
) -> None:
    customers_ask_for_the_checkout(stack)  # as the test above did: again changes nothing

    def ranked() -> list[dict[str, Any]] | None:
        answer = httpx.get(f"{stack.urls['scheduler']}/customer-demand", headers=stack.auth)
        rows = answer.json()["demand"]
        return rows if any(r["item_id"] == CHECKOUT and r["customers"] == 3 for r in rows) else None

    [heaviest, *_] = wait_until(ranked)
    assert heaviest["title"] == "Checkout redesign", "heaviest first, by its title"
    assert heaviest["level"] == "off_track", "with the scheduler's own verdict on it"
    open_view(page, "#/demand", f'#rows tr[data-item="{CHECKOUT}"]')
    row = page.inner_text(f'#rows tr[data-item="{CHECKOUT}"]')
    assert "Checkout redesign" in row
    assert "3 customers / 2 orgs" in row
    assert "off track" in row, "beside its delivery risk, from the scheduler"
    pace = page.get_attribute(f'#rows tr[data-item="{CHECKOUT}"] svg.pace', "aria-label")
    assert pace is not None
    assert pace.startswith("feedback per 24 h, oldest first: ")
    assert pace.endswith(", 3")
    page.screenshot(path=artifacts / "demand.png", full_page=True)
    page.click(f'#rows tr[data-item="{CHECKOUT}"] a')
    page.wait_for_selector("h1:has-text('Checkout redesign')")
