"""Settings: the only reader of the environment (and of ``.env``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.durations import parse_duration, parse_leads, parse_plan
from bot.service_hours import ServiceHours

DEFAULT_RESOURCES = [
    "*988 Suicide & Crisis Lifeline*: call or text 988, or chat at 988lifeline.org (24/7, free,"
    " confidential).",
    "*Employee Assistance Program (EAP)*: free, confidential counseling for you and your family;"
    " ask HR or see the intranet for the number.",
    "*Crisis Text Line*: text HOME to 741741.",
    "*In immediate danger*: call 911.",
]


class Settings(BaseSettings):
    """Every setting of the app, validated at start."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_api_timeout: float = Field(default=10.0, gt=0, le=120)
    database_url: str = "sqlite:///./peer-support.db"
    port: int = Field(default=3000, ge=1, le=65535)
    peer_coordinators: Annotated[frozenset[str], NoDecode] = frozenset()
    peer_offer_timeout: int = Field(default=900, ge=10)
    peer_supporter_capacity: int = Field(default=2, ge=1)
    peer_service_hours: str = "08:00-18:00"
    peer_timezone: str = "UTC"
    peer_resources: list[str] = Field(default_factory=lambda: list(DEFAULT_RESOURCES))
    peer_note_max_length: int = Field(default=500, ge=1, le=2500)
    peer_sweep_seconds: float = Field(default=15.0, gt=0)
    peer_checkin_offsets: str = "1d,3d,7d,14d,30d,90d"
    peer_checkin_offsets_bereavement: str = "2d,7d,14d,30d,90d,180d"
    peer_checkin_offsets_illness: str = "2d,7d,14d,30d,60d"
    peer_checkin_hours: str = "09:00-17:00"
    peer_checkin_grace: str = "1d"
    peer_checkin_rate: float = Field(default=1.0, gt=0, le=1000)
    peer_min_count: int = Field(default=3, ge=2)
    peer_retention_days: int = Field(default=30, ge=0, le=3650)
    peer_training_valid_days: int = Field(default=365, ge=1, le=3650)
    peer_event_reminders: str = "1d,1h"
    log_level: str = "INFO"

    @field_validator("peer_coordinators", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("slack_signing_secret", "slack_app_token", mode="after")
    @classmethod
    def _blank_is_missing(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty secret would let anyone sign with an empty key: it counts as not set.
        return value if value is not None and value.get_secret_value().strip() else None

    @model_validator(mode="after")
    def _check_mode_and_hours(self) -> Settings:
        if self.slack_app_token is None and self.slack_signing_secret is None:
            raise ValueError(
                "missing required setting(s): SLACK_SIGNING_SECRET"
                " (HTTP mode; set SLACK_APP_TOKEN for Socket Mode)"
            )
        try:
            self.service_hours()
        except (ValueError, KeyError) as exc:
            raise ValueError(f"invalid setting PEER_SERVICE_HOURS/PEER_TIMEZONE: {exc}") from exc
        checks = {
            "PEER_CHECKIN_OFFSETS": lambda: parse_plan(self.peer_checkin_offsets),
            "PEER_CHECKIN_OFFSETS_BEREAVEMENT": lambda: parse_plan(self.peer_checkin_offsets_bereavement),
            "PEER_CHECKIN_OFFSETS_ILLNESS": lambda: parse_plan(self.peer_checkin_offsets_illness),
            "PEER_CHECKIN_HOURS": lambda: ServiceHours.parse(self.peer_checkin_hours, "UTC"),
            "PEER_CHECKIN_GRACE": lambda: parse_duration(self.peer_checkin_grace),
            "PEER_EVENT_REMINDERS": lambda: parse_leads(self.peer_event_reminders),
        }
        for name, check in checks.items():
            try:
                check()
            except ValueError as exc:
                raise ValueError(f"invalid setting {name}: {exc}") from exc
        return self

    def service_hours(self) -> ServiceHours:
        """The parsed service hours."""
        return ServiceHours.parse(self.peer_service_hours, self.peer_timezone)

    @property
    def socket_mode(self) -> bool:
        """Whether to run over Socket Mode instead of HTTP."""
        return self.slack_app_token is not None


class DatabaseSettings(BaseSettings):
    """Only what ``python -m bot migrate`` needs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = "sqlite:///./peer-support.db"


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
