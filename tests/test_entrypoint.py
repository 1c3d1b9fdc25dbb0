"""``python -m bot``: a clear one-line exit 2 on bad settings; a real server otherwise."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp

from bot.app import freeze_startup_objects
from slack_standin import SlackStandIn
from tests.rig import SIGNING_SECRET, TOKEN, sign

ROOT = Path(__file__).resolve().parents[1]


def bare_env(**extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    env.update(extra)
    return env


async def run_bot(cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_missing_tokens_exit_2_with_one_line_naming_them(tmp_path: Path) -> None:
    code, err = await run_bot(tmp_path, bare_env())
    assert code == 2
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert "SLACK_BOT_TOKEN" in err


async def test_missing_signing_secret_in_http_mode_is_named(tmp_path: Path) -> None:
    code, err = await run_bot(tmp_path, bare_env(SLACK_BOT_TOKEN="xoxb-1"))
    assert code == 2 and "SLACK_SIGNING_SECRET" in err and "Traceback" not in err


async def test_invalid_values_from_a_dotenv_file_are_named(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=s\nPEER_SERVICE_HOURS=whenever\n", encoding="utf-8"
    )
    code, err = await run_bot(tmp_path, bare_env())
    assert code == 2 and "PEER_SERVICE_HOURS" in err and "Traceback" not in err
    assert err.strip().count("\n") == 0


async def test_the_real_process_serves_health_and_signed_slack_requests(tmp_path: Path) -> None:
    slack = SlackStandIn(token=TOKEN)
    await slack.start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = bare_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        PORT=str(port),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the app never became healthy")
            body = b"command=%2Fpeer&text=help&user_id=U1&team_id=T111&trigger_id=1.2.3"
            ts = str(int(time.time()))
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sign(SIGNING_SECRET, ts, body),
            }
            async with session.post(
                f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
            ) as resp:
                assert resp.status == 200
                assert "/peer status" in (await resp.json())["text"]
        assert slack.calls_of("auth.test"), "Bolt's calls did not go to SLACK_API_URL"
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), timeout=15)
        await slack.stop()
    assert proc.returncode == 0


async def migrate(cwd: Path, env: dict[str, str]) -> str:
    """``python -m bot migrate``, which must succeed; returns what it printed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_migrate_applies_the_schema_and_exits(tmp_path: Path) -> None:
    from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL

    url = f"{TEST_DATABASE_URL}?schema=t_migrate" if ON_POSTGRES else f"sqlite:///{tmp_path / 'm.db'}"
    out = await migrate(tmp_path, bare_env(DATABASE_URL=url))
    assert "schema up to date" in out
    from storage.db import Database

    db = await Database.open(url)
    try:
        async with db.read() as tx:
            result = await tx.conn.execute("SELECT COUNT(*) AS n FROM schema_migrations")
            row = await result.fetchone()
        from storage.migrations import MIGRATIONS

        assert row is not None and row["n"] == len(MIGRATIONS)
    finally:
        if ON_POSTGRES:
            async with db.transaction() as tx:
                await tx.conn.execute("DROP SCHEMA t_migrate CASCADE")
        await db.close()


class Kept:
    """An object the garbage collector tracks (a dict of plain values is not tracked at all)."""


def test_what_start_up_made_is_left_out_of_full_garbage_collections() -> None:
    # The app, its listeners and models live as long as the process: a full collection walking
    # them again each time paused the web process for 40-140 ms (an ack in it waited as long).
    made_at_start = [Kept() for _ in range(1_000)]
    gc.unfreeze()
    try:
        frozen = freeze_startup_objects()
        assert frozen == gc.get_freeze_count() >= len(made_at_start)
        assert all(gc.is_tracked(o) for o in made_at_start)
        walked = {id(o) for o in gc.get_objects(generation=2)}
        assert not walked & {id(o) for o in made_at_start}
        later = Kept()
        gc.collect()
        assert any(o is later for o in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()
