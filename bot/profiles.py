"""Supporters' profiles and the team directory; what a requester may ask for in who takes a request.

A supporter's profile is what they choose to publish: their role (one of ``PEER_ROLES``), unit or
division, office location, languages, experience tags (some suggested, free ones allowed, each
bounded) and a short "about me" in plain text. Slack's name and photo are shown from Slack and
never stored. Supporters edit their own; coordinators may set anyone's role and unit.

The directory lists the supporters who could be offered a request: trained (not lapsed), not
suspended. It shows only the profile, and whether they are available now; never a request.

What a requester may ask for in who takes their request is ``bot.matching``; the choices the
request modal offers come from the directory (:meth:`ProfileService.match_choices`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.errors import InvalidForm, NotOnRoster
from bot.failures import failure
from bot.matching import UNIT_MAX, MatchChoices, PreferenceForm, Preferences, key, one_line, validate
from bot.ports import Clock, Directory, HomeRefresh, NoHomeRefresh
from bot.roles import Roles
from bot.service_hours import ServiceHours
from bot.training import TrainingPolicy, TrainingState
from storage.db import Database, Tx
from storage.models import Supporter, SupporterProfile, TraitKind

log = logging.getLogger(__name__)

DEFAULT_ROLES = ("Attorney", "Victim advocate", "Investigator", "Paralegal", "Support staff", "Other")
DEFAULT_SUGGESTED_TAGS = (
    "homicide trials",
    "crimes against children",
    "sexual assault cases",
    "loss of a parent",
    "loss of a child",
    "military service",
    "divorce",
    "caregiving",
    "addiction and recovery",
    "serious illness",
)
# Bounds of what a supporter may publish (Slack's own limits are wider; these keep the directory short).
LOCATION_MAX = 60
ABOUT_MAX = 300
LANGUAGES_MAX = 5
LANGUAGE_MAX = 30
TAGS_MAX = 8
TAG_MAX = 40
# The request modal opens on Slack's 3-second trigger: names that take longer are left out.
NAMES_WAIT_SECONDS = 1.0
CHOICES_FOR = timedelta(minutes=1)  # the request modal's choices, reused while nothing changed

# Control characters other than tab and newline have no place in "about me".
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class ProfilePolicy:
    """The office's list of roles (``PEER_ROLES``) and the experience tags suggested in the profile."""

    roles: tuple[str, ...] = DEFAULT_ROLES
    suggested_tags: tuple[str, ...] = DEFAULT_SUGGESTED_TAGS

    def role(self, text: str | None) -> str | None:
        """The office's spelling of a role typed or chosen in any case; None if it is not one."""
        wanted = key(text or "")
        return next((r for r in self.roles if key(r) == wanted), None) if wanted else None


@dataclass(frozen=True)
class ProfileForm:
    """What a supporter filled in, before validation (lists come comma-separated from text inputs)."""

    role: str | None = None
    unit: str | None = None
    location: str | None = None
    languages: str | None = None
    tags: tuple[str, ...] = ()  # chosen among the suggested ones
    other_tags: str | None = None  # typed, comma-separated
    about: str | None = None


@dataclass(frozen=True)
class TeamMember:
    """A supporter as the directory shows them: their profile and whether they are available now."""

    profile: SupporterProfile
    available_now: bool

    @property
    def user_id(self) -> str:
        """Their Slack user id (shown as a mention: Slack draws the name)."""
        return self.profile.supporter.user_id


@dataclass(frozen=True)
class TeamFilter:
    """``/peer team`` filters: each, if set, must match (case-insensitively); ``words`` match any field."""

    role: str | None = None
    tag: str | None = None
    language: str | None = None
    words: str | None = None

    def matches(self, member: TeamMember) -> bool:
        """Whether a member passes every filter set."""
        p, s = member.profile, member.profile.supporter
        if self.role and key(s.role or "") != key(self.role):
            return False
        if self.tag and not any(key(self.tag) in key(t) for t in p.tags):
            return False
        if self.language and key(self.language) not in {key(x) for x in p.languages}:
            return False
        if self.words:
            haystack = " ".join([s.role or "", s.unit or "", *p.tags, *p.languages]).lower()
            return key(self.words) in haystack
        return True


@dataclass(frozen=True)
class RoleChange:
    """What a coordinator's ``/peer roster role|unit`` changed."""

    updated: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)


def _distinct(values: Iterable[str]) -> list[str]:
    """Values in order, without repeats that differ only in case or spacing."""
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(key(value), value)
    return list(seen.values())


def _list(text: str | None) -> list[str]:
    return [one_line(part) for part in (text or "").replace("\n", ",").split(",") if one_line(part)]


class ProfileService:
    """Profiles, the directory, and the choices and checks of the request modal's preferences."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        hours: ServiceHours,
        roles: Roles,
        training: TrainingPolicy,
        policy: ProfilePolicy = ProfilePolicy(),
        homes: HomeRefresh | None = None,
        directory: Directory | None = None,
    ) -> None:
        self._directory = directory
        self._db = db
        self._choices: dict[bool, tuple[tuple[int, int], datetime, MatchChoices]] = {}
        self._clock = clock
        self._hours = hours
        self._roles = roles
        self._training = training
        self.policy = policy
        self._homes = homes or NoHomeRefresh()

    # A supporter's own profile

    async def own(self, *, user_id: str) -> SupporterProfile:
        """The caller's profile; :class:`NotOnRoster` if they are not a supporter."""
        async with self._db.read() as tx:
            profiles = await self._profiles(tx, [user_id])
        if not profiles:
            raise NotOnRoster()
        return profiles[0]

    async def save_own(self, *, user_id: str, form: ProfileForm) -> SupporterProfile:
        """Validate and store the caller's profile; :class:`InvalidForm` names each bad field."""
        errors: dict[str, str] = {}
        role = None
        if form.role:
            role = self.policy.role(form.role)
            if role is None:
                errors["role"] = "Please choose one of the roles listed."
        unit = self._bounded(errors, "unit", one_line(form.unit), UNIT_MAX)
        location = self._bounded(errors, "location", one_line(form.location), LOCATION_MAX)
        about = (form.about or "").strip()
        about = _CONTROL.sub(" ", about.replace("\r\n", "\n"))
        if len(about) > ABOUT_MAX:
            errors["about"] = f"Please keep this to {ABOUT_MAX} characters (it has {len(about)})."
        languages = _distinct(_list(form.languages))
        if len(languages) > LANGUAGES_MAX:
            errors["languages"] = f"Please list at most {LANGUAGES_MAX} languages."
        elif any(len(x) > LANGUAGE_MAX for x in languages):
            errors["languages"] = f"Please keep each language to {LANGUAGE_MAX} characters."
        suggested = {key(t): t for t in self.policy.suggested_tags}
        chosen = [suggested[key(t)] for t in form.tags if key(t) in suggested]
        if len(chosen) != len(form.tags):
            errors["tags"] = "Please choose among the suggested tags (or type your own below)."
        typed = _list(form.other_tags)
        tags = _distinct([*chosen, *typed])
        if any(len(t) > TAG_MAX for t in typed):
            errors["other_tags"] = f"Please keep each tag to {TAG_MAX} characters."
        elif len(tags) > TAGS_MAX:
            errors["other_tags"] = f"Please keep to {TAGS_MAX} tags in all (you have {len(tags)})."
        if errors:
            raise InvalidForm(errors)
        async with self._db.transaction() as tx:
            saved = await tx.profiles.save(
                user_id,
                role=role,
                unit=unit or None,
                location=location or None,
                about=about or None,
                languages=languages,
                tags=tags,
            )
            if not saved:
                raise NotOnRoster()
            [profile] = await self._profiles(tx, [user_id])
        log.info("a supporter updated their profile")
        self._homes.changed(user_id, coordinators=True)  # their role and unit are in the roster table
        return profile

    @staticmethod
    def _bounded(errors: dict[str, str], name: str, value: str, limit: int) -> str:
        if len(value) > limit:
            errors[name] = f"Please keep this to {limit} characters (it has {len(value)})."
        return value

    # Coordinators

    async def set_role(self, *, coordinator_id: str, user_ids: Sequence[str], role: str) -> RoleChange:
        """A coordinator sets supporters' role (one of ``PEER_ROLES``)."""
        await self._roles.require_coordinator_role(coordinator_id)
        chosen = self.policy.role(role)
        if chosen is None:
            raise InvalidForm({"role": "Choose one of: " + ", ".join(self.policy.roles) + "."})
        return await self._set(coordinator_id, user_ids, "role", chosen)

    async def set_unit(self, *, coordinator_id: str, user_ids: Sequence[str], unit: str) -> RoleChange:
        """A coordinator sets supporters' unit or division."""
        await self._roles.require_coordinator_role(coordinator_id)
        value = one_line(unit)
        if not value or len(value) > UNIT_MAX:
            raise InvalidForm({"unit": f"Give a unit of 1 to {UNIT_MAX} characters."})
        return await self._set(coordinator_id, user_ids, "unit", value)

    async def _set(self, coordinator_id: str, user_ids: Sequence[str], what: str, value: str) -> RoleChange:
        change = RoleChange()
        now = self._clock.now()
        async with self._db.transaction() as tx:
            for user_id in dict.fromkeys(user_ids):
                done = (
                    await tx.profiles.set_role(user_id, value)
                    if what == "role"
                    else await tx.profiles.set_unit(user_id, value)
                )
                (change.updated if done else change.not_found).append(user_id)
                if done:
                    await tx.tracking.audit(
                        actor_id=coordinator_id,
                        action=f"{what} set",
                        detail=f"<@{user_id}>: {value}",
                        now=now,
                    )
        self._homes.changed(*change.updated, coordinators=True)  # the roster table shows both
        return change

    # The directory

    async def team(self, team_filter: TeamFilter = TeamFilter()) -> list[TeamMember]:
        """Supporters who could be offered a request (trained, not lapsed, not suspended), filtered."""
        async with self._db.read() as tx:
            members = await self._listed(tx)
        return [m for m in members if team_filter.matches(m)]

    async def match_choices(self, *, names: bool = True) -> MatchChoices:
        """What the request modal offers: roles, and the units, tags and languages of the listed team.

        Kept while nothing in the database changed (and for at most a minute, for Slack's names):
        reading and sorting the team is most of what answering ``/peer`` costs.
        """
        version = await self._db.version()
        now = self._clock.now()
        cached = self._choices.get(names)
        if (
            version is not None
            and cached is not None
            and cached[0] == version
            and now - cached[1] < CHOICES_FOR
        ):
            return cached[2]
        choices = await self._match_choices(names=names)
        if version is not None:
            self._choices[names] = (version, now, choices)
        return choices

    async def _match_choices(self, *, names: bool) -> MatchChoices:
        members = await self.team()
        profiles = [m.profile for m in members]
        found = await self._names({m.user_id for m in members}) if names else {}
        return MatchChoices(
            roles=self.policy.roles,
            units=tuple(sorted(_distinct(p.supporter.unit for p in profiles if p.supporter.unit), key=key)),
            tags=tuple(sorted(_distinct(t for p in profiles for t in p.tags), key=key)),
            languages=tuple(sorted(_distinct(x for p in profiles for x in p.languages), key=key)),
            supporters=tuple(
                (m.user_id, _label(found.get(m.user_id), m.profile.supporter))
                for m in sorted(members, key=lambda m: key(found.get(m.user_id, "~")))
            ),
        )

    async def _names(self, user_ids: set[str]) -> dict[str, str]:
        """Slack's names of these people, if Slack answers in time (used for the picker, never stored)."""
        if self._directory is None or not user_ids:
            return {}
        try:
            return await asyncio.wait_for(self._directory.display_names(user_ids), NAMES_WAIT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - the picker then shows roles and units only
            log.warning("names for the supporter picker not read: %s", failure(exc))
            return {}

    async def preferences(self, form: PreferenceForm) -> tuple[Preferences, dict[str, str]]:
        """What a submitted request modal asks for in a supporter, checked against what it offered."""
        return validate(form, await self.match_choices(names=False), self.policy.role)

    async def listed_in(self, tx: Tx, user_id: str) -> Supporter | None:
        """The supporter if the directory lists them (so a requester may ask them first)."""
        supporter = await tx.roster.get(user_id)
        return supporter if supporter is not None and self._listed_now(supporter) else None

    # Internals

    async def _profiles(self, tx: Tx, user_ids: list[str] | None = None) -> list[SupporterProfile]:
        supporters = await tx.roster.all()
        if user_ids is not None:
            supporters = [s for s in supporters if s.user_id in user_ids]
        traits = await tx.profiles.traits([s.user_id for s in supporters])
        return [
            SupporterProfile(
                supporter=s,
                languages=tuple(traits.get(s.user_id, {}).get(TraitKind.LANGUAGE, [])),
                tags=tuple(traits.get(s.user_id, {}).get(TraitKind.TAG, [])),
            )
            for s in supporters
        ]

    async def _listed(self, tx: Tx) -> list[TeamMember]:
        today = self._hours.today(self._clock.now())
        profiles = [p for p in await self._profiles(tx) if self._listed_now(p.supporter)]
        # In the order they joined, never the rotation's: the rotation moves with every offer, so
        # its order would show everyone who was just offered or took a request.
        profiles.sort(key=lambda p: (p.supporter.added_at, p.supporter.user_id))
        return [
            TeamMember(profile=p, available_now=self._available_now(p.supporter, today)) for p in profiles
        ]

    def _listed_now(self, supporter: Supporter) -> bool:
        today = self._hours.today(self._clock.now())
        state = self._training.state(supporter.trained_on, today)
        return state in (TrainingState.CURRENT, TrainingState.DUE_SOON) and not supporter.suspended

    def _available_now(self, s: Supporter, today: date) -> bool:
        # Not their load: a supporter turning "busy" the moment they accept would tell a colleague
        # who stayed anonymous (or anyone watching) who took a request.
        away = s.away and not (s.away_until is not None and s.away_until <= today)
        open_now = self._hours.is_open(self._clock.now()) or s.after_hours
        return not away and s.unreachable is None and open_now


def _label(name: str | None, s: Supporter) -> str:
    """A supporter in a picker: Slack's name (if Slack answered), role and unit (never a request)."""
    return " · ".join(part for part in (name, s.role, s.unit) if part) or "A peer supporter"
