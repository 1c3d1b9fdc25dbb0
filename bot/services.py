"""The domain services, bundled for the Slack side to call."""

from __future__ import annotations

from dataclasses import dataclass

from bot.announcements import AnnouncementService
from bot.association import AssociationStatistics
from bot.background import Background
from bot.care import CareService
from bot.checkins import CheckinService
from bot.concerns import ConcernService
from bot.deliveries import Deliveries
from bot.handoff import Handoff
from bot.home import HomeService
from bot.office_settings import OfficeSettingsService
from bot.oncall import OnCallRota
from bot.peer_requests import RequestService
from bot.peer_requests.routing import Routing
from bot.ports import Clock
from bot.profiles import ProfileService
from bot.quarterly import QuarterlyReports
from bot.referrals import ShareService
from bot.relay import RelayService
from bot.resources import ResourceService
from bot.roles import Roles
from bot.roster import RosterService
from bot.service_hours import ServiceHours
from bot.talk_feedback import TalkFeedback
from bot.tracking import TrackingService
from bot.training import TrainingReminders
from bot.volunteers import VolunteerService


@dataclass(frozen=True)
class Services:
    """Everything a handler may call; injected into Bolt's context as ``services``."""

    requests: RequestService
    routing: Routing  # the same one ``requests`` passes routing calls to
    roster: RosterService
    checkins: CheckinService
    deliveries: Deliveries
    volunteers: VolunteerService
    reminders: TrainingReminders
    announcements: AnnouncementService
    homes: HomeService
    concerns: ConcernService
    care: CareService
    talk: TalkFeedback  # "Did talking help?" after a close
    tracking: TrackingService
    reports: QuarterlyReports  # the quarterly report (coordinators and administrators)
    relay: RelayService
    directory: ResourceService  # the office's resource directory, crisis lines first
    shares: ShareService  # the holder of a request hands entries of the directory to the colleague
    oncall: OnCallRota  # who is on call outside service hours
    profiles: ProfileService  # supporters' profiles and the team directory
    roles: Roles
    hours: ServiceHours
    background: Background
    handoff: Handoff  # work after the ack: here, or (web role) to the worker through the database
    resources: tuple[str, ...]  # the short lines messages carry (PEER_RESOURCES)
    coping: str  # "what to expect and what helps"
    # PEER_RESOURCES lines an office set (none with the default): also listed with the directory.
    office_lines: tuple[str, ...]
    note_max_length: int
    clock: Clock
    min_count: int
    office_settings: OfficeSettingsService  # what the office's coordinators set over the environment
    # The deployment's statistics across offices (one for every office; its administrators only).
    association: AssociationStatistics
