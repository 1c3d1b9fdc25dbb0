"""Block Kit builders: pure, valid for Slack, and blind where they must be."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.ports import EscalationCard, OfferCard
from handlers.blocks import requests as rb
from storage.models import Area, ContactMode, OfferState, Urgency

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
    ):
        assert len(view["title"]["text"]) <= 24
        assert len(view["blocks"]) <= 100
        assert len(json.dumps(view)) < 250_000
