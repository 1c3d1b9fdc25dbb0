"""The unit of work's view of storage: every repository bound to one connection."""

from __future__ import annotations

from dataclasses import dataclass

from storage.announcement_repository import AnnouncementRepository
from storage.association_repository import AssociationRepository
from storage.concern_repository import ConcernRepository
from storage.handoff_repository import HandoffRepository
from storage.incident_repository import IncidentRepository
from storage.installation_repository import InstallationRepository
from storage.office_settings_repository import OfficeSettingsRepository
from storage.oncall_repository import OnCallRepository
from storage.profile_repository import ProfileRepository
from storage.relay_repository import RelayRepository
from storage.request_repository import RequestRepository
from storage.resource_repository import ResourceRepository
from storage.roles_repository import RolesRepository
from storage.roster_repository import RosterRepository
from storage.schedule_repository import ScheduleRepository
from storage.sql import Connection
from storage.tracking_repository import TrackingRepository


@dataclass(frozen=True, slots=True)
class Tx:
    """The repositories bound to one connection for one unit of work.

    Typed attribute by attribute, so a call to a method a repository lacks fails ``mypy``.
    """

    conn: Connection
    requests: RequestRepository
    roster: RosterRepository
    schedule: ScheduleRepository
    incidents: IncidentRepository
    tracking: TrackingRepository
    relay: RelayRepository
    roles: RolesRepository
    announcements: AnnouncementRepository
    concerns: ConcernRepository
    resources: ResourceRepository
    oncall: OnCallRepository
    profiles: ProfileRepository
    handoffs: HandoffRepository
    office_settings: OfficeSettingsRepository
    installations: InstallationRepository
    association: AssociationRepository

    @classmethod
    def bind(cls, conn: Connection) -> Tx:
        """Every repository on ``conn``."""
        return cls(
            conn=conn,
            requests=RequestRepository(conn),
            roster=RosterRepository(conn),
            schedule=ScheduleRepository(conn),
            incidents=IncidentRepository(conn),
            tracking=TrackingRepository(conn),
            relay=RelayRepository(conn),
            roles=RolesRepository(conn),
            announcements=AnnouncementRepository(conn),
            concerns=ConcernRepository(conn),
            resources=ResourceRepository(conn),
            oncall=OnCallRepository(conn),
            profiles=ProfileRepository(conn),
            handoffs=HandoffRepository(conn),
            office_settings=OfficeSettingsRepository(conn),
            installations=InstallationRepository(conn),
            association=AssociationRepository(conn),
        )
