"""An office's own settings (``/peer settings``): coordinators change them in a modal, checked by the
environment's own parsers; the change applies at once (and on other instances at their next sweep),
and to that office alone."""

from __future__ import annotations

from typing import Any

from tests.conftest import StartApp
from tests.flows import COORDINATOR, add_supporters, ask
from tests.offices import COORDINATOR_B, A, B, Offices
from tests.rig import Rig, text_of

OFFICE_EAP = "*Our EAP*: call 555-0100"


async def open_settings(rig: Rig, user: str = COORDINATOR) -> dict[str, Any]:
    response = await rig.command(user, "settings")
    assert response.status == 200, response.text
    await rig.settle()
    return rig.last_view("peer_office_settings")


def field(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


async def test_a_coordinator_changes_the_offices_settings_and_they_apply_at_once(rig: Rig) -> None:
    view = await open_settings(rig)
    assert "Default: UTC" in text_of([field(view, "office_peer_timezone")])
    assert "initial_value" not in field(view, "office_peer_timezone")["element"]

    # Bad values: each said at its field, nothing stored.
    bad = await rig.submit(
        COORDINATOR,
        view,
        {
            "office_peer_timezone": "Mars/Olympus",
            "office_peer_min_count": "1",
            "office_peer_service_hours": "soon",
        },
    )
    assert set(bad.json["errors"]) == {
        "office_peer_timezone",
        "office_peer_min_count",
        "office_peer_service_hours",
    }
    assert "Mars/Olympus" in bad.json["errors"]["office_peer_timezone"]
    # Below the deployment's smallest count (3 here) is refused too: an office may only hide more
    # (lowered, this quarter's small counts would show beside what was published before).
    lower = await rig.submit(COORDINATOR, view, {"office_peer_min_count": "2"})
    assert "at least 3" in lower.json["errors"]["office_peer_min_count"], lower.text
    assert rig.app.services is not None and rig.app.services.hours.describe() == "around the clock"

    good = await rig.submit(
        COORDINATOR,
        view,
        {
            "office_peer_timezone": "America/Chicago",
            "office_peer_service_hours": "Mon-Sat 07:00-19:00",
            "office_peer_resources": f"{OFFICE_EAP}\n\n*988*: call or text 988",
            "office_peer_min_count": "5",
        },
    )
    assert good.status == 200 and good.text == ""
    await rig.settle()
    services = rig.app.services
    assert services.hours.describe() == "Mon,Tue,Wed,Thu,Fri,Sat 07:00-19:00 (America/Chicago)"
    assert services.min_count == 5
    # The next request already follows them: its acknowledgement carries the office's lines.
    await add_supporters(rig, "USUP1")
    await ask(rig, "UREQ1")
    assert OFFICE_EAP in text_of(rig.slack.dms("UREQ1")[0].blocks)

    # Shown again as set; emptied, each goes back to the environment's.
    again = await open_settings(rig)
    assert (
        field(again, "office_peer_resources")["element"]["initial_value"]
        == f"{OFFICE_EAP}\n*988*: call or text 988"
    )
    assert field(again, "office_peer_timezone")["element"]["initial_value"] == "America/Chicago"
    reset = await rig.submit(COORDINATOR, again, {"office_peer_timezone": "America/Chicago"})
    assert reset.text == ""
    await rig.settle()
    assert rig.app.services.hours.describe() == "around the clock"
    assert rig.app.services.hours.tz.key == "America/Chicago" and rig.app.services.min_count == 3
    assert OFFICE_EAP not in "".join(rig.app.services.resources)
    audit = await rig.command(COORDINATOR, "audit")
    assert "settings changed" in audit.json["text"]


async def test_only_coordinators_see_or_change_the_settings(rig: Rig) -> None:
    response = await rig.command("USOMEONE", "settings")
    assert response.status == 200 and "coordinator" in response.text.lower()
    assert not [v for v in rig.slack.views.values() if v.get("callback_id") == "peer_office_settings"]


async def test_another_instance_follows_a_change_at_its_next_sweep(start_app: StartApp) -> None:
    first = await start_app()
    second = await start_app()  # the same database: a second instance
    view = await open_settings(first)
    await first.submit(COORDINATOR, view, {"office_peer_timezone": "America/Chicago"})
    await first.settle()
    assert first.app.services is not None and second.app.services is not None
    assert first.app.services.hours.tz.key == "America/Chicago"
    assert second.app.services.hours.tz.key == "UTC"
    await second.app.sweep()
    assert second.app.services.hours.tz.key == "America/Chicago"


async def test_one_offices_settings_are_its_own(offices: Offices) -> None:
    view = await open_settings(offices.b, COORDINATOR_B)
    saved = await offices.b.submit(COORDINATOR_B, view, {"office_peer_timezone": "America/Denver"})
    assert saved.text == ""
    await offices.settle()
    assert (await offices.office(B)).services.hours.tz.key == "America/Denver"
    assert (await offices.office(A)).services.hours.tz.key == "UTC"


async def test_a_coordinator_opens_the_settings_from_home(rig: Rig) -> None:
    await rig.event({"type": "app_home_opened", "user": COORDINATOR, "tab": "home"})
    await rig.settle()
    clicked = await rig.home_click(COORDINATOR, "home_office_settings")
    assert clicked.status == 200
    await rig.settle()
    view = rig.last_view("peer_office_settings")
    assert field(view, "office_peer_min_count")["element"]["type"] == "plain_text_input"
