"""Small-count suppression, so no published number can point at a person.

Every count from 1 to K-1 is hidden ("fewer than K"). In a breakdown whose total
is shown, hiding one cell is not enough: the total minus the others gives it back.
So more cells are hidden (the smallest first) until at least two are hidden and
together they hold at least K; if that cannot be done, the total goes too. When the
total itself is small, every cell is hidden, zeros too: a zero beside a hidden total
would say where the few are.

Figures over several quarters are only ever sums of published quarter figures
(``combine``): a sum is shown when every part was shown, so it tells nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Hidden(StrEnum):
    """Why a number is not shown."""

    SMALL = "small"  # between 1 and K-1
    COMPLEMENTARY = "complementary"  # hidden so a small one cannot be worked out


@dataclass(frozen=True)
class Cell:
    """A number as it may be published."""

    value: int | None
    hidden: Hidden | None = None


@dataclass(frozen=True)
class Breakdown:
    """A suppressed breakdown and its total."""

    cells: dict[str, Cell]
    total: Cell


def single(value: int, k: int) -> Cell:
    """One count on its own."""
    return Cell(None, Hidden.SMALL) if 0 < value < k else Cell(value)


def breakdown(counts: Mapping[str, int], k: int, *, known: frozenset[str] = frozenset()) -> Breakdown:
    """Suppress a breakdown, with complementary suppression against its total.

    ``known`` are cells a reader can work out from elsewhere (another line of the same view): hiding
    one of them protects nothing, so they are never picked to hide a small cell (a small one is
    still hidden itself)."""
    total = sum(counts.values())
    if 0 < total < k:
        return Breakdown(
            cells={key: Cell(None, Hidden.SMALL if v else Hidden.COMPLEMENTARY) for key, v in counts.items()},
            total=Cell(None, Hidden.SMALL),
        )
    small = {key for key, v in counts.items() if 0 < v < k}
    hidden = set(small)
    total_hidden = False

    def protecting() -> set[str]:
        return hidden - known  # a known cell hides nothing, even when hidden itself

    while small - known and (len(protecting()) == 1 or sum(counts[h] for h in protecting()) < k):
        candidates = sorted(
            (v, key) for key, v in counts.items() if v > 0 and key not in hidden and key not in known
        )
        if not candidates:
            total_hidden = True
            break
        hidden.add(candidates[0][1])
    cells = {
        key: (
            Cell(None, Hidden.SMALL if key in small else Hidden.COMPLEMENTARY) if key in hidden else Cell(v)
        )
        for key, v in counts.items()
    }
    return Breakdown(cells=cells, total=Cell(None, Hidden.COMPLEMENTARY) if total_hidden else Cell(total))


def combine(cells: Iterable[Cell]) -> Cell:
    """The sum of published cells; hidden if any part was hidden (a sum of hidden parts could
    pin each of them)."""
    parts = list(cells)
    if any(c.value is None for c in parts):
        return Cell(None, Hidden.COMPLEMENTARY)
    return Cell(sum(c.value or 0 for c in parts))


def combine_breakdowns(parts: Sequence[Breakdown]) -> Breakdown:
    """Breakdowns of several quarters as one: each cell and the total combined."""
    keys = list(parts[0].cells) if parts else []
    return Breakdown(
        cells={key: combine(p.cells[key] for p in parts) for key in keys},
        total=combine(p.total for p in parts),
    )


def describe(cell: Cell, k: int) -> str:
    """A published number as words: the value, "fewer than K", or "suppressed"."""
    if cell.hidden == Hidden.SMALL:
        return f"fewer than {k}"
    if cell.hidden == Hidden.COMPLEMENTARY:
        return "suppressed"
    return str(cell.value)
