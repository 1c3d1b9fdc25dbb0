"""What the app carries in button values and ``private_metadata``, parsed back strictly."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError


class Carried(BaseModel):
    """Base of carried payloads: small, strict, JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def encode(self) -> str:
        """The payload as compact JSON."""
        return self.model_dump_json()


class OfferRef(Carried):
    """Which offer a button answers."""

    offer_id: int


class RequestRef(Carried):
    """Which request a button or modal acts on."""

    request_id: int


class ConversationRef(Carried):
    """Which relayed conversation a button or modal acts on."""

    conversation_id: int


_T = TypeVar("_T", bound=Carried)


class CheckinRef(Carried):
    """Which check-in a button answers."""

    message_id: int


class IncidentRef(Carried):
    """Which incident a follow-up view changes."""

    incident_id: int


class VolunteerRef(Carried):
    """Which offer to volunteer a button decides."""

    volunteer_id: int


class EventRef(Carried):
    """Which event a button or modal acts on."""

    announcement_id: int


class ConcernRef(Carried):
    """Which concern a button or modal acts on."""

    concern_id: int


class BadPayload(ValueError):
    """A carried value that does not parse (crafted, or from an older version)."""


def decode(model: type[_T], raw: str | None) -> _T:
    """Parse a carried value, raising :class:`BadPayload` on anything unexpected."""
    try:
        return model.model_validate_json(raw or "")
    except ValidationError as exc:
        raise BadPayload(model.__name__) from exc


class ResourceRef(Carried):
    """Which directory entry a button or modal acts on."""

    resource_id: int
