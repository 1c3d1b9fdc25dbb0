"""``/peer log`` (the modal), ``/peer stats|export [quarter|year]`` and ``/peer audit``."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import NotOnRoster
from bot.periods import Publication
from bot.reports import chart_png, csv_bytes
from bot.services import Services
from handlers.common.feature import FormOpener, Report, Subcommand
from handlers.tracking.blocks import audit_text, log_contact_modal, stats_blocks


async def _log_form(services: Services, user_id: str, args: list[str]) -> dict[str, Any] | None:
    if args:
        return None
    if await services.roster.get(user_id) is None:
        raise NotOnRoster()
    return log_contact_modal(today=services.hours.today(services.clock.now()).isoformat())


async def _stats(
    services: Services, _client: AsyncWebClient, respond: AsyncRespond, user_id: str, publication: Publication
) -> None:
    report = await services.tracking.stats(coordinator_id=user_id, publication=publication)
    await respond(text="Peer support statistics", blocks=stats_blocks(report), response_type="ephemeral")


async def _export(
    services: Services, client: AsyncWebClient, respond: AsyncRespond, user_id: str, publication: Publication
) -> None:
    report = await services.tracking.by_quarter(coordinator_id=user_id, publication=publication)
    label = publication.label
    first, last = publication.quarters[0].label, publication.quarters[-1].label
    name = f"peer-support-{first}" + (f"-to-{last}" if last != first else "")
    dm = await client.conversations_open(users=user_id)
    await client.files_upload_v2(
        channel=dm["channel"]["id"],
        initial_comment=f"Peer support contacts, {label} (aggregates only, small counts suppressed).",
        file_uploads=[
            {
                "file": csv_bytes(report),
                "filename": f"{name}.csv",
                "title": f"Contacts by quarter and area ({label})",
            },
            {
                "file": chart_png(report),
                "filename": f"{name}.png",
                "title": f"Contacts per quarter ({label})",
            },
        ],
    )
    await services.tracking.export_recorded(coordinator_id=user_id, publication=publication)
    await respond(text="The CSV and the chart are in your DM with the app.", response_type="ephemeral")


async def _audit(services: Services, user_id: str, _: list[str]) -> str:
    return audit_text(await services.tracking.audit_log(coordinator_id=user_id), tz=services.hours.tz)


FORMS: dict[str, FormOpener] = {"log": _log_form}
REPORTS: dict[str, Report] = {"stats": _stats, "export": _export}
SUBCOMMANDS: dict[str, Subcommand] = {"audit": _audit}
