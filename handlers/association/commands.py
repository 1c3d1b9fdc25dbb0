"""``/peer association [quarter|year]``: the sums across the offices that share their statistics."""

from __future__ import annotations

from slack_bolt.async_app import AsyncRespond

from bot.errors import DomainError
from bot.periods import Publication
from bot.services import Services
from handlers.association.blocks import association_blocks
from handlers.common.errors import user_message
from handlers.common.feature import DeploymentReport


async def _association(
    services: Services, respond: AsyncRespond, team_id: str, user_id: str, publication: Publication
) -> None:
    try:
        report = await services.association.report(team_id=team_id, user_id=user_id, publication=publication)
    except DomainError as error:
        await respond(text=user_message(error), response_type="ephemeral")
        return
    await respond(
        text="Statistics across offices", blocks=association_blocks(report), response_type="ephemeral"
    )


DEPLOYMENT_REPORTS: dict[str, DeploymentReport] = {"association": _association}
