"""The HTTP front: ``POST /slack/events`` behind a strict gate, ``GET /healthz``, and ``GET /metrics``;
in distribution mode also Slack's OAuth install (``GET /slack/install``, ``GET /slack/oauth_redirect``).

In Socket Mode (no signing secret) only ``GET /healthz`` (and ``/metrics`` when enabled) is
served: Slack's requests come over the WebSocket, and nothing on the port may act on a request
it cannot verify. ``/metrics`` exists only with ``PEER_METRICS=1`` (404 otherwise) and, with
``PEER_METRICS_TOKEN`` set, answers only ``Authorization: Bearer <token>`` (401 otherwise).

Bolt parses a body before it verifies the signature, so a malformed body
would become a 500. The gate verifies first (401 for anything not signed by
Slack within five minutes) and checks the shape second (400), so Bolt only
ever sees well-formed, authentic requests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.failures import failure
from handlers.common.errors import SOMETHING_WENT_WRONG

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_AGE_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024


class Malformed(ValueError):
    """A signed body that is not one of Slack's formats."""


def build_web_app(
    bolt_app: AsyncApp,
    *,
    signing_secret: str | None,
    healthy: Callable[[], Awaitable[bool]],
    metrics: Callable[[], Awaitable[bytes]] | None = None,
    metrics_token: str | None = None,
    clock: Callable[[], float] = time.time,
    oauth_flow: AsyncOAuthFlow | None = None,
) -> web.Application:
    """The aiohttp application serving Slack, the health check and (if given) the metrics.

    Without a signing secret (Socket Mode) the application serves no Slack requests.
    """

    async def health(_: web.Request) -> web.Response:
        if await healthy():
            return web.json_response({"status": "ok", "storage": "ok"})
        return web.json_response({"status": "unavailable", "storage": "unavailable"}, status=503)

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_get(HEALTH_PATH, health)
    if metrics is not None:
        app.router.add_get(METRICS_PATH, _metrics(metrics, metrics_token))
    if signing_secret:
        app.router.add_post(EVENTS_PATH, _slack_events(bolt_app, signing_secret.encode(), clock))
    if oauth_flow is not None:
        app.router.add_get(oauth_flow.install_path, _oauth(oauth_flow.handle_installation))
        app.router.add_get(oauth_flow.redirect_uri_path, _oauth(oauth_flow.handle_callback))
    return app


def _oauth(
    step: Callable[[AsyncBoltRequest], Awaitable[BoltResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET /slack/install`` or ``/slack/oauth_redirect``: Bolt's OAuth flow (distribution mode).

    Bolt answers refusals itself (a bad state: 400/401 and a page saying so); anything else that
    goes wrong is a short 500 page that names nothing (never a code, a state or a token).
    """

    async def oauth(request: web.Request) -> web.StreamResponse:
        bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))
        try:
            return await to_aiohttp_response(await step(bolt_request))
        except Exception as exc:  # noqa: BLE001 - the installer gets a page, the log the kind of failure
            log.error("OAuth %s failed: %s", request.path, failure(exc))
            return web.Response(
                status=500, text="The installation could not be completed. Please try again.\n"
            )

    return oauth


def _metrics(
    render: Callable[[], Awaitable[bytes]], token: str | None
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET /metrics``: the Prometheus text format, behind a bearer token when one is set."""
    expected = f"Bearer {token}".encode() if token else None

    async def metrics(request: web.Request) -> web.StreamResponse:
        if expected is not None:
            given = request.headers.get("Authorization", "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, expected):
                return web.Response(
                    status=401, text="unauthorized\n", headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
                )
        try:
            body = await render()
        except Exception as exc:  # noqa: BLE001 - a scrape that fails says so, without details
            log.error("metrics failed: %s", failure(exc))
            return web.Response(status=503, text="unavailable\n")
        return web.Response(body=body, headers={"Content-Type": METRICS_CONTENT_TYPE})

    return metrics


def _slack_events(
    bolt_app: AsyncApp, secret: bytes, clock: Callable[[], float]
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The gate in front of Bolt: signature and freshness first (401), shape second (400)."""
    if not secret:
        raise ValueError("no signing secret: requests cannot be verified")
    seen = _SeenEvents()

    async def slack_events(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not _fresh(timestamp, clock()) or not _signed(secret, timestamp, body, signature):
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            text = body.decode("utf-8")
            kind = _check_shape(text, request.content_type)
            bolt_request = _bolt_request(text, request)
        except (Malformed, UnicodeDecodeError):
            return web.json_response({"error": "malformed request"}, status=400)
        if kind == "event_callback" and seen.again(bolt_request.body.get("event_id")):
            # Slack redelivers an event it thinks we missed (X-Slack-Retry-Num): it acts once.
            # (Behind this quick check, the relay also claims message events' ids in the database,
            # so a redelivery to another instance, or after a restart, relays nothing twice.)
            log.info("a redelivered event was acknowledged and not acted on again")
            return web.Response(status=200)
        try:
            bolt_response = await bolt_app.async_dispatch(bolt_request)
        except Exception as exc:  # noqa: BLE001 - never a 500 to Slack
            log.error("dispatch failed (%s): %s", kind, failure(exc))
            if kind == "slash_command":
                return web.json_response({"response_type": "ephemeral", "text": SOMETHING_WENT_WRONG})
            return web.Response(status=200)
        return await to_aiohttp_response(bolt_response)

    return slack_events


class _SeenEvents:
    """The ids of recent Events API deliveries, so a redelivery is acknowledged and not acted on.

    Kept in memory (the newest few thousand): Slack retries within minutes. Opening the Home tab
    is harmless to act on again after a restart; a relayed message's event id is also claimed in
    the database by the relay, which holds across instances and restarts.
    """

    def __init__(self, capacity: int = 5000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def again(self, event_id: object) -> bool:
        """True if this event id was seen before; remembers it otherwise."""
        if not isinstance(event_id, str) or not event_id:
            return False
        if event_id in self._ids:
            return True
        self._ids[event_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return False


def _bolt_request(text: str, request: web.Request) -> AsyncBoltRequest:
    """Bolt's request; Bolt reads ids out of the body as it builds it, and a field of an
    unexpected type (``"authorizations": true``, ``"view": "x"``) makes it raise: that is a
    malformed body, not a server error."""
    try:
        return AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        raise Malformed(f"unreadable by Bolt: {type(exc).__name__}") from None


def _signed(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """Slack's v0 signature over the raw bytes (not a decoded string: any body can be checked)."""
    if not secret:
        return False  # never verify against an empty key: anyone could sign with it
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def _fresh(timestamp: str, now: float) -> bool:
    # ASCII digits only ("²".isdigit() is true but int() refuses it), and not too many of them
    # (a thousand-digit "timestamp" overflows a float, and past 4300 digits int() refuses it).
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 15:
        return False
    return abs(now - int(timestamp)) <= MAX_AGE_SECONDS


def _check_shape(text: str, content_type: str) -> str:
    """The kind of Slack request, or :class:`Malformed`."""
    if content_type == "application/json":
        envelope = _json_object(text)
        if envelope.get("type") not in {"event_callback", "url_verification", "app_rate_limited"}:
            raise Malformed("unknown envelope")
        if envelope["type"] == "event_callback" and not isinstance(envelope.get("event"), dict):
            raise Malformed("event missing")
        return str(envelope["type"])
    if content_type == "application/x-www-form-urlencoded":
        form = parse_qs(text, keep_blank_values=True)
        if "payload" in form:
            payload = _json_object(form["payload"][0])
            if not isinstance(payload.get("type"), str) or not isinstance(payload.get("user"), dict):
                raise Malformed("interactivity payload without type or user")
            return str(payload["type"])
        if form.get("command") and form.get("user_id"):
            return "slash_command"
    raise Malformed("not a Slack request")


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise Malformed("not JSON") from None
    if not isinstance(value, dict):
        raise Malformed("not a JSON object")
    return value
