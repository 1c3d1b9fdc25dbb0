"""The domain services, bundled for the Slack side to call."""

from __future__ import annotations

from dataclasses import dataclass

from bot.background import Background
from bot.checkins import CheckinService
from bot.peer_requests import RequestService
from bot.ports import Clock
from bot.relay import RelayService
from bot.roles import Roles
from bot.roster import RosterService
from bot.service_hours import ServiceHours
from bot.tracking import TrackingService


@dataclass(frozen=True)
class Services:
    """Everything a handler may call; injected into Bolt's context as ``services``."""

    requests: RequestService
    roster: RosterService
    checkins: CheckinService
    tracking: TrackingService
    relay: RelayService
    roles: Roles
    hours: ServiceHours
    background: Background
    resources: tuple[str, ...]
    note_max_length: int
    clock: Clock
    min_count: int
