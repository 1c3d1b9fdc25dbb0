"""Hostile and malformed input, generated: never a 500 or a hang, never a change the sender may not make.

Each property runs against the real app over HTTP, in the world of ``tests/world.py``. For
every generated request the app must answer 2xx or 4xx within the time Slack waits, ``/healthz``
must stay 200, nothing that belongs to someone else may change in the database, and nothing
the sender may not see (another person's name or note) may reach them. The number of examples
comes from the Hypothesis profile (``HYPOTHESIS_PROFILE=deep`` for a long run).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers import FEATURES
from handlers.announcements.ids import AnnouncementAction, AnnouncementCallback, AnnouncementField
from handlers.care.ids import CareAction
from handlers.concerns.ids import ConcernAction, ConcernCallback, ConcernField
from handlers.incidents.ids import IncidentAction
from handlers.relay.ids import RelayAction, RelayCallback, RelayField
from handlers.requests.ids import RequestAction, RequestCallback, RequestField
from handlers.roster.ids import RosterAction
from tests.rig import SIGNING_SECRET, Response, Rig, sign
from tests.world import (
    ADDED_ADMINISTRATOR,
    ADDED_COORDINATOR,
    CONCERN_NOTE,
    CONCERN_SUBJECT,
    NOTES,
    REQUESTERS,
    ROLES,
    VOLUNTEER,
    WORLD_SETTINGS,
    World,
    build_world,
    snapshot,
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Slack gives up after three seconds; a request still unanswered after ten is a hang.
HANG = 10.0
SEEDED = {
    *ROLES.values(),
    *REQUESTERS,
    "UCOORD2",
    ADDED_COORDINATOR,
    ADDED_ADMINISTRATOR,
    VOLUNTEER,
    CONCERN_SUBJECT,
}

# Who sends the hostile requests: an outsider, a requester with an open request, a supporter
# who holds nothing, or anyone at all (never a coordinator or the supporter the world's offers
# belong to, whose legitimate clicks would change what the world protects).
actors = st.one_of(
    st.sampled_from(["UATTACK", REQUESTERS[1], ROLES["supporter"]]),
    st.from_regex(r"\A[UW][A-Z0-9]{2,12}\Z").filter(lambda u: u not in SEEDED),
)
small_text = st.text(max_size=40)
huge_text = st.integers(min_value=3_000, max_value=120_000).map(lambda n: "é" * n)
texts = st.one_of(small_text, huge_text, st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | small_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(small_text, inner, max_size=4),
    max_leaves=12,
)

SUBCOMMANDS = [
    "", "help", "resources", "status", "cancel", "available", "away", "afterhours", "roster",
    "incident", "stats", "export", "audit", "log",
]  # fmt: skip
WORDS = ["add", "remove", "list", "close", "until", "on", "off", "trained", "2026-12-31", "#1", "3", "30d"]
slash_text = st.one_of(
    texts,
    st.tuples(
        st.sampled_from(SUBCOMMANDS),
        st.lists(st.one_of(st.sampled_from(WORDS), small_text, st.sampled_from(["<@UASG|a>", "<@U1>"]))),
    ).map(lambda t: " ".join([t[0], *t[1]])),
)

# Every identifier of every feature (the features' enums, as registered).
_ALL_ACTIONS = [a for f in FEATURES for enum in f.actions for a in enum]
_ALL_CALLBACKS = [c for f in FEATURES for enum in f.callbacks for c in enum]
_ALL_FIELDS = [b for f in FEATURES for enum in f.fields for b in enum]


def _refs(world: World) -> st.SearchStrategy[str]:
    """Button values and private_metadata: real ids of other people's things, tampered ones, junk."""
    ids = st.sampled_from(
        [world.held_offer, world.open_offer, world.held_request, world.offered_request,
         world.escalated_request, world.checkin, world.care_checkin, world.conversation,
         world.concern, world.event, world.volunteer, 0, -1, 2**63, 10**30]
    )  # fmt: skip
    keys = st.sampled_from(
        [
            "offer_id",
            "request_id",
            "message_id",
            "conversation_id",
            "concern_id",
            "announcement_id",
            "volunteer_id",
        ]
    )
    return st.one_of(
        st.builds(lambda k, i: json.dumps({k: i}), keys, ids),
        st.builds(lambda k, i: json.dumps({k: str(i), "extra": True}), keys, ids),
        st.builds(json.dumps, json_values),
        texts,
    )


def _elements() -> st.SearchStrategy[Any]:
    kinds = st.sampled_from(
        ["static_select", "radio_buttons", "users_select", "multi_users_select", "checkboxes",
         "channels_select", "datepicker", "timepicker", "plain_text_input", "mystery"]
    )  # fmt: skip
    value = st.one_of(json_values, texts, st.sampled_from(["trauma", "asap", "slack", "UASG", "2026-11-29"]))
    element = st.fixed_dictionaries(
        {"type": kinds},
        optional={
            "value": value,
            "selected_option": st.one_of(json_values, st.fixed_dictionaries({"value": value})),
            "selected_user": value,
            "selected_users": st.one_of(json_values, st.lists(value, max_size=3)),
            "selected_options": json_values,
            "selected_date": value,
            "selected_time": value,
            "selected_channel": value,
        },
    )
    return st.one_of(element, json_values)


def _views(world: World) -> st.SearchStrategy[Any]:
    state_values = st.one_of(
        st.dictionaries(
            st.one_of(st.sampled_from(_ALL_FIELDS), small_text),
            st.one_of(st.dictionaries(small_text, _elements(), max_size=2), json_values),
            max_size=8,
        ),
        json_values,
    )
    view = st.fixed_dictionaries(
        {"callback_id": st.one_of(st.sampled_from(_ALL_CALLBACKS), small_text)},
        optional={
            "id": small_text,
            "private_metadata": st.one_of(_refs(world), json_values),
            "state": st.one_of(st.fixed_dictionaries({"values": state_values}), json_values),
            "type": st.sampled_from(["modal", "home"]),
            "app_installed_team_id": json_values,
            "team_id": json_values,
        },
    )
    return st.one_of(view, json_values)


def _actions(world: World) -> st.SearchStrategy[Any]:
    action = st.fixed_dictionaries(
        {"action_id": st.one_of(st.sampled_from(_ALL_ACTIONS), small_text)},
        optional={
            "value": st.one_of(_refs(world), json_values),
            "type": st.sampled_from(["button", "static_select", "overflow"]),
            "block_id": small_text,
            "action_ts": small_text,
        },
    )
    return st.one_of(st.lists(action, min_size=1, max_size=3), st.lists(action, max_size=0), json_values)


def interactivity(world: World) -> st.SearchStrategy[dict[str, Any]]:
    """Interactivity payloads with missing fields, wrong types, huge strings and crafted values."""
    user = st.one_of(
        st.builds(lambda u: {"id": u, "username": "x", "team_id": "T111"}, actors),
        st.builds(lambda u: {"id": u}, actors),
        st.dictionaries(small_text, json_values, max_size=3),
    )
    return st.fixed_dictionaries(
        {
            "type": st.one_of(
                st.sampled_from(
                    ["block_actions", "view_submission", "view_closed", "shortcut", "message_action"]
                ),
                small_text,
            ),
            "user": user,
        },
        optional={
            "actions": _actions(world),
            "view": _views(world),
            "trigger_id": st.one_of(small_text, json_values),
            "container": st.one_of(
                st.fixed_dictionaries(
                    {"channel_id": st.sampled_from(["DATTACK", "DASG", "C1"]), "message_ts": small_text}
                ),
                json_values,
            ),
            "channel": json_values,
            "team": json_values,
            "enterprise": json_values,
            "authorizations": json_values,
            "response_url": json_values,
            "callback_id": small_text,
            "api_app_id": json_values,
            "is_enterprise_install": json_values,
        },
    )


def slash_forms() -> st.SearchStrategy[dict[str, Any]]:
    """Slash command forms: any text, any subcommand, missing and extra fields."""
    return st.fixed_dictionaries(
        {
            "command": st.one_of(st.just("/peer"), st.sampled_from(["/PEER", "/other", ""]), small_text),
            "user_id": actors,
        },
        optional={
            "text": slash_text,
            "trigger_id": small_text,
            "channel_id": small_text,
            "team_id": small_text,
            "response_url": small_text,
            "enterprise_id": small_text,
            "is_enterprise_install": small_text,
            small_text.filter(lambda k: k not in {"payload", "command", "user_id"}): texts,  # type: ignore[dict-item]
        },
    )


def event_envelopes() -> st.SearchStrategy[dict[str, Any]]:
    """Events API envelopes (home tab opened, and anything else) with odd fields."""
    event = st.fixed_dictionaries(
        {"type": st.one_of(st.just("app_home_opened"), small_text)},
        optional={"user": st.one_of(actors, json_values), "tab": st.sampled_from(["home", "messages", ""]),
                  "channel": json_values, "event_ts": json_values, "team": json_values},
    )  # fmt: skip
    return st.fixed_dictionaries(
        {"type": st.just("event_callback"), "event": event},
        optional={"event_id": json_values, "team_id": json_values, "authorizations": json_values,
                  "is_ext_shared_channel": st.booleans(), "enterprise_id": json_values},
    )  # fmt: skip


# What the app answered, over every generated request of this module (a figure of the run).
ANSWERS: Counter[int] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_answers(figures) -> Iterator[None]:
    yield
    by_status = ", ".join(f"{status}: {n}" for status, n in sorted(ANSWERS.items()))
    errors = sum(n for status, n in ANSWERS.items() if status >= 500)
    figures(f"hostile input: {sum(ANSWERS.values())} generated requests ({by_status}); 5xx: {errors}")


@pytest.fixture
async def world_rig(start_app) -> tuple[Rig, World]:
    rig = await start_app(**WORLD_SETTINGS)
    return rig, await build_world(rig)


async def answered(rig: Rig, send: Any) -> Response:
    """The app's answer; a request it leaves hanging fails the test."""
    try:
        response = await asyncio.wait_for(send, timeout=HANG)
    except TimeoutError:
        pytest.fail("the app left a request hanging")
    ANSWERS[response.status] += 1
    return response


async def assert_unharmed(rig: Rig, before: dict, actor: str, response: Response) -> None:
    """The properties every hostile request must keep."""
    assert response.status < 500, (response.status, response.text[:300])
    await rig.settle()
    assert (await rig.health()).status == 200
    assert await snapshot(rig.app.db, except_owned_by=actor) == before, "someone else's data changed"
    secrets = [
        x
        for x in (*REQUESTERS, *NOTES, CONCERN_SUBJECT, CONCERN_NOTE)
        if x != actor and not (actor == REQUESTERS[1] and x == NOTES[1])
    ]
    seen = response.text + json.dumps([c.params for c in rig.slack.calls_for(actor)], default=str)
    assert not [s for s in secrets if s in seen], "the sender was shown someone else's request"


def actor_of(payload: Any) -> str:
    user = payload.get("user") if isinstance(payload, dict) else None
    uid = user.get("id") if isinstance(user, dict) else None
    return uid if isinstance(uid, str) else "UNOBODY"


async def interact_unharmed(rig: Rig, payload: dict[str, Any]) -> None:
    """Post an interactivity payload and check the properties for the user it names."""
    actor = actor_of(payload)
    before = await snapshot(rig.app.db, except_owned_by=actor)
    response = await answered(rig, rig.interact(payload))
    await assert_unharmed(rig, before, actor, response)


@given(form=slash_forms())
async def test_any_slash_command_is_answered_and_changes_only_the_senders_own_things(world_rig, form) -> None:
    rig, _ = world_rig
    actor = form["user_id"]
    before = await snapshot(rig.app.db, except_owned_by=actor)
    response = await answered(rig, rig.post(urlencode(form).encode(), FORM))
    await assert_unharmed(rig, before, actor, response)


@given(data=st.data())
async def test_any_interactivity_payload_is_answered_and_changes_nothing_of_others(world_rig, data) -> None:
    rig, world = world_rig
    await interact_unharmed(rig, data.draw(interactivity(world)))


def crafted_clicks(world: World) -> st.SearchStrategy[dict[str, Any]]:
    """Well-formed clicks and submissions by the wrong person, each naming a real id of its kind."""
    offers = [{"offer_id": world.held_offer}, {"offer_id": world.open_offer}]
    requests = [
        {"request_id": r} for r in (world.held_request, world.offered_request, world.escalated_request)
    ]
    targets = {
        RequestAction.ACCEPT: offers,
        RequestAction.PASS: offers,
        RequestAction.CLOSE: requests,
        RequestAction.HAND_BACK: requests,
        RequestAction.HAND_TO: requests,
        IncidentAction.CHECKIN_OK: [{"message_id": world.checkin}],
        IncidentAction.CHECKIN_TALK: [{"message_id": world.checkin}],
        IncidentAction.CHECKIN_STOP: [{"message_id": world.checkin}],
        RosterAction.AVAILABLE_AGAIN: [{}],
        RequestAction.OPEN_REQUEST: [{}],
        # The program's: a supporter's care check-in, the relayed conversation, a concern, an
        # event (RSVP is anyone's to make; editing and cancelling are not), a volunteer's offer.
        CareAction.CARE_OK: [{"message_id": world.care_checkin}],
        CareAction.CARE_TALK: [{"message_id": world.care_checkin}],
        RelayAction.RELAY_REVEAL: [{"conversation_id": world.conversation}],
        RelayAction.RELAY_END: [{"conversation_id": world.conversation}],
        RelayAction.RELAY_RENAME: [{"conversation_id": world.conversation}],
        ConcernAction.CONCERN_TAKE: [{"concern_id": world.concern}],
        ConcernAction.CONCERN_HAND_TO: [{"concern_id": world.concern}],
        AnnouncementAction.RSVP: [{"announcement_id": world.event}],
        AnnouncementAction.EVENT_EDIT: [{"announcement_id": world.event}],
        AnnouncementAction.EVENT_CANCEL: [{"announcement_id": world.event}],
        RosterAction.VOLUNTEER_APPROVE: [{"volunteer_id": world.volunteer}],
        RosterAction.VOLUNTEER_DECLINE: [{"volunteer_id": world.volunteer}],
    }
    click = st.builds(
        lambda user, target: {
            "type": "block_actions",
            "user": {"id": user},
            "trigger_id": "1.2.t",
            "container": {"type": "message", "channel_id": "D" + user[1:], "message_ts": "1.1"},
            "actions": [{"action_id": target[0], "value": json.dumps(target[1]), "type": "button"}],
        },
        actors,
        st.sampled_from([(action, ref) for action, refs in targets.items() for ref in refs]),
    )
    values = {
        RequestField.MINUTES: {"type": "plain_text_input", "value": "30"},
        RequestField.REFERRAL: {"type": "static_select", "selected_option": {"value": "none"}},
        RequestField.SUPPORTER: {"type": "users_select", "selected_user": "UASG"},
        ConcernField.CONCERN_SUPPORTER: {"type": "users_select", "selected_user": "UASG"},
        RelayField.LABEL: {"type": "plain_text_input", "value": "Sam"},
        AnnouncementField.EVENT_TITLE: {"type": "plain_text_input", "value": "Renamed"},
        AnnouncementField.EVENT_KIND: {"type": "static_select", "selected_option": {"value": "social"}},
        AnnouncementField.EVENT_DATE: {"type": "datepicker", "selected_date": "2026-12-18"},
        AnnouncementField.EVENT_START: {"type": "timepicker", "selected_time": "09:00"},
        AnnouncementField.EVENT_PLACE: {"type": "plain_text_input", "value": "Elsewhere"},
    }
    submission = st.builds(
        lambda user, target: {
            "type": "view_submission",
            "user": {"id": user},
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": target[0],
                "private_metadata": json.dumps(target[1]),
                "state": {"values": {block: {block: element} for block, element in values.items()}},
            },
        },
        actors,
        st.sampled_from(
            [(c, r) for c in (RequestCallback.CLOSE, RequestCallback.HAND_TO) for r in requests]
            + [
                (ConcernCallback.CONCERN_HAND_TO, {"concern_id": world.concern}),
                (AnnouncementCallback.EVENT_EDIT, {"announcement_id": world.event}),
                (RelayCallback.RELAY_RENAME, {"conversation_id": world.conversation}),
            ]
        ),
    )
    return st.one_of(click, submission)


# Cheap examples and the ones that matter most: several times the profile's count.
@settings(max_examples=max(4 * settings().max_examples, 100))
@given(data=st.data())
async def test_the_wrong_person_naming_real_ids_changes_nothing_and_learns_nothing(world_rig, data) -> None:
    rig, world = world_rig
    await interact_unharmed(rig, data.draw(crafted_clicks(world)))


@given(envelope=event_envelopes(), retry=st.sampled_from([None, 1, 2, 3]))
async def test_any_event_envelope_is_answered(world_rig, envelope, retry) -> None:
    rig, _ = world_rig
    # The person the event names (opening their own Home tab is theirs to record), else nobody.
    user = envelope["event"].get("user")
    actor = user if isinstance(user, str) else "UNOBODY"
    before = await snapshot(rig.app.db, except_owned_by=actor)
    headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
    response = await answered(rig, rig.post(json.dumps(envelope).encode(), JSON, headers=headers))
    await assert_unharmed(rig, before, actor, response)


def _valid_bodies() -> list[tuple[bytes, str]]:
    slash = urlencode({"command": "/peer", "user_id": "UATTACK", "text": "roster add <@UX|x>"}).encode()
    action = {
        "type": "block_actions",
        "user": {"id": "UATTACK"},
        "actions": [{"action_id": "offer_accept", "value": '{"offer_id": 2}'}],
        "container": {"channel_id": "DATTACK", "message_ts": "1.1"},
    }
    event = {"type": "event_callback", "event": {"type": "app_home_opened", "user": "UATTACK", "tab": "home"}}
    return [
        (slash, FORM),
        (urlencode({"payload": json.dumps(action)}).encode(), FORM),
        (json.dumps(event).encode(), JSON),
    ]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    """A valid body with bytes flipped, cut, or spliced in (then signed: only the shape is wrong)."""
    body, content_type = draw(st.sampled_from(_valid_bodies()))
    data = bytearray(body)
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, max(len(data) - 1, 0)))
        match draw(st.sampled_from(["flip", "cut", "splice"])):
            case "flip" if data:
                data[where] = draw(st.integers(0, 255))
            case "cut":
                del data[where : where + draw(st.integers(1, 40))]
            case _:
                data[where:where] = draw(st.binary(max_size=40))
    return bytes(data), draw(st.sampled_from([content_type, content_type, JSON, FORM, "text/plain", ""]))


@given(case=mutated())
async def test_mutated_bodies_are_refused_or_served_never_a_500(world_rig, case) -> None:
    rig, _ = world_rig
    body, content_type = case
    before = await snapshot(rig.app.db, except_owned_by="UATTACK")
    response = await answered(rig, rig.post(body, content_type))
    await assert_unharmed(rig, before, "UATTACK", response)


# Signatures: anything not signed with the secret over these exact bytes within five minutes is 401.


@given(
    body=st.binary(max_size=2000),
    secret=st.text(min_size=1, max_size=40).filter(lambda s: s != SIGNING_SECRET),
)
async def test_a_signature_made_with_any_other_secret_is_401(world_rig, body, secret) -> None:
    rig, _ = world_rig
    before = await snapshot(rig.app.db)
    ts = str(int(time.time()))
    response = await answered(rig, rig.post(body, FORM, timestamp=ts, signature=sign(secret, ts, body)))
    assert response.status == 401
    assert await snapshot(rig.app.db) == before


# 302, not 301: int() drops up to a second, and the server reads the clock a moment later.
@given(skew=st.one_of(st.integers(302, 10**9), st.integers(-(10**9), -302)))
async def test_a_correctly_signed_request_outside_five_minutes_is_401(world_rig, skew) -> None:
    rig, _ = world_rig
    body = urlencode({"command": "/peer", "user_id": "UATTACK", "text": "help"}).encode()
    response = await answered(rig, rig.post(body, FORM, timestamp=str(int(time.time()) + skew)))
    assert response.status == 401


header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
)


@given(timestamp=st.one_of(header_text, st.integers(0, 5000).map(lambda n: "1" * n), st.just("\u00b2" * 3)))
async def test_any_odd_timestamp_header_is_401_not_500(world_rig, timestamp) -> None:
    rig, _ = world_rig
    body = urlencode({"command": "/peer", "user_id": "UATTACK", "text": "help"}).encode()
    signature = sign(SIGNING_SECRET, timestamp, body)
    response = await answered(rig, rig.post(body, FORM, timestamp=timestamp, signature=signature))
    fresh = (
        timestamp.isascii()
        and timestamp.isdigit()
        and len(timestamp) < 20
        and abs(int(timestamp) - time.time()) <= 300
    )
    assert response.status == (200 if fresh else 401), (timestamp[:40], response.status)


@given(
    body=st.binary(min_size=1, max_size=500),
    edit=st.tuples(st.integers(0, 499), st.integers(0, 255)),
)
async def test_a_body_changed_after_signing_is_401(world_rig, body, edit) -> None:
    rig, _ = world_rig
    ts = str(int(time.time()))
    signature = sign(SIGNING_SECRET, ts, body)
    where, byte = edit
    changed = bytearray(body)
    changed[where % len(body)] ^= byte or 1
    response = await answered(rig, rig.post(bytes(changed), FORM, timestamp=ts, signature=signature))
    assert response.status == 401


async def test_missing_signature_headers_are_401(world_rig) -> None:
    rig, _ = world_rig
    body = urlencode({"command": "/peer", "user_id": "UATTACK", "text": "help"}).encode()
    ts = str(int(time.time()))
    signed = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(SIGNING_SECRET, ts, body)}
    for missing in signed:
        headers = {"Content-Type": FORM, **{k: v for k, v in signed.items() if k != missing}}
        async with rig.session.post(rig.url, data=body, headers=headers) as resp:
            assert resp.status == 401, missing
    async with rig.session.post(rig.url, data=body, headers={"Content-Type": FORM}) as resp:
        assert resp.status == 401
    async with rig.session.post(rig.url, data=body, headers={"Content-Type": FORM, **signed}) as resp:
        assert resp.status == 200  # the same request with both headers is served
