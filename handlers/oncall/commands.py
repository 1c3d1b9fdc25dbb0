"""``/peer oncall [add @person days HH:MM-HH:MM | remove N]``: the on-call rota (coordinators)."""

from __future__ import annotations

from bot.errors import InvalidForm
from bot.oncall import ShiftForm, describe_shift
from bot.services import Services
from handlers.common.blocks import mention
from handlers.common.feature import Subcommand
from handlers.common.parsing import ArgumentError, mentioned_users
from handlers.oncall.blocks import USAGE, rota_text


async def _oncall(services: Services, user_id: str, args: list[str]) -> str:
    action = args[0].lower() if args else "list"
    zone = services.hours.tz.key
    if action == "list" and len(args) <= 1:
        shifts, now = await services.oncall.shifts(coordinator_id=user_id)
        return rota_text(shifts, now, zone=zone)
    if action == "add":
        await services.roles.require_coordinator_role(user_id)  # refused before the arguments are read
        if len(args) != 4:
            raise ArgumentError(USAGE)
        [person] = mentioned_users(args[1:2])
        try:
            shift = await services.oncall.add(
                coordinator_id=user_id, form=ShiftForm(user_id=person, days=args[2], hours=args[3])
            )
        except InvalidForm as invalid:
            raise ArgumentError(" ".join(invalid.errors.values()) + " " + USAGE) from None
        return f"Added on-call shift #{shift.id}: {mention(shift.user_id)} {describe_shift(shift)} ({zone})."
    if action == "remove":
        await services.roles.require_coordinator_role(user_id)
        number = args[1].lstrip("#") if len(args) == 2 else ""
        if not number.isdigit() or len(number) > 9:
            raise ArgumentError(USAGE)
        shift = await services.oncall.remove(coordinator_id=user_id, shift_id=int(number))
        return f"Removed on-call shift #{shift.id}: {mention(shift.user_id)} {describe_shift(shift)}."
    raise ArgumentError(USAGE)


SUBCOMMANDS: dict[str, Subcommand] = {"oncall": _oncall}
