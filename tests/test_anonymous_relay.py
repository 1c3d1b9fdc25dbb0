"""Anonymous requests: offered without the requester, then talked through two relayed threads."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from slack_standin import Fault
from slack_standin.driver import posted_event
from tests.flows import (
    ANONYMOUS_NOTE,
    REQUESTER,
    SUPPORTER,
    accept,
    add_supporters,
    anonymous_conversation,
    ask,
    copies,
    has_button_ever,
    only_open_offer,
    root,
    say,
    thread,
    words,
)
from tests.rig import Rig, has_button, text_of
from tests.test_home import open_home

NOTE = ANONYMOUS_NOTE
# The stand-in's DM ids derive from user ids (DREQ1 for UREQ1), so "REQ1" catches either.
REQUESTER_TRACE = "REQ1"
SUPPORTER_TRACE = "SUP1"


async def test_the_request_modal_offers_to_keep_the_name_private(rig: Rig) -> None:
    await rig.command(REQUESTER)
    await rig.settle()
    view = rig.last_view("peer_request")
    [block] = [b for b in view["blocks"] if b.get("block_id") == "anonymous"]
    assert block["element"]["type"] == "checkboxes" and block["optional"] is True
    assert "Keep my name private" in json.dumps(block)
    assert "can\\u2019t" not in json.dumps(block)  # sanity: plain ASCII wording

    rejected = await rig.submit(
        REQUESTER, view, {"area": "trauma", "urgency": "asap", "contact": "phone", "anonymous": ["private"]}
    )
    assert rejected.json["response_action"] == "errors"
    assert "Slack" in rejected.json["errors"]["contact"]


async def test_an_anonymous_request_never_reaches_the_supporter_with_the_requesters_id(rig: Rig) -> None:
    rig.slack.add_users(SUPPORTER, first_name="Jordan")
    await add_supporters(rig, SUPPORTER)
    await ask(rig, REQUESTER, anonymous=True, note=NOTE, area="grief", urgency="asap")

    received = text_of(rig.slack.dms(REQUESTER)[0].blocks)
    assert "without your name" in received and "who will reach out" not in received
    offer = only_open_offer(rig, SUPPORTER)
    shown = text_of(offer.blocks)
    assert "A colleague (anonymous)" in shown and "Grief or loss" in shown and "As soon as possible" in shown
    assert NOTE not in shown

    held = await accept(rig, SUPPORTER)
    shown = text_of(held.blocks)
    assert "a colleague (anonymous)" in shown and NOTE in shown
    # Both Homes follow, and neither names the other (both are checked with every call below).
    assert "a colleague (anonymous)" in await open_home(rig, SUPPORTER)
    assert "anonymous conversation" in await open_home(rig, REQUESTER)
    assert has_button(held.blocks, "request_close") and has_button(held.blocks, "request_hand_back")
    requester_root, supporter_root = root(rig, REQUESTER), root(rig, SUPPORTER)
    assert "Jordan" in text_of(requester_root.blocks) and has_button(requester_root.blocks, "relay_reveal")
    assert "Anonymous colleague" in text_of(supporter_root.blocks)

    [asked] = await say(rig, REQUESTER, requester_root, "Thanks for taking this.")
    await say(rig, SUPPORTER, supporter_root, "Of course. How are you sleeping?")
    await rig.edit(asked, "Thanks for taking this, really.")
    await rig.settle()

    # Every call to Slack not addressed to the requester, the supporter's above all.
    assert rig.slack.calls_for(SUPPORTER)
    to_requester = {id(c) for c in rig.slack.calls_for(REQUESTER)}
    for call in rig.slack.calls:
        if id(call) not in to_requester:
            assert REQUESTER_TRACE not in json.dumps(call.params), (call.method, call.params)
    # Nor does the requester ever get the supporter's user: a first name only. (The team directory on
    # their Home lists every supporter, theirs among them, never saying who holds what.)
    for call in rig.slack.calls_for(REQUESTER):
        params = without_directory({k: v for k, v in call.params.items() if k != "channel"})
        assert SUPPORTER_TRACE not in json.dumps(params)
    status = await rig.command(REQUESTER, "status")
    assert SUPPORTER_TRACE not in status.text and "anonymous conversation" in status.json["text"]


def without_directory(params: dict) -> dict:
    """A call's parameters without the team directory of a published Home (and what follows it)."""
    view = params.get("view")
    if isinstance(view, dict) and isinstance(view.get("blocks"), list):
        ids = [b.get("block_id") for b in view["blocks"]]
        if "team_directory" in ids:
            return {**params, "view": {**view, "blocks": view["blocks"][: ids.index("team_directory")]}}
    return params


async def test_messages_relay_both_ways_in_order(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)

    await say(rig, REQUESTER, requester_root, "First.", "Second.", "Third, a longer one.")
    await say(rig, SUPPORTER, supporter_root, "I hear you.", "Want to talk by phone later?")

    received = copies(rig, supporter_root)
    assert [c.count("Anonymous colleague") for c in received] == [1, 1, 1]
    assert ["First." in received[0], "Second." in received[1], "Third, a longer one." in received[2]] == [
        True
    ] * 3
    answered = copies(rig, requester_root)
    assert len(answered) == 2 and "Jordan" in answered[0] and "I hear you." in answered[0]
    assert "Want to talk by phone later?" in answered[1]
    # Each side's own words are not echoed back into their own thread.
    assert not any("First." in c for c in answered)
    # Relayed copies are DMs, and the lock screen shows only the neutral line.
    for call in rig.slack.calls_of("chat.postMessage"):
        assert call.params["text"] == "You have a new peer support message"
        assert call.channel is not None and call.channel[0] in "UWD"


async def test_a_retried_event_relays_once_even_while_the_first_is_still_in_flight(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)
    message = rig.slack.user_writes(REQUESTER, "Only once, please.", thread_ts=requester_root.ts)
    event = posted_event(message)

    rig.slack.hold("chat.postMessage", lambda p: p.get("thread_ts") == supporter_root.ts)
    first = await rig.event(event, event_id="EvRETRY01")
    # Slack did not see the ack in time (say) and delivers the same event again, twice.
    again = await rig.event(event, event_id="EvRETRY01", retry=1)
    third = await rig.event(event, event_id="EvRETRY01", retry=2)
    rig.slack.release("chat.postMessage")
    await rig.settle()

    assert {first.status, again.status, third.status} == {200}
    assert len(copies(rig, supporter_root)) == 1


async def test_a_retry_delivered_to_a_second_instance_relays_once(start_app) -> None:
    rig = await start_app()
    requester_root, supporter_root = await anonymous_conversation(rig)
    other = await start_app()  # a second process on the same database
    message = rig.slack.user_writes(REQUESTER, "Once across instances.", thread_ts=requester_root.ts)

    await rig.event(posted_event(message), event_id="EvTWO")
    await other.event(posted_event(message), event_id="EvTWO", retry=1)
    await rig.settle()
    await other.settle()
    assert len(copies(rig, supporter_root)) == 1


async def test_the_bot_ignores_its_own_messages(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)
    await say(rig, REQUESTER, requester_root, "Hello?")
    [copy] = thread(rig, supporter_root)
    posts = len(rig.slack.calls_of("chat.postMessage"))

    # Slack echoes the app's own copy back as a message.im event; another bot's message too.
    own = dataclasses.replace(copy, user=rig.slack.bot_user_id)
    assert (await rig.event(posted_event(own, bot_id="B111"))).status == 200
    stranger = dataclasses.replace(copy, user="UOTHERBOT")
    assert (await rig.event(posted_event(stranger, bot_id="B999"))).status == 200
    await rig.settle()
    assert len(rig.slack.calls_of("chat.postMessage")) == posts
    assert len(copies(rig, requester_root)) == 0


async def test_edits_and_deletions_follow_the_copy(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)
    [keep, remove] = await say(rig, REQUESTER, requester_root, "I work in hte unit.", "My name is Sam.")

    await rig.edit(keep, "I work in the unit.")
    await rig.delete(remove)
    await rig.settle()

    [edited] = thread(rig, supporter_root)
    assert "I work in the unit." in text_of(edited.blocks) and "edited" in text_of(edited.blocks)
    assert [json.dumps(m.blocks).count("My name is Sam.") for m in rig.slack.deleted] == [1]
    assert rig.slack.calls_of("chat.delete")[-1].channel == supporter_root.channel


async def test_files_are_not_relayed_and_the_sender_is_told(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)
    message = rig.slack.user_writes(REQUESTER, "Here is the letter.", thread_ts=requester_root.ts)
    await rig.event(posted_event(message, files=True))
    await rig.settle()

    [copy] = copies(rig, supporter_root)
    assert "Here is the letter." in copy and "scan.pdf" not in copy and "F0SCAN" not in copy
    assert not any("F0SCAN" in json.dumps(c.params) for c in rig.slack.calls)
    told = text_of(thread(rig, requester_root)[-1].blocks)
    assert "Files and images are not passed on" in told


async def test_revealing_the_name_tells_the_supporter_who_it_is(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)
    held = rig.offers_to(SUPPORTER)[-1]
    assert REQUESTER not in text_of(held.blocks)

    await rig.click(REQUESTER, requester_root, "relay_reveal")
    await rig.settle()

    # The name is on the cards, which are redrawn once the supporter no longer holds the
    # request; the note that pings them does not carry it (it would stay in their DM).
    told = text_of(thread(rig, supporter_root)[-1].blocks)
    assert "shared their name" in told and REQUESTER not in told
    assert f"<@{REQUESTER}>" in text_of(rig.slack.message(held.channel, held.ts).blocks)
    assert f"<@{REQUESTER}>" in text_of(rig.slack.message(supporter_root.channel, supporter_root.ts).blocks)
    redrawn = rig.slack.message(requester_root.channel, requester_root.ts)
    assert not has_button(redrawn.blocks, "relay_reveal") and has_button(redrawn.blocks, "relay_end")
    assert "Your name is now shown to Jordan" in text_of(thread(rig, requester_root)[-1].blocks)

    await say(rig, REQUESTER, requester_root, "It's me.")
    assert f"<@{REQUESTER}>" in copies(rig, supporter_root)[-1]


async def test_ending_stops_relaying_and_both_sides_are_told(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)
    await say(rig, REQUESTER, requester_root, "Before the end.")

    await rig.click(SUPPORTER, supporter_root, "relay_end")
    await rig.settle()
    assert "You ended this conversation" in text_of(thread(rig, supporter_root)[-1].blocks)
    assert "Jordan ended this conversation" in text_of(thread(rig, requester_root)[-1].blocks)
    for side in (requester_root, supporter_root):
        redrawn = rig.slack.message(side.channel, side.ts)
        assert "This conversation has ended" in text_of(redrawn.blocks)
        assert not has_button(redrawn.blocks, "relay_end")

    await say(rig, REQUESTER, requester_root, "After the end.")
    await say(rig, SUPPORTER, supporter_root, "Me too, after.")
    assert not any("After the end." in c for c in copies(rig, supporter_root))
    assert not any("Me too, after." in c for c in copies(rig, requester_root))
    note = text_of(thread(rig, requester_root)[-1].blocks)
    assert "has ended" in note and "`/peer`" in note and "988" in note

    # A second click (a stale button) is told, not obeyed twice.
    await rig.click(REQUESTER, requester_root, "relay_end", as_first_shown=True)
    await rig.settle()
    assert (
        "already" in rig.slack.calls_of("chat.postEphemeral")[-1].params["text"]
        or "ended" in (rig.slack.calls_of("chat.postEphemeral")[-1].params["text"])
    )


async def test_closing_the_request_ends_the_conversation_with_no_reminder_that_would_leak(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)
    held = rig.offers_to(SUPPORTER)[-1]
    await rig.click(SUPPORTER, rig.slack.message(held.channel, held.ts), "request_close")
    await rig.settle()
    close_view = rig.last_view("peer_request_close")
    assert "follow_up_days" not in json.dumps(close_view)
    await rig.submit(SUPPORTER, close_view, {"minutes": "30", "referral": "none"})
    await rig.settle()

    assert "you closed the request" in text_of(
        rig.slack.message(supporter_root.channel, supporter_root.ts).blocks
    )
    await say(rig, REQUESTER, requester_root, "Are you still there?")
    assert copies(rig, supporter_root) == []
    assert "has ended" in text_of(thread(rig, requester_root)[-1].blocks)


async def test_a_hand_back_ends_the_conversation_and_the_next_supporter_gets_a_new_one(rig: Rig) -> None:
    rig.slack.add_users("USUP2", first_name="Riley")
    await add_supporters(rig, "USUP2")
    old_requester_root, old_supporter_root = await anonymous_conversation(rig)
    await say(rig, REQUESTER, old_requester_root, "What I told the first one.")
    await rig.click(REQUESTER, old_requester_root, "relay_reveal")
    await rig.settle()
    assert len(copies(rig, old_supporter_root)) == 1
    held = rig.offers_to(SUPPORTER)[-1]
    await rig.click(SUPPORTER, rig.slack.message(held.channel, held.ts), "request_hand_back")
    await rig.settle()
    assert "hand your request on" in text_of(thread(rig, old_requester_root)[-1].blocks)
    # The first supporter no longer holds it: the colleague's words and name leave their DM.
    assert copies(rig, old_supporter_root) == []
    their_dm = json.dumps([m.blocks for m in rig.slack.dms(SUPPORTER)])
    leaks = [m.blocks for m in rig.slack.dms(SUPPORTER) if REQUESTER in json.dumps(m.blocks)]
    assert "What I told the first one." not in their_dm and not leaks, leaks
    assert "messages were removed" in text_of(
        rig.slack.message(old_supporter_root.channel, old_supporter_root.ts).blocks
    )

    await accept(rig, "USUP2")
    new_requester_root, new_supporter_root = root(rig, REQUESTER), root(rig, "USUP2")
    assert new_requester_root.ts != old_requester_root.ts and "Riley" in text_of(new_requester_root.blocks)

    await say(rig, REQUESTER, new_requester_root, "Hello again.")
    await say(rig, REQUESTER, old_requester_root, "Anyone here?")
    assert len(copies(rig, new_supporter_root)) == 1 and copies(rig, old_supporter_root) == []
    assert "has ended" in text_of(thread(rig, old_requester_root)[-1].blocks)
    for call in rig.slack.calls_for("USUP2"):
        assert REQUESTER_TRACE not in json.dumps(call.params)


async def test_the_supporter_can_choose_the_name_shown(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)
    await rig.click(SUPPORTER, supporter_root, "relay_rename")
    await rig.settle()
    view = rig.last_view("peer_relay_rename")
    assert view["blocks"][0]["element"]["initial_value"] == "Jordan"

    blank = await rig.submit(SUPPORTER, view, {"label": "   "})
    assert blank.json["response_action"] == "errors"
    saved = await rig.submit(SUPPORTER, view, {"label": "  Peer   Sam "})
    await rig.settle()
    assert saved.status == 200 and saved.text == ""
    assert 'now shown as "Peer Sam"' in words(thread(rig, requester_root)[-1].blocks)
    await say(rig, SUPPORTER, supporter_root, "Still here.")
    assert "Peer Sam" in copies(rig, requester_root)[-1]


async def test_messages_outside_a_thread_are_not_relayed_and_get_a_pointer(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)
    response, _ = await rig.write(REQUESTER, "Is anyone there?")  # in the DM, not in the thread
    await rig.settle()
    assert response.status == 200
    assert copies(rig, supporter_root) == []
    pointer = rig.slack.dms(REQUESTER)[-1]
    assert pointer.thread_ts is None and "reply in the thread" in text_of(pointer.blocks)

    await rig.write("USTRANGER", "hello bot")
    await rig.settle()
    helped = text_of(rig.slack.dms("USTRANGER")[-1].blocks)
    assert "aren't read by anyone" in helped and "988" in helped


async def test_a_conversation_interrupted_by_a_crash_opens_at_the_next_start(start_app, slack) -> None:
    rig = await start_app()
    slack.add_users(SUPPORTER, first_name="Jordan")
    await add_supporters(rig, SUPPORTER)
    await ask(rig, REQUESTER, anonymous=True)
    # Accepted; the requester's thread root is on the wire when the process dies.
    slack.hold("chat.postMessage", lambda p: p.get("channel") == REQUESTER)
    before = len(slack.calls_for(REQUESTER))
    await rig.click(SUPPORTER, only_open_offer(rig, SUPPORTER), "offer_accept")
    await slack.wait_for(lambda: len(slack.calls_for(REQUESTER)) > before)
    await rig.app.stop(drain=False)
    slack.release("chat.postMessage", drop=True)
    assert not [m for m in slack.dms(REQUESTER) if "anonymous conversation" in text_of(m.blocks)]

    rig.clock.advance(timedelta(minutes=2))
    rig = await start_app()
    requester_root, supporter_root = root(rig, REQUESTER), root(rig, SUPPORTER)
    assert len([m for m in slack.dms(SUPPORTER) if has_button_ever(m, "relay_end")]) == 1, "posted twice"
    await say(rig, REQUESTER, requester_root, "Made it.")
    assert len(copies(rig, supporter_root)) == 1


async def test_event_claims_are_forgotten_after_a_day(rig: Rig) -> None:
    requester_root, _ = await anonymous_conversation(rig)
    await say(rig, REQUESTER, requester_root, "One.")
    assert await _count(rig, "processed_events") == 1
    rig.clock.advance(timedelta(hours=25))
    await rig.app.sweep()
    assert await _count(rig, "processed_events") == 0


async def test_relay_records_are_purged_with_the_request(rig: Rig) -> None:
    requester_root, _ = await anonymous_conversation(rig)
    await say(rig, REQUESTER, requester_root, "One.", "Two.")
    assert await _count(rig, "relay_conversations") == 1 and await _count(rig, "relay_messages") == 2
    assert rig.app.db is not None
    async with rig.app.db.transaction() as tx:
        await tx.conn.execute("DELETE FROM peer_requests")
    assert await _count(rig, "relay_conversations") == 0 and await _count(rig, "relay_messages") == 0


async def _count(rig: Rig, table: str) -> int:
    assert rig.app.db is not None
    async with rig.app.db.read() as tx:
        cur = await tx.conn.execute(f"SELECT COUNT(*) FROM {table}")
        row = await cur.fetchone()
    return int(row[0])


async def test_copies_slack_would_not_delete_are_removed_by_the_sweep(rig: Rig) -> None:
    requester_root, supporter_root = await anonymous_conversation(rig)
    await say(rig, REQUESTER, requester_root, "First.", "Second.")
    # Enough 503s to outlast the client's own retries of the first delete.
    rig.slack.inject("chat.delete", *[Fault(status=503, error="service_unavailable", retry_after=None)] * 3)
    await rig.command(REQUESTER, "cancel")
    await rig.settle()
    assert len(copies(rig, supporter_root)) == 2, "Slack refused the delete"

    await rig.app.sweep()
    await rig.settle()
    assert copies(rig, supporter_root) == []
    deletes = len(rig.slack.calls_of("chat.delete"))
    await rig.app.sweep()
    assert len(rig.slack.calls_of("chat.delete")) == deletes, "nothing is left to delete"
