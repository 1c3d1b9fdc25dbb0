"""Builders for the profile modal and the team directory (``/peer team`` and the Home's section)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.matching import UNIT_MAX, key
from bot.profiles import (
    ABOUT_MAX,
    LANGUAGES_MAX,
    LOCATION_MAX,
    TAG_MAX,
    TAGS_MAX,
    ProfilePolicy,
    TeamMember,
)
from handlers.common.blocks import context, escape, header, mention, section
from handlers.team.ids import TeamAction, TeamBlockId, TeamCallback, TeamField
from storage.models import SupporterProfile

# Supporters shown on the Home tab; ``/peer team`` lists everyone.
HOME_TEAM_MAX = 8


def _option(text: str) -> Option:
    return Option(value=text[:150], label=text[:75])


def profile_modal(profile: SupporterProfile, policy: ProfilePolicy) -> dict[str, Any]:
    """The supporter's own profile, filled in with what they published so far."""
    s = profile.supporter
    suggested = {key(t) for t in policy.suggested_tags}
    chosen = [_option(t) for t in policy.suggested_tags if key(t) in {key(x) for x in profile.tags}]
    typed = [t for t in profile.tags if key(t) not in suggested]
    role = next((r for r in policy.roles if key(r) == key(s.role or "")), None)
    blocks: list[Block] = [
        section(
            "What you publish here is shown to everyone in the team directory (`/peer team` and the Home"
            " tab), beside your Slack name and photo. Colleagues may ask for someone of your role, outside"
            " their unit, with your experience or your language. All of it is optional."
        ),
        InputBlock(
            block_id=TeamField.ROLE,
            label="Your role",
            optional=True,
            element=StaticSelectElement(
                action_id=TeamField.ROLE,
                options=[_option(r) for r in policy.roles],
                initial_option=_option(role) if role else None,
            ),
        ),
        _text(TeamField.UNIT, "Unit or division", s.unit, UNIT_MAX, hint="e.g. Homicide, Juvenile, Appeals"),
        _text(
            TeamField.LOCATION, "Office location", s.location, LOCATION_MAX, hint="e.g. Downtown, 4th floor"
        ),
        _text(
            TeamField.LANGUAGES,
            "Languages you can talk in",
            ", ".join(profile.languages),
            LANGUAGES_MAX * 32,
            hint=f"Separated by commas, up to {LANGUAGES_MAX}: e.g. English, Spanish",
        ),
        InputBlock(
            block_id=TeamField.TAGS,
            label="Experience you're willing to share",
            optional=True,
            hint="Only if you'd like colleagues who went through it to find you.",
            element=StaticMultiSelectElement(
                action_id=TeamField.TAGS,
                options=[_option(t) for t in policy.suggested_tags],
                initial_options=chosen or None,
            ),
        ),
        _text(
            TeamField.OTHER_TAGS,
            "Other experience",  # typed tags
            ", ".join(typed),
            TAGS_MAX * (TAG_MAX + 2),
            hint=f"Your own words, comma-separated; {TAGS_MAX} tags in all, up to {TAG_MAX} characters each.",
        ),
        _text(
            TeamField.ABOUT,
            "About me",
            s.about,
            ABOUT_MAX,
            multiline=True,
            hint=f"A few words for a colleague deciding whom to ask, up to {ABOUT_MAX} characters.",
        ),
    ]
    return View(
        type="modal",
        callback_id=TeamCallback.PROFILE,
        title="Your profile",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    ).to_dict()


def _text(
    field: TeamField,
    label: str,
    value: str | None,
    limit: int,
    *,
    hint: str,
    multiline: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=label,
        optional=True,
        hint=hint,
        element=PlainTextInputElement(
            action_id=field, initial_value=value or None, multiline=multiline, max_length=limit
        ),
    )


def member_text(member: TeamMember) -> str:
    """One supporter as the directory shows them: what they published, and whether they are free now."""
    p, s = member.profile, member.profile.supporter
    first = mention(s.user_id)
    where = ", ".join(escape(x) for x in (s.role, s.unit) if x)
    if where:
        first += f" · {where}"
    if s.location:
        first += f" · {escape(s.location)}"
    lines = [first]
    if p.languages:
        lines.append("Speaks " + ", ".join(escape(x) for x in p.languages))
    if p.tags:
        lines.append("Experience: " + ", ".join(escape(t) for t in p.tags))
    if s.about:
        lines.append(f"_{escape(' '.join(s.about.split()))}_")
    lines.append("Available now" if member.available_now else "Not available right now")
    return "\n".join(lines)


def team_text(members: Sequence[TeamMember], *, filtered: bool) -> str:
    """``/peer team``: the directory, as an ephemeral message."""
    if not members:
        return (
            "No peer supporter matches that. `/peer team` lists everyone."
            if filtered
            else "The team directory is empty for now."
        )
    body = "\n\n".join(member_text(m) for m in members)
    return (
        f"*The peer support team* ({len(members)}): type `/peer` to ask for someone; you can say"
        f" what kind of peer you'd prefer.\n\n{body}\n\n"
        "Filter with `/peer team role attorney`, `/peer team tag homicide`, `/peer team language spanish`."
    )


def home_team_blocks(members: Sequence[TeamMember]) -> list[Block]:
    """The Home tab's section of the directory: the first few, and where the rest are."""
    if not members:
        return []
    top = header("The peer support team")
    top.block_id = TeamBlockId.TEAM
    blocks: list[Block] = [top]
    for member in members[:HOME_TEAM_MAX]:
        blocks.append(section(member_text(member)))
    more = len(members) - HOME_TEAM_MAX
    tail = f"And {more} more: " if more > 0 else ""
    blocks.append(
        context(f"{tail}`/peer team` lists everyone, by role, experience or language (`/peer team spanish`).")
    )
    return blocks


def home_profile_blocks(profile: SupporterProfile) -> list[Block]:
    """A supporter's own profile on their Home, with Edit."""
    s = profile.supporter
    shown = ", ".join(escape(x) for x in (s.role, s.unit) if x) or "no role or unit yet"
    extra = []
    if profile.languages:
        extra.append(f"{len(profile.languages)} language(s)")
    if profile.tags:
        extra.append(f"{len(profile.tags)} experience tag(s)")
    text = f"*Your profile in the team directory:* {shown}" + (f" · {', '.join(extra)}" if extra else "")
    return [
        SectionBlock(
            block_id=TeamBlockId.PROFILE,
            text=MarkdownTextObject(text=text),
            accessory=ButtonElement(action_id=TeamAction.EDIT_PROFILE, text="Edit profile", value="edit"),
        )
    ]
