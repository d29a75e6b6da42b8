"""The family registry: an explicit tuple of every family, in a fixed order.

Each family module lists its families in ``FAMILIES``; this module joins them. The order is the
iteration order of :func:`families` (benchmarks draw families round-robin in it); tie-breaks
between equally good fits use each family's ``simplicity``, not this order.
"""

from __future__ import annotations

from dataclasses import replace

from lraudit.errors import ScheduleError
from lraudit.schedules import constant, cosine, cyclic, exponential, piecewise, polynomial
from lraudit.schedules.base import Family, robust_guess


def _registered(family: Family) -> Family:
    """``family`` with its ``guess`` made total (see :func:`~lraudit.schedules.base.robust_guess`)."""
    if family.guess is None:
        return family
    return replace(family, guess=robust_guess(family, family.guess))


#: Every family, in registry order.
FAMILIES: tuple[Family, ...] = tuple(
    _registered(f)
    for f in (
        *constant.FAMILIES,
        *cosine.FAMILIES,
        *cyclic.FAMILIES,
        *exponential.FAMILIES,
        *piecewise.FAMILIES,
        *polynomial.FAMILIES,
    )
)

#: The families by name (read-only by convention; built from :data:`FAMILIES`).
REGISTRY: dict[str, Family] = {f.name: f for f in FAMILIES}
if len(REGISTRY) != len(FAMILIES):
    raise ValueError("two families share a name")


def get_family(name: str) -> Family:
    """The registered family called ``name``; a clear error listing the known ones otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ScheduleError(f"unknown schedule family {name!r}; known families: {known}") from None


def families() -> dict[str, Family]:
    """All registered families by name, in registry order."""
    return dict(REGISTRY)
