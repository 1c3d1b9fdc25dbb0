"""The end-of-run audit shared by the seeded fault plans and the crash soak.

It reads the database (SQLite or PostgreSQL, through the app's storage) and what the Slack
stand-in holds, and sorts what it finds into
*lost* (a request acknowledged but gone, stuck in no proper state, an offer or notice that
never went out and never will, a decision whose notice was never recorded) and *duplicated*
(two assignees, two offers of one request to one supporter, anyone told the same thing more
often than it was decided). Both must be empty.
Offers are sent at least once by design: the same offer shown twice is counted apart.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_standin import SlackStandIn
from slack_standin.driver import text_of
from storage.db import Database
from storage.sql import Connection

RECEIVED = "We got your request"
ASSIGNED = "will reach out to you"
ESCALATED = "No peer supporter is free"
ALERT = "A peer support request is waiting"
CLOSED = "has closed your request"
WITHDRAWN = "which you accepted, was withdrawn"
SET_AWAY = "expired without an answer, so you've been set to"
UNREACHABLE = "couldn't send a peer support offer to"
NOTICE_KINDS = (
    "request_received",
    "request_assigned",
    "request_escalated",
    "escalation_alert",
    "request_closed",
    "request_withdrawn",
    "supporter_set_away",
    "supporter_unreachable",
)
_REQUEST_NO = re.compile(r"Request #(\d+)")
# The ending notices: the phrase that tells them apart, and what names their subject (if any).
_TOLD: dict[str, tuple[str, re.Pattern[str] | None]] = {
    "request_closed": (CLOSED, None),
    "request_withdrawn": (WITHDRAWN, _REQUEST_NO),
    "supporter_set_away": (SET_AWAY, None),
    "supporter_unreachable": (UNREACHABLE, re.compile(UNREACHABLE + r" <@(\w+)>")),
}
EXPIRIES_BEFORE_AWAY = 3  # bot.peer_requests.EXPIRIES_BEFORE_AWAY


@dataclass
class Audit:
    """What the run left behind."""

    requests: int = 0
    states: Counter = field(default_factory=Counter)
    offers: Counter = field(default_factory=Counter)  # offers by final state (expired: timed out)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    offer_cards_resent: int = 0  # one offer shown twice: at least once, by design
    notices: Counter = field(default_factory=Counter)  # scheduled notices by final state

    def summary(self) -> str:
        """One line of figures."""

        def counts(counter: Counter) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))

        return (
            f"{self.requests} requests ({counts(self.states)}); offers: {counts(self.offers)};"
            f" lost {len(self.lost)}, duplicated {len(self.duplicated)};"
            f" offer cards shown twice {self.offer_cards_resent}; notices: {counts(self.notices)}"
        )


async def audit(
    db: Database, slack: SlackStandIn, *, acknowledged: set[str], in_flight_ok: bool = False
) -> Audit:
    """Check every guarantee at the end of a run.

    ``acknowledged``: requesters whose submission the app answered with success. With
    ``in_flight_ok``, notices still claimed ("sending") by a killed process are not lost: they
    become unconfirmed once their lease passes.
    """
    async with db.read() as tx:
        result = Audit()
        await _requests(tx.conn, result, acknowledged)
        await _offers(tx.conn, slack, result)
        await _notices(tx.conn, slack, result, in_flight_ok)
        return result


async def _all(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]:
    return await (await conn.execute(sql, params)).fetchall()


async def _requests(conn: Connection, result: Audit, acknowledged: set[str]) -> None:
    requests = await _all(conn, "SELECT * FROM peer_requests ORDER BY id")
    result.requests = len(requests)
    result.states.update(r["state"] for r in requests)
    per_requester = Counter(r["requester_id"] for r in requests)
    result.duplicated += [f"{who} has {n} requests" for who, n in per_requester.items() if n > 1]
    result.lost += [f"{who}'s acknowledged request is missing" for who in acknowledged - set(per_requester)]
    for r in requests:
        offers = await _all(conn, "SELECT * FROM offers WHERE request_id = ?", (r["id"],))
        alerted = await _all(
            conn,
            "SELECT 1 FROM scheduled_messages WHERE kind = 'escalation_alert' AND request_id = ?",
            (r["id"],),
        )
        result.offers.update(o["state"] for o in offers)
        held = [o for o in offers if o["state"] in ("accepted", "closed")]
        if len(held) > 1:
            result.duplicated.append(f"request {r['id']} has {len(held)} assignees")
        match r["state"]:
            case "assigned" if not (held and held[0]["supporter_id"] == r["assignee_id"]):
                result.lost.append(f"request {r['id']} is assigned without its accepted offer")
            case "offered" if not [o for o in offers if o["state"] == "open"]:
                result.lost.append(f"request {r['id']} is offered to nobody")
            case "pending":
                result.lost.append(f"request {r['id']} is still pending")
            case "escalated" if not alerted:
                result.lost.append(f"request {r['id']} escalated without an alert")
        unsent = [o["id"] for o in offers if o["state"] == "open" and o["message_ts"] is None]
        result.lost += [f"offer {o} was never delivered" for o in unsent]


async def _offers(conn: Connection, slack: SlackStandIn, result: Audit) -> None:
    request_of = {
        row["id"]: row["request_id"] for row in await _all(conn, "SELECT id, request_id FROM offers")
    }
    cards: Counter = Counter()
    per_round: dict[tuple[str, int], set[int]] = {}
    for (channel, _), message in slack.messages.items():
        shown = [message.blocks, *(h["blocks"] for h in message.history)]
        offer_ids = {_offer_id(blocks) for blocks in shown} - {None}
        for offer_id in offer_ids:
            cards[offer_id] += 1
            round_key = (channel, request_of.get(offer_id, -1))
            per_round.setdefault(round_key, set()).add(offer_id)  # type: ignore[arg-type]
    result.offer_cards_resent = sum(n - 1 for n in cards.values())
    result.duplicated += [
        f"{channel} was offered request {request} {len(ids)} times"
        for (channel, request), ids in per_round.items()
        if len(ids) > 1
    ]


def _offer_id(blocks: list[dict]) -> int | None:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "offer_accept":
                return int(json.loads(element["value"])["offer_id"])
    return None


async def _notices(conn: Connection, slack: SlackStandIn, result: Audit, in_flight_ok: bool) -> None:
    marks = ",".join("?" * len(NOTICE_KINDS))
    rows = await _all(
        conn,
        f"SELECT * FROM scheduled_messages WHERE kind IN ({marks})",
        NOTICE_KINDS,
    )
    result.notices.update(r["state"] for r in rows)
    for row in rows:
        if row["state"] == "due" or (row["state"] == "sending" and not in_flight_ok):
            result.lost.append(f"{row['kind']} {row['id']} never went out ({row['state']})")
    recorded = Counter((r["recipient_id"], r["kind"]) for r in rows)
    phrases = {"request_received": RECEIVED, "request_assigned": ASSIGNED, "request_escalated": ESCALATED}
    for recipient in {r["recipient_id"] for r in rows if r["kind"] in phrases}:
        said = [text_of(m.blocks) for m in slack.dms(recipient)]
        for kind, phrase in phrases.items():
            # One message per decision recorded: more is a duplicate.
            if (n := sum(phrase in text for text in said)) > recorded[(recipient, kind)]:
                result.duplicated.append(f"{recipient} was told {phrase!r} {n} times")
    # Every decision reached its person, or the reason it did not is recorded.
    settled_without_dm = {"unconfirmed", "skipped", "failed"} | ({"sending"} if in_flight_ok else set())
    excused = {(r["recipient_id"], r["kind"]) for r in rows if r["state"] in settled_without_dm}
    for request in await _all(conn, "SELECT * FROM peer_requests WHERE requester_id IS NOT NULL"):
        requester, said = (
            request["requester_id"],
            [text_of(m.blocks) for m in slack.dms(request["requester_id"])],
        )
        owed = ["request_received"] + (["request_assigned"] if request["state"] == "assigned" else [])
        for kind in owed:
            if not any(phrases[kind] in text for text in said) and (requester, kind) not in excused:
                result.lost.append(f"{requester} was never told {phrases[kind]!r} and no reason is recorded")
    alerts_recorded = Counter(
        (r["recipient_id"], r["request_id"]) for r in rows if r["kind"] == "escalation_alert"
    )
    for coordinator in {r["recipient_id"] for r in rows if r["kind"] == "escalation_alert"}:
        shown = Counter(
            int(m.group(1))
            for message in slack.dms(coordinator)
            if ALERT in (text := text_of(message.blocks)) and (m := _REQUEST_NO.search(text))
        )
        for request_id, n in shown.items():
            if n > alerts_recorded[(coordinator, request_id)]:
                result.duplicated.append(f"{coordinator} was alerted of request {request_id} {n} times")
    await _decisions_recorded(conn, result, rows)
    for kind in ("request_closed", "request_withdrawn", "supporter_set_away", "supporter_unreachable"):
        _told_as_decided(slack, result, kind, [r for r in rows if r["kind"] == kind])


async def _decisions_recorded(conn: Connection, result: Audit, rows: Sequence[Mapping[str, Any]]) -> None:
    """Decisions the database shows, each with its notice recorded in the same transaction.

    A closed request owes its requester "closed"; one cancelled while held (it keeps its assignee)
    owes the holder "withdrawn"; a supporter away with a run of expired offers was told why; a
    supporter a send found unreachable was reported to coordinators (the directory check only flags
    the roster, as "deactivated").
    """
    by_request = {(r["kind"], r["request_id"]): r["recipient_id"] for r in rows}
    for request in await _all(conn, "SELECT * FROM peer_requests WHERE requester_id IS NOT NULL"):
        if request["state"] == "closed":
            kind, recipient = "request_closed", request["requester_id"]
        elif request["state"] == "cancelled" and request["assignee_id"] is not None:
            kind, recipient = "request_withdrawn", request["assignee_id"]
        else:
            continue
        if by_request.get((kind, request["id"])) != recipient:
            result.lost.append(f"request {request['id']} is {request['state']}: no {kind} was recorded")
    told_away = {r["recipient_id"] for r in rows if r["kind"] == "supporter_set_away"}
    reported = {r["subject_id"] for r in rows if r["kind"] == "supporter_unreachable"}
    for s in await _all(conn, "SELECT * FROM supporters"):
        if s["away"] and s["expired_streak"] >= EXPIRIES_BEFORE_AWAY and s["user_id"] not in told_away:
            result.lost.append(f"{s['user_id']} was set away after expiries: nothing recorded")
        if s["unreachable"] not in (None, "deactivated") and s["user_id"] not in reported:
            result.lost.append(f"{s['user_id']} is unreachable: no coordinator's note was recorded")


def _told_as_decided(
    slack: SlackStandIn, result: Audit, kind: str, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Each person told no more often than decided (duplicated), and at least as often as a send
    was confirmed (lost). Told about what: the request (withdrawn), the supporter (unreachable)."""
    phrase, about = _TOLD[kind]
    recorded = Counter((r["recipient_id"], _subject(kind, r)) for r in rows)
    sent = Counter((r["recipient_id"], _subject(kind, r)) for r in rows if r["state"] == "sent")
    # Everyone the app has a DM with, not only those recorded: a message with no decision is a duplicate.
    dm_users = {"U" + channel[1:] for channel, _ in slack.messages if channel.startswith("D")}
    for recipient in dm_users | {r["recipient_id"] for r in rows}:
        shown = Counter(
            None if about is None else (m.group(1) if (m := about.search(text)) else "?")
            for message in slack.dms(recipient)
            if phrase in (text := text_of(message.blocks))
        )
        for subject in set(shown) | {s for who, s in recorded if who == recipient}:
            if shown[subject] > recorded[(recipient, subject)]:
                result.duplicated.append(f"{recipient} was told {kind} ({subject}) {shown[subject]} times")
            elif shown[subject] < sent[(recipient, subject)]:
                result.lost.append(f"{kind} to {recipient} ({subject}) marked sent but not in Slack")


def _subject(kind: str, row: Mapping[str, Any]) -> str | None:
    if kind == "request_withdrawn":
        return str(row["request_id"])
    if kind == "supporter_unreachable":
        return row["subject_id"]
    return None
