"""What each person saw in Slack, step by step: collected from the stand-in, printed, saved as JSON."""

from __future__ import annotations

import json
import re
import textwrap
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from demo.render import Json, render_blocks, render_text, render_view
from slack_standin.driver import Response
from slack_standin.server import Call, SlackStandIn, dm_channel

WIDTH = 100


@dataclass(frozen=True)
class Person:
    """Someone in the office, with a friendly name and a Slack-like user id."""

    name: str
    user_id: str
    role: str = "employee"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Seen:
    """One thing a person saw: a DM, its update, an ephemeral reply, a modal, their Home tab."""

    person: Person
    kind: str
    label: str
    lines: tuple[str, ...]
    payload: Json
    at: float
    lock_screen: str = ""

    def mentions(self, words: Iterable[str]) -> bool:
        """Whether any of ``words`` (names, ids, a note) appears in what was shown or sent."""
        shown = " ".join(" ".join((*self.lines, json.dumps(self.payload, ensure_ascii=False))).split())
        return any(_contains(shown, word) for word in words)


@dataclass
class Ask:
    """Someone asked for a peer, with a note: whose name and note must stay between two people.

    ``anonymous``: they ticked "Keep my name private", so even the supporter who accepts is not
    shown who they are until ``revealed_at`` (the monotonic time they clicked "Reveal my name").
    """

    requester: Person
    note: str
    how: str = ""
    anonymous: bool = False
    revealed_at: float | None = None


@dataclass
class StepRecord:
    """One step of the story: what happened, and what each person saw."""

    number: int
    title: str
    narration: list[str] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def by_person(self) -> dict[Person, list[Seen]]:
        """What each person saw in this step, people in the order they first saw something."""
        grouped: dict[Person, list[Seen]] = {}
        for item in self.seen:
            grouped.setdefault(item.person, []).append(item)
        return grouped


class Recorder:
    """Turns the stand-in's Web API calls and the app's replies into what each person saw."""

    def __init__(self, slack: SlackStandIn, cast: Sequence[Person], trigger_owner: Mapping[str, str]) -> None:
        self._slack = slack
        self._people = {p.user_id: p for p in cast} | {dm_channel(p.user_id): p for p in cast}
        self._names = {p.user_id: p.name for p in cast}
        self._trigger_owner = trigger_owner
        self._next_call = len(slack.calls)
        self._pending: list[Seen] = []
        # The step being recorded, and where each modal was first shown in full (to print it once).
        self._step = 1
        self._modals_shown: dict[tuple[str, ...], int] = {}

    def reply(self, user_id: str, what: str, response: Response) -> None:
        """Record the app's direct answer to a command or a form (only the sender sees it)."""
        body = response.json if response.text else None
        if not isinstance(body, dict):
            return
        if body.get("response_action") == "errors":
            kind, label = "errors", "The form shows errors"
            lines = tuple(f"{block}: {error}" for block, error in body.get("errors", {}).items())
        elif body.get("text") or body.get("blocks"):
            kind, label = "reply", f"Only they can see this: the reply to {what}"
            lines = self._lines(body)
        else:
            return
        self._pending.append(Seen(self._person(user_id), kind, label, lines, body, time.monotonic()))

    def later_reply(self, user_id: str, what: str, body: Json) -> None:
        """Record an answer the app sent later, through the command's ``response_url``."""
        label = f"Only they can see this: the answer to {what}, a moment later"
        self._pending.append(
            Seen(self._person(user_id), "reply", label, self._lines(body), body, time.monotonic())
        )

    def collect(self) -> list[Seen]:
        """Everything shown to someone since the last collect, oldest first (one collect per step)."""
        calls = self._slack.calls[self._next_call :]
        self._next_call += len(calls)
        seen = self._pending + [s for s in map(self._from_call, calls) if s is not None]
        self._pending = []
        seen = [self._once(s) for s in sorted(seen, key=lambda s: s.at)]
        self._step += 1
        return seen

    def _once(self, item: Seen) -> Seen:
        """A modal already shown in full in an earlier step is named, not printed again."""
        if item.kind != "modal":
            return item
        first = self._modals_shown.setdefault(item.lines, self._step)
        if first == self._step:
            return item
        shown = f"{item.lines[0]} (the same form as in step {first}, shown there in full)"
        return replace(item, lines=(shown,))

    def _from_call(self, call: Call) -> Seen | None:
        p = call.params
        if call.method in {"views.open", "views.push", "views.publish"}:
            view = p.get("view") or {}
            lines = tuple(render_view(view, self._names))
            if call.method == "views.publish":
                return Seen(self._person(p.get("user_id")), "home", "Their Home tab", lines, view, call.at)
            who = self._trigger_owner.get(str(p.get("trigger_id")))
            return Seen(self._person(who), "modal", "A modal opens", lines, _builder_view(view), call.at)
        if call.method == "files.completeUploadExternal":
            return self._files(call)
        if call.method not in _MESSAGES:
            return None  # auth.test, conversations.open, …: nothing anyone sees
        kind, label = _MESSAGES[call.method]
        text = str(p.get("text", ""))
        payload = {"blocks": p["blocks"]} if p.get("blocks") else {"text": text}
        if p.get("thread_ts"):
            kind, label = "thread", f"A new reply in the thread of “{self._thread_title(call)}”"
        if kind == "ephemeral":
            who, lock_screen = p.get("user"), ""
        else:
            who, lock_screen, label = call.channel, text, f"{label} · lock screen: “{text}”"
        return Seen(self._person(who), kind, label, self._lines(payload), payload, call.at, lock_screen)

    def _thread_title(self, call: Call) -> str:
        """The header of the message a thread hangs from, as its person sees it."""
        channel = str(call.channel or "")
        channel = dm_channel(channel) if channel[:1] in "UW" else channel
        root = self._slack.messages.get((channel, str(call.params["thread_ts"])))
        headers = [b for b in (root.blocks if root else []) if b.get("type") == "header"]
        return str(headers[0]["text"]["text"]) if headers else "an earlier message"

    def _files(self, call: Call) -> Seen:
        """Files the app shared in someone's DM (``files.completeUploadExternal``)."""
        p = call.params
        listed = p.get("files")
        listed = json.loads(listed) if isinstance(listed, str) else listed or []
        lines = render_text(str(p.get("initial_comment") or ""), self._names)
        shared = []
        for item in listed:
            stored = self._slack.files.get(str(item.get("id")), {})
            name = str(stored.get("filename", item.get("id")))
            content = stored.get("content") or b""
            lines.append(f"File {name}: “{item.get('title', '')}”, {len(content):,} bytes")
            if name.endswith(".csv"):
                lines += [f"    {row}" for row in content.decode("utf-8").splitlines() if row]
            shared.append({"filename": name, "title": item.get("title"), "bytes": len(content)})
        payload = {"text": str(p.get("initial_comment") or ""), "files": shared}
        return Seen(
            self._person(p.get("channel_id")),
            "files",
            "Files shared in their DM",
            tuple(lines),
            payload,
            call.at,
        )

    def _lines(self, payload: Json) -> tuple[str, ...]:
        if payload.get("blocks"):
            return tuple(render_blocks(payload["blocks"], self._names))
        return tuple(render_text(str(payload.get("text", "")), self._names))

    def _person(self, who: Any) -> Person:
        key = str(who)
        return self._people.get(key) or Person(name=key, user_id=key, role="unknown")


# Web API method → (kind, how the transcript introduces it), for messages people see.
_MESSAGES = {
    "chat.postMessage": ("message", "A new DM from the app"),
    "chat.update": ("update", "An earlier DM is redrawn"),
    "chat.postEphemeral": ("ephemeral", "Only they can see this"),
}


def _builder_view(view: Json) -> Json:
    """A view as Block Kit Builder takes it (without what Slack adds when storing it)."""
    return {k: v for k, v in view.items() if k not in {"id", "team_id", "state", "hash"}}


def _contains(text: str, word: str) -> bool:
    word = " ".join(word.split())
    if not word:
        return False
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


# Printing


def heading(text: str, rule: str = "═") -> list[str]:
    """A title with a rule under it."""
    return ["", text, rule * len(text)]


def person_heading(person: Person) -> str:
    """``── What Jordan (USUP1) sees ──``."""
    return f"── What {person.name} ({person.user_id}) sees ──"


def step_lines(record: StepRecord, cast: Sequence[Person]) -> list[str]:
    """One step of the transcript: heading, what happened, then each person's view."""
    lines = heading(f"Step {record.number} — {record.title}")
    lines += [wrap(f"  {line}", hang=7) for line in record.narration]
    grouped = record.by_person()
    for person, items in grouped.items():
        lines += ["", person_heading(person)]
        for item in items:
            lines.append(wrap(f"  ▸ {item.label}"))
            lines += [wrap(f"      {line}") if line else "" for line in item.lines]
    quiet = [p.name for p in cast if p not in grouped]
    lines += ["", "Nothing new for: " + (", ".join(quiet) if quiet else "nobody") + "."]
    return lines


def summary_lines(records: Sequence[StepRecord], asks: Sequence[Ask], cast: Sequence[Person]) -> list[str]:
    """Who was ever shown a requester's name or note, and who never was; the lock-screen lines."""
    lines = heading("Who saw what")
    everything = [item for record in records for item in record.seen]
    for ask in asks:
        lines += [wrap(line) for line in _ask_lines(ask, everything, cast)]
    lock_screens = sorted({item.lock_screen for item in everything if item.lock_screen})
    if lock_screens:
        lines.append(
            wrap("Lock-screen lines of every DM: " + " / ".join(f"“{t}”" for t in lock_screens) + ".")
        )
    return lines


def _ask_lines(ask: Ask, everything: Sequence[Seen], cast: Sequence[Person]) -> list[str]:
    """Who was shown one requester's name, and who their note, in the transcript's own words."""
    requester = ask.requester
    others = [p for p in cast if p != requester]
    name_words = (requester.name, requester.user_id)

    def shown(
        words: Sequence[str], *, before: float | None = None, after: float | None = None
    ) -> list[Person]:
        return [
            p
            for p in others
            if any(
                item.person == p
                and (before is None or item.at < before)
                and (after is None or item.at >= after)
                and item.mentions(words)
                for item in everything
            )
        ]

    how = f" {ask.how}" if ask.how else ""
    if not ask.note:
        name_to = shown(name_words)
        return [
            f"{requester.name} asked for a peer{how}, without a note.",
            f"  Shown {requester.name}'s name: {_names(name_to)}.",
            f"  Never shown it: {_names([p for p in others if p not in name_to])}.",
        ]
    if not ask.anonymous:
        shown_to = shown((*name_words, ask.note))
        return [
            f"{requester.name} asked for a peer{how}, with the note “{ask.note}”.",
            f"  Shown {requester.name}'s name or note: {_names(shown_to)}.",
            f"  Never shown either: {_names([p for p in others if p not in shown_to])}.",
        ]
    note_to = shown((ask.note,))
    name_before = shown(name_words, before=ask.revealed_at)
    name = requester.name
    lines = [
        f"{name} asked for a peer{how} with “Keep my name private” ticked, and the note “{ask.note}”.",
        f"  Shown {name}'s note: {_names(note_to)}.",
        f"  Shown {name}'s name before {name} chose to share it: {_names(name_before)}.",
    ]
    name_after: list[Person] = []
    if ask.revealed_at is not None:
        name_after = shown(name_words, after=ask.revealed_at)
        lines.append(f"  Shown {requester.name}'s name after sharing it: {_names(name_after)}.")
    never = [p for p in others if p not in {*note_to, *name_before, *name_after}]
    return [*lines, f"  Never shown either: {_names(never)}."]


def _names(people: Sequence[Person]) -> str:
    return ", ".join(f"{p.name} ({p.role})" for p in people) if people else "nobody"


def wrap(line: str, *, hang: int = 2) -> str:
    """A long line folded at the transcript's width, continuation lines indented ``hang`` more."""
    if len(line) <= WIDTH:
        return line
    indent = len(line) - len(line.lstrip(" ")) + hang
    return "\n".join(
        textwrap.wrap(
            line,
            width=WIDTH,
            subsequent_indent=" " * indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


def write(out: TextIO, lines: Iterable[str]) -> None:
    """Print lines and flush (so ``--step`` shows each step before pausing)."""
    out.write("\n".join(lines) + "\n")
    out.flush()


# Raw Block Kit


def save_json(folder: Path, record: StepRecord) -> list[Path]:
    """Write every message and view of a step as JSON, named by step, person and order."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for person, items in record.by_person().items():
        slug = re.sub(r"[^a-z0-9]+", "-", person.name.lower()).strip("-") or "someone"
        for n, item in enumerate(items, 1):
            path = folder / f"step{record.number:02d}-{slug}-{n}-{item.kind}.json"
            path.write_text(json.dumps(item.payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(path)
    return written
