"""Typed domain errors; the Slack side turns each into plain words."""

from __future__ import annotations

from storage.models import OfferState
from storage.sql import InconsistentRecords as InconsistentRecords  # the domain raises it too


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class NotAllowed(DomainError):
    """The caller's role does not allow this."""


class StatisticsNotAllowed(NotAllowed):
    """Statistics, exports and reports are for coordinators and administrators."""


class AdministratorFromSettings(DomainError):
    """Administrators listed in ``PEER_ADMINISTRATORS`` cannot be removed in Slack."""

    def __init__(self, user_ids: list[str]) -> None:
        super().__init__(f"{len(user_ids)} administrator(s) from the settings")
        self.user_ids = user_ids


class NotOnRoster(DomainError):
    """The caller is not a peer supporter."""


class AlreadyHasOpenRequest(DomainError):
    """The requester already has an open request."""

    def __init__(self, request_id: int) -> None:
        super().__init__(f"request {request_id} is open")
        self.request_id = request_id


class NoOpenRequest(DomainError):
    """The caller has no open request."""


class InvalidForm(DomainError):
    """A submitted form has field errors (field name → message)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


class NotYourOffer(DomainError):
    """Someone clicked an offer addressed to somebody else."""


class NotAnOfferCopy(DomainError):
    """A click on an offer came from a message that is not one of the offer's DMs."""


class CannotHandToYourself(DomainError):
    """A coordinator tried to hand a waiting request to themselves."""


class AlreadyAccepted(DomainError):
    """A second click on Accept by the supporter who already holds the request."""


class OfferNoLongerOpen(DomainError):
    """A click on an offer that expired, was passed, withdrawn or taken."""

    def __init__(self, state: OfferState) -> None:
        super().__init__(f"offer is {state}")
        self.state = state


class NotHeldByYou(DomainError):
    """A supporter acted on a request they do not hold (any more)."""


class NotWithASupporter(DomainError):
    """The requester asked for someone else while no supporter holds their request."""


class RequestNotWaiting(DomainError):
    """A coordinator tried to hand on a request that is not waiting for a supporter."""


class CannotTakeOn(DomainError):
    """A coordinator may not take this request on themselves (one answer for every reason)."""


class SupporterCannotTakeRequest(DomainError):
    """The named supporter may not be offered this request.

    Deliberately one error for every reason (not on the roster, untrained,
    away, already offered it, or excluded by the requester): telling them
    apart would let a coordinator probe who asked.
    """


class DeliveryFailed(DomainError):
    """Slack would not deliver a message to this person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DateNotInFuture(DomainError):
    """A date that must lie in the future does not."""


class NotYourCheckin(DomainError):
    """A click on a check-in addressed to somebody else (or no check-in at all)."""


class AlreadyAnswered(DomainError):
    """A second click on a check-in that was already answered."""


class IncidentNotFound(DomainError):
    """No open incident with that number."""


class NoSuchShift(DomainError):
    """No on-call shift with that number."""

    def __init__(self, shift_id: int) -> None:
        super().__init__(f"shift {shift_id}")
        self.shift_id = shift_id


class CoordinatorFromSettings(DomainError):
    """A coordinator named in PEER_COORDINATORS cannot be removed in Slack."""

    def __init__(self, user_ids: list[str]) -> None:
        super().__init__(f"{len(user_ids)} coordinator(s) from the settings")
        self.user_ids = user_ids


class LastCoordinator(DomainError):
    """Removing these coordinators would leave the program without one."""


class Suspended(DomainError):
    """A coordinator paused this supporter's offers; only a coordinator can resume them."""


class AlreadyOnRoster(DomainError):
    """The person is already a peer supporter."""


class AlreadyVolunteered(DomainError):
    """The person's offer to volunteer is already waiting for a decision."""


class AlreadyDecided(DomainError):
    """Another coordinator already decided on this volunteer."""

    def __init__(self, decided_by: str | None) -> None:
        super().__init__("already decided")
        self.decided_by = decided_by


class VolunteerNotFound(DomainError):
    """No such offer to volunteer."""


class EventNotFound(DomainError):
    """No upcoming event with that number (it ended, was cancelled, or never existed)."""


class EventStarted(DomainError):
    """RSVPs close when the event starts."""


class ConcernNotFound(DomainError):
    """No such concern."""


class ResourceNotFound(DomainError):
    """No such entry in the resource directory (removed meanwhile, or never there)."""


class ConcernHandled(DomainError):
    """Another coordinator already acted on this concern."""

    def __init__(self, handled_by: str | None) -> None:
        super().__init__("already handled")
        self.handled_by = handled_by


class InvalidPeriod(DomainError):
    """A reporting period that could not be read; the message says why."""


class NotPublished(DomainError):
    """Statistics asked for a quarter that has not ended; the message says when they are published."""


class NotYourConversation(DomainError):
    """A click on a relayed conversation by someone who is not in it."""


class ConversationEnded(DomainError):
    """The relayed conversation has ended; nothing more is passed on."""


class NotAnAssociationAdministrator(NotAllowed):
    """The statistics across offices are for the deployment's association administrators only
    (the Slack side answers as to any unknown command: the role is not revealed)."""


class TooFewOffices(DomainError):
    """Fewer offices than the minimum shared their statistics for a quarter: nothing is published."""

    def __init__(self, label: str, minimum: int) -> None:
        super().__init__(f"fewer than {minimum} offices share their statistics for {label}")
        self.label = label
        self.minimum = minimum


class OfficesUnavailable(DomainError):
    """An office's statistics could not be read: a partial sum is never published."""
