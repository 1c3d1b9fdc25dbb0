"""Builders for the request modal, offers, and the messages around a request."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.matching import OTHER_UNIT, WANTED_TAGS_MAX, MatchChoices
from bot.peer_requests import MAX_EXCLUDED
from bot.ports import EscalationCard, OfferCard, TalkCard
from handlers.common.blocks import (
    AREA_LABELS,
    CONTACT_LABELS,
    REFERRAL_LABELS,
    URGENCY_LABELS,
    coarse_wait,
    context,
    escape,
    header,
    mention,
    part_of_day,
    resources_blocks,
    section,
    when,
)
from handlers.common.payloads import CheckinRef, OfferRef, RequestRef
from handlers.requests.ids import RequestAction, RequestBlockId, RequestCallback, RequestField
from handlers.resources.blocks import share_button
from storage.models import ContactMode, OfferState, Referral, TalkAnswer, Urgency

HEAVY = "heavy"
# The value of the "Keep my name private" checkbox, and how such a request is contacted.
ANONYMOUS_CHOICE = "private"
ANONYMOUS_CONTACT = "Anonymous conversation in Slack, through the app"
CONFIDENTIALITY = (
    "*Who sees what.* Your request goes to one peer supporter at a time. Supporters first see"
    " only the topic, how soon, and how you'd like to be contacted; your name and your note"
    " are shown only to the one who accepts. Nobody else is told that you asked: not your"
    " manager, not the coordinators, not a channel."
)
STORED = (
    "*What is stored.* Your choices below, your note, and who took the request, so the"
    " supporter can reach you. The program's statistics never include names."
)


_Key = TypeVar("_Key", bound=StrEnum)


def _options(labels: Mapping[_Key, str]) -> list[Option]:
    return [Option(value=str(key), label=text) for key, text in labels.items()]


# An empty team directory: the modal asks for no preference.
NO_CHOICES = MatchChoices()
# The values of the "Prefer someone who…" checkboxes.
SAME_ROLE = "same_role"
OUTSIDE_UNIT = "outside_unit"


@functools.lru_cache(maxsize=8)
def request_modal(
    *, note_max_length: int, nobody_until: str | None = None, choices: MatchChoices = NO_CHOICES
) -> dict[str, Any]:
    """The modal in which someone asks to talk to a peer (cached: it is on the ack path; never mutate it).

    ``nobody_until``: the words of :func:`nobody_on_call_text`, shown first when nobody from the
    peer team can be reached now (outside service hours, nobody on call). ``choices`` are what the
    team directory lists: the "Prefer someone who…" part and the supporter to ask first offer only
    those (a part with nothing to choose from is left out).
    """
    warning: list[Block] = [] if nobody_until is None else [section(":warning: " + nobody_until)]
    blocks: list[Block] = [
        *warning,
        section(
            "Ask to talk with a trained colleague. It's private, and it's okay to ask"
            " for any reason, big or small."
        ),
        context(CONFIDENTIALITY),
        context(STORED),
        context(
            "Peer supporters are colleagues, *not counselors*; they can help you find"
            " professional help too. *In crisis right now?* Call or text 988, or call 911"
            " if you are in danger."
        ),
        area_input(RequestField.AREA, label="What would you like to talk about?"),
        InputBlock(
            block_id=RequestField.URGENCY,
            label="How soon?",
            element=RadioButtonsElement(action_id=RequestField.URGENCY, options=_options(URGENCY_LABELS)),
        ),
        InputBlock(
            block_id=RequestField.CONTACT,
            label="How would you like to connect?",
            element=RadioButtonsElement(action_id=RequestField.CONTACT, options=_options(CONTACT_LABELS)),
        ),
        InputBlock(
            block_id=RequestField.ANONYMOUS,
            label="Anonymity",
            optional=True,
            hint=(
                "You talk with the supporter in a thread here, through the app. They see you as"
                ' "Anonymous colleague" until you choose to share your name. What you write can'
                " still identify you."
            ),
            element=CheckboxesElement(
                action_id=RequestField.ANONYMOUS,
                options=[
                    Option(
                        value=ANONYMOUS_CHOICE,
                        label="Keep my name private",
                        description='Choose "Slack message" above to use this.',
                    )
                ],
            ),
        ),
        *_preference_blocks(choices),
        InputBlock(
            block_id=RequestField.EXCLUDED,
            label="People you'd rather not talk to",
            optional=True,
            hint=f"Optional, up to {MAX_EXCLUDED}. They will never be offered your request, and never told.",
            element=UserMultiSelectElement(action_id=RequestField.EXCLUDED, placeholder="Nobody"),
        ),
        InputBlock(
            block_id=RequestField.NOTE,
            label="A short note for the supporter",
            optional=True,
            hint=(
                f"Optional, up to {note_max_length} characters. Only the supporter who accepts will read it."
            ),
            element=PlainTextInputElement(action_id=RequestField.NOTE, multiline=True),
        ),
    ]
    return View(
        type="modal",
        callback_id=RequestCallback.REQUEST,
        title="Talk to a peer",
        submit="Send request",
        close="Cancel",
        blocks=blocks,
    ).to_dict()


def _select(field: RequestField, label: str, options: Sequence[str], hint: str) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=label,
        optional=True,
        hint=hint,
        element=StaticSelectElement(
            action_id=field,
            placeholder="Choose",
            options=[Option(value=o[:150], label=o[:75]) for o in options[:100]],
        ),
    )


def _preference_blocks(choices: MatchChoices) -> list[Block]:
    """ "Prefer someone who…" and "a supporter to ask first", from what the directory lists."""
    blocks: list[Block] = []
    prefer = [Option(value=SAME_ROLE, label="is in the same role as me")]
    if choices.units:
        prefer.append(
            Option(
                value=OUTSIDE_UNIT,
                label="is outside my unit",
                description="Always kept: nobody from your unit is asked.",
            )
        )
    blocks.append(
        InputBlock(
            block_id=RequestField.PREFER,
            label="Prefer someone who…",
            optional=True,
            hint=(
                "Optional. If nobody who matches is free, another supporter is asked and you're told."
                ' "Outside my unit" is never set aside.'
            ),
            element=CheckboxesElement(action_id=RequestField.PREFER, options=prefer),
        )
    )
    if choices.roles:
        blocks.append(
            _select(RequestField.OWN_ROLE, "Your role", choices.roles, 'For "the same role as me".')
        )
    if choices.units:
        blocks.append(
            _select(
                RequestField.OWN_UNIT,
                "Your unit",
                (*choices.units, OTHER_UNIT),
                'For "outside my unit". Stored with your request and deleted with it.',
            )
        )
    if choices.tags:
        blocks.append(
            InputBlock(
                block_id=RequestField.WANTED_TAGS,
                label="…has experience with",
                optional=True,
                hint=f"Optional, up to {WANTED_TAGS_MAX}: what supporters chose to share.",
                element=StaticMultiSelectElement(
                    action_id=RequestField.WANTED_TAGS,
                    placeholder="Any experience",
                    max_selected_items=WANTED_TAGS_MAX,
                    options=[Option(value=t[:150], label=t[:75]) for t in choices.tags[:100]],
                ),
            )
        )
    if choices.languages:
        blocks.append(_select(RequestField.LANGUAGE, "…speaks", choices.languages, "Optional."))
    if choices.supporters:
        blocks.append(
            InputBlock(
                block_id=RequestField.PREFERRED,
                label="A supporter to ask first",
                optional=True,
                hint="Optional. `/peer team` shows who they are. If they can't, the next one is asked.",
                element=StaticSelectElement(
                    action_id=RequestField.PREFERRED,
                    placeholder="Anyone available",
                    options=[Option(value=u, label=label[:75]) for u, label in choices.supporters[:100]],
                ),
            )
        )
    return blocks


def offer_message(card: OfferCard, *, tz: ZoneInfo) -> list[dict[str, Any]]:
    """A supporter's offer DM in its current state; identity only once they hold it."""
    ref = OfferRef(offer_id=card.offer_id).encode()
    contact = ANONYMOUS_CONTACT if card.anonymous else CONTACT_LABELS[card.contact]
    facts = (
        f"*About:* {AREA_LABELS[card.area]}\n*How soon:* {URGENCY_LABELS[card.urgency]}\n"
        f"*Contact by:* {contact}"
    )
    blocks: list[Block]
    if card.state == OfferState.OPEN:
        shown = "Their note is shown" if card.anonymous else "Who asked, and their note, are shown"
        blocks = [
            header(
                "A colleague (anonymous) would like to talk"
                if card.anonymous
                else "A colleague would like to talk"
            ),
            section(facts),
            *(
                [context("*Asked for:* " + "; ".join(escape(a) for a in card.asked_for))]
                if card.asked_for
                else []
            ),
            context(
                f"{_asked(card)}{shown} only if you accept. If you can't take it, pass and it moves"
                f" on; nobody is told. Open until {when(card.expires_at, tz)}."
            ),
            ActionsBlock(
                block_id=RequestBlockId.OFFER,
                elements=[
                    ButtonElement(action_id=RequestAction.ACCEPT, text="Accept", style="primary", value=ref),
                    ButtonElement(action_id=RequestAction.PASS, text="Pass", value=ref),
                ],
            ),
        ]
    elif card.state == OfferState.ACCEPTED and (card.requester_id is not None or card.anonymous):
        request = RequestRef(request_id=card.request_id).encode()
        # Anonymous wins over any requester id: the card never names who stayed anonymous.
        who = (
            "a colleague (anonymous)"
            if card.anonymous or not card.requester_id
            else mention(card.requester_id)
        )
        reach = (
            f"Write to them {_how_soon(card.urgency)} in the thread of the anonymous conversation below."
            if card.anonymous
            else f"Please reach out {_how(card.contact)} {_how_soon(card.urgency)}."
        )
        blocks = [
            header("You're supporting a colleague"),
            section(f"*Who:* {who}\n{facts}"),
        ]
        if card.note:
            blocks.append(SectionBlock(text=PlainTextObject(text=f"Their note: {card.note}")))
        follow = (
            " You marked that you've reached out. Thank you."
            if card.reached_out
            else " Once you have, press *I've reached out*: otherwise you'll be reminded, and later the"
            " request goes to another supporter so they aren't left waiting."
        )
        reached: list[ButtonElement] = (
            []
            if card.reached_out
            else [
                ButtonElement(
                    action_id=RequestAction.REACHED_OUT,
                    text="I've reached out",
                    style="primary",
                    value=request,
                )
            ]
        )
        blocks += [
            context(
                f"{reach} Keep what they share confidential. You're not their counselor: if they"
                f" need more, offer the EAP or a crisis line.{follow}"
            ),
            ActionsBlock(
                block_id=RequestBlockId.HELD,
                elements=[
                    *reached,
                    share_button(card.request_id),
                    ButtonElement(action_id=RequestAction.CLOSE, text="Close", value=request),
                    ButtonElement(
                        action_id=RequestAction.HAND_BACK,
                        text="Hand back",
                        value=request,
                        confirm=ConfirmObject(
                            title="Hand this request back?",
                            text=(
                                "It goes back to the rotation and another supporter is asked."
                                " The requester is not told who handed it back."
                            ),
                            confirm="Hand back",
                            deny="Keep it",
                        ),
                    ),
                ],
            ),
        ]
    else:
        blocks = [section(_settled(card)), context(facts.replace("\n", " · "))]
    return [b.to_dict() for b in blocks]


def _settled(card: OfferCard) -> str:
    texts = {
        OfferState.PASSED: "You passed on this request. Thank you for saying so; it has moved on.",
        OfferState.EXPIRED: "This offer expired and has moved on to another supporter.",
        OfferState.TAKEN: "Another supporter has taken this request. Thank you for being there.",
        OfferState.WITHDRAWN: "This request was withdrawn. No action is needed.",
        OfferState.HANDED_BACK: "You handed this request back. It is being offered to someone else.",
        OfferState.CLOSED: "You closed this request. Thank you for supporting a colleague.",
        OfferState.UNDELIVERABLE: "This offer could not be delivered.",
        OfferState.RELEASED: (
            "This request has moved on to another supporter. No action is needed; please keep what"
            " you know of it confidential."
        ),
        OfferState.ACCEPTED: "You accepted this request.",
        OfferState.OPEN: "This offer is open.",
    }
    text = texts[card.state]
    if card.state == OfferState.CLOSED and card.minutes:
        text += f" ({card.minutes} min recorded)"
    return text


def _asked(card: OfferCard) -> str:
    """How long the request had waited when offered, coarsely (an urgent one waiting long shows it)."""
    if card.waited is None:
        return ""
    if card.waited < timedelta(minutes=5):
        return "Asked just now. "
    return f"Asked {coarse_wait(card.waited)} before this offer. "


def _how(contact: ContactMode) -> str:
    return {
        ContactMode.SLACK: "by Slack message",
        ContactMode.PHONE: "by phone",
        ContactMode.IN_PERSON: "to meet in person",
    }[contact]


def _how_soon(urgency: Urgency) -> str:
    return {
        Urgency.ASAP: "as soon as you can",
        Urgency.THIS_WEEK: "this week",
        Urgency.NO_RUSH: "when it suits you both",
    }[urgency]


def request_received(
    *,
    request_id: int,
    next_opening: datetime | None,
    hours: str,
    tz: ZoneInfo,
    resources: Sequence[str],
    anonymous: bool = False,
) -> list[dict[str, Any]]:
    """The requester's confirmation: what happens next, confidentiality, resources."""
    if next_opening is None and anonymous:
        next_step = (
            "We're asking a trained peer supporter now, without your name. When one accepts, a"
            " conversation with them opens here: you write in its thread, through the app."
        )
    elif next_opening is None:
        next_step = (
            "We're asking a trained peer supporter now. When one accepts, you'll get a message"
            " here saying who will reach out."
        )
    else:
        next_step = (
            f"The program is closed right now (hours: {hours}). A supporter who takes"
            " after-hours requests may reach out sooner; otherwise expect to hear from"
            f" someone after {when(next_opening, tz)}. If you need someone now, please use"
            " the lines below."
        )
    blocks: list[Block] = [
        header("We got your request"),
        section(next_step),
        context(
            f"Request #{request_id}. "
            + (
                "The supporter won't be told who you are unless you choose to share it."
                if anonymous
                else "Only you and the supporter who accepts will know you asked."
            )
            + " `/peer status` shows where it is; `/peer cancel` withdraws it."
        ),
        *resources_blocks(resources),
    ]
    return [b.to_dict() for b in blocks]


def request_assigned(
    *, supporter_id: str, contact: ContactMode, request_id: int | None = None
) -> list[dict[str, Any]]:
    """The requester learns who will reach out, and can ask for someone else at any time."""
    blocks: list[Block] = [
        section(
            f"{mention(supporter_id)} will reach out to you {_how(contact)}. You don't need"
            " to do anything else."
        ),
        context(
            "If you haven't heard from them, or you'd rather talk to someone else, say so below:"
            " another supporter is asked, and nobody is told why. If now isn't a good time after"
            " all, `/peer cancel` withdraws the request."
        ),
    ]
    if request_id is not None:
        blocks.append(requester_buttons(request_id))
    return [b.to_dict() for b in blocks]


def requester_buttons(request_id: int) -> ActionsBlock:
    """The requester's "I haven't heard from anyone" and "I'd like someone else" (DM and Home)."""
    ref = RequestRef(request_id=request_id).encode()
    return ActionsBlock(
        block_id=f"{RequestBlockId.SOMEONE_ELSE}{request_id}",
        elements=[
            ButtonElement(action_id=RequestAction.NOT_HEARD, text="I haven't heard from anyone", value=ref),
            ButtonElement(action_id=RequestAction.SOMEONE_ELSE, text="I'd like someone else", value=ref),
        ],
    )


def someone_else_text(*, not_heard: bool) -> str:
    """What the requester is told once another supporter is being asked (never a name)."""
    first = "Sorry nobody has been in touch yet." if not_heard else "Of course."
    return (
        f"{first} We're asking another peer supporter now, and you'll get a message when one"
        " accepts. The supporter you had won't be asked again for this request, and isn't told why."
    )


def reach_out_reminder(*, request_id: int, release_at: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The holder's one reminder to mark that they reached out."""
    ref = RequestRef(request_id=request_id).encode()
    blocks: list[Block] = [
        section(
            f"Have you reached out about request #{request_id}? If you have, please press *I've"
            " reached out*. If not yet, please do it now, or hand it back so someone else can."
        ),
        context(
            f"If it isn't marked by {when(release_at, tz)}, the request goes to another supporter so"
            " the colleague isn't left waiting."
        ),
        ActionsBlock(
            block_id=RequestBlockId.HELD,
            elements=[
                ButtonElement(
                    action_id=RequestAction.REACHED_OUT, text="I've reached out", style="primary", value=ref
                )
            ],
        ),
    ]
    return [b.to_dict() for b in blocks]


def request_moved_on(*, request_id: int, lapsed: bool) -> list[dict[str, Any]]:
    """The former holder learns the request went to another supporter."""
    why = (
        "It wasn't marked as reached out in time, so it has gone to another supporter."
        if lapsed
        else "It has moved on to another supporter."
    )
    return [
        section(
            f"Request #{request_id}, which you accepted, is no longer with you. {why} No action is"
            " needed; please keep what you know of it confidential."
        ).to_dict()
    ]


# The after-close question's buttons and what each answer is (the button's words are the answer).
TALK_ANSWERS: dict[RequestAction, tuple[TalkAnswer, str]] = {
    RequestAction.TALK_YES: (TalkAnswer.YES, "Yes"),
    RequestAction.TALK_SOMEWHAT: (TalkAnswer.SOMEWHAT, "Somewhat"),
    RequestAction.TALK_NOT_REALLY: (TalkAnswer.NOT_REALLY, "Not really"),
    RequestAction.TALK_MORE: (TalkAnswer.KEEP_TALKING, "I'd like to keep talking"),
}
TALK_LABELS: dict[TalkAnswer, str] = {answer: label for answer, label in TALK_ANSWERS.values()}


def talk_question(card: TalkCard) -> list[dict[str, Any]]:
    """ "Did talking help?" after a close, and, once answered, the thanks (it names nobody)."""
    anonymous = (
        "Your answer is only counted, for the program's statistics: it is never linked to you, to your"
        " supporter or to your request."
    )
    if card.answer is None:
        ref = CheckinRef(message_id=card.message_id).encode()
        blocks: list[Block] = [
            section("*Did talking help?*"),
            context(anonymous),
            ActionsBlock(
                block_id=RequestBlockId.TALK,
                elements=[
                    ButtonElement(action_id=action, text=label, value=ref)
                    for action, (_, label) in TALK_ANSWERS.items()
                ],
            ),
        ]
        return [b.to_dict() for b in blocks]
    text = f"*Did talking help?* You answered: {TALK_LABELS[card.answer]}. Thank you for telling us."
    if card.reopened is True:
        text += (
            " We're asking your supporter first if they're free, or else another peer supporter; you'll"
            " get a message when one accepts."
        )
    elif card.reopened is False:
        text += " You already have an open request: `/peer status` shows where it is."
    return [section(text).to_dict(), context(anonymous).to_dict()]


def hold_released(card: EscalationCard, *, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Coordinators learn a held request was released: area and urgency only, never who (nor its
    number: numbers are sequential, so two of them would say how many asked in between)."""
    blocks: list[Block] = [
        section(
            "A held request was released: it was accepted, but not marked as"
            " reached out in time after a reminder. It has gone back to the rotation, and the next"
            " supporter who accepts is told who asked."
        ),
        context(
            f"*About:* {AREA_LABELS[card.area]} · *How soon:* {URGENCY_LABELS[card.urgency]}"
            f" · *Waiting since:* {part_of_day(card.waiting_since, tz)}"
        ),
    ]
    return [b.to_dict() for b in blocks]


def asked_at(moment: datetime, tz: ZoneInfo) -> str:
    """``08:00 on Mon 7 Dec``: when a supporter will be asked."""
    local = moment.astimezone(tz)
    return f"{local:%H:%M} on {local:%a %-d %b}"


def nobody_on_call_text(next_opening: datetime, tz: ZoneInfo) -> str:
    """The honest words when nobody can be reached now (the requester's DM and the modal's warning)."""
    return (
        "*Nobody from the peer team is on call now.* If you are in crisis, call or text 988 now"
        f" (or call 911 if you are in danger). A supporter will be asked at {asked_at(next_opening, tz)}."
    )


def request_nobody_on_call(
    *, next_opening: datetime, tz: ZoneInfo, resources: Sequence[str]
) -> list[dict[str, Any]]:
    """An urgent request outside service hours that nobody can take now: what happens, and when."""
    blocks: list[Block] = [
        section(nobody_on_call_text(next_opening, tz)),
        context(
            "The program's coordinators have been told that an urgent request is waiting (without"
            " your name). Your request stays open; `/peer cancel` withdraws it."
        ),
        *resources_blocks(resources, title="If you need someone now"),
    ]
    return [b.to_dict() for b in blocks]


def request_escalated(*, resources: Sequence[str]) -> list[dict[str, Any]]:
    """The requester learns nobody is free yet, and gets the resources."""
    blocks: list[Block] = [
        section(
            "No peer supporter is free to take your request right now. The program"
            " coordinators have been alerted (without your name) and your request stays"
            " open: it goes to the next supporter who becomes available."
        ),
        *resources_blocks(resources, title="If you need someone now"),
    ]
    return [b.to_dict() for b in blocks]


def request_unmatched(*, wanted: Sequence[str]) -> list[dict[str, Any]]:
    """The requester learns their preference could not be met this time, and that someone else was asked."""
    what = " and ".join(escape(w) for w in wanted) or "who matches what you asked for"
    blocks: list[Block] = [
        section(
            f"Nobody {what} is free right now, so we've asked another peer supporter. If you'd rather"
            " wait for someone who matches, withdraw with `/peer cancel` and ask again later."
        ),
        context('"Outside my unit", if you asked for it, is always kept.'),
    ]
    return [b.to_dict() for b in blocks]


def request_closed(*, resources: Sequence[str]) -> list[dict[str, Any]]:
    """The requester is told the request was closed."""
    blocks: list[Block] = [
        section(
            "Your peer supporter has closed your request. Thank you for reaching out. If"
            " you'd like to talk again, type `/peer` at any time."
        ),
        *resources_blocks(resources),
    ]
    return [b.to_dict() for b in blocks]


def request_withdrawn(*, request_id: int) -> list[dict[str, Any]]:
    """The supporter holding a request learns it was withdrawn."""
    return [
        section(
            f"Request #{request_id}, which you accepted, was withdrawn by the person who"
            " made it. No action is needed; please keep what you know of it confidential."
        ).to_dict()
    ]


def escalation_alert(card: EscalationCard, *, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Coordinators learn a request is waiting (area and urgency only), and later that it no longer is."""
    facts = (
        f"*About:* {AREA_LABELS[card.area]}\n*How soon:* {URGENCY_LABELS[card.urgency]}\n"
        f"*Waiting since:* {part_of_day(card.waiting_since, tz)}"
    )
    if card.resolution is not None:
        outcome = {
            "offered": "has been offered to a supporter",
            "accepted": "was accepted by a supporter",
            "taken_on": "was taken on by a coordinator",
            "withdrawn": "was withdrawn by the person who made it",
        }.get(card.resolution, "is no longer waiting")
        blocks: list[Block] = [
            section(f"This request is no longer waiting: it {outcome}. No action is needed."),
            context(facts.replace("\n", " · ")),
        ]
        return [b.to_dict() for b in blocks]
    if card.urgent_waited is not None:
        if card.opens_at is not None:
            facts += f"\n*Outside service hours:* the program opens {when(card.opens_at, tz)}"
        return _urgent_alert(card, facts, card.urgent_waited)
    blocks = [
        header("A peer support request is waiting"),
        section(facts),
        context(
            "No available supporter could take it. It will be"
            " offered to the next supporter who becomes available, or you can hand it to"
            " someone now. You will not be told who asked."
        ),
        ActionsBlock(
            block_id=RequestBlockId.ESCALATION,
            elements=[
                ButtonElement(
                    action_id=RequestAction.HAND_TO,
                    text="Offer to a supporter…",
                    value=RequestRef(request_id=card.request_id).encode(),
                )
            ],
        ),
    ]
    return [b.to_dict() for b in blocks]


def _urgent_alert(card: EscalationCard, facts: str, waited: timedelta) -> list[dict[str, Any]]:
    """The urgent-alert clock's alert: nobody has accepted an urgent request in time."""
    ref = RequestRef(request_id=card.request_id).encode()
    blocks: list[Block] = [
        header("An urgent request is still waiting"),
        section(
            f"Someone asked to talk to a peer *as soon as possible* {coarse_wait(waited)}"
            " ago, and no supporter has accepted yet.\n" + facts
        ),
        context(
            "Supporters are still being asked meanwhile. Offer it to a"
            " supporter you can reach, or take it on yourself as the person on call: only then are"
            " you told who asked."
        ),
        ActionsBlock(
            block_id=RequestBlockId.ESCALATION,
            elements=[
                ButtonElement(action_id=RequestAction.HAND_TO, text="Offer to a supporter…", value=ref),
                ButtonElement(
                    action_id=RequestAction.TAKE_ON,
                    text="I'll take it",
                    value=ref,
                    style="primary",
                    confirm=ConfirmObject(
                        title="Take this request on?",
                        text="You will hold it like a supporter who accepted: you'll see who asked and"
                        " their note, and you're the one to reach out now.",
                        confirm="I'll take it",
                        deny="Cancel",
                    ),
                ),
            ],
        ),
    ]
    return [b.to_dict() for b in blocks]


def hand_to_modal(*, request_id: int) -> dict[str, Any]:
    """A coordinator chooses a supporter to offer a waiting request to."""
    return View(
        type="modal",
        callback_id=RequestCallback.HAND_TO,
        private_metadata=RequestRef(request_id=request_id).encode(),
        title="Offer to a supporter",
        submit="Offer",
        close="Cancel",
        blocks=[
            section("The request will be offered to the supporter you choose."),
            InputBlock(
                block_id=RequestField.SUPPORTER,
                label="Supporter",
                element=UserSelectElement(action_id=RequestField.SUPPORTER, placeholder="Choose a supporter"),
            ),
        ],
    ).to_dict()


def area_input(block_id: RequestField, *, label: str) -> InputBlock:
    """What a conversation is about."""
    return InputBlock(
        block_id=block_id,
        label=label,
        element=StaticSelectElement(
            action_id=block_id, placeholder="Choose one", options=_options(AREA_LABELS)
        ),
    )


def close_modal(*, request_id: int, follow_up: bool = True, shared: bool = False) -> dict[str, Any]:
    """The supporter records the time spent and any referral (and may ask for a reminder).

    Once they shared entries of the resource directory, the referral defaults to "Other
    professional help" (they can still choose another).

    No reminder for a colleague who stayed anonymous: the supporter could not reach them.
    """
    reminder: Block = InputBlock(
        block_id=RequestField.FOLLOW_UP_DAYS,
        label="Remind me to check back in (days)",
        optional=True,
        hint="Optional. You'll get a DM then; nobody else is told.",
        element=PlainTextInputElement(action_id=RequestField.FOLLOW_UP_DAYS, placeholder="e.g. 7"),
    )
    default = Referral.OTHER if shared else Referral.NONE
    if not follow_up:
        reminder = context("The colleague stayed anonymous, so there is no reminder to check back in.")
    return View(
        type="modal",
        callback_id=RequestCallback.CLOSE,
        private_metadata=RequestRef(request_id=request_id).encode(),
        title="Close request",
        submit="Close",
        close="Not yet",
        blocks=[
            context("Recorded without names, for the program's statistics."),
            InputBlock(
                block_id=RequestField.MINUTES,
                label="Minutes spent",
                element=PlainTextInputElement(action_id=RequestField.MINUTES, placeholder="e.g. 45"),
            ),
            InputBlock(
                block_id=RequestField.REFERRAL,
                label="Referral made",
                element=RadioButtonsElement(
                    action_id=RequestField.REFERRAL,
                    options=_options(REFERRAL_LABELS),
                    initial_option=Option(value=default, label=REFERRAL_LABELS[default]),
                ),
            ),
            InputBlock(
                block_id=RequestField.HEAVY,
                label="How was it for you?",
                optional=True,
                hint="Nobody is told. A day later the program checks in on you, with a peer if you like.",
                element=CheckboxesElement(
                    action_id=RequestField.HEAVY,
                    options=[Option(value=HEAVY, label="This one was heavy for me")],
                ),
            ),
            reminder,
        ],
    ).to_dict()


def supporter_unreachable(*, supporter_id: str, reason: str) -> list[dict[str, Any]]:
    """Coordinators learn a supporter cannot get DMs from the app (no request is named)."""
    return [
        section(
            f"I couldn't send a peer support offer to {mention(supporter_id)}: Slack answered"
            f" `{reason[:60]}`. They're set to *away*, so new requests go to other supporters."
            " Once their account can receive messages from the app again, they can type"
            " `/peer available`."
        ).to_dict()
    ]
