"""Coping text ("what to expect and what helps") where it belongs, and an office's own version."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.rig import text_of
from tests.test_checkins import AFFECTED, CHECKIN_SETTINGS, checkins_to, deliver_after, open_incident

DEFAULT_MARK = "What to expect, and what helps"


async def test_the_debrief_invitation_and_only_the_first_checkin_carry_it(start_app) -> None:
    rig = await start_app(**CHECKIN_SETTINGS)
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig, debrief_date="2026-12-03", debrief_time="12:30", debrief_place="Room 4B")
    await rig.app.deliver_due()
    await rig.settle()
    for user in AFFECTED:
        [invite] = rig.slack.dms(user)
        assert DEFAULT_MARK in text_of(invite.blocks) and "Room 4B" in text_of(invite.blocks)
    await deliver_after(rig, timedelta(days=1))
    await deliver_after(rig, timedelta(days=2))
    for user in AFFECTED:
        first, second = checkins_to(rig, user)
        assert DEFAULT_MARK in text_of(first.blocks)
        assert DEFAULT_MARK not in text_of(second.blocks)


async def test_an_office_can_write_its_own(start_app, tmp_path: Path) -> None:
    own = tmp_path / "coping.md"
    own.write_text("*After a hard week* our office closes early on Fridays. Take the time.", encoding="utf-8")
    rig = await start_app(peer_coping_file=str(own), **CHECKIN_SETTINGS)
    text = (await rig.command("UANYONE", "resources")).json["text"]
    assert "our office closes early on Fridays" in text and DEFAULT_MARK not in text
    rig.slack.add_users(*AFFECTED)
    await open_incident(rig, debrief_date="2026-12-03", debrief_time="12:30", debrief_place="Room 4B")
    await rig.app.deliver_due()
    await rig.settle()
    assert "closes early on Fridays" in text_of(rig.slack.dms(AFFECTED[0])[0].blocks)
