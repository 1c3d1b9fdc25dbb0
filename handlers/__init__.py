"""The Slack side, one package per feature (``handlers/<feature>/``) plus what they share (``common/``).

Each feature exposes a ``FEATURE``: its listeners, its ``/peer`` subcommands and its identifier enums.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import (
    announcements,
    association,
    care,
    concerns,
    home,
    incidents,
    office,
    oncall,
    relay,
    requests,
    resources,
    roster,
    selfcheck,
    team,
    tracking,
)
from handlers.common import errors, middleware
from handlers.common.feature import Feature
from handlers.common.peer_command import PeerCommand

FEATURES: tuple[Feature, ...] = (
    requests.FEATURE,
    relay.FEATURE,
    incidents.FEATURE,
    roster.FEATURE,
    announcements.FEATURE,
    concerns.FEATURE,
    care.FEATURE,
    tracking.FEATURE,
    selfcheck.FEATURE,
    resources.FEATURE,
    oncall.FEATURE,
    office.FEATURE,
    team.FEATURE,
    home.FEATURE,
    association.FEATURE,
)


def register(app: AsyncApp, services: middleware.ServicesFor) -> None:
    """Bind the services middleware (one office's services, or each workspace's), every feature's
    listeners, ``/peer`` and the one error handler."""
    middleware.register(app, services)
    PeerCommand.of(FEATURES).register(app)
    for feature in FEATURES:
        feature.register(app)
    errors.register(app)
