"""Builders for the coordinator's roster work from the Home: the roster as a table, and the modals
that add a supporter, record a training, suspend or resume, review volunteers and change who holds
the coordinator and administrator roles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.matching import UNIT_MAX
from bot.roster import TRAINING_NAME_MAX, RosterEntry
from bot.training import TrainingState
from handlers.common.blocks import context, escape, mention, section
from handlers.roster.blocks import LOAD_LABELS, LOAD_NOTE, status_word
from handlers.roster.ids import RosterBlockId, RosterCallback, RosterField
from storage.models import TrainingKind, Volunteer

# Characters of rows per section (a section's text holds 3,000).
SECTION_CHARS = 2900
# Rows in the whole table's modal (a row is at most ~230 characters: far inside 100 blocks, 250 kB).
MODAL_ROWS = 400
# Rows shown on the Home; the rest are counted, with a button to the whole table.
HOME_ROWS = 15
# Volunteers offered per review (radio buttons hold ten options).
REVIEW_MAX = 10


def _day(value: date) -> str:
    return f"{value:%Y-%m-%d}"


def _training_cell(entry: RosterEntry) -> str:
    if entry.training == TrainingState.UNTRAINED or entry.lapses_on is None:
        return "in training"
    if entry.training == TrainingState.LAPSED:
        return f"*lapsed {_day(entry.lapses_on)}*"
    if entry.training == TrainingState.DUE_SOON:
        return f"refresher due {_day(entry.lapses_on)}"
    return f"current to {_day(entry.lapses_on)}"


def roster_row(entry: RosterEntry) -> str:
    """One supporter as a row: who, role, unit, availability, load band, training with its expiry."""
    s = entry.supporter
    role = escape(s.role) if s.role else "no role"
    unit = escape(s.unit) if s.unit else "no unit"
    return (
        f"{mention(s.user_id)} · {role} · {unit} · {status_word(entry)}"
        f" · load {LOAD_LABELS[entry.load]} · {_training_cell(entry)}"
    )


def roster_sections(entries: Sequence[RosterEntry]) -> list[Block]:
    """The table's rows, as many to a section as its 3,000 characters hold."""
    sections: list[list[str]] = []
    size = SECTION_CHARS
    for text in (roster_row(e) for e in entries):
        if size + 1 + len(text) > SECTION_CHARS:
            sections.append([])
            size = -1
        sections[-1].append(text)
        size += 1 + len(text)
    return [section("\n".join(rows)) for rows in sections]


def roster_modal(entries: Sequence[RosterEntry]) -> dict[str, Any]:
    """The whole roster as a table (the Home shows its first rows), up to ``MODAL_ROWS`` rows."""
    blocks: list[Block] = [
        section(f"*Peer supporters ({len(entries)})*: role · unit · availability · load · training"),
        *roster_sections(entries[:MODAL_ROWS]),
        context(LOAD_NOTE),
    ]
    if len(entries) > MODAL_ROWS:
        blocks.append(context(f"And {len(entries) - MODAL_ROWS} more: `/peer roster` lists everyone."))
    return View(type="modal", title="The roster", close="Close", blocks=blocks).to_dict()


def _form(callback: RosterCallback, title: str, submit: str, blocks: Sequence[Block]) -> dict[str, Any]:
    """A coordinator's roster modal: its inputs, submitted with ``submit``."""
    return View(
        type="modal", callback_id=callback, title=title, submit=submit, close="Cancel", blocks=list(blocks)
    ).to_dict()


def _who(label: str = "Supporter") -> InputBlock:
    return InputBlock(
        block_id=RosterField.SUPPORTER,
        label=label,
        element=UserSelectElement(action_id=RosterField.SUPPORTER, placeholder="Choose a person"),
    )


def _radio(field: RosterField, label: str, options: dict[str, str], initial: str | None = None) -> InputBlock:
    choices = [Option(value=value, label=text) for value, text in options.items()]
    chosen = next((o for o in choices if o.value == initial), None)
    return InputBlock(
        block_id=field,
        label=label,
        element=RadioButtonsElement(action_id=field, options=choices, initial_option=chosen),
    )


def add_supporter_modal() -> dict[str, Any]:
    """Add a supporter to the roster, with their basic course if it is done."""
    return _form(
        RosterCallback.ADD_SUPPORTER,
        "Add a supporter",
        "Add",
        [
            _who("Who joins the roster"),
            InputBlock(
                block_id=RosterField.TRAINED_ON,
                label="Basic course completed on",
                optional=True,
                hint="Leave empty if not done yet: they get offers once it is recorded.",
                element=DatePickerElement(action_id=RosterField.TRAINED_ON),
            ),
        ],
    )


TRAINING_LABELS = {
    TrainingKind.BASIC: "Basic course",
    TrainingKind.REFRESHER: "Refresher",
    TrainingKind.ADVANCED: "Advanced (named, e.g. CISM)",
}


def training_modal(*, today: date) -> dict[str, Any]:
    """Record a training: who, which kind, when (not in the future, not years back), its name."""
    return _form(
        RosterCallback.TRAINING,
        "Record a training",
        "Record",
        [
            _who(),
            _radio(
                RosterField.TRAINING_KIND,
                "Training",
                {str(k): v for k, v in TRAINING_LABELS.items()},
                initial=TrainingKind.REFRESHER,
            ),
            InputBlock(
                block_id=RosterField.TRAINED_ON,
                label="Completed on",
                element=DatePickerElement(action_id=RosterField.TRAINED_ON, initial_date=today.isoformat()),
            ),
            InputBlock(
                block_id=RosterField.TRAINING_NAME,
                label="Name of an advanced training",
                optional=True,
                element=PlainTextInputElement(
                    action_id=RosterField.TRAINING_NAME,
                    max_length=TRAINING_NAME_MAX,
                    placeholder="CISM group crisis intervention",
                ),
            ),
            context("A basic course or a refresher keeps a supporter's training current."),
        ],
    )


SUSPEND, RESUME, RETIRE = "suspend", "resume", "retire"


def suspend_modal() -> dict[str, Any]:
    """Pause a supporter's offers, resume them, or retire the supporter from the roster."""
    return _form(
        RosterCallback.SUSPEND,
        "Suspend, resume, retire",
        "Save",
        [
            _who(),
            _radio(
                RosterField.PAUSE,
                "Offers",
                {
                    SUSPEND: "Suspend: no offers until resumed",
                    RESUME: "Resume: offers can reach them",
                    RETIRE: "Retire: off the roster",
                },
                initial=SUSPEND,
            ),
            context(
                "Suspending passes their open offers on; the requests they hold stay with them. Retiring"
                " hands what they hold back to the rotation; the statistics keep their counts."
            ),
        ],
    )


def profile_modal(roles: Sequence[str]) -> dict[str, Any]:
    """Set a supporter's role (one of ``PEER_ROLES``) and unit, as ``/peer roster role|unit`` do."""
    return _form(
        RosterCallback.PROFILE,
        "Role and unit",
        "Save",
        [
            _who(),
            InputBlock(
                block_id=RosterField.SUPPORTER_ROLE,
                label="Role",
                optional=True,
                element=StaticSelectElement(
                    action_id=RosterField.SUPPORTER_ROLE,
                    placeholder="Leave as it is",
                    options=[Option(value=r[:150], label=r[:75]) for r in roles[:100]],
                ),
            ),
            InputBlock(
                block_id=RosterField.SUPPORTER_UNIT,
                label="Unit or division",
                optional=True,
                element=PlainTextInputElement(
                    action_id=RosterField.SUPPORTER_UNIT, max_length=UNIT_MAX, placeholder="Leave as it is"
                ),
            ),
            context(
                "Shown in the team directory, and used when a colleague asks for someone outside their unit."
            ),
        ],
    )


APPROVE, DECLINE = "approve", "decline"


def volunteers_modal(pending: Sequence[Volunteer]) -> dict[str, Any]:
    """Decide one waiting volunteer (the first ``REVIEW_MAX`` are offered)."""
    if not pending:
        return View(
            type="modal",
            title="Volunteers",
            close="Close",
            blocks=[section("Nobody is waiting for a decision.")],
        ).to_dict()
    shown = pending[:REVIEW_MAX]
    options = [
        Option(
            value=str(v.id),
            text=MarkdownTextObject(text=f"{mention(v.user_id)}, offered {_day(v.created_at)}"),
        )
        for v in shown
    ]
    blocks: list[Block] = [
        InputBlock(
            block_id=RosterField.VOLUNTEER,
            label="Volunteer",
            element=RadioButtonsElement(action_id=RosterField.VOLUNTEER, options=options),
        ),
        _radio(
            RosterField.DECISION,
            "Decision",
            {APPROVE: "Approve: on the roster, untrained", DECLINE: "Decline"},
        ),
        context("They are told either way. Their note is in the review DM each coordinator got."),
    ]
    if len(pending) > len(shown):
        blocks.append(
            context(f"{len(pending) - len(shown)} more wait: they are offered once these are decided.")
        )
    return _form(
        RosterCallback.VOLUNTEERS,
        "Review volunteers",
        "Decide",
        blocks,
    )


COORDINATOR, ADMINISTRATOR = "coordinator", "administrator"
ADD, REMOVE = "add", "remove"


def _holders(title: str, fixed: Sequence[str], added: Sequence[str], setting: str) -> str:
    people = [f"{mention(u)} ({setting})" for u in fixed] + [mention(u) for u in added]
    return f"*{title}:* " + (", ".join(people) if people else "none")


def roles_modal(
    coordinators: tuple[Sequence[str], Sequence[str]], administrators: tuple[Sequence[str], Sequence[str]]
) -> dict[str, Any]:
    """Give or take the coordinator or administrator role; who holds each now is shown first
    (each as (from the setting, added in Slack))."""
    now = "\n".join(
        [
            _holders("Coordinators", *coordinators, "PEER_COORDINATORS"),
            _holders("Administrators", *administrators, "PEER_ADMINISTRATORS"),
        ]
    )
    return _form(
        RosterCallback.ROLES,
        "Roles",
        "Save",
        [
            SectionBlock(block_id=RosterBlockId.ROLES_NOW, text=MarkdownTextObject(text=now)),
            context(
                "Administrators see the statistics, exports and the quarterly report, and nothing else."
                " Those set in the app's settings are changed there."
            ),
            _who("Who"),
            _radio(
                RosterField.ROLE,
                "Role",
                {COORDINATOR: "Coordinator", ADMINISTRATOR: "Administrator"},
                initial=COORDINATOR,
            ),
            _radio(
                RosterField.ROLE_CHANGE, "Change", {ADD: "Give the role", REMOVE: "Take it away"}, initial=ADD
            ),
        ],
    )
