"""Statistics across offices (``/peer association``) through the HTTP rig, with four offices on one
deployment: known figures per office give exactly the summed figures; an office that does not share
is left out; nothing hidden in one office can be worked out from the sums, even by someone who knows
every other office's figures; and to anyone but the association's administrator the command does
not exist.

Offices A (T111) and B (E999/T222) are tests/offices.py's; C (T333) and D (T444) are installed here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from bot.tenancy import Workspace
from slack_standin import SlackStandIn
from tests.flows import ask
from tests.offices import COORDINATOR_A, COORDINATOR_B, B, Offices, offices_running, team_rig
from tests.rig import Rig, text_of

C = Workspace(team_id="T333")
D = Workspace(team_id="T444")
COORDINATOR_C = "UCOORDC"
COORDINATOR_D = "UCOORDD"
# The association's administrator is someone of office A's workspace.
ASSOCIATION_ADMIN = "UASSOC"
SETTINGS: dict[str, Any] = {
    "peer_min_count": 3,
    "peer_association_administrators": f"T111:{ASSOCIATION_ADMIN}",
}
SUPPORTER = "USUP"  # each office's own (a user id means something only in its workspace)
# The suite starts on 2026-11-30 (2026-Q4): what a test did is published from 2027-01-01.
Q4_PUBLISHED = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)


class Four:
    """The deployment, and each office's rig and coordinator."""

    def __init__(self, offices: Offices, c: Rig, d: Rig) -> None:
        self.offices = offices
        self.rigs = {"A": offices.a, "B": offices.b, "C": c, "D": d}
        self.coordinators = {"A": COORDINATOR_A, "B": COORDINATOR_B, "C": COORDINATOR_C, "D": COORDINATOR_D}

    @property
    def a(self) -> Rig:
        return self.offices.a


@asynccontextmanager
async def four_offices(slack: SlackStandIn, database_url: str) -> AsyncIterator[Four]:
    async with offices_running(slack, database_url, **SETTINGS) as offices:
        rigs = []
        for workspace, installer, token in (
            (C, COORDINATOR_C, "xoxb-office-c"),
            (D, COORDINATOR_D, "xoxb-office-d"),
        ):
            slack.add_team(workspace.team_id, token)
            offices.tokens.tokens[workspace.key] = token
            await offices.app.installed(workspace, installer_id=installer)
            rigs.append(team_rig(offices.a, {"id": workspace.team_id, "domain": workspace.key}))
        await offices.settle()
        yield Four(offices, *rigs)


async def log_contacts(four: Four, office: str, areas: dict[str, int]) -> None:
    """The office's supporter logs contacts by hand (50 minutes each, a walk-in, no referral)."""
    rig, coordinator = four.rigs[office], four.coordinators[office]
    added = await rig.command(coordinator, f"roster add <@{SUPPORTER}|sup> trained 2026-01-15")
    assert added.status == 200
    await rig.settle()
    await rig.command(SUPPORTER, "log")
    await rig.settle()
    view = rig.last_view("peer_log_contact")
    for area, count in areas.items():
        for _ in range(count):
            logged = await rig.submit(
                SUPPORTER,
                view,
                {
                    "contact_date": "2026-11-30",
                    "contact_minutes": "50",
                    "contact_areas": [area],
                    "contact_channel": "walk_in",
                    "contact_referral": "none",
                },
            )
            assert logged.json["response_action"] == "update", logged.text


async def share(four: Four, office: str, shared: bool = True) -> None:
    """The office's coordinator ticks (or unticks) "Share our statistics" in ``/peer settings``."""
    rig, coordinator = four.rigs[office], four.coordinators[office]
    opened = await rig.command(coordinator, "settings")
    assert opened.status == 200
    await rig.settle()
    values = {"office_share_statistics": ["shared"] if shared else []}
    saved = await rig.submit(coordinator, rig.last_view("peer_office_settings"), values)
    assert saved.status == 200 and saved.text == "", saved.text
    await rig.settle()


async def association(rig: Rig, user: str = ASSOCIATION_ADMIN, period: str = "") -> str:
    """``/peer association [period]``: what its answer says (acked at once, the figures after)."""
    posts = len(rig.slack.response_url_posts)
    ack = await rig.command(user, f"association {period}".strip())
    assert ack.status == 200 and "Gathering" in ack.json["text"], ack.text
    await rig.settle()
    assert len(rig.slack.response_url_posts) == posts + 1
    post = rig.slack.response_url_posts[-1]
    assert post.get("response_type") == "ephemeral"
    return text_of(post["blocks"]) if post.get("blocks") else post["text"]


async def office_stats(four: Four, office: str) -> str:
    """The office's own ``/peer stats`` (its coordinator), as published."""
    rig = four.rigs[office]
    posts = len(rig.slack.response_url_posts)
    await rig.command(four.coordinators[office], "stats")
    await rig.settle()
    assert len(rig.slack.response_url_posts) == posts + 1
    return text_of(rig.slack.response_url_posts[-1]["blocks"])


def figure(text: str, label: str) -> str:
    """What ``text`` says after ``label:`` (a number, "fewer than 3" or "suppressed")."""
    found = re.search(re.escape(label) + r":\*? (\d+|fewer than \d+|suppressed)", text)
    assert found, f"{label} not in {text}"
    return found[1]


async def test_known_figures_per_office_give_exactly_the_sums_and_an_office_not_sharing_is_left_out(
    slack: SlackStandIn, database_url: str
) -> None:
    async with four_offices(slack, database_url) as four:
        await log_contacts(four, "A", {"trauma": 4, "grief": 3})
        await log_contacts(four, "B", {"trauma": 5, "grief": 3})
        await log_contacts(four, "C", {"trauma": 3, "grief": 3})
        await log_contacts(four, "D", {"trauma": 40, "grief": 30})  # does not share: left out
        for office in ("A", "B", "C"):
            await share(four, office)
        four.a.clock.set(Q4_PUBLISHED)
        text = await association(four.a)
        assert "2026-Q4" in text and "3 offices that share their statistics" in text
        assert "*Contacts:* 21 · *supporter time, all together:* 17.5 h" in text  # 21 x 50 min
        assert figure(text, "Case or trauma exposure") == "12"
        assert figure(text, "Grief or loss") == "9"
        assert figure(text, "Walk-in") == "21" and figure(text, "None") == "21"
        assert "*Requests:* 0 made" in text
        # No office is named, nor anyone.
        for name in ("T111", "T222", "T333", "T444", "office-a", "office-b", COORDINATOR_A, SUPPORTER):
            assert name not in text
        # Each office's sharing is in its own audit log.
        audit = (await four.rigs["B"].command(COORDINATOR_B, "audit")).json["text"]
        assert "association statistics" in audit and "shared from now on" in audit


async def test_a_hidden_cell_in_one_office_cannot_be_worked_out_from_the_sums(
    slack: SlackStandIn, database_url: str
) -> None:
    """The attack: the association's administrator also knows offices B's and C's published figures
    (say, they coordinate both) and subtracts them from the sums to get office A's. A naive sum of
    the true counts would give A's single grief contact and single request back; sums of published
    figures, hidden when any part is, give only what A itself publishes."""
    async with four_offices(slack, database_url) as four:
        await log_contacts(four, "A", {"trauma": 5, "grief": 1})
        await ask(four.rigs["A"], "UREQA1")  # office A's only request of the quarter
        await log_contacts(four, "B", {"trauma": 4, "grief": 3})
        await log_contacts(four, "C", {"trauma": 3, "grief": 3})
        for office in ("A", "B", "C"):
            await share(four, office)
        four.a.clock.set(Q4_PUBLISHED)
        text = await association(four.a)
        a, b, c = [await office_stats(four, office) for office in "ABC"]
        # Office A hides its grief contact, and trauma with it (else 6 - 5 gives it back).
        assert (
            figure(a, "Grief or loss") == "fewer than 3"
            and figure(a, "Case or trauma exposure") == "suppressed"
        )
        assert "*Requests:* fewer than 3 made" in a
        # The sums: a cell hidden in A is hidden in the sum.
        assert figure(text, "Grief or loss") == "suppressed"
        assert figure(text, "Case or trauma exposure") == "suppressed"
        assert "*Requests:* suppressed made" in text
        assert figure(text, "Grief or loss") != str(1 + 3 + 3)  # the naive sum, 7, minus 3 and 3: 1
        # What the attacker can subtract: the totals, which give A's published total and nothing more.
        total = int(re.findall(r"_Total: (\d+)_", text)[0])
        known = sum(int(re.findall(r"_Total: (\d+)_", office)[0]) for office in (b, c))
        assert total - known == int(re.findall(r"_Total: (\d+)_", a)[0]) == 6
        # Trauma and grief of A stay two unknowns with one equation (their sum, 6, at least the minimum).
        for area in ("Case or trauma exposure", "Grief or loss"):
            assert figure(b, area).isdigit() and figure(c, area).isdigit()
            assert not figure(text, area).isdigit()


async def test_too_few_offices_sharing_give_no_figures(slack: SlackStandIn, database_url: str) -> None:
    async with four_offices(slack, database_url) as four:
        await log_contacts(four, "A", {"trauma": 4})
        await log_contacts(four, "B", {"trauma": 5})
        await share(four, "A")
        await share(four, "B")
        four.a.clock.set(Q4_PUBLISHED)
        text = await association(four.a)
        assert text == "Fewer than 3 offices share their statistics for 2026-Q4: nothing is published."
        assert "9" not in text and "2 offices" not in text


async def test_a_quarter_once_shown_never_changes_whatever_the_offices_do_later(
    slack: SlackStandIn, database_url: str
) -> None:
    """Otherwise the views before and after one office stops (or starts) sharing, changes its smallest
    count, or leaves, would differ by exactly that office's figures."""
    async with four_offices(slack, database_url) as four:
        for office, areas in (("A", {"trauma": 4, "grief": 2}), ("B", {"trauma": 5}), ("C", {"trauma": 3})):
            await log_contacts(four, office, areas)
        await log_contacts(four, "D", {"trauma": 6})
        for office in ("A", "B", "C"):
            await share(four, office)
        four.a.clock.set(Q4_PUBLISHED)
        before = await association(four.a, period="2026-Q4")
        assert "*Contacts:* 14" in before and figure(before, "Grief or loss") == "suppressed"
        # Later: C stops sharing and D starts; A publishes counts from 5 only; B leaves the deployment.
        await share(four, "C", shared=False)
        await share(four, "D")
        rig_a = four.rigs["A"]
        await rig_a.command(COORDINATOR_A, "settings")
        await rig_a.settle()
        values = {"office_peer_min_count": "5", "office_share_statistics": ["shared"]}
        assert (await rig_a.submit(COORDINATOR_A, rig_a.last_view("peer_office_settings"), values)).text == ""
        await rig_a.settle()
        # A's own figures did move (its trauma count of 4 is now below its smallest count).
        assert figure(await office_stats(four, "A"), "Case or trauma exposure") != "4"
        del four.offices.tokens.tokens[B.key]
        await four.offices.app.forget(B)
        assert await association(four.a, period="2026-Q4") == before
        # A quarter not shown yet counts who shared as it closed: A and D, too few.
        four.a.clock.set(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))
        assert "Fewer than 3 offices" in await association(four.a, period="2027-Q1")


# Who is refused: a coordinator of the administrator's own office, a coordinator of another office,
# an employee, and the administrator's user id in another workspace (someone else there).
EVERYONE_ELSE = (("A", COORDINATOR_A), ("B", COORDINATOR_B), ("A", "UEMPLOYEE"), ("B", ASSOCIATION_ADMIN))


async def test_everyone_else_is_answered_as_for_an_unknown_command(
    slack: SlackStandIn, database_url: str
) -> None:
    async with four_offices(slack, database_url) as four:
        for name in "ABC":
            await log_contacts(four, name, {"trauma": 4})
            await share(four, name)
        four.a.clock.set(Q4_PUBLISHED)
        for office, user in EVERYONE_ELSE:
            rig = four.rigs[office]
            posts = len(rig.slack.response_url_posts)
            refused = (await rig.command(user, "association 2026-Q4")).json["text"]
            unknown = (await rig.command(user, "associations 2026-Q4")).json["text"]
            assert refused == unknown.replace("/peer associations", "/peer association"), user
            assert refused.startswith("I don't know `/peer association`.")
            await rig.settle()
            assert len(rig.slack.response_url_posts) == posts, user  # nothing was gathered
            assert "association" not in (await rig.command(user, "help")).json["text"].lower()
        # The administrator, in their own workspace, gets the figures.
        assert figure(await association(four.a), "Case or trauma exposure") == "12"


async def test_single_workspace_mode_tells_its_association_administrator_one_office_is_too_few(
    start_app: Any,
) -> None:
    """One office is fewer than the minimum of offices (at least 2): the command answers, politely,
    that nothing is published; the role is known to it, so nobody else learns of it."""
    rig = await start_app(peer_association_administrators=f"T111:{ASSOCIATION_ADMIN}")
    rig.clock.set(Q4_PUBLISHED)
    assert "Fewer than 3 offices share their statistics for 2026-Q4" in await association(rig)
    refused = (await rig.command("UCOORD1", "association")).json["text"]
    assert refused.startswith("I don't know `/peer association`.")
