"""The office the demo plays in: the real app, the local Slack stand-in, and people acting in Slack.

Nothing here reads the environment or ``.env``: the app gets explicit settings, a dummy
token, the stand-in's URL and a SQLite file in a temporary folder that is removed after.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from bot.app import PeerSupportApp
from bot.clock import ManualClock
from bot.config import Settings
from demo.render import Json, mrkdwn
from demo.transcript import Ask, Person, Recorder, Seen
from slack_standin import SlackStandIn
from slack_standin.driver import (
    SIGNING_SECRET,
    TOKEN,
    Response,
    SlackDriver,
    find_button,
    state_values,
    text_of,
)
from slack_standin.server import Message, dm_channel


class DemoError(RuntimeError):
    """The story went off script: the app did not do what the step expected."""


class _Driver(SlackDriver):
    """A Slack driver that remembers whose action each trigger id came from (modals open for them)."""

    def __init__(self, slack: SlackStandIn, session: aiohttp.ClientSession, *, url: str) -> None:
        super().__init__(slack, session, url=url)
        self.actor = ""
        self.trigger_owner: dict[str, str] = {}

    def trigger(self) -> str:
        """A fresh trigger id, owned by the person acting now."""
        trigger = super().trigger()
        self.trigger_owner[trigger] = self.actor
        return trigger


def demo_settings(*, api_url: str, db_path: Path, coordinators: Sequence[str], timezone: str) -> Settings:
    """Every setting given explicitly, so nothing comes from the environment or ``.env``."""
    values: dict[str, Any] = {
        name: info.get_default(call_default_factory=True)
        for name, info in Settings.model_fields.items()
        if not info.is_required()
    }
    values.update(
        slack_bot_token=TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=None,
        slack_api_url=api_url,
        database_url=f"sqlite:///{db_path}",
        peer_coordinators=",".join(coordinators),
        peer_service_hours="08:00-18:00",
        peer_timezone=timezone,
        # The demo moves the clock itself; the periodic sweep never fires while it runs.
        peer_sweep_seconds=3600,
        # The script's days were written with every offer open 15 minutes.
        peer_offer_timeout=900,
        peer_offer_timeout_asap=900,
        peer_offer_timeout_no_rush=900,
        # Check-ins go out as fast as the stand-in takes them: the demo never really waits.
        peer_checkin_rate=1000,
        log_level="WARNING",
    )
    return Settings(_env_file=None, **values)


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """Only errors from the app, on stderr, while the demo runs; stdout is the transcript."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter("demo: app error: %(name)s: %(message)s"))
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


class Office:
    """People acting in Slack against the running app; every action is narrated, then settled."""

    def __init__(
        self,
        *,
        app: PeerSupportApp,
        slack: SlackStandIn,
        driver: _Driver,
        clock: ManualClock,
        tz: ZoneInfo,
        cast: Sequence[Person],
    ) -> None:
        self.app = app
        self.slack = slack
        self.clock = clock
        self.tz = tz
        self.cast = tuple(cast)
        self.names = {p.user_id: p.name for p in cast}
        self.narration: list[str] = []
        self.asks: list[Ask] = []
        self._driver = driver
        self._recorder = Recorder(slack, cast, driver.trigger_owner)
        self._events = 0

    # Time

    @property
    def today(self) -> date:
        """The day the story plays on, in the program's time zone."""
        return self.clock.now().astimezone(self.tz).date()

    def at(self, hhmm: str) -> None:
        """Move the clock forward to ``HH:MM`` today (program time)."""
        when = datetime.combine(self.today, time.fromisoformat(hhmm), tzinfo=self.tz)
        if when < self.clock.now():
            raise DemoError(f"the script moves the clock backwards, to {hhmm}")
        self.clock.set(when)

    def next_day(self, hhmm: str) -> None:
        """Move the clock to ``HH:MM`` tomorrow (program time), and say so."""
        tomorrow = self.today + timedelta(days=1)
        self.clock.set(datetime.combine(tomorrow, time.fromisoformat(hhmm), tzinfo=self.tz))
        self.say(f"The next day, {tomorrow:%A %-d %B}.")

    def later(self, day: date, hhmm: str, why: str) -> None:
        """Jump to ``HH:MM`` on a later ``day`` (program time), and say why."""
        when = datetime.combine(day, time.fromisoformat(hhmm), tzinfo=self.tz)
        if when < self.clock.now():
            raise DemoError(f"the script moves the clock backwards, to {day} {hhmm}")
        self.clock.set(when)
        self.say(f"{day:%A %-d %B %Y}: {why}")

    def say(self, text: str) -> None:
        """Narrate what happens (shown under the step's heading, stamped with the time)."""
        self.narration.append(f"{self.clock.now().astimezone(self.tz):%H:%M}  {text}")

    # Actions, as a person does them in Slack

    async def command(self, who: Person, text: str = "") -> None:
        """``who`` types ``/peer {text}`` in a channel."""
        typed = f"/peer {text}".strip()
        self.say(f"{who} types `{mrkdwn(typed, self.names)}`.")
        answered_later = len(self.slack.response_url_posts)
        response = await self._act(who, self._driver.command(who.user_id, text))
        self._recorder.reply(who.user_id, f"`{mrkdwn(typed, self.names)}`", response)
        await self.settle()
        # Slow answers (statistics) come after the reply, through the command's response_url.
        for body in self.slack.response_url_posts[answered_later:]:
            self._recorder.later_reply(who.user_id, f"`{mrkdwn(typed, self.names)}`", body)

    async def open_home(self, who: Person) -> None:
        """``who`` opens the app's Home tab."""
        self._events += 1
        self.say(f"{who} opens the app's Home tab in Slack.")
        event = {
            "type": "app_home_opened",
            "user": who.user_id,
            "channel": dm_channel(who.user_id),
            "tab": "home",
            "event_ts": f"{self._events}.0",
        }
        await self._act(who, self._driver.event(event, event_id=f"EvDemo{self._events}"))
        await self.settle()

    async def click(self, who: Person, message: Message, label: str, *, where: str = "") -> None:
        """``who`` clicks the button labelled ``label`` on a DM (and confirms, if Slack asks first)."""
        action_id = button_labelled(message.blocks, label)
        confirm = _button(message.blocks, action_id).get("confirm")
        confirmed = ""
        if confirm:
            title = mrkdwn(confirm["title"]["text"], self.names)
            confirmed = f", then [ {confirm['confirm']['text']} ] when Slack asks “{title}”"
        self.say(f"{who} clicks [ {label} ]{' ' + where if where else ''}{confirmed}.")
        await self._act(who, self._driver.click(who.user_id, message, action_id))
        await self.settle()

    async def write(self, who: Person, root: Message, text: str) -> None:
        """``who`` replies in the thread under ``root`` in their DM with the app (a ``message.im`` event)."""
        self.say(f"{who} replies in the thread of “{_title(root.blocks)}”: “{text}”")
        await self._act(who, self._written(who, root, text))
        await self.settle()

    async def _written(self, who: Person, root: Message, text: str) -> Response:
        response, _message = await self._driver.write(who.user_id, text, thread=root)
        return response

    async def deliver_due(self) -> None:
        """The app's scheduler wakes up and sends the check-ins and invitations that are due."""
        self.say("The app's scheduler sends what is due now.")
        await self.app.deliver_due()
        await self.settle()

    async def click_home(self, who: Person, label: str) -> None:
        """``who`` clicks the button labelled ``label`` on their Home tab."""
        view = self.slack.home_views.get(who.user_id)
        if view is None:
            raise DemoError(f"{who} has no Home tab to click on")
        self.say(f"{who} clicks [ {label} ] on the Home tab.")
        await self._act(who, self._driver.home_click(who.user_id, button_labelled(view["blocks"], label)))
        await self.settle()

    async def submit(self, who: Person, callback_id: str, values: dict[str, Any]) -> None:
        """``who`` fills in the modal they have open (block id → value) and submits it."""
        view = self.modal(who, callback_id)
        chosen = describe_values(view, values, self.names)
        submit = view.get("submit", {}).get("text", "Submit")
        self.say(f"{who} fills in the form and clicks [ {submit} ]: {chosen}.")
        response = await self._act(who, self._driver.submit(who.user_id, view, values))
        self._recorder.reply(who.user_id, "the form", response)
        await self.settle()

    async def _act(self, who: Person, sending: Awaitable[Response]) -> Response:
        self._driver.actor = who.user_id
        response = await sending
        if response.status != 200:
            raise DemoError(f"the app answered {who}'s action with HTTP {response.status}")
        return response

    async def settle(self) -> None:
        """Wait until the app's after-the-ack work (messages, routing) is done."""
        await self.app.background.drain()

    # What people have in Slack

    def modal(self, who: Person, callback_id: str) -> Json:
        """The modal most recently opened for ``who``, as the stand-in stored it."""
        opened = [
            c.params["view"]
            for c in self.slack.calls_of("views.open")
            if self._driver.trigger_owner.get(str(c.params.get("trigger_id"))) == who.user_id
        ]
        if not opened or opened[-1].get("callback_id") != callback_id:
            raise DemoError(f"{who} has no {callback_id} modal open")
        last = opened[-1]
        stored = [v for v in self.slack.views.values() if all(v.get(k) == last[k] for k in last)]
        return stored[-1]

    def dm_with_button(self, who: Person, label: str) -> Message:
        """``who``'s latest DM that shows a button labelled ``label``."""
        for message in reversed(self.slack.dms(who.user_id)):
            if label in _labels(message.blocks):
                return message
        raise DemoError(f"{who} has no DM with a [ {label} ] button")

    def shows_button(self, who: Person, label: str) -> bool:
        """Whether any of ``who``'s DMs shows a button labelled ``label`` now."""
        return any(label in _labels(m.blocks) for m in self.slack.dms(who.user_id))

    def shows_text(self, who: Person, text: str) -> bool:
        """Whether any of ``who``'s DMs (thread replies included) shows ``text`` now."""
        return any(text in text_of(m.blocks) for m in self.slack.dms(who.user_id))

    def thread(self, root: Message) -> list[Message]:
        """What the app posted under a thread root (the person's own messages left out)."""
        return [m for m in self.slack.thread(root) if m.user is None]

    def open_offers(self, who: Person) -> list[Message]:
        """The offers ``who`` could still accept."""
        return [m for m in self.slack.dms(who.user_id) if "Accept" in _labels(m.blocks)]

    def expect(self, ok: bool, what: str) -> None:
        """Stop the demo, rather than tell a false story, if the app did not do ``what``."""
        if not ok:
            raise DemoError(f"the story went off script: expected {what}")

    def collect(self) -> tuple[list[str], list[Seen]]:
        """What happened and what each person saw, since the last call."""
        narration, self.narration = self.narration, []
        return narration, self._recorder.collect()


def _labels(blocks: list[Json]) -> dict[str, str]:
    """Visible button label → action id, for every button in some blocks."""
    labels: dict[str, str] = {}
    for block in blocks:
        for el in [*block.get("elements", []), *([block["accessory"]] if "accessory" in block else [])]:
            if el.get("type") == "button" and el.get("action_id"):
                labels[str(el.get("text", {}).get("text", ""))] = str(el["action_id"])
    return labels


def _button(blocks: list[Json], action_id: str) -> Json:
    return find_button(blocks, action_id)[1]


def _title(blocks: list[Json]) -> str:
    """A message's header, to name it in the narration (``Your anonymous conversation``)."""
    for block in blocks:
        if block.get("type") == "header":
            return str(block["text"]["text"])
    return "the message"


def button_labelled(blocks: list[Json], label: str) -> str:
    """The action id of the button a person would click by its label."""
    action_id = _labels(blocks).get(label)
    if action_id is None:
        raise DemoError(f"no [ {label} ] button to click")
    return action_id


def describe_values(view: Json, values: dict[str, Any], names: dict[str, str]) -> str:
    """What someone chose in a modal, in its own words: ``How soon? This week; …``."""
    state = state_values(view, values)
    parts: list[str] = []
    for block in view.get("blocks", []):
        if block.get("type") != "input" or block["block_id"] not in values:
            continue
        entry = next(iter(state[block["block_id"]].values()))
        label = block["label"]["text"].rstrip("?:")
        if entry.get("selected_option"):
            shown = entry["selected_option"]["text"]["text"]
        elif "selected_user" in entry or "selected_users" in entry:
            people = entry.get("selected_users") or [entry.get("selected_user")]
            shown = ", ".join("@" + names.get(u, u) for u in people if u)
        elif "selected_options" in entry:
            shown = ", ".join(o["text"]["text"] for o in entry["selected_options"])
        elif entry.get("selected_date") or entry.get("selected_time"):
            shown = entry.get("selected_date") or entry.get("selected_time")
        else:
            shown = f"“{entry.get('value')}”" if entry.get("value") else ""
        if shown:
            parts.append(f"{label}: {shown}")
    return "; ".join(parts)


@contextlib.asynccontextmanager
async def running_office(
    cast: Sequence[Person], *, coordinators: Sequence[Person], start: datetime, timezone: str
) -> AsyncIterator[Office]:
    """Start the stand-in and the real app on 127.0.0.1 (temporary database), stop both after."""
    with tempfile.TemporaryDirectory(prefix="peer-support-demo-") as folder, quiet_logs():
        slack = SlackStandIn(token=TOKEN)
        await slack.start()
        # The workspace directory: first names (shown in anonymous conversations) and time zones
        # (check-ins land in working hours where each person is).
        for person in cast:
            slack.add_users(person.user_id, tz=timezone, first_name=person.name)
        clock = ManualClock(start)
        settings = demo_settings(
            api_url=slack.base_url,
            db_path=Path(folder) / "demo.db",
            coordinators=[p.user_id for p in coordinators],
            timezone=timezone,
        )
        app = PeerSupportApp(settings, clock=clock)
        try:
            await app.start(host="127.0.0.1", port=0)
            await app.background.drain()
            async with aiohttp.ClientSession() as session:
                driver = _Driver(slack, session, url=f"http://127.0.0.1:{app.port}/slack/events")
                yield Office(
                    app=app, slack=slack, driver=driver, clock=clock, tz=ZoneInfo(timezone), cast=cast
                )
        finally:
            await app.stop()
            await slack.stop()
