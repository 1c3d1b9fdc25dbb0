"""``/peer log`` (the modal), ``/peer stats|export [quarter|year]``, ``/peer report [quarter]`` and
``/peer audit``."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, NotOnRoster
from bot.periods import Publication
from bot.quarterly_render import report_csv, report_pdf
from bot.reports import chart_png, csv_bytes
from bot.services import Services
from handlers.common.errors import user_message
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


async def _report(
    services: Services, client: AsyncWebClient, respond: AsyncRespond, user_id: str, publication: Publication
) -> None:
    try:
        await send_quarterly_report(services, client, user_id, publication)
    except DomainError as error:
        await respond(text=user_message(error), response_type="ephemeral")
        return
    await respond(
        text="The quarterly report (PDF and CSV) is in your DM with the app.", response_type="ephemeral"
    )


async def send_quarterly_report(
    services: Services, client: AsyncWebClient, user_id: str, publication: Publication
) -> None:
    """Build the quarterly report and upload its PDF and CSV to the person's DM with the app."""
    report = await services.reports.report(user_id=user_id, publication=publication)
    label = report.current.quarter.label
    dm = await client.conversations_open(users=user_id)
    await client.files_upload_v2(
        channel=dm["channel"]["id"],
        initial_comment=f"Peer support quarterly report, {label} against {report.previous.quarter.label}"
        " (aggregates only, small counts suppressed).",
        file_uploads=[
            {
                "file": report_pdf(report),
                "filename": f"peer-support-report-{label}.pdf",
                "title": f"Quarterly report {label}",
            },
            {
                "file": report_csv(report),
                "filename": f"peer-support-report-{label}.csv",
                "title": f"Quarterly report {label} (the figures as CSV)",
            },
        ],
    )
    await services.tracking.record(actor_id=user_id, action="report", detail=f"quarterly report for {label}")


async def _audit(services: Services, user_id: str, _: list[str]) -> str:
    return audit_text(await services.tracking.audit_log(coordinator_id=user_id), tz=services.hours.tz)


FORMS: dict[str, FormOpener] = {"log": _log_form}
REPORTS: dict[str, Report] = {"stats": _stats, "export": _export, "report": _report}
SUBCOMMANDS: dict[str, Subcommand] = {"audit": _audit}
