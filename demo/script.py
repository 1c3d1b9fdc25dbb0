"""The scripted days in the office (a Monday and the Tuesday after), one step function per step.

To add a step (events and RSVPs, say, once they exist): write
``async def your_step(office: Office) -> None`` that sets the time with ``office.at`` (or
``office.next_day``), acts as people do in Slack (``office.command``, ``office.click``,
``office.submit``, ``office.write`` in a thread, ``office.open_home``, ``office.click_home``),
lets the scheduler run when time has passed (``office.deliver_due``), checks with
``office.expect`` that the app did what the story says, and append ``Step("Title", your_step)``
to ``SCRIPT``. Record every request in ``office.asks`` (``ask_for_a_peer`` does) so the summary
can say who was shown whose name. The transcript then shows, per person, what they saw in that
step. Keep to the ``ManualClock``: the demo never really waits.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
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
NOOR = Person("Noor", "UEMP3", "employee")
BEN = Person("Ben", "UEMP4", "employee")
CAST = (DANA, JORDAN, ALEX, CASEY, PRIYA, MARCUS, NOOR, BEN)
COORDINATORS = (DANA,)

TIMEZONE = "America/Chicago"
START = datetime(2026, 11, 30, 8, 30, tzinfo=ZoneInfo(TIMEZONE))  # a Monday morning
PRIYA_NOTE = "Rough week after the verdict in the Hollis case. I'm not sleeping much."
MARCUS_NOTE = "I keep seeing the photos from the warehouse fire case."
NOOR_NOTE = "I've been snapping at my kids since the Delgado trial and I'd rather nobody here knew."
INCIDENT = "Courthouse lockdown, Nov 30"
AFFECTED = (PRIYA, MARCUS, BEN)


@dataclass(frozen=True)
class Step:
    """One step of the story: a title for the transcript and what people do."""

    title: str
    run: Callable[[Office], Awaitable[None]]


def mention(person: Person) -> str:
    """A mention as Slack puts it in a slash command's text."""
    return f"<@{person.user_id}|{person.name.lower()}>"


async def ask_for_a_peer(
    office: Office, who: Person, *, note: str, anonymous: bool = False, **choices: object
) -> None:
    """``who`` fills in the request modal they have open, with a note, and sends it."""
    values: dict[str, object] = {
        "area": "trauma",
        "urgency": "this_week",
        "contact": "slack",
        "excluded": [],
        "note": note,
    }
    values.update(choices)
    if anonymous:
        values["anonymous"] = ["private"]
    office.asks.append(Ask(who, note, anonymous=anonymous))
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


async def accept_the_offer(office: Office, supporter: Person, *, note: str) -> None:
    """``supporter`` accepts their open offer, and now holds the request and reads its note."""
    await office.click(supporter, office.open_offers(supporter)[0], "Accept", where="on the offer")
    held = office.dm_with_button(supporter, "Close")
    office.expect(note in text_of(held.blocks), f"{supporter} to see the note once holding the request")


async def the_second_supporter_accepts(office: Office) -> None:
    """Alex accepts and now sees who asked and their note; Priya learns who will reach out."""
    office.at("09:52")
    await accept_the_offer(office, ALEX, note=PRIYA_NOTE)


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


async def the_new_supporter_accepts(office: Office) -> None:
    """Casey accepts Marcus's request and now sees who asked; Marcus learns Casey will call. Once
    Casey has called, they press "I've reached out": no reminder, and the request stays theirs."""
    office.at("14:05")
    await accept_the_offer(office, CASEY, note=MARCUS_NOTE)
    office.at("14:20")
    held = office.dm_with_button(CASEY, "I've reached out")
    await office.click(CASEY, held, "I've reached out", where="on the request")


async def an_employee_asks_without_giving_their_name(office: Office) -> None:
    """Noor ticks "Keep my name private"; the offer says only that a colleague asked, anonymously."""
    office.at("14:30")
    await office.command(NOOR)
    await ask_for_a_peer(office, NOOR, note=NOOR_NOTE, anonymous=True, area="personal")
    offers = office.open_offers(ALEX)
    office.expect(len(offers) == 1, "Noor's request to be offered to Alex")
    office.expect("(anonymous)" in text_of(offers[0].blocks), "the offer to say the colleague is anonymous")


async def the_supporter_accepts_without_learning_who(office: Office) -> None:
    """Alex accepts and reads the note, still without a name; each gets a thread to talk in."""
    office.at("14:38")
    await accept_the_offer(office, ALEX, note=NOOR_NOTE)
    office.expect(
        office.shows_button(NOOR, "Reveal my name") and office.shows_button(ALEX, "Name shown…"),
        "a conversation thread in Noor's DM and in Alex's",
    )


async def they_talk_through_the_app(office: Office) -> None:
    """Noor and Alex write in their own threads; the app passes each message to the other."""
    noor, alex = office.dm_with_button(NOOR, "End conversation"), office.dm_with_button(ALEX, "Name shown…")
    office.at("14:45")
    await office.write(
        NOOR, noor, "Hi. I don't really know where to start. The trial ended and I'm not okay."
    )
    office.at("14:49")
    await office.write(
        ALEX, alex, "Thank you for writing. There's no right place to start. What's been hardest this week?"
    )
    office.at("14:58")
    await office.write(NOOR, noor, "Evenings. I get home and I have nothing left for my kids.")
    office.expect(
        len(office.thread(alex)) == 2 and len(office.thread(noor)) == 1,
        "two of Noor's messages in Alex's thread and one of Alex's in Noor's",
    )


async def the_colleague_shares_her_name_and_ends_the_conversation(office: Office) -> None:
    """Noor decides to share her name and meet in person; the app tells Alex, then they end the thread."""
    noor, alex = office.dm_with_button(NOOR, "End conversation"), office.dm_with_button(ALEX, "Name shown…")
    office.at("15:05")
    await office.write(NOOR, noor, "Could we talk in person? I'd like you to know who I am.")
    asked = next(a for a in office.asks if a.requester == NOOR)
    asked.revealed_at = time.monotonic()
    await office.click(NOOR, noor, "Reveal my name", where="on “Your anonymous conversation”")
    office.expect(
        "shared their name" in text_of(office.thread(alex)[-1].blocks)
        and f"<@{NOOR.user_id}>" in text_of(office.slack.message(alex.channel, alex.ts).blocks),
        "Alex to be told who it is",
    )
    office.at("15:09")
    await office.write(ALEX, alex, "Thank you, Noor. I'll come by your office tomorrow at 9. Does that work?")
    office.at("15:12")
    await office.write(NOOR, noor, "Yes. Thank you.")
    await office.click(NOOR, noor, "End conversation", where="on “Your anonymous conversation”")
    office.expect(
        not office.shows_button(NOOR, "End conversation") and not office.shows_button(ALEX, "Name shown…"),
        "the conversation to have ended on both sides",
    )


async def a_critical_incident(office: Office) -> None:
    """A lockdown at the courthouse; Dana sets up check-ins and a group debrief for three people."""
    office.at("16:00")
    await office.command(DANA, "incident")
    await office.submit(
        DANA,
        "peer_incident",
        {
            "incident_kind": "critical_incident",
            "incident_name": INCIDENT,
            "incident_date": "2026-11-30",
            "incident_people": [p.user_id for p in AFFECTED],
            "debrief_date": "2026-12-03",
            "debrief_time": "12:30",
            "debrief_place": "Room 4B",
        },
    )
    office.expect(office.shows_text(DANA, "check-ins scheduled for 3 people"), "Dana to get the summary")
    await office.deliver_due()
    office.expect(
        all(office.shows_text(p, "Group debrief") for p in AFFECTED), "everyone affected to be invited"
    )


async def contacts_are_recorded(office: Office) -> None:
    """After meeting Noor, Alex closes the request; Jordan logs a talk that happened in a hallway."""
    office.next_day("10:00")
    await office.click(ALEX, office.dm_with_button(ALEX, "Close"), "Close", where="on Noor's request")
    await office.submit(ALEX, "peer_request_close", {"minutes": "50", "referral": "eap"})
    office.expect(not office.shows_button(ALEX, "Close"), "Noor's request to be closed")
    office.at("10:30")
    await office.command(JORDAN, "log")
    await office.submit(
        JORDAN,
        "peer_log_contact",
        {
            "contact_date": "2026-12-01",
            "contact_minutes": "20",
            "contact_areas": ["trauma"],
            "contact_channel": "walk_in",
            "contact_referral": "none",
        },
    )


async def the_first_checkins_go_out(office: Office) -> None:
    """A day after the incident, each person affected gets a check-in, in their working hours."""
    office.at("16:00")
    await office.deliver_due()
    office.expect(
        all(office.shows_button(p, "I'm doing okay") for p in AFFECTED), "a check-in for each person affected"
    )


async def each_answers_in_their_own_way(office: Office) -> None:
    """Priya is okay; Ben would like to talk; Marcus, already talking with Casey, stops them."""
    office.at("16:10")
    await office.click(PRIYA, office.dm_with_button(PRIYA, "I'm doing okay"), "I'm doing okay")
    office.at("16:25")
    offered = {p: len(office.open_offers(p)) for p in (JORDAN, ALEX, CASEY)}
    office.asks.append(Ask(BEN, "", how="from a check-in"))
    await office.click(BEN, office.dm_with_button(BEN, "I'm doing okay"), "I'd like to talk to a peer")
    office.expect(
        sum(len(office.open_offers(p)) - n for p, n in offered.items()) == 1,
        "Ben's request to be offered to one supporter",
    )
    office.at("16:40")
    await office.click(MARCUS, office.dm_with_button(MARCUS, "I'm doing okay"), "Stop these check-ins")
    office.at("16:45")
    await office.command(DANA, "incident list")


async def statistics_without_names(office: Office) -> None:
    """Dana looks at the program's numbers, exports them, and reads the audit log."""
    office.at("17:00")
    # The quarter is still running: its statistics are published once it has closed.
    await office.command(DANA, "stats 2026-Q4")
    office.later(
        date(2027, 1, 4),
        "09:00",
        "the quarter has closed, and its statistics are published (they will not change again).",
    )
    await office.command(DANA, "stats")
    await office.command(DANA, "export")
    office.expect(len(office.slack.files) == 2, "a CSV and a chart in Dana's DM")
    await office.command(DANA, "audit")


async def a_peer_from_outside_her_unit(office: Office) -> None:
    """Dana records the supporters' units; Priya asks for someone outside her own unit, and only a
    supporter from another unit is asked, told what she asked for and never who she is."""
    office.at("10:00")
    await office.command(DANA, f"roster unit {mention(JORDAN)} {mention(CASEY)} Homicide")
    await office.command(DANA, f"roster unit {mention(ALEX)} Appeals")
    office.at("10:15")
    before = {p: len(office.open_offers(p)) for p in (JORDAN, ALEX, CASEY)}
    await office.command(PRIYA, "")
    await ask_for_a_peer(
        office,
        PRIYA,
        note="I'd rather talk to someone who isn't in my unit.",
        prefer=["outside_unit"],
        own_unit="Homicide",
    )
    office.expect(
        {p: len(office.open_offers(p)) - n for p, n in before.items()} == {JORDAN: 0, ALEX: 1, CASEY: 0},
        "the request to be offered to Alex only: Jordan and Casey are in Priya's unit",
    )


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
    Step("The new supporter accepts and will phone the colleague", the_new_supporter_accepts),
    Step(
        "An employee asks for a peer, keeping their name private", an_employee_asks_without_giving_their_name
    ),
    Step(
        "A supporter accepts the anonymous request, without learning who",
        the_supporter_accepts_without_learning_who,
    ),
    Step("They talk through the app, each in their own thread", they_talk_through_the_app),
    Step(
        "The colleague shares her name, and the conversation ends",
        the_colleague_shares_her_name_and_ends_the_conversation,
    ),
    Step("A critical incident: the coordinator sets up check-ins and a debrief", a_critical_incident),
    Step("The next morning: a request is closed and a walk-in is logged", contacts_are_recorded),
    Step("A day after the incident, the first check-ins go out", the_first_checkins_go_out),
    Step("Each person answers in their own way; the coordinator sees counts", each_answers_in_their_own_way),
    Step("The coordinator looks at statistics, an export and the audit log", statistics_without_names),
    Step("A peer from outside her own unit", a_peer_from_outside_her_unit),
)
