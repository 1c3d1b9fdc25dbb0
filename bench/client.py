"""A lean HTTP/1.1 keep-alive client and a closed-loop load generator.

Requests are built and signed before the clock starts, and the client only
writes bytes and reads one response, so the load generator spends as little
of the machine's CPU as it can and the servers get the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from slack_standin.driver import sign

HOST = "127.0.0.1"


def http_request(port: int, path: str, body: bytes, content_type: str, *, secret: str) -> bytes:
    """A complete POST, signed as Slack signs (the timestamp is now: use it within 5 minutes)."""
    timestamp = str(int(time.time()))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nX-Slack-Request-Timestamp: {timestamp}\r\n"
        f"X-Slack-Signature: {sign(secret, timestamp, body)}\r\n\r\n"
    )
    return head.encode() + body


def http_get(port: int, path: str) -> bytes:
    """A complete GET."""
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()


class Connection:
    """One keep-alive connection: send a request, read its response (Content-Length bodies only)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        """Connect to ``127.0.0.1:port``."""
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send ``raw``; returns the status and body."""
        self._writer.write(raw)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.lower().split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line[15:])
            elif line.startswith(b"transfer-encoding:"):
                raise ValueError("chunked responses are not supported")
        body = await self._reader.readexactly(length) if length else b""
        return status, body

    async def close(self) -> None:
        """Close the connection."""
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()


async def fetch(port: int, raw: bytes, *, timeout: float = 10.0) -> tuple[int, bytes]:
    """One request on a fresh connection."""
    conn = await asyncio.wait_for(Connection.open(port), timeout)
    try:
        return await asyncio.wait_for(conn.request(raw), timeout)
    finally:
        await conn.close()


# What makes an answer a success: the status and body the target must send.
Check = Callable[[int, bytes], bool]


@dataclass
class LoadResult:
    """Latencies of one closed-loop run."""

    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: int = 0
    first_failure: str = ""


async def closed_loop(
    port: int, requests: Sequence[bytes], concurrency: int, *, check: Check, timeout: float
) -> LoadResult:
    """Send every request once from ``concurrency`` connections, each waiting for its answer.

    Bounded by the number of requests and by ``timeout`` seconds for the whole run.
    """
    result = LoadResult()
    queue = iter(requests)
    conns = [await Connection.open(port) for _ in range(min(concurrency, len(requests)))]

    async def worker(conn: Connection) -> None:
        for raw in queue:
            start = time.perf_counter()
            status, body = await conn.request(raw)
            result.latencies_ms.append((time.perf_counter() - start) * 1000)
            if not check(status, body):
                result.failures += 1
                result.first_failure = result.first_failure or f"{status} {body[:200]!r}"

    start = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(worker(c) for c in conns)), timeout)
    finally:
        result.seconds = time.perf_counter() - start
        for conn in conns:
            await conn.close()
    return result
