"""The Web API client's retry handlers, counting what they see for the metrics.

slack_sdk's own handlers do the retrying (429 after ``Retry-After``, 5xx, connection resets,
twice each); these subclasses only count each 429 Slack answers (by method) and each retry
(by reason). They never look at a body. A 429 to ``chat.postMessage`` is also told to the pacer
(``bot.pacing``) with its ``Retry-After``, so the sends around it slow down too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

MAX_RETRIES = 2


class CallCounter(Protocol):
    """What the handlers report to (implemented by :class:`bot.metrics.Metrics`)."""

    def rate_limited(self, method: str) -> None:
        """Slack answered a call with 429."""

    def retried(self, reason: str) -> None:
        """The client is about to try a call again."""


# Told of each 429 to chat.postMessage, with its Retry-After in seconds.
PostThrottle = Callable[[float], None]


def retry_after(response: HttpResponse) -> float:
    """The ``Retry-After`` a 429 carries, in seconds (1 if it carries none, as slack_sdk assumes)."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(float(values[0]), 0.0)
            except ValueError:
                break
    return 1.0


class _RateLimited(AsyncRateLimitErrorRetryHandler):
    def __init__(self, counter: CallCounter, throttle: PostThrottle | None) -> None:
        super().__init__(max_retry_count=MAX_RETRIES)
        self._counter = counter
        self._throttle = throttle

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        # Every answer reaches this handler (those of other kinds are declined below): a 429 is
        # counted even when the retries are used up.
        if response is not None and response.status_code == 429:
            self._counter.rate_limited(request.url)
            if self._throttle is not None and request.url.endswith("chat.postMessage"):
                self._throttle(retry_after(response))
        return await super().can_retry_async(state=state, request=request, response=response, error=error)

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self._counter.retried("rate_limited")
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


class _ServerError(AsyncServerErrorRetryHandler):
    def __init__(self, counter: CallCounter) -> None:
        super().__init__(max_retry_count=MAX_RETRIES)
        self._counter = counter

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self._counter.retried("server_error")
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


class _ConnectionError(AsyncConnectionErrorRetryHandler):
    def __init__(self, counter: CallCounter) -> None:
        super().__init__(max_retry_count=MAX_RETRIES)
        self._counter = counter

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self._counter.retried("connection_error")
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


def retry_handlers(counter: CallCounter, throttle: PostThrottle | None = None) -> list[AsyncRetryHandler]:
    """Connection resets, 429 and 5xx, each retried twice, each counted (429s to posts throttled)."""
    return [_ConnectionError(counter), _RateLimited(counter, throttle), _ServerError(counter)]
