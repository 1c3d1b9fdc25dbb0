"""The scripted day in the office, one step function per step.

To add a step (incident check-ins, events and RSVPs, statistics, the anonymous relay, once
they exist): write ``async def your_step(office: Office) -> None`` that sets the time with
``office.at``, acts as people do in Slack (``office.command``, ``office.click``,
``office.submit``, ``office.open_home``, ``office.click_home``), checks with ``office.expect``
that the app did what the story says, and append ``Step("Title", your_step)`` to ``SCRIPT``.
The transcript then shows, per person, what they saw in that step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from demo.office import Office
from demo.transcript import Ask, Person
from slack_standin.driver import text_of

DANA = Person("Dana", "UCOORD1", "coordinator")
JORDAN = Person("Jordan", "USUP1", "peer supporter")
ALEX = Person("Alex", "USUP2", "peer supporter")
CASEY = Person("Casey", "USUP3", "peer supporter")
PRIYA = Person("Priya", "UEMP1", "employee")
MARCUS = Person("Marcus", "UEMP2", "employee")
CAST = (DANA, JORDAN, ALEX, CASEY, PRIYA, MARCUS)
COORDINATORS = (DANA,)

TIMEZONE = "America/Chicago"
START = datetime(2026, 11, 30, 8, 30, tzinfo=ZoneInfo(TIMEZONE))  # a Monday morning
PRIYA_NOTE = "Rough week after the verdict in the Hollis case. I'm not sleeping much."
MARCUS_NOTE = "I keep seeing the photos from the warehouse fire case."


@dataclass(frozen=True)
class Step:
    """One step of the story: a title for the transcript and what people do."""

    title: str
    run: Callable[[Office], Awaitable[None]]


def mention(person: Person) -> str:
    """A mention as Slack puts it in a slash command's text."""
    return f"<@{person.user_id}|{person.name.lower()}>"


async def ask_for_a_peer(office: Office, who: Person, *, note: str, **choices: object) -> None:
    """``who`` fills in the request modal they have open, with a note, and sends it."""
    values = {"area": "trauma", "urgency": "this_week", "contact": "slack", "excluded": [], "note": note}
    values.update(choices)
    office.asks.append(Ask(who, note))
    await office.submit(who, "peer_request", values)


async def coordinator_builds_the_roster(office: Office) -> None:
    """Dana adds two trained supporters and one whose training is not recorded yet."""
    office.at("08:30")
    await office.command(DANA, f"roster add {mention(JORDAN)} {mention(ALEX)} trained 2026-10-15")
    await office.command(DANA, f"roster add {mention(CASEY)}")
    await office.command(DANA, "roster")


async def looking_around(office: Office) -> None:
    """An employee opens the Home tab; a supporter asks for help with the commands."""
    office.at("09:00")
    await office.open_home(PRIYA)
    await office.command(JORDAN, "help")


async def an_employee_asks_for_a_peer(office: Office) -> None:
    """Priya asks from the Home tab, with a note; the offer goes to one supporter, blind."""
    office.at("09:30")
    await office.click_home(PRIYA, "Talk to a peer")
    await ask_for_a_peer(office, PRIYA, note=PRIYA_NOTE)
    office.expect(
        len(office.open_offers(JORDAN)) == 1 and not office.open_offers(ALEX),
        "the request to be offered to Jordan first, and to Jordan only",
    )


async def the_first_supporter_passes(office: Office) -> None:
    """Jordan passes; the request moves on to Alex."""
    office.at("09:40")
    await office.click(JORDAN, office.open_offers(JORDAN)[0], "Pass", where="on the offer")
    office.expect(
        not office.open_offers(JORDAN) and len(office.open_offers(ALEX)) == 1,
        "the request to move on to Alex",
    )


async def the_second_supporter_accepts(office: Office) -> None:
    """Alex accepts and now sees who asked and their note; Priya learns who will reach out."""
    office.at("09:52")
    await office.click(ALEX, office.open_offers(ALEX)[0], "Accept", where="on the offer")
    held = office.dm_with_button(ALEX, "Close")
    office.expect(PRIYA_NOTE in text_of(held.blocks), "Alex to see Priya's note once holding the request")


async def the_requester_checks_status(office: Office) -> None:
    """Priya checks where her request is."""
    office.at("10:05")
    await office.command(PRIYA, "status")


async def the_supporter_closes_the_request(office: Office) -> None:
    """After they talk, Alex closes the request with the minutes spent and a referral."""
    office.at("11:20")
    await office.click(ALEX, office.dm_with_button(ALEX, "Close"), "Close", where="on the request")
    await office.submit(ALEX, "peer_request_close", {"minutes": "40", "referral": "eap"})
    office.expect(not office.shows_button(ALEX, "Close"), "the request to be closed")


async def a_supporter_steps_away(office: Office) -> None:
    """Jordan is in trial all week and pauses offers until Monday."""
    office.at("13:00")
    await office.command(JORDAN, "away until 2026-12-07")


async def a_request_nobody_can_take(office: Office) -> None:
    """Marcus asks (not Alex, please); nobody can take it, so Dana is alerted without his name."""
    office.at("13:15")
    await office.command(MARCUS)
    await ask_for_a_peer(
        office, MARCUS, note=MARCUS_NOTE, urgency="asap", contact="phone", excluded=[ALEX.user_id]
    )
    office.dm_with_button(DANA, "Offer to a supporter…")
    office.expect(not any(office.open_offers(p) for p in CAST), "nobody to be offered Marcus's request")


async def a_newly_trained_supporter_gets_it(office: Office) -> None:
    """Dana records Casey's training; the waiting request goes to Casey, still blind."""
    office.at("14:00")
    await office.command(DANA, f"roster add {mention(CASEY)} trained 2026-11-27")
    office.expect(len(office.open_offers(CASEY)) == 1, "the waiting request to be offered to Casey")


SCRIPT: tuple[Step, ...] = (
    Step("A coordinator builds the roster", coordinator_builds_the_roster),
    Step("Looking around: the Home tab and /peer help", looking_around),
    Step("An employee asks for a peer", an_employee_asks_for_a_peer),
    Step("The first supporter passes", the_first_supporter_passes),
    Step("The second supporter accepts", the_second_supporter_accepts),
    Step("The requester checks /peer status", the_requester_checks_status),
    Step("The supporter closes the request", the_supporter_closes_the_request),
    Step("A supporter steps away for the week", a_supporter_steps_away),
    Step("A request nobody can take goes to the coordinator, without a name", a_request_nobody_can_take),
    Step(
        "A newly trained supporter is offered the waiting request, blind", a_newly_trained_supporter_gets_it
    ),
)
