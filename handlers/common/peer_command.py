"""``/peer``: one command, its subcommands contributed by the features. Every answer is ephemeral or a DM."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from bot.services import Services
from handlers.common.errors import user_message
from handlers.common.feature import DeploymentReport, Feature, FormOpener, Report, Subcommand
from handlers.common.ids import Command
from handlers.common.modals import open_view
from handlers.common.parsing import ArgumentError

# The subcommand whose answer follows "I don't know `/peer x`" (the home feature contributes it).
HELP = "help"


@dataclass(frozen=True)
class PeerCommand:
    """The subcommand tables of every feature, merged (the architecture test keeps names unique)."""

    forms: Mapping[str, FormOpener]
    reports: Mapping[str, Report]
    subcommands: Mapping[str, Subcommand]
    deployment_reports: Mapping[str, DeploymentReport]

    @classmethod
    def of(cls, features: Sequence[Feature]) -> PeerCommand:
        """The tables of ``features``."""
        return cls(
            forms={k: v for f in features for k, v in f.forms.items()},
            reports={k: v for f in features for k, v in f.reports.items()},
            subcommands={k: v for f in features for k, v in f.subcommands.items()},
            deployment_reports={k: v for f in features for k, v in f.deployment_reports.items()},
        )

    def register(self, app: AsyncApp) -> None:
        """Bind ``/peer``."""
        app.command(Command.PEER)(self.on_peer)

    async def on_peer(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        services: Services,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        """Dispatch ``/peer [subcommand …]``; unknown subcommands get help."""
        user_id = command["user_id"]
        args = (command.get("text") or "").split()
        name = args[0].lower() if args else ""
        try:
            opener = self.forms.get(name)
            view = await opener(services, user_id, args[1:]) if opener else None
            if view is not None:
                await ack()
                open_view(services, client, trigger_id=command.get("trigger_id", ""), view=view)
                return
            if name in self.reports:
                # Checked before the ack, so a refusal is immediate; the report itself comes after it.
                await services.roles.require_statistics_role(user_id)
                publication = services.tracking.publication(" ".join(args[1:]))
                await ack(text="Gathering the numbers…", response_type="ephemeral")
                report = self.reports[name](services, client, respond, user_id, publication)
                services.background.spawn(report, name=name)
                return
            team_id = str(command.get("team_id") or "")
            if name in self.deployment_reports and services.association.is_administrator(
                team_id=team_id, user_id=user_id
            ):
                publication = await services.association.publication(" ".join(args[1:]))
                await ack(text="Gathering the numbers…", response_type="ephemeral")
                deployment = self.deployment_reports[name](services, respond, team_id, user_id, publication)
                services.background.spawn(deployment, name=name)
                return
            # To anyone else a deployment's command is unknown, as if it did not exist.
            subcommand = self.subcommands.get(name)
            if subcommand is None:
                text = f"I don't know `/peer {name[:30]}`.\n" + await self.subcommands[HELP](
                    services, user_id, []
                )
            else:
                text = await subcommand(services, user_id, args[1:])
        except (DomainError, ArgumentError) as error:
            text = str(error) if isinstance(error, ArgumentError) else user_message(error)
        await ack(text=text, response_type="ephemeral")


def names(user_ids: list[str]) -> str:
    """People as mentions, comma-separated (for subcommand answers)."""
    return ", ".join(f"<@{u}>" for u in user_ids)
