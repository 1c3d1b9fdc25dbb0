"""Confidential tracking: logging a contact and the statistics, from the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError, InvalidForm
from bot.services import Services
from bot.tracking import ContactForm
from handlers.common.blocks import notice_modal
from handlers.common.clicks import later, open_built, supporter_view, tell
from handlers.common.errors import user_message
from handlers.common.parsing import flatten_state
from handlers.tracking.blocks import log_contact_modal, stats_modal
from handlers.tracking.commands import send_quarterly_report
from handlers.tracking.ids import TrackingAction, TrackingCallback, TrackingField


def register(app: AsyncApp) -> None:
    """Bind the tracking buttons and the log-a-contact modal."""
    app.action(TrackingAction.LOG_CONTACT)(on_log_contact)
    app.action(TrackingAction.HOME_STATS)(on_home_stats)
    app.action(TrackingAction.HOME_REPORT)(on_home_report)
    app.view(TrackingCallback.LOG_CONTACT)(on_contact_logged)


# The Home's Statistics button shows what `/peer stats` shows by default.
HOME_STATS_PERIOD = ""


async def on_log_contact(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A supporter opens the modal to log a contact that happened outside the bot."""
    await ack()
    today = services.hours.today(services.clock.now()).isoformat()
    await open_built(
        services, client, body, supporter_view(services, body, lambda: log_contact_modal(today=today))
    )


async def on_home_stats(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """A coordinator's Home button: the statistics, counts only."""
    await ack()
    await open_built(services, client, body, _stats_view(services, body))


async def on_home_report(
    ack: AsyncAck, body: dict[str, Any], services: Services, client: AsyncWebClient
) -> None:
    """The Home's Quarterly report button: the last completed quarter's report, in the clicker's DM."""
    await ack()
    user_id = body["user"]["id"]

    async def work() -> None:
        await services.roles.require_statistics_role(user_id)
        await send_quarterly_report(
            services, client, user_id, services.tracking.publication(HOME_STATS_PERIOD)
        )
        tell(services, client, body, "The quarterly report (PDF and CSV) is in your DM with the app.")

    await later(services, client, body, work(), name="home_report")


async def _stats_view(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    publication = services.tracking.publication(HOME_STATS_PERIOD)
    return stats_modal(
        await services.tracking.stats(coordinator_id=body["user"]["id"], publication=publication)
    )


_CONTACT_FIELDS = {
    "occurred_on": TrackingField.CONTACT_DATE,
    "minutes": TrackingField.CONTACT_MINUTES,
    "areas": TrackingField.CONTACT_AREAS,
    "channel": TrackingField.CONTACT_CHANNEL,
    "referral": TrackingField.CONTACT_REFERRAL,
}


async def on_contact_logged(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    """Record an anonymous contact a supporter had outside the bot."""
    values = flatten_state(body["view"])
    form = ContactForm(
        occurred_on=values.get(TrackingField.CONTACT_DATE),
        minutes=values.get(TrackingField.CONTACT_MINUTES),
        areas=tuple(values.get(TrackingField.CONTACT_AREAS) or ()),
        channel=values.get(TrackingField.CONTACT_CHANNEL),
        referral=values.get(TrackingField.CONTACT_REFERRAL),
    )
    try:
        await services.tracking.log_contact(supporter_id=body["user"]["id"], form=form)
    except InvalidForm as invalid:
        await ack(response_action="errors", errors={_CONTACT_FIELDS[f]: m for f, m in invalid.errors.items()})
        return
    except DomainError as error:
        await ack(response_action="errors", errors={TrackingField.CONTACT_MINUTES: user_message(error)})
        return
    await ack(
        response_action="update",
        view=notice_modal(
            title="Contact logged",
            text="Thank you. The contact is recorded without the other person's name, and your time counts.",
        ),
    )
