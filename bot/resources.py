"""The bridge to professional help: the office's resource directory, and the crisis lines above it.

The crisis lines (988, the Crisis Text Line, 911) are not rows: they are always listed first and
nobody can edit or remove them. Below them, the office's own entries, kept by coordinators from
Home (each change audited, all or nothing) and seeded at start from ``PEER_RESOURCES_FILE``: each
of the file's entries is added once, so a coordinator's edits and removals survive restarts.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import InvalidForm, ResourceNotFound
from bot.ports import Clock, HomeRefresh, NoHomeRefresh
from bot.roles import Roles
from storage.db import Database
from storage.models import Resource, ResourceTopic

log = logging.getLogger(__name__)

# "What to expect and what helps": in the debrief invitation, a plan's first check-in and
# ``/peer resources``. Offices can put their own in PEER_COPING_FILE.
DEFAULT_COPING = (
    "*What to expect, and what helps*\n"
    "After a hard case, a loss or a shocking scene, it is normal for a while to replay it, sleep"
    " badly, feel on edge, numb, irritable or guilty, or to find it hard to concentrate on the next"
    " file. For most people this eases over the following weeks.\n"
    "• Keep your routines: sleep, meals, moving your body. Go easy on alcohol.\n"
    "• Talk to someone you trust, a colleague who understands the work, or a peer supporter"
    " (`/peer`).\n"
    "• Step away between hard files when you can; you don't have to look at every exhibit twice.\n"
    "• Notice what you carry home, and put it down on purpose: a walk, a shower, a ritual.\n"
    "• If it doesn't ease after a few weeks, or gets in the way of work, sleep or the people you"
    " love, talk to a professional: it is a normal response to the work, and it responds to help."
)

# Crisis lines: first everywhere, never removable. Ids below zero, so they never meet a row's.
CRISIS_LINES: tuple[Resource, ...] = (
    Resource(
        id=-1,
        name="988 Suicide & Crisis Lifeline",
        purpose="If you are thinking about suicide, are in crisis or worried about someone",
        phone="988",
        text="988",
        url="https://988lifeline.org",
        hours="24/7",
        cost="Free",
        confidential=True,
    ),
    Resource(
        id=-2,
        name="Crisis Text Line",
        purpose="Text with a trained crisis counselor",
        text="HOME to 741741",
        url="https://www.crisistextline.org",
        hours="24/7",
        cost="Free",
        confidential=True,
    ),
    Resource(
        id=-3,
        name="In immediate danger",
        purpose="Emergency services",
        phone="911",
        hours="24/7",
        cost="Free",
    ),
)

TOPIC_LABELS: dict[ResourceTopic, str] = {
    ResourceTopic.TRAUMA: "Trauma",
    ResourceTopic.GRIEF: "Grief",
    ResourceTopic.SUBSTANCE_USE: "Substance use",
    ResourceTopic.FAMILY: "Family",
    ResourceTopic.MONEY: "Money",
    ResourceTopic.LEGAL_PROFESSION: "Legal profession",
}
# What people may type after ``/peer resources``: the value, the label, and a few plain words.
_TOPIC_WORDS: dict[str, ResourceTopic] = {
    **{t.value: t for t in ResourceTopic},
    **{label.lower().replace(" ", "_"): t for t, label in TOPIC_LABELS.items()},
    "substance": ResourceTopic.SUBSTANCE_USE,
    "alcohol": ResourceTopic.SUBSTANCE_USE,
    "drugs": ResourceTopic.SUBSTANCE_USE,
    "legal": ResourceTopic.LEGAL_PROFESSION,
    "lap": ResourceTopic.LEGAL_PROFESSION,
    "lawyers": ResourceTopic.LEGAL_PROFESSION,
    "finances": ResourceTopic.MONEY,
    "loss": ResourceTopic.GRIEF,
}

NAME_MAX, PURPOSE_MAX, CONTACT_MAX, SHORT_MAX = 80, 300, 200, 100
_URL = re.compile(r"^https?://[^\s<>|]+$")
_PHONE = re.compile(r"^[0-9+()./ -]{3,30}$")


def topic_named(word: str) -> ResourceTopic | None:
    """The topic a person typed (``grief``, ``substance-use``, ``LAP``…), or None."""
    return _TOPIC_WORDS.get(word.strip().lower().replace("-", "_").replace(" ", "_"))


@dataclass(frozen=True)
class ResourceForm:
    """What a coordinator (or the seed file) entered, before validation."""

    name: str | None
    purpose: str | None
    phone: str | None = None
    text: str | None = None
    url: str | None = None
    hours: str | None = None
    cost: str | None = None
    confidential: bool = False
    topics: tuple[str, ...] = ()


def validate(form: ResourceForm) -> Resource:
    """The entry, or :class:`InvalidForm` naming each bad field (``name``, ``purpose``, ``phone``…)."""
    errors: dict[str, str] = {}

    def clean(field: str, value: str | None, limit: int) -> str | None:
        text = " ".join((value or "").split()) or None
        if text is not None and len(text) > limit:
            errors[field] = f"Please keep it under {limit} characters."
        return text

    name = clean("name", form.name, NAME_MAX)
    purpose = clean("purpose", form.purpose, PURPOSE_MAX)
    phone = clean("phone", form.phone, 30)
    text = clean("text", form.text, SHORT_MAX)
    url = clean("url", form.url, CONTACT_MAX)
    hours = clean("hours", form.hours, SHORT_MAX)
    cost = clean("cost", form.cost, SHORT_MAX)
    if name is None:
        errors["name"] = "Please give the resource a name."
    elif name.casefold() in {c.name.casefold() for c in CRISIS_LINES}:
        errors["name"] = "That's one of the crisis lines, which are always listed first."
    if purpose is None:
        errors["purpose"] = "Please say what it is for."
    if phone is not None and "phone" not in errors and not _PHONE.match(phone):
        errors["phone"] = "Please enter a phone number (digits, spaces, + ( ) - .)."
    if url is not None and "url" not in errors and not _URL.match(url):
        errors["url"] = "Please enter a web address starting with https:// (or http://)."
    if phone is None and text is None and url is None and not errors.keys() & {"phone", "text", "url"}:
        errors["phone"] = (
            "Please give at least one way to reach it: a phone number, a text line or a web address."
        )
    topics: list[ResourceTopic] = []
    for word in form.topics:
        topic = topic_named(word)
        if topic is None:
            known = ", ".join(t.value for t in ResourceTopic)
            errors["topics"] = f"Unknown topic “{word[:30]}”; topics are {known}."
        elif topic not in topics:
            topics.append(topic)
    if errors or name is None or purpose is None:
        raise InvalidForm(errors)
    return Resource(
        id=0,
        name=name,
        purpose=purpose,
        phone=phone,
        text=text,
        url=url,
        hours=hours,
        cost=cost,
        confidential=form.confidential,
        topics=tuple(topics),
    )


# The seed file


class SeedFileError(ValueError):
    """``PEER_RESOURCES_FILE`` could not be used; the message names every bad entry."""


_KEYS = {"name", "purpose", "phone", "text", "url", "hours", "cost", "confidential", "topics"}


def load_seed_file(path: Path) -> tuple[Resource, ...]:
    """The entries of a YAML (``.yml``/``.yaml``) or JSON file: a list of mappings.

    Raises :class:`SeedFileError` with one clear line per bad entry.
    """
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SeedFileError(f"cannot read {path}: {error.strerror or error}") from None
    is_yaml = path.suffix.lower() in {".yml", ".yaml"}
    try:
        if is_yaml:
            import yaml  # type: ignore[import-untyped]  # no stubs installed; safe_load returns Any

            data: Any = yaml.safe_load(raw)
        else:
            data = json.loads(raw)
    except Exception as error:  # noqa: BLE001 - json.JSONDecodeError, yaml.YAMLError: both worded here
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SeedFileError(f"{path.name} is not valid {'YAML' if is_yaml else 'JSON'}: {first}") from None
    if isinstance(data, Mapping) and isinstance(data.get("resources"), list):
        data = data["resources"]
    if not isinstance(data, list):
        raise SeedFileError(f"{path.name} must hold a list of resources (or a `resources:` list)")
    return parse_seed_entries(data)


def parse_seed_entries(data: Sequence[Any]) -> tuple[Resource, ...]:
    """Validate the seed file's entries; one line per bad entry in :class:`SeedFileError`."""
    problems: list[str] = []
    entries: list[Resource] = []
    seen: set[str] = set()
    for number, item in enumerate(data, start=1):
        where = f"entry {number}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be a mapping with name, purpose and a phone, text or url")
            continue
        if isinstance(item.get("name"), str) and item["name"].strip():
            where += f" ({item['name'].strip()[:40]})"
        unknown = sorted(str(k) for k in item if k not in _KEYS)
        topics = item.get("topics") or []
        if isinstance(topics, str):
            topics = [t for t in re.split(r"[,\s]+", topics) if t]
        reasons: list[str] = []
        if unknown:
            reasons.append("unknown field(s) " + ", ".join(unknown))
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            reasons.append("topics: must be a list of words")
            topics = []
        confidential = item.get("confidential", False)
        if not isinstance(confidential, bool):
            reasons.append("confidential: must be true or false")
        fields = {k: item.get(k) for k in ("name", "purpose", "phone", "text", "url", "hours", "cost")}
        for key, value in fields.items():
            if value is not None and not isinstance(value, (str, int)):
                reasons.append(f"{key}: must be text")
                fields[key] = None
        try:
            entry = validate(
                ResourceForm(
                    **{k: None if v is None else str(v) for k, v in fields.items()},
                    confidential=confidential is True,
                    topics=tuple(topics),
                )
            )
        except InvalidForm as invalid:
            reasons += [f"{field}: {message}" for field, message in invalid.errors.items()]
        else:
            if not reasons:
                entries.append(entry)
        name_key = " ".join(str(item.get("name") or "").split()).casefold()
        if name_key and name_key in seen:
            reasons.append("the same name appears earlier in the file")
        seen.add(name_key)
        if reasons:
            problems.append(f"{where}: " + "; ".join(reasons))
    if problems:
        raise SeedFileError(" | ".join(problems))
    return tuple(entries)


class ResourceService:
    """The directory: listed for everyone, kept by coordinators, seeded at start."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        roles: Roles,
        seed: Sequence[Resource] = (),
        homes: HomeRefresh | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._roles = roles
        self._seed = tuple(seed)
        self._homes: HomeRefresh = homes or NoHomeRefresh()

    async def directory(self, topic: ResourceTopic | None = None) -> tuple[Resource, ...]:
        """The crisis lines, then the office's entries (about ``topic``, if given)."""
        async with self._db.read() as tx:
            return (*CRISIS_LINES, *await tx.resources.entries(topic))

    async def office_entries(self) -> list[Resource]:
        """The office's own entries, without the crisis lines."""
        async with self._db.read() as tx:
            return await tx.resources.entries()

    async def seed_from_file(self) -> int:
        """Add each entry of the seed file not added before (once per name); returns how many."""
        added = 0
        async with self._db.transaction() as tx:
            for entry in self._seed:
                if not await tx.resources.mark_seeded(entry.name):
                    continue
                if await tx.resources.named(entry.name):
                    continue  # a coordinator already keeps one by that name
                await tx.resources.add(entry, now=self._clock.now())
                added += 1
        if added:
            log.info("resource directory: %d entries added from the seed file", added)
        return added

    async def for_edit(self, *, coordinator_id: str, resource_id: int) -> Resource:
        """An entry to edit (coordinators only)."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.read() as tx:
            entry = await tx.resources.get(resource_id)
        if entry is None:
            raise ResourceNotFound(str(resource_id))
        return entry

    async def save(self, *, coordinator_id: str, resource_id: int | None, form: ResourceForm) -> int:
        """Add (``resource_id`` None) or change an entry: validated, audited, all or nothing."""
        await self._roles.require_coordinator_role(coordinator_id)
        entry = validate(form)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if await tx.resources.named(entry.name, other_than=resource_id):
                raise InvalidForm({"name": "The directory already has a resource by that name."})
            if resource_id is None:
                resource_id = await tx.resources.add(entry, now=now)
                action = "resource added"
            else:
                if not await tx.resources.update(resource_id, entry, now=now):
                    raise ResourceNotFound(str(resource_id))
                action = "resource changed"
            await tx.tracking.audit(
                actor_id=coordinator_id, action=action, detail=f"#{resource_id} {entry.name}", now=now
            )
        self._homes.changed(coordinator_id, coordinators=True)
        return resource_id

    async def remove(self, *, coordinator_id: str, resource_id: int) -> Resource:
        """Remove an entry (the crisis lines are not entries and cannot be removed); audited."""
        await self._roles.require_coordinator_role(coordinator_id)
        async with self._db.transaction() as tx:
            entry = await tx.resources.get(resource_id)
            if entry is None or not await tx.resources.remove(resource_id):
                raise ResourceNotFound(str(resource_id))
            await tx.tracking.audit(
                actor_id=coordinator_id,
                action="resource removed",
                detail=f"#{resource_id} {entry.name}",
                now=self._clock.now(),
            )
        self._homes.changed(coordinator_id, coordinators=True)
        return entry
