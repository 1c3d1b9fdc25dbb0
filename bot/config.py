"""Settings: the only reader of the environment (and of ``.env``).

Why this module runs past 400 lines: every setting is declared, parsed and checked here, in one
place (with distribution mode's, and what an office may set for itself over the environment's,
parsed by the same validators); split up, a setting's default, parser and checks would drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.announcements import EventPolicy
from bot.checkins import CheckinPolicy
from bot.deliveries import DeliveryPolicy
from bot.durations import format_plan, parse_leads, parse_plan
from bot.installations import token_cipher
from bot.log_format import LogFormat
from bot.peer_requests import RequestPolicy
from bot.profiles import DEFAULT_ROLES, DEFAULT_SUGGESTED_TAGS, ProfilePolicy
from bot.resources import DEFAULT_COPING, SeedFileError, load_seed_file
from bot.service_hours import ServiceHours
from bot.setting_types import Leads, Plan, TeamUsers, WeeklyHours, Zone, days, duration, hours_in_utc
from bot.training import TrainingPolicy
from storage.models import DECIDED_NOTICES, IncidentKind, Resource, ScheduledKind

# The short lines messages carry (notices, check-ins): the crisis lines, then where the office's
# own directory is. The full directory is `/peer resources` and the Home tab (bot/resources.py).
DEFAULT_RESOURCES = [
    "*988 Suicide & Crisis Lifeline*: call or text 988, or chat at 988lifeline.org (24/7, free,"
    " confidential).",
    "*Crisis Text Line*: text HOME to 741741 (24/7, free, confidential).",
    "*In immediate danger*: call 911.",
    "*Confidential professional help* (counselors, the Employee Assistance Program, the Lawyer"
    " Assistance Program): type `/peer resources` for the office's directory.",
]


# What an office may set for itself, over the environment's values (see Settings.for_office).
OFFICE_SETTINGS = (
    "PEER_TIMEZONE",
    "PEER_SERVICE_HOURS",
    "PEER_OFFER_TIMEOUT",
    "PEER_OFFER_TIMEOUT_ASAP",
    "PEER_OFFER_TIMEOUT_NO_RUSH",
    "PEER_RESOURCES",
    "PEER_RETENTION_DAYS",
    "PEER_MIN_COUNT",
)


def _office_value(name: str, value: str) -> object:
    """An office's stored value as the settings take it (the environment's JSON list, parsed)."""
    if name != "PEER_RESOURCES":
        return value
    try:
        lines = json.loads(value)
    except ValueError:
        raise ValueError("must be a JSON list of lines") from None
    if not isinstance(lines, list):
        raise ValueError("must be a JSON list of lines")
    return lines


class Settings(BaseSettings):
    """Every setting of the app, validated and parsed once, at start, into typed values."""

    # validate_default: a default goes through the same validators (the service hours take the zone).
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, validate_default=True)

    # Required in single-workspace mode; in distribution mode each install brings its own token.
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_api_timeout: Annotated[timedelta, duration(above=timedelta(0), at_most=timedelta(seconds=120))] = (
        timedelta(seconds=10)
    )
    database_url: str = "sqlite:///./peer-support.db"
    port: int = Field(default=3000, ge=1, le=65535)
    peer_coordinators: Annotated[frozenset[str], NoDecode] = frozenset()
    # Statistics, exports and the quarterly report only (an elected prosecutor's desk).
    peer_administrators: Annotated[frozenset[str], NoDecode] = frozenset()
    # The deployment's association administrators (statistics across the offices that share them),
    # as (team id, user id): a user id means something only within its workspace.
    peer_association_administrators: TeamUsers = frozenset()
    # How long an offer waits for an answer, by urgency ("this week" is PEER_OFFER_TIMEOUT).
    peer_offer_timeout: Annotated[timedelta, duration(at_least=timedelta(seconds=10))] = timedelta(hours=4)
    peer_offer_timeout_asap: Annotated[timedelta, duration(at_least=timedelta(seconds=10))] = timedelta(
        minutes=5
    )
    peer_offer_timeout_no_rush: Annotated[timedelta, duration(at_least=timedelta(seconds=10))] = timedelta(
        days=1
    )
    # An "as soon as possible" request nobody accepted this long after it was made alerts the coordinators.
    peer_urgent_alert_after: Annotated[
        timedelta, duration(at_least=timedelta(minutes=1), at_most=timedelta(hours=24))
    ] = timedelta(minutes=10)
    # Follow-through: the holder of an accepted request has this long to say they reached out
    # (reminded once then; as long again, and it goes to the next supporter).
    peer_reach_out_within: Annotated[
        timedelta, duration(at_least=timedelta(minutes=1), at_most=timedelta(days=30))
    ] = timedelta(days=1)
    peer_reach_out_within_asap: Annotated[
        timedelta, duration(at_least=timedelta(minutes=1), at_most=timedelta(days=30))
    ] = timedelta(hours=2)
    peer_supporter_capacity: int = Field(default=2, ge=1)
    # Before the service hours, which are read in this zone.
    peer_timezone: Zone = ZoneInfo("UTC")
    peer_service_hours: Annotated[ServiceHours, NoDecode] = ServiceHours.parse("08:00-18:00", "UTC")
    peer_resources: list[str] = Field(default_factory=lambda: list(DEFAULT_RESOURCES))
    # An optional YAML or JSON file of directory entries, added once each at start.
    peer_resources_file: Path | None = None
    # An optional file with the office's own "what to expect and what helps" text (mrkdwn).
    peer_coping_file: Path | None = None
    peer_note_max_length: int = Field(default=500, ge=1, le=2500)
    peer_sweep_seconds: Annotated[timedelta, duration(above=timedelta(0))] = timedelta(seconds=15)
    # How often a worker on SQLite asks whether another process wrote (PostgreSQL wakes it). The
    # look reads no table (PRAGMA data_version), so it can be short: a new request waits half of it.
    peer_worker_poll: Annotated[timedelta, duration(above=timedelta(0), at_most=timedelta(seconds=10))] = (
        timedelta(milliseconds=25)
    )
    # How much the worker role lowers its CPU priority (Unix nice, 0-19). Its work can wait a few
    # milliseconds; the web process's acks cannot, and on one machine they share the cores.
    peer_worker_nice: int = Field(default=10, ge=0, le=19)
    peer_checkin_offsets: Plan = tuple(parse_plan("1d,3d,7d,14d,30d,90d"))
    peer_checkin_offsets_bereavement: Plan = tuple(parse_plan("2d,7d,14d,30d,90d,180d"))
    peer_checkin_offsets_illness: Plan = tuple(parse_plan("2d,7d,14d,30d,60d"))
    # Applied in each recipient's own time zone, so parsed here without one (UTC).
    peer_checkin_hours: WeeklyHours = ServiceHours.parse("09:00-17:00", "UTC")
    peer_checkin_grace: Annotated[timedelta, duration(at_least=timedelta(0))] = timedelta(days=1)
    # The workspace budget's ceiling for messages to Slack (adapts below it on 429s; bot.pacing).
    peer_checkin_rate: float = Field(default=10.0, gt=0, le=1000)
    peer_min_count: int = Field(default=3, ge=2)
    peer_retention_days: Annotated[timedelta, days(at_least=0, at_most=3650)] = timedelta(days=30)
    peer_training_valid_days: Annotated[timedelta, days(at_least=1, at_most=3650)] = timedelta(days=365)
    peer_event_reminders: Leads = tuple(parse_leads("1d,1h"))
    # Supporters' roles (the directory, "same role as me"), and experience tags suggested in profiles.
    peer_roles: Annotated[tuple[str, ...], NoDecode] = DEFAULT_ROLES
    peer_profile_tags: Annotated[tuple[str, ...], NoDecode] = DEFAULT_SUGGESTED_TAGS
    # Distribution mode (Slack OAuth installs): all three, or none.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_state_secret: SecretStr | None = None
    # Fernet keys (comma-separated: the first encrypts, every one decrypts, for key rotation).
    peer_encryption_key: SecretStr | None = None
    # After an uninstall, how long a workspace's data is kept (a reinstall meanwhile keeps it).
    peer_uninstall_grace: Annotated[
        timedelta, duration(at_least=timedelta(0), at_most=timedelta(days=3650))
    ] = timedelta(days=30)
    log_level: str = "INFO"
    # "text" (one readable line per record) or "json" (one JSON object per line, for log shippers).
    log_format: LogFormat = "text"
    # GET /metrics (Prometheus text format) on the same port; off unless asked for.
    peer_metrics: bool = False
    # When set, /metrics answers only "Authorization: Bearer <token>" (401 otherwise).
    peer_metrics_token: SecretStr | None = None

    @field_validator("peer_coordinators", "peer_administrators", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("peer_roles", "peer_profile_tags", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        # Comma-separated; each entry once (case and spacing aside), each fit for a Slack option.
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            seen: dict[str, str] = {}
            for part in value:
                text = " ".join(str(part).split())
                if not text or len(text) > 40:
                    raise ValueError(f"each entry must have 1 to 40 characters: {text[:50]!r}")
                seen.setdefault(text.casefold(), text)
            if not seen or len(seen) > 50:
                raise ValueError("give 1 to 50 comma-separated entries")
            return tuple(seen.values())
        return value

    @field_validator("peer_resources_file")
    @classmethod
    def _seed_file_valid(cls, value: Path | None) -> Path | None:
        # Read once at start: a bad entry stops the app, naming each one.
        if value is not None:
            try:
                load_seed_file(value)
            except SeedFileError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("peer_coping_file")
    @classmethod
    def _coping_file_readable(cls, value: Path | None) -> Path | None:
        if value is not None:
            try:
                text = value.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                raise ValueError(f"cannot read {value}: {error}") from None
            if not text or len(text) > 2500:
                raise ValueError("must hold between 1 and 2500 characters of text")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("slack_client_id", mode="after")
    @classmethod
    def _blank_id_is_missing(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("peer_encryption_key", mode="after")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            token_cipher(value.get_secret_value())
        except ValueError:
            raise ValueError(
                "must be Fernet keys (32 url-safe base64-encoded bytes each, comma-separated);"
                " make one with: python -c 'from cryptography.fernet import Fernet;"
                " print(Fernet.generate_key().decode())'"
            ) from None
        return value

    @field_validator(
        "slack_signing_secret",
        "slack_app_token",
        "peer_metrics_token",
        "slack_client_secret",
        "slack_state_secret",
        mode="after",
    )
    @classmethod
    def _blank_is_missing(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty secret would let anyone sign with an empty key: it counts as not set.
        return value if value is not None and value.get_secret_value().strip() else None

    @field_validator("peer_service_hours", mode="plain")
    @classmethod
    def _program_hours(cls, value: object, info: ValidationInfo) -> ServiceHours:
        # A bad PEER_TIMEZONE is reported on its own; the hours are then read in UTC.
        tz = info.data.get("peer_timezone", ZoneInfo("UTC"))
        return hours_in_utc(value).in_zone(tz)

    @model_validator(mode="after")
    def _check_mode(self) -> Settings:
        oauth = {
            "SLACK_CLIENT_ID": self.slack_client_id,
            "SLACK_CLIENT_SECRET": self.slack_client_secret,
            "SLACK_STATE_SECRET": self.slack_state_secret,
        }
        missing = [name for name, value in oauth.items() if value is None]
        if 0 < len(missing) < len(oauth):
            raise ValueError(
                "missing required setting(s): " + ", ".join(missing) + " (distribution mode needs all three)"
            )
        if self.distribution and self.peer_encryption_key is None:
            raise ValueError("missing required setting(s): PEER_ENCRYPTION_KEY (distribution mode)")
        if not self.distribution and self.slack_bot_token is None:
            raise ValueError(
                "missing required setting(s): SLACK_BOT_TOKEN"
                " (or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET for distribution mode)"
            )
        if self.distribution and self.socket_mode:
            raise ValueError("distribution mode serves OAuth over HTTP: unset SLACK_APP_TOKEN")
        if self.slack_app_token is None and self.slack_signing_secret is None:
            raise ValueError(
                "missing required setting(s): SLACK_SIGNING_SECRET"
                " (HTTP mode; set SLACK_APP_TOKEN for Socket Mode)"
            )
        return self

    def for_office(self, values: Mapping[str, str]) -> tuple[Settings, list[str]]:
        """These settings with an office's own ``values`` (``PEER_TIMEZONE`` → ``America/Chicago``)
        in place of the environment's, parsed by the same validators; names outside
        :data:`OFFICE_SETTINGS`, and values that no longer parse, are left at the environment's.
        Returns the settings and the names left out."""
        mine: dict[str, object] = {}
        left = set(values) - set(OFFICE_SETTINGS)
        for name, value in values.items():
            if name in OFFICE_SETTINGS:
                try:
                    mine[name.lower()] = _office_value(name, value)
                except ValueError:
                    left.add(name)
        current = {name: getattr(self, name) for name in type(self).model_fields}
        try:
            return type(self)(_env_file=None, **{**current, **mine}), sorted(left)
        except ValidationError as error:
            bad = {str(e["loc"][0]) for e in error.errors() if e["loc"]} & set(mine)
        kept = {name: value for name, value in mine.items() if name not in bad}
        office = type(self)(_env_file=None, **{**current, **kept})
        return office, sorted(left | {name.upper() for name in bad})

    def office_errors(self, values: Mapping[str, str]) -> dict[str, str]:
        """What is wrong with each of an office's ``values`` (checked one by one, as the
        environment's are): environment variable name → the parser's words."""
        current = {name: getattr(self, name) for name in type(self).model_fields}
        errors: dict[str, str] = {}
        for name, value in values.items():
            if name not in OFFICE_SETTINGS:
                errors[name] = "not a setting an office changes"
                continue
            try:
                checked = type(self)(_env_file=None, **{**current, name.lower(): _office_value(name, value)})
                if name == "PEER_MIN_COUNT" and checked.peer_min_count < self.peer_min_count:
                    # Lowered, it would show this quarter's small counts beside what was published
                    # under the deployment's: an office may only hide more.
                    errors[name] = f"at least {self.peer_min_count}, the deployment's"
            except ValidationError as error:
                errors[name] = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
            except ValueError as error:
                errors[name] = str(error)
        return errors

    def office_defaults(self) -> dict[str, str]:
        """How each setting an office may change reads in the environment (the default)."""
        resources = len(self.peer_resources)
        return {
            "PEER_TIMEZONE": self.peer_timezone.key,
            "PEER_SERVICE_HOURS": self.peer_service_hours.describe(),
            "PEER_OFFER_TIMEOUT": format_plan([self.peer_offer_timeout]),
            "PEER_OFFER_TIMEOUT_ASAP": format_plan([self.peer_offer_timeout_asap]),
            "PEER_OFFER_TIMEOUT_NO_RUSH": format_plan([self.peer_offer_timeout_no_rush]),
            "PEER_RESOURCES": f"{resources} line{'s' if resources != 1 else ''}, the crisis lines first",
            "PEER_RETENTION_DAYS": f"{self.peer_retention_days.days} days",
            "PEER_MIN_COUNT": str(self.peer_min_count),
        }

    @property
    def distribution(self) -> bool:
        """Whether the app serves Slack's OAuth installs (many workspaces) instead of one bot token."""
        return self.slack_client_id is not None

    @property
    def socket_mode(self) -> bool:
        """Whether to run over Socket Mode instead of HTTP."""
        return self.slack_app_token is not None

    # The policies the services take, built from the parsed values.

    def resource_seed(self) -> tuple[Resource, ...]:
        """The entries of ``PEER_RESOURCES_FILE`` (validated at start), or none."""
        return () if self.peer_resources_file is None else load_seed_file(self.peer_resources_file)

    def office_resource_lines(self) -> tuple[str, ...]:
        """The ``PEER_RESOURCES`` lines an office set itself (none while it keeps the default)."""
        return () if self.peer_resources == DEFAULT_RESOURCES else tuple(self.peer_resources)

    def coping_text(self) -> str:
        """The office's "what to expect and what helps" text, or the default."""
        if self.peer_coping_file is None:
            return DEFAULT_COPING
        return self.peer_coping_file.read_text(encoding="utf-8").strip()

    def training_policy(self) -> TrainingPolicy:
        """How long training stays valid."""
        return TrainingPolicy(valid_days=self.peer_training_valid_days.days)

    def profile_policy(self) -> ProfilePolicy:
        """The office's roles and the experience tags suggested in supporters' profiles."""
        return ProfilePolicy(roles=self.peer_roles, suggested_tags=self.peer_profile_tags)

    def request_policy(self) -> RequestPolicy:
        """Offer deadlines, supporter capacity and note length for requests."""
        return RequestPolicy(
            offer_timeout=self.peer_offer_timeout,
            urgent_alert_after=self.peer_urgent_alert_after,
            offer_timeout_asap=self.peer_offer_timeout_asap,
            offer_timeout_no_rush=self.peer_offer_timeout_no_rush,
            reach_out_within=self.peer_reach_out_within,
            reach_out_within_asap=self.peer_reach_out_within_asap,
            capacity=self.peer_supporter_capacity,
            note_max_length=self.peer_note_max_length,
            training=self.training_policy(),
        )

    def delivery_policy(self) -> DeliveryPolicy:
        """When a late scheduled message is missed, and how fast they go out."""
        return DeliveryPolicy(
            grace=self.peer_checkin_grace,
            rate_per_second=self.peer_checkin_rate,
            # After a long outage these still go out if their sender finds they apply: an
            # announcement until its event starts, a training reminder while its stage holds,
            # a notice while what it says is still true (the request closed, the supporter away).
            never_missed=frozenset({ScheduledKind.ANNOUNCEMENT, ScheduledKind.TRAINING_REMINDER})
            | DECIDED_NOTICES,
            # Notices go out as decided, not paced behind a burst of check-ins.
            unpaced=DECIDED_NOTICES,
        )

    def checkin_policy(self) -> CheckinPolicy:
        """The default check-in plans and the window check-ins land in."""
        return CheckinPolicy(
            plans={
                IncidentKind.CRITICAL_INCIDENT: self.peer_checkin_offsets,
                IncidentKind.BEREAVEMENT: self.peer_checkin_offsets_bereavement,
                IncidentKind.ILLNESS: self.peer_checkin_offsets_illness,
            },
            window=self.peer_checkin_hours,
            program_tz=self.peer_timezone,
        )

    def event_policy(self) -> EventPolicy:
        """The program's zone for event times, and when event reminders go out."""
        return EventPolicy(tz=self.peer_timezone, reminder_leads=self.peer_event_reminders)


class DatabaseSettings(BaseSettings):
    """Only what ``python -m bot migrate`` needs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = "sqlite:///./peer-support.db"
    # Distribution mode: DATABASE_URL holds the deployment's tables, each workspace a database of its own.
    slack_client_id: str | None = None


def describe_error(error: ValidationError) -> str:
    """One line naming what is missing or invalid, for the operator."""
    missing = [_env_name(e["loc"]) for e in error.errors() if e["type"] == "missing"]
    if missing:
        return "missing required setting(s): " + ", ".join(missing)
    first = error.errors()[0]
    name = _env_name(first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"invalid setting {name}: {message}" if name else message


def _env_name(loc: tuple[int | str, ...]) -> str:
    return str(loc[0]).upper() if loc else ""
