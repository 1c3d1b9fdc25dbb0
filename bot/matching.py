"""What a requester may ask for in who takes their request, and how it is said (issue 17).

"Outside my unit" is a hard rule: no supporter of the requester's unit, nor one whose unit is not
recorded, is ever offered the request. The rest (the same role as the requester, experience with
one of some tags, a language) are preferences: routing asks those who match first, round-robin,
and when none of them is free, the next supporter in the normal rotation, telling the requester
once (:data:`storage.models.ScheduledKind.REQUEST_UNMATCHED`). The SQL is
:meth:`storage.roster_repository.RosterRepository.eligible`; the query is built in
``bot.peer_requests.routing``.

An offer may say which of the preferences its supporter matched ("asked for: someone outside their
unit"), never who asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from storage.models import PeerRequest, Supporter
from storage.roster_repository import Match

# The longest unit or division a profile (and so a request) may name.
UNIT_MAX = 60
# A requester's "has experience with" takes this many tags at most.
WANTED_TAGS_MAX = 3
# The unit a requester picks when theirs is not among the team's: any supporter with a unit is outside it.
OTHER_UNIT = "Another unit"

_SPACES = re.compile(r"\s+")
# Control characters (newlines included) have no place in a one-line field.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class MatchChoices:
    """What the request modal offers to ask for, read from the directory (hashable: the modal is cached)."""

    roles: tuple[str, ...] = ()
    units: tuple[str, ...] = ()  # units of listed supporters: "outside my unit" means outside these
    tags: tuple[str, ...] = ()  # tags listed supporters publish
    languages: tuple[str, ...] = ()
    # Supporters a requester may ask first: (user id, label without a name; the name comes from Slack).
    supporters: tuple[tuple[str, str], ...] = ()


def key(text: str) -> str:
    """How two spellings are compared: case and spacing do not matter."""
    return _SPACES.sub(" ", text).strip().casefold()


def one_line(text: str | None) -> str:
    """A one-line field as stored: control characters dropped, spaces collapsed."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text or "")).strip()


@dataclass(frozen=True)
class Preferences:
    """Who a requester would like to take their request. ``avoid_unit`` is the hard rule ("outside
    my unit"); the rest are preferences, dropped when nobody who matches is free."""

    avoid_unit: str | None = None
    role: str | None = None  # "same role as me": the requester's role
    tags: tuple[str, ...] = ()  # "has experience with": any of these
    language: str | None = None


@dataclass(frozen=True)
class PreferenceForm:
    """The request modal's "Prefer someone who…" part, before validation."""

    own_role: str | None = None
    own_unit: str | None = None
    same_role: bool = False
    outside_unit: bool = False
    tags: tuple[str, ...] = ()
    language: str | None = None


def validate(
    form: PreferenceForm, choices: MatchChoices, role_of: Callable[[str | None], str | None]
) -> tuple[Preferences, dict[str, str]]:
    """The preferences a request modal asks for, and the errors of its fields (by field name).

    Only what the modal offered is taken: a crafted role, unit, tag or language is refused.
    """
    errors: dict[str, str] = {}
    own_role = role_of(form.own_role) if form.own_role else None
    if form.own_role and own_role is None:
        errors["own_role"] = "Please choose one of the roles listed."
    elif form.same_role and own_role is None:
        errors["own_role"] = 'Choose your role for "in the same role as me".'
    own_unit = one_line(form.own_unit)[:UNIT_MAX] or None
    units = {key(u): u for u in (*choices.units, OTHER_UNIT)}
    if own_unit is not None and key(own_unit) not in units:
        errors["own_unit"] = "Please choose one of the units listed."
    elif form.outside_unit and own_unit is None:
        errors["own_unit"] = 'Choose your unit for "outside my unit".'
    offered = {key(t): t for t in choices.tags}
    tags = list(dict.fromkeys(offered.get(key(t), t) for t in form.tags if one_line(t)))
    if len(tags) > WANTED_TAGS_MAX:
        errors["wanted_tags"] = f"Please choose at most {WANTED_TAGS_MAX}."
    elif any(key(t) not in offered for t in tags):
        errors["wanted_tags"] = "Please choose among the experience the team lists."
    languages = {key(x): x for x in choices.languages}
    language = one_line(form.language) or None
    if language is not None and key(language) not in languages:
        errors["language"] = "Please choose among the languages the team lists."
    return (
        Preferences(
            avoid_unit=units.get(key(own_unit or "")) if form.outside_unit else None,
            role=own_role if form.same_role else None,
            tags=tuple(tags),
            language=languages.get(key(language or "")),
        ),
        errors,
    )


def match_of(request: PeerRequest) -> Match | None:
    """The preferences of a request as the eligibility query takes them (None: no preference)."""
    if not (request.match_role or request.match_tags or request.match_language):
        return None
    return Match(role=request.match_role, tags=frozenset(request.match_tags), language=request.match_language)


def wanted(request: PeerRequest) -> list[str]:
    """What the requester preferred, in their words' order, for their own notice."""
    parts = []
    if request.match_role:
        parts.append(f"in your role ({request.match_role})")
    if request.match_tags:
        parts.append("with experience of " + " or ".join(request.match_tags))
    if request.match_language:
        parts.append(f"who speaks {request.match_language}")
    return parts


def asked_for(
    request: PeerRequest, supporter: Supporter | None, tags: Iterable[str], languages: Iterable[str]
) -> tuple[str, ...]:
    """Which of the request's wishes this supporter meets, as their offer may say it (never who asked)."""
    if supporter is None:
        return ()
    found = []
    if request.avoid_unit:
        found.append("someone outside their unit")
    if request.match_role and key(supporter.role or "") == key(request.match_role):
        found.append(f"someone in their role ({request.match_role})")
    theirs = {key(t) for t in tags}
    shared = [t for t in request.match_tags if key(t) in theirs]
    if shared:
        found.append("experience with " + ", ".join(shared))
    if request.match_language and key(request.match_language) in {key(x) for x in languages}:
        found.append(f"someone who speaks {request.match_language}")
    return tuple(found)
