"""Block Kit builders: pure, valid for Slack, and blind where they must be."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.ports import EscalationCard, NoteKind, OfferCard, RelayedText, ThreadCard, ThreadNote
from handlers.relay import blocks as relay_blocks
from handlers.requests import blocks as rb
from storage.models import Area, ContactMode, ConversationEnd, OfferState, Side, Urgency

TZ = ZoneInfo("UTC")
WHEN = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def card(state: OfferState, **kw) -> OfferCard:
    base = {
        "offer_id": 7,
        "request_id": 3,
        "state": state,
        "area": Area.GRIEF,
        "urgency": Urgency.ASAP,
        "contact": ContactMode.PHONE,
        "expires_at": WHEN,
    }
    return OfferCard(**{**base, **kw})


def test_an_open_offer_never_renders_identity_even_if_handed_it() -> None:
    rendered = json.dumps(rb.offer_message(card(OfferState.OPEN, requester_id="UWHO", note="secret"), tz=TZ))
    assert "UWHO" not in rendered and "secret" not in rendered
    assert "offer_accept" in rendered and "offer_pass" in rendered


def test_a_held_offer_shows_the_note_as_plain_text_so_it_cannot_ping_anyone() -> None:
    blocks = rb.offer_message(
        card(OfferState.ACCEPTED, requester_id="UWHO", note="<!channel> hi <@U1>"), tz=TZ
    )
    note_block = next(b for b in blocks if "<!channel>" in json.dumps(b))
    assert note_block["text"]["type"] == "plain_text"


@pytest.mark.parametrize("state", list(OfferState))
def test_every_offer_state_renders_valid_blocks(state: OfferState) -> None:
    blocks = rb.offer_message(card(state, requester_id="UWHO", note="n", minutes=30), tz=TZ)
    assert 0 < len(blocks) <= 50
    if state not in (OfferState.ACCEPTED,):
        assert "UWHO" not in json.dumps(blocks)


def test_escalation_alert_carries_no_identity_fields() -> None:
    blocks = rb.escalation_alert(
        EscalationCard(request_id=3, area=Area.HEALTH, urgency=Urgency.NO_RUSH, waiting_since=WHEN), tz=TZ
    )
    rendered = json.dumps(blocks)
    assert "Health" in rendered and "No rush" in rendered and "<@" not in rendered


def test_modals_fit_slacks_limits() -> None:
    for view in (
        rb.request_modal(note_max_length=500),
        rb.close_modal(request_id=1),
        rb.hand_to_modal(request_id=1),
        relay_blocks.rename_modal(conversation_id=1, label="Jordan"),
    ):
        assert len(view["title"]["text"]) <= 24
        assert len(view["blocks"]) <= 100
        assert len(json.dumps(view)) < 250_000


def test_an_anonymous_card_never_renders_identity_even_if_handed_it() -> None:
    for state in OfferState:
        blocks = rb.offer_message(card(state, requester_id="UWHO", note="n", anonymous=True), tz=TZ)
        assert "UWHO" not in json.dumps(blocks)
    held = json.dumps(rb.offer_message(card(OfferState.ACCEPTED, anonymous=True, note="n"), tz=TZ))
    assert "a colleague (anonymous)" in held and "request_close" in held and "Phone call" not in held


def test_the_close_modal_offers_no_reminder_for_an_anonymous_colleague() -> None:
    assert "follow_up_days" in json.dumps(rb.close_modal(request_id=1))
    assert "follow_up_days" not in json.dumps(rb.close_modal(request_id=1, follow_up=False))


@pytest.mark.parametrize("side", list(Side))
@pytest.mark.parametrize("ended_by", [None, *ConversationEnd])
def test_thread_roots_render_for_every_state_and_have_buttons_only_while_open(
    side: Side, ended_by: ConversationEnd | None
) -> None:
    root = ThreadCard(conversation_id=4, request_id=3, side=side, supporter_label="<Jo>", ended_by=ended_by)
    blocks = relay_blocks.thread_root(root)
    rendered = json.dumps(blocks)
    assert 0 < len(blocks) <= 50 and "<Jo>" not in rendered and "&lt;Jo&gt;" in rendered
    assert ("relay_end" in rendered) == (ended_by is None)
    assert ("relay_reveal" in rendered) == (ended_by is None and side == Side.REQUESTER)


@pytest.mark.parametrize("kind", list(NoteKind))
@pytest.mark.parametrize("side", list(Side))
def test_every_note_renders_for_both_sides(kind: NoteKind, side: Side) -> None:
    note = ThreadNote(kind, side, supporter_label="Jo")
    blocks = relay_blocks.relay_note(note, resources=["Call or text 988"])
    assert 0 < len(blocks) <= 50
    if kind == NoteKind.HAS_ENDED:
        assert "988" in json.dumps(blocks)


def test_a_long_message_is_relayed_whole_in_sections_that_fit() -> None:
    text = ("word " * 1500 + "\n") * 3  # about 22,500 characters
    blocks = relay_blocks.relayed_message(RelayedText(sender=Side.REQUESTER, supporter_label="Jo", text=text))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections) and "".join(sections) == text
    assert blocks[0]["type"] == "context" and "Anonymous colleague" in json.dumps(blocks[0])


def test_the_relayed_text_never_appears_in_a_repr() -> None:
    message = RelayedText(sender=Side.SUPPORTER, supporter_label="Jo", text="secret words")
    assert "secret words" not in repr(message)
