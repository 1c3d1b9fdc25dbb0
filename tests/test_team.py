"""Supporters' profiles and the team directory (issue 17): edited from Home, shown to everyone,
filtered by role, tag and language; only supporters who could be offered a request are listed."""

from __future__ import annotations

import copy
from typing import Any

from tests.flows import COORDINATOR, accept, add_supporters, ask
from tests.rig import Response, Rig, has_button, text_of
from tests.test_home import home_blocks, open_home

PROFILE = {
    "profile_role": "Attorney",
    "profile_unit": "Homicide",
    "profile_location": "Downtown, 4th floor",
    "profile_languages": "English, Spanish",
    "profile_tags": ["homicide trials", "loss of a parent"],
    "profile_other_tags": "night court",
    "profile_about": "Twenty years of trials. I listen first.",
}


def ephemeral(response: Response) -> str:
    assert response.status == 200, response.text
    assert response.json["response_type"] == "ephemeral"
    return str(response.json["text"])


async def edit_profile(rig: Rig, user: str, **changes: Any) -> Response:
    """The supporter opens their Home, clicks Edit profile and saves the modal with ``changes``."""
    await open_home(rig, user)
    clicked = await rig.home_click(user, "home_edit_profile")
    assert clicked.status == 200
    await rig.settle()
    view = rig.last_view("peer_profile")
    submitted = await rig.submit(user, view, {**PROFILE, **changes})
    await rig.settle()
    return submitted


async def profile_row(rig: Rig, user: str) -> tuple[Any, ...] | None:
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute(
            "SELECT role, unit, location, about FROM supporters WHERE user_id = ?", (user,)
        )
        row = await cur.fetchone()
        traits = await tx.profiles.traits([user])
    return None if row is None else (*tuple(row), traits.get(user, {}))


async def test_a_supporter_edits_their_profile_from_home_and_everyone_sees_it(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    submitted = await edit_profile(rig, "USUP1")
    assert submitted.status == 200 and submitted.text == "", submitted.text

    role, unit, location, about, traits = await profile_row(rig, "USUP1")  # type: ignore[misc]
    assert (role, unit, location, about) == (
        "Attorney",
        "Homicide",
        "Downtown, 4th floor",
        PROFILE["profile_about"],
    )
    assert traits["language"] == ["English", "Spanish"]
    assert traits["tag"] == ["homicide trials", "loss of a parent", "night court"]

    # The modal opens again filled in with what was saved.
    await rig.home_click("USUP1", "home_edit_profile")
    await rig.settle()
    again = text_of(rig.last_view("peer_profile")["blocks"])
    assert "night court" in again and "Twenty years of trials" in again and "Homicide" in again

    # An employee sees the profile in the directory and on their Home; Slack draws the name.
    listed = ephemeral(await rig.command("UEMP1", "team"))
    assert "<@USUP1> · Attorney, Homicide · Downtown, 4th floor" in listed
    assert "Speaks English, Spanish" in listed and "night court" in listed and "I listen first" in listed
    assert "Available now" in listed
    shown = text_of(home_blocks(rig, "USUP1"))
    assert "Your profile in the team directory" in shown
    employee_home = await open_home(rig, "UEMP1")
    assert "The peer support team" in employee_home and "I listen first" in employee_home
    assert not has_button(home_blocks(rig, "UEMP1"), "home_edit_profile")
    # Nothing of Slack's profile (name, photo) was stored.
    async with rig.app.db.read() as tx:  # type: ignore[union-attr]
        cur = await tx.conn.execute("SELECT * FROM supporters WHERE user_id = 'USUP1'")
        stored = str(tuple(await cur.fetchone()))
    assert "Person" not in stored and "image" not in stored


async def test_bad_profile_input_is_shown_at_its_field_and_nothing_is_saved(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    submitted = await edit_profile(
        rig,
        "USUP1",
        profile_role="Judge",  # a crafted option: not one of PEER_ROLES
        profile_about="x" * 301,
        profile_languages="a, b, c, d, e, f",
        profile_other_tags=", ".join(f"tag {n}" for n in range(9)),
    )
    errors = submitted.json["errors"]
    assert set(errors) == {"profile_role", "profile_about", "profile_languages", "profile_other_tags"}
    assert "300 characters" in errors["profile_about"] and "at most 5" in errors["profile_languages"]
    assert await profile_row(rig, "USUP1") == (None, None, None, None, {})

    # A tag typed too long, and a suggested tag that isn't one (an option added to a crafted payload).
    view = copy.deepcopy(rig.last_view("peer_profile"))
    [tags] = [b for b in view["blocks"] if b.get("block_id") == "profile_tags"]
    tags["element"]["options"].append({"text": {"type": "plain_text", "text": "made up"}, "value": "made up"})
    values = {**PROFILE, "profile_other_tags": "y" * 41, "profile_tags": ["made up"]}
    submitted = await rig.submit("USUP1", view, values)
    assert set(submitted.json["errors"]) == {"profile_other_tags", "profile_tags"}
    assert await profile_row(rig, "USUP1") == (None, None, None, None, {})


async def test_only_supporters_have_a_profile_to_edit(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    await edit_profile(rig, "USUP1")
    # An employee crafts the Edit click, or the modal's submission: refused, nothing stored for them.
    await open_home(rig, "UEMP1")
    response = await rig.home_click("UEMP1", "home_edit_profile", home_of="USUP1")
    assert response.status == 200
    await rig.settle()
    assert "for peer supporters on the roster" in text_of(
        rig.slack.calls_of("views.open")[-1].params["view"]["blocks"]
    )
    view = rig.last_view("peer_profile")
    refused = await rig.submit("UEMP1", view, PROFILE)
    assert "for peer supporters on the roster" in str(refused.json["errors"])
    assert await profile_row(rig, "UEMP1") is None
    # /peer profile opens the same modal for a supporter, and is refused to others.
    assert "for peer supporters" in ephemeral(await rig.command("UEMP1", "profile"))


async def test_coordinators_set_role_and_unit_and_nobody_else_can(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", "USUP2")
    said = ephemeral(await rig.command(COORDINATOR, "roster role <@USUP1|a> <@USUP2|b> victim ADVOCATE"))
    assert "Set the role of" in said
    said = ephemeral(await rig.command(COORDINATOR, "roster unit <@USUP1|a> <@UNOPE|c> Juvenile  division"))
    assert "Set the unit of" in said and "Not on the roster: <@UNOPE>" in said
    assert (await profile_row(rig, "USUP1"))[:2] == ("Victim advocate", "Juvenile division")  # type: ignore[index]
    assert (await profile_row(rig, "USUP2"))[:2] == ("Victim advocate", None)  # type: ignore[index]
    assert "Choose one of: Attorney" in ephemeral(
        await rig.command(COORDINATOR, "roster role <@USUP1|a> Judge")
    )
    assert "Use `/peer roster role" in ephemeral(await rig.command(COORDINATOR, "roster role <@USUP1|a>"))
    # A supporter cannot set roles, not even their own.
    assert "only program coordinators" in ephemeral(
        await rig.command("USUP1", "roster role <@USUP1|a> Attorney")
    )
    assert "only program coordinators" in ephemeral(
        await rig.command("USUP2", "roster unit <@USUP2|a> Appeals")
    )
    assert (await profile_row(rig, "USUP2"))[:2] == ("Victim advocate", None)  # type: ignore[index]
    audit = ephemeral(await rig.command(COORDINATOR, "audit"))
    assert "role set" in audit and "unit set" in audit


async def test_the_directory_lists_who_could_be_offered_and_filters(start_app) -> None:
    rig = await start_app(peer_training_valid_days=365)
    await add_supporters(rig, "USUP1", "USUP2", "USUP3", "USUP4")
    await add_supporters(rig, "USUP5", trained="2025-01-01")  # lapsed
    await add_supporters(rig, "USUP6", trained=None)  # in training
    await edit_profile(rig, "USUP1")
    await edit_profile(
        rig,
        "USUP2",
        profile_role="Victim advocate",
        profile_unit="Juvenile",
        profile_languages="Vietnamese",
        profile_tags=["crimes against children"],
        profile_other_tags=None,
        profile_about=None,
    )
    await edit_profile(
        rig,
        "USUP3",
        profile_role="Investigator",
        profile_tags=[],
        profile_other_tags=None,
        profile_languages=None,
    )
    await rig.command(COORDINATOR, "roster suspend <@USUP4|d>")
    await rig.command("USUP3", "away")
    await rig.settle()

    everyone = ephemeral(await rig.command("UEMP1", "team"))
    assert all(f"<@{u}>" in everyone for u in ("USUP1", "USUP2", "USUP3"))
    assert all(f"<@{u}>" not in everyone for u in ("USUP4", "USUP5", "USUP6"))
    assert "The peer support team* (3)" in everyone
    usup3 = everyone.split("<@USUP3>")[1].split("\n\n")[0]
    assert "Not available right now" in usup3

    assert _listed(ephemeral(await rig.command("UEMP1", "team role victim advocate"))) == {"USUP2"}
    assert _listed(ephemeral(await rig.command("UEMP1", "team tag homicide"))) == {"USUP1"}
    assert _listed(ephemeral(await rig.command("UEMP1", "team language spanish"))) == {"USUP1"}
    assert _listed(
        ephemeral(await rig.command("UEMP1", "team language: vietnamese role Victim Advocate"))
    ) == {"USUP2"}
    assert _listed(ephemeral(await rig.command("UEMP1", "team investigator"))) == {"USUP3"}
    nobody = ephemeral(await rig.command("UEMP1", "team language klingon"))
    assert "No peer supporter matches" in nobody and "<@" not in nobody


async def test_the_directory_shows_no_request_and_nobody_who_asked(start_app) -> None:
    rig = await start_app(peer_supporter_capacity=1)  # one request fills them up
    note = "Please keep this between us."
    await add_supporters(rig, "USUP1")
    await edit_profile(rig, "USUP1")
    await ask(rig, "UREQ1", note=note)
    for viewer in ("UEMP1", "USUP1", COORDINATOR):
        listed = ephemeral(await rig.command(viewer, "team"))
        assert "UREQ1" not in listed and note not in listed and "#1" not in listed
        shown = (
            text_of(home_blocks(rig, viewer))
            if viewer in rig.slack.home_views
            else await open_home(rig, viewer)
        )
        directory = shown.split("The peer support team")[1]
        assert "UREQ1" not in directory and note not in directory
    # Taking a request does not show: "available now" never follows a supporter's load.
    before = ephemeral(await rig.command("UEMP1", "team"))
    await accept(rig, "USUP1")
    assert ephemeral(await rig.command("UEMP1", "team")) == before


def _listed(text: str) -> set[str]:
    return {part.split(">")[0] for part in text.split("<@")[1:]}
