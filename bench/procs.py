"""Starting the servers in their own processes, watching their memory, stopping them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.client import fetch, http_get

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass
class Server:
    """One server process."""

    name: str
    proc: asyncio.subprocess.Process
    port: int
    info: dict[str, Any] = field(default_factory=dict)
    log: IO[bytes] | None = None

    def memory_mib(self) -> dict[str, float]:
        """Resident set size now and at its peak (MiB), from /proc (Linux) or ps."""
        status = Path(f"/proc/{self.proc.pid}/status")
        if status.exists():
            fields = dict(
                line.split(":", 1) for line in status.read_text(encoding="utf-8").splitlines() if ":" in line
            )
            return {
                "rss_mib": int(fields["VmRSS"].split()[0]) / 1024,
                "peak_rss_mib": int(fields["VmHWM"].split()[0]) / 1024,
            }
        import subprocess

        out = subprocess.run(["ps", "-o", "rss=", "-p", str(self.proc.pid)], capture_output=True, check=True)
        rss = int(out.stdout.split()[0]) / 1024
        return {"rss_mib": rss, "peak_rss_mib": rss}

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self.log is not None:
            self.log.close()


def child_env(**extra: str) -> dict[str, str]:
    """A clean environment for a server: no settings leak in from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PEER_", "DATABASE_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def free_port() -> int:
    """A port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_bench_server(
    kind: str, workdir: Path, *, api_url: str = "", max_seconds: float, extra: Sequence[str] = ()
) -> Server:
    """Start ``python -m bench.serve KIND [EXTRA…]`` and wait for its READY line."""
    log = (workdir / f"{kind}.log").open("wb")
    args = ["-m", "bench.serve", kind, "--max-seconds", str(max_seconds), *extra]
    if api_url:
        args += ["--api-url", api_url]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=workdir, env=child_env(), stdout=asyncio.subprocess.PIPE, stderr=log
    )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT)
    except TimeoutError:
        proc.kill()
        raise RuntimeError(f"bench.serve {kind} did not start; see {log.name}") from None
    if not line.startswith(b"READY "):
        proc.kill()
        raise RuntimeError(f"bench.serve {kind} failed to start; see {log.name}")
    info = json.loads(line[6:])
    port = int(info.get("port") or info["url"].split(":")[2].split("/")[0])
    return Server(name=kind, proc=proc, port=port, info=info, log=log)


async def start_app(
    workdir: Path, env: dict[str, str], *, log_name: str = "app.log", role: str | None = None
) -> Server:
    """Start the real app, ``python -m bot [web|worker]``, on a free port; ready once /healthz answers 200."""
    port = free_port()
    log = (workdir / log_name).open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *([role] if role else []),
        cwd=workdir,  # no .env from the developer's checkout
        env=child_env(PORT=str(port), **env),
        stdout=log,
        stderr=log,
    )
    server = Server(name=role or "app", proc=proc, port=port, log=log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}; see {log.name}")
        with contextlib.suppress(OSError, TimeoutError, ValueError):
            status, _ = await fetch(port, http_get(port, "/healthz"), timeout=1.0)
            if status == 200:
                return server
        await asyncio.sleep(0.01)  # start-up times are measured to this
    await server.stop()
    # The log goes with the bench's temporary directory: its end is kept in the error.
    tail = Path(log.name).read_text(encoding="utf-8", errors="replace")[-2000:]
    raise RuntimeError(f"the app did not become healthy in {START_TIMEOUT:.0f} s; its log ends:\n{tail}")
