"""No repository method can reach another workspace's rows: a property over every public method of
every repository in storage/, found by introspection (a method added tomorrow is covered too).

Office A holds the abuse tests' whole world (tests/world.py); office B a small office of its own.
Every method is called through A with arguments drawn from its type hints (A's people, ids 1 to 3,
the clock's now): B's database is unchanged, row for row. Every method is called in B (rolled
back) with B's people: no answer carries anything of A's. The same reads in A do find A's rows,
so the probe is not empty. Isolation is by construction (a database per workspace); this test
fails if two workspaces ever shared one.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from slack_standin import SlackStandIn
from storage.db import Database
from storage.unit_of_work import Tx
from tests import world
from tests.offices import A, B, Offices, offices_running
from tests.world import WORLD_SETTINGS, build_world, snapshot

# What only office A holds: its people, its notes, its incident, event and resource.
A_MARKERS = (
    world.EMPLOYEE,
    world.SUPPORTER,
    world.ASSIGNED,
    world.VOLUNTEER,
    world.CONCERN_SUBJECT,
    world.ADDED_COORDINATOR,
    *world.REQUESTERS,
    *world.NOTES,
    world.CONCERN_NOTE,
    "Courthouse shooting",
    "Lunch and learn",
    "Dr. Rivera",
)
B_PEOPLE = ("UBCOORD", "UBSUP", "UBREQ", "UBAFF")
IDS = (1, 2, 3)


def repositories() -> dict[str, type]:
    """Every repository of the unit of work, by its attribute on :class:`Tx`."""
    hints = typing.get_type_hints(Tx)
    return {f.name: hints[f.name] for f in dataclasses.fields(Tx) if f.name != "conn"}


def methods() -> list[tuple[str, str]]:
    """Every public coroutine method of every repository: (attribute, method name)."""
    return sorted(
        (attr, name)
        for attr, cls in repositories().items()
        for name, _ in inspect.getmembers(cls, inspect.iscoroutinefunction)
        if not name.startswith("_")
    )


def test_every_repository_in_storage_is_bound_to_the_unit_of_work() -> None:
    # A repository outside Tx would escape the property below.
    found = set()
    for path in Path("storage").glob("*_repository.py"):
        module = importlib.import_module(f"storage.{path.stem}")
        found |= {
            c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__
        }
    bound = set(repositories().values())
    assert {c for c in found if c.__name__.endswith("Repository")} == bound
    assert len(methods()) > 100


class Values:
    """Arguments drawn from type hints: ``people`` for strings, ``ids`` for integers."""

    def __init__(self, people: Sequence[str], now: datetime, variant: int) -> None:
        self.people = people
        self.now = now
        self.variant = variant

    def of(self, hint: Any, name: str = "") -> Any:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            return self.of(next(a for a in args if a is not type(None)), name)
        if origin is typing.Literal:
            return args[0]
        if origin in (list, Sequence, Iterable, frozenset, set, tuple) or (
            origin is not None
            and isinstance(origin, type)
            and issubclass(origin, Iterable)
            and origin is not dict
        ):
            item = self.of(args[0], name)
            made = [item]
            return frozenset(made) if origin in (frozenset, set) else tuple(made) if origin is tuple else made
        if origin is dict:
            return {"key": 1} if args and args[1] is int else {"note": "x"}
        if hint is bool:
            return True
        if hint is int:
            return IDS[self.variant % len(IDS)]
        if hint is str:
            return self.people[self.variant % len(self.people)]
        if hint is datetime:
            return self.now
        if hint is date:
            return self.now.date()
        if hint is timedelta:
            return timedelta(days=1)
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            members = list(hint)
            return members[self.variant % len(members)]
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            return hint(**{f: self.of(info.annotation, f) for f, info in hint.model_fields.items()})
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            field_hints = typing.get_type_hints(hint)
            return hint(**{f.name: self.of(field_hints[f.name], f.name) for f in dataclasses.fields(hint)})
        raise TypeError(f"no value for {hint!r} ({name}): teach Values.of this type")

    def arguments(self, cls: type, name: str) -> tuple[list[Any], dict[str, Any]]:
        function = getattr(cls, name)
        hints = typing.get_type_hints(function)
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        for parameter in list(inspect.signature(function).parameters.values())[1:]:
            value = self.of(hints[parameter.name], parameter.name)
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                keywords[parameter.name] = value
            else:
                positional.append(value)
        return positional, keywords


class _RolledBack(Exception):
    pass


async def call_all(db: Database, values: Values, *, keep: bool) -> dict[tuple[str, str], str]:
    """Call every method once, each in its own unit of work (committed when ``keep``, else rolled
    back); returns what each answered (``repr``), or the error it raised."""
    answers: dict[tuple[str, str], str] = {}
    classes = repositories()
    for attr, name in methods():
        positional, keywords = values.arguments(classes[attr], name)
        try:
            async with db.transaction() as tx:
                answer = await getattr(getattr(tx, attr), name)(*positional, **keywords)
                answers[attr, name] = repr(answer)
                if not keep:
                    raise _RolledBack
        except _RolledBack:
            pass
        except Exception as exc:  # noqa: BLE001 - a call the drawn arguments do not fit changes nothing
            answers.setdefault((attr, name), f"error: {type(exc).__name__}")
    return answers


async def populate_b(offices: Offices) -> None:
    """A small office B: its own coordinator, a supporter, a request and an incident."""
    from bot.checkins import IncidentForm
    from bot.peer_requests import RequestForm

    office = await offices.office(B)
    services = office.services
    offices.a.slack.add_users(*B_PEOPLE)
    await services.roster.add(coordinator_id="UBCOORD", user_ids=["UBSUP"], trained_on=date(2026, 1, 15))
    request = await services.requests.submit(
        requester_id="UBREQ",
        form=RequestForm(area="grief", urgency="this_week", contact="slack", note="b-note"),
    )
    await services.requests.start(request_id=request.id)
    incident = await services.checkins.register_incident(
        coordinator_id="UBCOORD",
        form=IncidentForm(
            kind="bereavement", name="B loss", occurred_on="2026-11-28", user_ids=frozenset({"UBAFF"})
        ),
    )
    await services.checkins.prepare(incident_id=incident)
    await offices.settle()


async def test_no_repository_method_reaches_another_workspaces_rows(
    slack: SlackStandIn, database_url: str, figures: Callable[[str], None]
) -> None:
    overrides = {**WORLD_SETTINGS, "installers": (world.COORDINATOR, "UBCOORD")}
    async with offices_running(slack, database_url, **overrides) as offices:
        office_a, office_b = await offices.office(A), await offices.office(B)
        await build_world(offices.a, office_a)
        await populate_b(offices)
        now = offices.a.clock.now()
        before_b = await snapshot(office_b.db)
        assert any("UBREQ" in repr(rows) for rows in before_b.values())

        # Every write (and read) through A, twice over with other ids and people: B is untouched.
        written = {}
        for variant in range(2):
            written |= await call_all(office_a.db, Values(A_MARKERS[:6], now, variant), keep=True)
        assert await snapshot(office_b.db) == before_b
        assert sum(not answer.startswith("error") for answer in written.values()) > len(written) // 2

        # Every read in B (rolled back), about B's own people: nothing of A's in any answer.
        read_b = await call_all(office_b.db, Values(B_PEOPLE, now, 0), keep=False)
        leaked = {m: answer for m, answer in read_b.items() if any(marker in answer for marker in A_MARKERS)}
        assert not leaked

        # The same reads in A find A's rows: the probe above looked where rows are.
        read_a = await call_all(office_a.db, Values(B_PEOPLE, now, 0), keep=False)
        found = [m for m, answer in read_a.items() if any(marker in answer for marker in A_MARKERS)]
        assert len(found) >= 10, found
        answered = sum(not answer.startswith("error") for answer in written.values())
        figures(
            f"workspace isolation: {len(methods())} repository methods; {answered} answered through A"
            f" (the rest refused the drawn arguments); {len(found)} reads in A found A's rows, none in B"
        )
