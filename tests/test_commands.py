"""/peer subcommands: every answer ephemeral, roles respected, bad input answered politely."""

from __future__ import annotations

from datetime import timedelta

from tests.flows import COORDINATOR, accept, add_supporters, ask, only_open_offer
from tests.rig import Rig, text_of


def ephemeral(response) -> str:
    assert response.status == 200
    assert response.json["response_type"] == "ephemeral"
    return response.json["text"]


async def test_help_is_tailored_to_the_callers_role(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    anyone = ephemeral(await rig.command("UANYONE", "help"))
    supporter = ephemeral(await rig.command("USUP1", "help"))
    coordinator = ephemeral(await rig.command(COORDINATOR, "help"))

    assert "/peer status" in anyone and "/peer away" not in anyone and "/peer roster" not in anyone
    assert "/peer away" in supporter and "/peer roster" not in supporter
    assert "/peer roster add" in coordinator


async def test_unknown_subcommand_gets_help_not_an_error(rig: Rig) -> None:
    text = ephemeral(await rig.command("UANYONE", "frobnicate now"))
    assert "I don't know `/peer frobnicate`" in text and "/peer status" in text


async def test_resources_include_988_and_eap(rig: Rig) -> None:
    text = ephemeral(await rig.command("UANYONE", "resources"))
    assert "988" in text and "Employee Assistance Program" in text


async def test_resources_are_configurable(start_app) -> None:
    rig = await start_app(peer_resources=["Office EAP: 555-0100", "988 Suicide & Crisis Lifeline"])
    text = ephemeral(await rig.command("UANYONE", "resources"))
    assert "Office EAP: 555-0100" in text


async def test_status_and_cancel_of_my_request(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    assert "don't have an open request" in ephemeral(await rig.command("UREQ1", "status"))
    await ask(rig, "UREQ1")
    assert "being offered" in ephemeral(await rig.command("UREQ1", "status"))
    await accept(rig, "USUP1")
    assert "<@USUP1>" in ephemeral(await rig.command("UREQ1", "status"))

    assert "was withdrawn" in ephemeral(await rig.command("UREQ1", "cancel"))
    await rig.settle()
    # The supporter who held it is told, and the DM no longer names the requester.
    assert "was withdrawn by the person who made it" in text_of(rig.slack.dms("USUP1")[-1].blocks)
    [offer] = rig.offers_to("USUP1")
    assert "<@UREQ1>" not in text_of(rig.slack.message(offer.channel, offer.ts).blocks)
    assert "don't have an open request" in ephemeral(await rig.command("UREQ1", "cancel"))


async def test_cancel_withdraws_open_offers(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", "USUP2", "USUP3")
    await ask(rig, "UREQ1", urgency="asap")
    offers = [only_open_offer(rig, s) for s in ("USUP1", "USUP2", "USUP3")]
    await rig.command("UREQ1", "cancel")
    await rig.settle()
    for offer in offers:
        assert "withdrawn" in text_of(rig.slack.message(offer.channel, offer.ts).blocks)


async def test_a_second_request_while_one_is_open_is_refused_politely(rig: Rig) -> None:
    await ask(rig, "UREQ1")
    opened = len(rig.slack.calls_of("views.open"))
    text = ephemeral(await rig.command("UREQ1"))
    assert "already have an open request" in text
    assert len(rig.slack.calls_of("views.open")) == opened


async def test_roster_shows_training_availability_and_load(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", trained="2026-03-02")
    await add_supporters(rig, "USUP2", trained=None)
    await ask(rig, "UREQ1")
    await accept(rig, "USUP1")
    await rig.command("USUP1", "away until 2027-01-04")
    text = ephemeral(await rig.command(COORDINATOR, "roster"))
    line1 = next(line for line in text.splitlines() if "<@USUP1>" in line)
    line2 = next(line for line in text.splitlines() if "<@USUP2>" in line)
    # Load is as it stood at the start of the day, in bands: accepting today does not move it.
    assert "trained 2026-03-02" in line1 and "away until 2027-01-04" in line1 and "load none" in line1
    assert "training not recorded" in line2 and "available" in line2
    rig.clock.advance(timedelta(days=1))
    text = ephemeral(await rig.command(COORDINATOR, "roster"))
    assert "load 1–2" in next(line for line in text.splitlines() if "<@USUP1>" in line)


async def test_untrained_supporters_get_no_offers(rig: Rig) -> None:
    added = ephemeral(await add_supporters(rig, "USUP1", trained=None))
    assert "No training date recorded" in added
    await ask(rig, "UREQ1")
    assert not rig.open_offers_to("USUP1")
    await add_supporters(rig, "USUP1", trained="2026-02-01")
    assert len(rig.open_offers_to("USUP1")) == 1


async def test_non_coordinators_are_refused_and_nothing_changes(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    for text in ("roster", "roster add <@UX|x> trained 2026-01-01", "roster remove <@USUP1|s>"):
        assert "only program coordinators" in ephemeral(await rig.command("USUP1", text))
    roster = ephemeral(await rig.command(COORDINATOR, "roster"))
    assert "<@USUP1>" in roster and "<@UX>" not in roster


async def test_roster_remove_hands_back_what_the_supporter_held(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1", preferred="USUP1")
    await accept(rig, "USUP1")
    text = ephemeral(await rig.command(COORDINATOR, "roster remove <@USUP1|one> <@UNOBODY|n>"))
    await rig.settle()
    assert "Removed <@USUP1>" in text and "Not on the roster: <@UNOBODY>" in text
    assert len(rig.open_offers_to("USUP2")) == 1


async def test_bad_roster_arguments_get_a_clear_answer(rig: Rig) -> None:
    assert "couldn't read `bob` as a person" in ephemeral(await rig.command(COORDINATOR, "roster add bob"))
    assert "isn't a date" in ephemeral(
        await rig.command(COORDINATOR, "roster add <@U1|a> trained 2026-13-01")
    )
    assert "Use `/peer roster`" in ephemeral(await rig.command(COORDINATOR, "roster shuffle"))
    assert "The roster is empty" in ephemeral(await rig.command(COORDINATOR, "roster"))


async def test_away_and_available(rig: Rig) -> None:
    await add_supporters(rig, "USUP1")
    assert "isn't in the future" in ephemeral(await rig.command("USUP1", "away until 2020-01-01"))
    assert "until Mon 4 Jan 2027" in ephemeral(await rig.command("USUP1", "away until 2027-01-04"))
    await ask(rig, "UREQ1")
    assert not rig.open_offers_to("USUP1")
    assert "You're available" in ephemeral(await rig.command("USUP1", "available"))
    await rig.settle()
    assert len(rig.open_offers_to("USUP1")) == 1


async def test_going_away_passes_open_offers_on(rig: Rig) -> None:
    await add_supporters(rig, "USUP1", "USUP2")
    await ask(rig, "UREQ1", preferred="USUP1")
    offer = only_open_offer(rig, "USUP1")
    await rig.command("USUP1", "away")
    await rig.settle()
    assert "withdrawn" in text_of(rig.slack.message(offer.channel, offer.ts).blocks)
    assert len(rig.open_offers_to("USUP2")) == 1


async def test_supporter_commands_from_non_supporters_are_refused(rig: Rig) -> None:
    assert "for peer supporters on the roster" in ephemeral(await rig.command("UANYONE", "away"))
    assert "for peer supporters on the roster" in ephemeral(await rig.command("UANYONE", "afterhours on"))
    assert "Use `/peer afterhours on`" in ephemeral(await rig.command("UANYONE", "afterhours maybe"))
