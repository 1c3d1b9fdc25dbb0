"""Layers point one way: handlers → bot → storage. SQL lives only in storage; Slack only in handlers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SLACK = ("slack_bolt", "slack_sdk", "handlers")
COMPOSITION_ROOT = {"bot/app.py", "bot/__main__.py"}
SQL = re.compile(r"\bSELECT\b.*\bFROM\b|\bUPDATE\s+\w+\s+SET\b|\bINSERT\s+INTO\b|\bDELETE\s+FROM\b", re.S)


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", modules("storage"), ids=rel)
def test_storage_knows_neither_the_domain_nor_slack(path: Path) -> None:
    bad = {m for m in imports_of(path) if m.startswith(("bot", *SLACK, "aiohttp"))}
    assert not bad


@pytest.mark.parametrize("path", [p for p in modules("bot") if rel(p) not in COMPOSITION_ROOT], ids=rel)
def test_the_domain_knows_no_slack_and_no_sql_driver(path: Path) -> None:
    bad = {m for m in imports_of(path) if m.startswith((*SLACK, "aiosqlite", "sqlite3", "aiohttp"))}
    assert not bad


@pytest.mark.parametrize("path", modules("handlers"), ids=rel)
def test_handlers_reach_storage_only_for_its_shared_vocabulary(path: Path) -> None:
    bad = {
        m
        for m in imports_of(path)
        if m.startswith(("storage", "aiosqlite", "sqlite3")) and m != "storage.models"
    }
    assert not bad


@pytest.mark.parametrize("path", modules("bot") + modules("handlers"), ids=rel)
def test_no_sql_outside_storage(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not SQL.search(node.value), node.value


def test_the_sql_rule_would_catch_a_query() -> None:
    assert SQL.search("UPDATE offers SET state = ? WHERE id = ?")
    assert not SQL.search("a conditional UPDATE inside one unit of work")


def test_the_import_rule_would_catch_a_violation(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from slack_sdk.web.async_client import AsyncWebClient\nimport storage.db\n", encoding="utf-8"
    )
    assert {"slack_sdk.web.async_client", "storage.db"} <= imports_of(sneaky)


INCIDENT_WRITES = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+incident(?:s|_members)\b")


@pytest.mark.parametrize("path", modules("storage"), ids=rel)
def test_incidents_are_written_only_by_their_repository(path: Path) -> None:
    if rel(path) in {"storage/incident_repository.py", "storage/migrations.py"}:
        return
    assert not INCIDENT_WRITES.search(path.read_text(encoding="utf-8")), f"{rel(path)} writes incidents"


def test_the_unit_of_work_is_typed_repository_by_repository() -> None:
    import inspect
    import typing

    from storage.db import Database
    from storage.unit_of_work import Tx

    # Abstract, so a backend missing a unit of work fails at construction, not at first use.
    assert inspect.isabstract(Database)
    for name in ("transaction", "read"):
        assert "Tx" in str(inspect.signature(getattr(Database, name)).return_annotation)
    hints = typing.get_type_hints(Tx)
    assert typing.Any not in hints.values()
    assert all(hint.__module__.startswith("storage.") for name, hint in hints.items() if name != "conn")


def test_the_incident_write_rule_would_catch_a_write() -> None:
    assert INCIDENT_WRITES.search('"UPDATE incidents SET state = ? WHERE id = ?"')
    assert not INCIDENT_WRITES.search('"SELECT * FROM scheduled_messages JOIN incidents i"')


# --- handlers/ is sliced by feature: each feature's Slack code in its folder, shared code in common/.

HANDLERS = ROOT / "handlers"
FEATURE_DIRS = sorted(p.parent.name for p in HANDLERS.glob("*/__init__.py") if p.parent.name != "common")


def test_every_feature_folder_is_registered() -> None:
    from handlers import FEATURES

    assert sorted(f.name for f in FEATURES) == FEATURE_DIRS


@pytest.mark.parametrize("path", modules("handlers/common"), ids=rel)
def test_common_never_imports_a_feature(path: Path) -> None:
    bad = {m for m in imports_of(path) if m.startswith("handlers.") and not m.startswith("handlers.common")}
    assert not bad


@pytest.mark.parametrize("path", [p for d in FEATURE_DIRS for p in modules(f"handlers/{d}")], ids=rel)
def test_features_do_not_import_each_others_listeners(path: Path) -> None:
    own = path.relative_to(HANDLERS).parts[0]
    others = [d for d in FEATURE_DIRS if d != own]
    # A feature may use another's ids and blocks; its package (__init__), listeners and commands are its own.
    forbidden = {f"handlers.{d}{tail}" for d in others for tail in ("", ".listeners", ".commands")}
    assert not imports_of(path) & forbidden


@pytest.mark.parametrize("feature", FEATURE_DIRS)
def test_a_features_blocks_are_pure(feature: str) -> None:
    path = HANDLERS / feature / "blocks.py"
    bad = {
        m for m in imports_of(path) if m.startswith(("slack_bolt", "bot.services", "handlers.common.clicks"))
    }
    assert not bad


def _str_enums(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", None) == "StrEnum" for b in node.bases)
    }


def test_every_id_enum_is_listed_by_its_feature() -> None:
    from handlers import FEATURES

    for feature in FEATURES:
        listed = {enum.__name__ for enum in feature.id_enums}
        assert _str_enums(HANDLERS / feature.name / "ids.py") == listed, feature.name
        assert all(enum.__module__ == f"handlers.{feature.name}.ids" for enum in feature.id_enums)
    # Nothing else in handlers/ defines identifier enums (common/ids.py holds the command only).
    others = {rel(p) for p in modules("handlers") if _str_enums(p)} - {
        f"handlers/{d}/ids.py" for d in FEATURE_DIRS
    }
    assert others == {"handlers/common/ids.py"}


def _duplicates(values: list[str]) -> set[str]:
    return {v for v in values if values.count(v) > 1}


def test_no_action_or_callback_id_or_subcommand_is_claimed_twice() -> None:
    from handlers import FEATURES

    actions = [str(a) for f in FEATURES for enum in f.actions for a in enum]
    callbacks = [str(c) for f in FEATURES for enum in f.callbacks for c in enum]
    # Within a feature a name may both open a form and answer in text (``/peer incident [list]``).
    subcommands = [n for f in FEATURES for n in {*f.forms, *f.reports, *f.subcommands, *f.deployment_reports}]
    assert not _duplicates(actions)
    assert not _duplicates(callbacks)
    assert not _duplicates(subcommands)


def _literal_block_ids(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.keyword) and node.arg == "block_id":
            value = node.value
            literal = isinstance(value, ast.Constant) or (
                isinstance(value, ast.JoinedStr) and isinstance(value.values[0], ast.Constant)
            )
            if literal:
                lines.append(value.lineno)
    return lines


@pytest.mark.parametrize("path", modules("handlers"), ids=rel)
def test_block_ids_come_from_an_enum(path: Path) -> None:
    assert not _literal_block_ids(path)


def test_the_block_id_rule_would_catch_a_literal(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text('A(block_id="x")\nB(block_id=f"x_{n}")\nC(block_id=Ids.X)\n', encoding="utf-8")
    assert _literal_block_ids(sneaky) == [1, 2]


# The request service's parts, lowest first: each may import only the parts before it, so the old
# cycle (route -> deliver -> unreachable -> release -> route) cannot come back as an import.
REQUEST_PARTS = [
    "shared",
    "notices",
    "holds",
    "offers",
    "outbox",
    "urgent",
    "routing",
    "follow_through",
    "lifecycle",
    "facade",
]


@pytest.mark.parametrize("part", REQUEST_PARTS)
def test_request_parts_import_only_the_parts_below_them(part: str) -> None:
    below = {f"bot.peer_requests.{p}" for p in REQUEST_PARTS[: REQUEST_PARTS.index(part)]}
    siblings = {
        m
        for m in imports_of(ROOT / "bot" / "peer_requests" / f"{part}.py")
        if m.startswith("bot.peer_requests")
    }
    # Parts name each other by module (never ``from bot.peer_requests import ...``, the re-exports).
    assert siblings <= below


def test_offer_dms_never_call_routing() -> None:
    assert not any("routing" in m for m in imports_of(ROOT / "bot" / "peer_requests" / "offers.py"))


def test_every_request_part_is_ranked() -> None:
    found = {p.stem for p in (ROOT / "bot" / "peer_requests").glob("*.py")} - {"__init__"}
    assert found == set(REQUEST_PARTS)


@pytest.mark.parametrize("path", modules("bot"), ids=rel)
def test_a_long_domain_module_says_why_at_its_top(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if text.count("\n") > 400:
        assert "past 400 lines" in (ast.get_docstring(ast.parse(text)) or "")


@pytest.mark.parametrize("path", modules("bot") + modules("handlers") + modules("storage"), ids=rel)
def test_production_code_has_no_asserts(path: Path) -> None:
    # `python -O` strips asserts: an invariant the code relies on raises a typed error instead.
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]


def test_the_readme_says_where_things_are_and_every_path_it_names_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"`((?:bot|handlers|storage)/[\w/]+\.py)`", section)
    assert len(named) >= 8
    assert [path for path in named if not (ROOT / path).is_file()] == []
    for question in ("round-robin", "offer DM", "check-in schedule", "statistics SQL"):
        assert question in section
