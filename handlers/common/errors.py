"""The one place where errors become words for people: domain errors, and the one Bolt error handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.errors import (
    AdministratorFromSettings,
    AlreadyAccepted,
    AlreadyAnswered,
    AlreadyDecided,
    AlreadyHasOpenRequest,
    AlreadyOnRoster,
    AlreadyVolunteered,
    CannotHandToYourself,
    CannotTakeOn,
    ConcernHandled,
    ConcernNotFound,
    ConversationEnded,
    CoordinatorFromSettings,
    DateNotInFuture,
    DomainError,
    EventNotFound,
    EventStarted,
    IncidentNotFound,
    InvalidForm,
    InvalidPeriod,
    LastCoordinator,
    NoOpenRequest,
    NoSuchShift,
    NotAllowed,
    NotAnOfferCopy,
    NotHeldByYou,
    NotOnRoster,
    NotPublished,
    NotWithASupporter,
    NotYourCheckin,
    NotYourConversation,
    NotYourOffer,
    OfferNoLongerOpen,
    OfficesUnavailable,
    RequestNotWaiting,
    ResourceNotFound,
    StatisticsNotAllowed,
    SupporterCannotTakeRequest,
    Suspended,
    TooFewOffices,
    VolunteerNotFound,
)
from bot.failures import failure
from handlers.common.payloads import BadPayload
from storage.models import OfferState

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and nothing was changed. Please try again in a"
    " moment. If you need someone now, type `/peer resources`."
)

_STALE = {
    OfferState.PASSED: "You already passed on this request; it has moved on.",
    OfferState.EXPIRED: "This offer expired and has moved on to another supporter.",
    OfferState.TAKEN: "This request is no longer yours to take: another supporter accepted it.",
    OfferState.WITHDRAWN: "This request was withdrawn, so there's nothing more to do.",
    OfferState.HANDED_BACK: "You handed this request back; it is no longer yours.",
    OfferState.CLOSED: "This request is already closed.",
    OfferState.UNDELIVERABLE: "This offer is no longer open.",
    OfferState.RELEASED: "This request has moved on to another supporter; it is no longer yours.",
}


def user_message(error: DomainError | BadPayload) -> str:
    """Plain words for a domain error, safe to show to the person who caused it."""
    match error:
        case TooFewOffices(label=label, minimum=minimum):
            return f"Fewer than {minimum} offices share their statistics for {label}: nothing is published."
        case OfficesUnavailable():
            return (
                "The offices' statistics could not all be read just now; please try again in a few minutes."
            )
        case StatisticsNotAllowed():
            return "Sorry, only program coordinators and administrators can see that. Nothing was changed."
        case NotAllowed():
            return "Sorry, only program coordinators can do that. Nothing was changed."
        case NotOnRoster():
            return "That's for peer supporters on the roster. Ask a coordinator if you'd like to volunteer."
        case AlreadyHasOpenRequest(request_id=request_id):
            return (
                f"You already have an open request (#{request_id}). `/peer status` shows where it"
                " is; `/peer cancel` withdraws it if you'd like to start over."
            )
        case NoOpenRequest():
            return "You don't have an open request. Type `/peer` to ask for a peer."
        case NotYourOffer():
            return "This offer isn't addressed to you, so nothing was changed."
        case NotAnOfferCopy():
            return (
                "That button isn't on one of your offer messages from me, so nothing was changed."
                " Please use the offer in your DM with me."
            )
        case CannotHandToYourself():
            return "You can't hand a request to yourself. Please choose another supporter."
        case AlreadyAccepted():
            return "You've already accepted this request; it's yours."
        case OfferNoLongerOpen(state=state):
            return _STALE.get(state, "This offer is no longer open.")
        case NotHeldByYou():
            return "You no longer hold this request, so nothing was changed."
        case NotWithASupporter():
            return (
                "Your request isn't with a supporter right now: it's being offered to one, and"
                " you'll get a message when someone accepts. `/peer resources` if you need someone now."
            )
        case RequestNotWaiting():
            return "That request is no longer waiting for a supporter."
        case CannotTakeOn():
            return "You can't take this request on yourself. Please offer it to a supporter instead."
        case SupporterCannotTakeRequest():
            return "That supporter can't be offered this request. Please choose someone else."
        case DateNotInFuture():
            return "That date isn't in the future; use `/peer away` to pause with no end date."
        case NotYourCheckin():
            return "This check-in isn't addressed to you, so nothing was changed."
        case AlreadyAnswered():
            return "You've already answered this check-in. Thank you."
        case IncidentNotFound():
            return "There is no open incident with that number. `/peer incident list` shows them."
        case NotPublished():
            return f"Not yet: {error}."
        case InvalidPeriod():
            return f"I couldn't read that period: {error}."
        case NotYourConversation():
            return "This conversation isn't yours, so nothing was changed."
        case ConversationEnded():
            return "This conversation has ended. Type `/peer` to ask for a peer again."
        case BadPayload():
            return "Sorry, that button could not be read. Nothing was changed."
        case InvalidForm(errors=errors):
            return " ".join(errors.values())
        case CoordinatorFromSettings(user_ids=user_ids):
            names = ", ".join(f"<@{u}>" for u in user_ids)
            return f"{names}: set in the PEER_COORDINATORS setting; change it there. Nothing was changed."
        case AdministratorFromSettings(user_ids=user_ids):
            names = ", ".join(f"<@{u}>" for u in user_ids)
            return f"{names}: set in the PEER_ADMINISTRATORS setting; change it there. Nothing was changed."
        case LastCoordinator():
            return "The program needs at least one coordinator, so nothing was changed."
        case Suspended():
            return (
                "A coordinator has paused offers to you for now, so none will come until they resume"
                " them. Please talk to a coordinator."
            )
        case AlreadyOnRoster():
            return "You're already on the peer supporter roster. Thank you!"
        case AlreadyVolunteered():
            return "Your offer to volunteer is already with the coordinators. Thank you!"
        case AlreadyDecided(decided_by=decided_by):
            by = f" by <@{decided_by}>" if decided_by else ""
            return f"This was already decided{by}, so nothing was changed."
        case EventNotFound():
            return "There is no upcoming event with that number. `/peer event list` shows them."
        case EventStarted():
            return "This event has already started, so RSVPs are closed."
        case ConcernHandled(handled_by=handled_by):
            by = f" by <@{handled_by}>" if handled_by else ""
            return f"This concern was already taken care of{by}, so nothing was changed."
        case ConcernNotFound():
            return "That concern no longer exists."
        case VolunteerNotFound():
            return "That offer to volunteer no longer exists."
        case NoSuchShift():
            return f"There is no on-call shift #{error.shift_id}. `/peer oncall` lists them."
        case ResourceNotFound():
            return "That resource is no longer in the directory (it may have been removed meanwhile)."
    return SOMETHING_WENT_WRONG


def register(app: AsyncApp) -> None:
    """Bind the one error handler: a listener that failed still gets Slack a well-formed answer."""

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        # The type only: exception messages from libraries can carry payload text.
        log.error("listener failed (%s): %s", _kind(body), failure(error))
        if body.get("command"):
            return BoltResponse(
                status=200,
                body={"response_type": "ephemeral", "text": SOMETHING_WENT_WRONG},
            )
        if body.get("type") == "view_submission" and (block_id := _first_input(body)):
            # An empty answer would close the modal as if it had worked: keep it open, say so.
            return BoltResponse(
                status=200, body={"response_action": "errors", "errors": {block_id: SOMETHING_WENT_WRONG}}
            )
        return BoltResponse(status=200, body="")


def _first_input(body: dict[str, Any]) -> str | None:
    view = body.get("view")
    blocks = view.get("blocks") if isinstance(view, dict) else None
    for block in blocks if isinstance(blocks, list) else []:
        if (
            isinstance(block, dict)
            and block.get("type") == "input"
            and isinstance(block.get("block_id"), str)
        ):
            return str(block["block_id"])
    return None


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("type") or ("slash_command" if body.get("command") else "unknown"))
