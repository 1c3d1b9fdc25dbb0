"""Hand over a resource: the holder of a request sends entries of the directory to the colleague."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.referrals import SHARE_MAX
from handlers.resources.blocks import share_value
from storage.models import Resource
from tests.flows import (
    REQUESTER,
    SUPPORTER,
    accept,
    add_supporters,
    anonymous_conversation,
    ask,
    root,
    thread,
)
from tests.rig import Rig, find_button, text_of
from tests.world import snapshot

OTHER = "USUP2"
NAMED_REQUESTER = "UEMP1"

ENTRIES = [
    {
        "name": "State Lawyer Assistance Program",
        "purpose": "Confidential help for lawyers with stress, substance use or mental health",
        "phone": "800-555-0142",
        "confidential": True,
        "topics": ["legal_profession", "substance_use"],
    },
    {
        "name": "Grief group at St. Luke's",
        "purpose": "A weekly group",
        "url": "https://g.example",
        "topics": ["grief"],
    },
    {"name": "Money advice line", "purpose": "Debt and budgeting", "phone": "555-0101", "topics": ["money"]},
    {
        "name": "Family therapy center",
        "purpose": "Couples and families",
        "phone": "555-0102",
        "topics": ["family"],
    },
    {
        "name": "Trauma clinic",
        "purpose": "EMDR and trauma therapy",
        "phone": "555-0103",
        "topics": ["trauma"],
    },
]


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(ENTRIES), encoding="utf-8")
    return path


async def entry(rig: Rig, name: str) -> Resource:
    assert rig.app.services is not None
    [found] = [e for e in await rig.app.services.directory.office_entries() if e.name.startswith(name)]
    return found


def option_values(view: dict[str, Any]) -> dict[str, list[str]]:
    """The share modal's groups: label → option values."""
    [select] = [b["element"] for b in view["blocks"] if b.get("block_id") == "share_resources"]
    return {g["label"]["text"]: [o["value"] for o in g["options"]] for g in select["option_groups"]}


def held_card(rig: Rig, supporter: str) -> Any:
    [card] = [m for m in rig.offers_to(supporter) if "request_share_resource" in text_of(m.blocks)]
    return card


async def open_share(rig: Rig, supporter: str) -> dict[str, Any]:
    opened = len(rig.slack.calls_of("views.open"))
    await rig.click(supporter, held_card(rig, supporter), "request_share_resource")
    await rig.settle()
    assert len(rig.slack.calls_of("views.open")) == opened + 1
    return rig.last_view("peer_share_resource")


def posts_since(rig: Rig, mark: int) -> list[Any]:
    return [c for c in rig.slack.calls[mark:] if c.method in {"chat.postMessage", "chat.postEphemeral"}]


async def named_held(rig: Rig, area: str = "grief") -> None:
    await add_supporters(rig, SUPPORTER)
    await ask(rig, NAMED_REQUESTER, area=area)
    await accept(rig, SUPPORTER)


async def test_a_named_request_gets_the_chosen_resources_in_the_colleagues_dm(
    start_app, seed_file: Path
) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    await named_held(rig, area="grief")
    view = await open_share(rig, SUPPORTER)
    groups = option_values(view)
    # The crisis lines first, then the request's own topic, then the others.
    assert list(groups)[:2] == ["Crisis lines", "Grief"]
    assert groups["Crisis lines"] == [share_value(-1, 0), share_value(-2, 0), share_value(-3, 0)]
    grief = await entry(rig, "Grief group")
    lap = await entry(rig, "State Lawyer")
    lap_values = [v for vs in groups.values() for v in vs if v.startswith(f"{lap.id}/")]
    assert len(lap_values) == 2, "listed under each of its topics"
    mark = len(rig.slack.calls)
    response = await rig.submit(
        SUPPORTER, view, {"share_resources": [groups["Grief"][0], *lap_values, "-1/0"]}
    )
    assert response.status == 200 and response.text == "", response.text
    await rig.settle()
    posts = posts_since(rig, mark)
    # One message to the colleague, one note to the supporter: DMs only, nothing in any channel.
    assert sorted(c.channel for c in posts) == sorted([NAMED_REQUESTER, SUPPORTER]), posts
    [to_requester] = [
        m for m in rig.slack.dms(NAMED_REQUESTER) if "thought these might help" in text_of(m.blocks)
    ]
    sent = text_of(to_requester.blocks)
    assert grief.name.split("'")[0] in sent and "800-555-0142" in sent and "988 Suicide" in sent
    assert sent.count("State Lawyer Assistance Program") == 1, "an entry picked twice is sent once"
    [note] = [m for m in rig.slack.dms(SUPPORTER) if "Sent to your colleague" in text_of(m.blocks)]
    assert "988 Suicide" in text_of(note.blocks) and "800-555" not in text_of(note.blocks)
    # The close modal's referral defaults to what was shared; the referral is recorded with the close.
    await rig.click(SUPPORTER, held_card(rig, SUPPORTER), "request_close")
    await rig.settle()
    close = rig.last_view("peer_request_close")
    [referral] = [b["element"] for b in close["blocks"] if b.get("block_id") == "referral"]
    assert referral["initial_option"]["value"] == "other"
    await rig.submit(SUPPORTER, close, {"minutes": "30", "referral": "other"})
    await rig.settle()
    assert rig.app.db is not None
    async with rig.app.db.read() as tx:
        cur = await tx.conn.execute("SELECT referral FROM contacts")
        assert [r[0] for r in await cur.fetchall()] == ["other"]


async def test_the_close_modal_still_defaults_to_none_without_a_share(start_app, seed_file: Path) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    await named_held(rig)
    await rig.click(SUPPORTER, held_card(rig, SUPPORTER), "request_close")
    await rig.settle()
    close = rig.last_view("peer_request_close")
    [referral] = [b["element"] for b in close["blocks"] if b.get("block_id") == "referral"]
    assert referral["initial_option"]["value"] == "none"


async def test_an_anonymous_request_gets_them_through_the_relay_revealing_nobody(
    start_app, seed_file: Path
) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    requester_root, supporter_root = await anonymous_conversation(rig)
    view = await open_share(rig, SUPPORTER)
    assert "thread of the conversation" in text_of(view["blocks"])
    trauma = await entry(rig, "Trauma clinic")
    groups = option_values(view)
    assert list(groups)[1] == "Trauma", "the request's own topic comes right after the crisis lines"
    mark = len(rig.slack.calls)
    response = await rig.submit(SUPPORTER, view, {"share_resources": [groups["Trauma"][0], "-2/0"]})
    assert response.status == 200 and response.text == ""
    await rig.settle()
    posts = posts_since(rig, mark)
    assert len(posts) == 2, posts
    [in_thread] = [c for c in posts if c.params.get("thread_ts")]
    assert in_thread.channel == requester_root.channel and in_thread.params["thread_ts"] == requester_root.ts
    [copy] = [m for m in thread(rig, requester_root) if "thought these might help" in text_of(m.blocks)]
    assert copy.user is None, "posted as the app"
    sent = text_of(copy.blocks)
    assert "Jordan, your peer supporter" in sent and trauma.name in sent and "741741" in sent
    # Nothing names either person: not the supporter to the colleague, not the colleague to the supporter.
    for call in posts:
        said = json.dumps([call.params.get("text"), call.params.get("blocks")])
        assert SUPPORTER not in said and REQUESTER not in said
    [note] = [c for c in posts if not c.params.get("thread_ts")]
    assert note.channel == SUPPORTER and "Sent to your colleague" in json.dumps(note.params)
    assert thread(rig, supporter_root) == [] or all(
        "thought these might help" not in text_of(m.blocks) for m in thread(rig, supporter_root)
    )
    assert root(rig, REQUESTER).ts == requester_root.ts


async def test_only_the_current_holder_can_share(start_app, seed_file: Path) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    await add_supporters(rig, OTHER)
    await named_held(rig)
    view = await open_share(rig, SUPPORTER)
    assert rig.app.db is not None
    before = await snapshot(rig.app.db)
    mark = len(rig.slack.calls)
    # Someone else replays the holder's modal: refused in the modal, nothing recorded or sent.
    for person in (OTHER, NAMED_REQUESTER, "UNOBODY"):
        response = await rig.submit(person, view, {"share_resources": ["-1/0"]})
        assert response.status == 200
        assert "no longer hold this request" in response.json["errors"]["share_resources"]
    # ... and their click on a copy of the held card's button opens nothing.
    card = held_card(rig, SUPPORTER)
    for person in (OTHER, NAMED_REQUESTER):
        await rig.click(person, card, "request_share_resource")
    await rig.settle()
    assert [c for c in rig.slack.calls[mark:] if c.method in {"views.open", "chat.postMessage"}] == []
    assert len([c for c in rig.slack.calls[mark:] if c.method == "chat.postEphemeral"]) == 2
    assert await snapshot(rig.app.db) == before
    # Once the holder hands the request back, their open modal no longer sends anything.
    await rig.click(SUPPORTER, card, "request_hand_back")
    await rig.settle()
    mark = len(rig.slack.calls)
    response = await rig.submit(SUPPORTER, view, {"share_resources": ["-1/0"]})
    assert "no longer hold this request" in response.json["errors"]["share_resources"]
    await rig.settle()
    assert not [c for c in posts_since(rig, mark) if c.channel == NAMED_REQUESTER]


async def test_the_selection_is_bounded_and_checked(start_app, seed_file: Path) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    await named_held(rig)
    view = await open_share(rig, SUPPORTER)
    [select] = [b["element"] for b in view["blocks"] if b.get("block_id") == "share_resources"]
    assert select["max_selected_items"] == SHARE_MAX
    everything = list(dict.fromkeys(v.split("/")[0] for vs in option_values(view).values() for v in vs))
    firsts = {v.split("/")[0]: v for vs in reversed(list(option_values(view).values())) for v in vs}
    assert len(everything) > SHARE_MAX
    assert rig.app.db is not None
    before = await snapshot(rig.app.db)
    mark = len(rig.slack.calls)
    too_many = await rig.submit(SUPPORTER, view, {"share_resources": [firsts[i] for i in everything]})
    assert f"at most {SHARE_MAX}" in too_many.json["errors"]["share_resources"]
    # Crafted values: not ours, an entry that isn't there, too many of them, none at all.
    crafted = {**view, "blocks": json.loads(json.dumps(view["blocks"]))}
    [select] = [b["element"] for b in crafted["blocks"] if b.get("block_id") == "share_resources"]
    extra = ["x/1", "99999/1", *(f"-1/{n}" for n in range(60))]
    select["option_groups"].append(
        {
            "label": {"type": "plain_text", "text": "x"},
            "options": [{"text": {"type": "plain_text", "text": v}, "value": v} for v in extra],
        }
    )
    for values, error in (
        (["x/1"], "choose from the list"),
        (["99999/1"], "no longer in the directory"),
        ([f"-1/{n}" for n in range(60)], "choose from the list"),
        ([], "at least one"),
    ):
        response = await rig.submit(SUPPORTER, crafted, {"share_resources": values})
        assert error in response.json["errors"]["share_resources"], (values, response.text)
    await rig.settle()
    assert posts_since(rig, mark) == []
    assert await snapshot(rig.app.db) == before
    exactly = await rig.submit(
        SUPPORTER, view, {"share_resources": [firsts[i] for i in everything[:SHARE_MAX]]}
    )
    assert exactly.text == ""


async def test_the_holders_home_has_share_a_resource(start_app, seed_file: Path) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    await named_held(rig)
    await rig.event({"type": "app_home_opened", "user": SUPPORTER, "tab": "home"})
    await rig.settle()
    home = rig.slack.home_views[SUPPORTER]
    _, button = find_button(home["blocks"], "request_share_resource")
    assert json.loads(button["value"])["request_id"] > 0
    opened = len(rig.slack.calls_of("views.open"))
    await rig.home_click(SUPPORTER, "request_share_resource")
    await rig.settle()
    assert len(rig.slack.calls_of("views.open")) == opened + 1
    assert rig.last_view("peer_share_resource")["callback_id"] == "peer_share_resource"


async def test_the_same_share_submitted_twice_sends_once(start_app, seed_file: Path) -> None:
    rig = await start_app(peer_resources_file=str(seed_file))
    await named_held(rig)
    view = await open_share(rig, SUPPORTER)
    # Refused inline first (nothing chosen): the same modal, corrected, still goes.
    refused = await rig.submit(SUPPORTER, view, {"share_resources": []})
    assert "choose at least one" in refused.json["errors"]["share_resources"]
    answers = await asyncio.gather(
        rig.submit(SUPPORTER, view, {"share_resources": ["-1/0"]}),
        rig.submit(SUPPORTER, view, {"share_resources": ["-1/0"]}),
    )
    await rig.settle()
    assert [a.status for a in answers] == [200, 200] and all(a.text == "" for a in answers)
    sent = [m for m in rig.slack.dms(NAMED_REQUESTER) if "thought these might help" in text_of(m.blocks)]
    notes = [m for m in rig.slack.dms(SUPPORTER) if "Sent to your colleague" in text_of(m.blocks)]
    assert len(sent) == 1 and len(notes) == 1
    # A new modal is a new share.
    await rig.submit(SUPPORTER, await open_share(rig, SUPPORTER), {"share_resources": ["-2/0"]})
    await rig.settle()
    assert (
        len([m for m in rig.slack.dms(NAMED_REQUESTER) if "thought these might help" in text_of(m.blocks)])
        == 2
    )
