"""Bolt middleware: put the domain services into every listener's context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    """Every listener may declare a ``services`` argument."""

    @app.middleware
    async def inject_services(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context["services"] = services
        await next()
