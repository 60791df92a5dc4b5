"""Errors that ``solve`` raises instead of returning a roster that breaks a hard rule."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .roster import Roster

__all__ = ["InfeasibleError", "NoRosterError", "ProblemTooLargeError"]


class InfeasibleError(Exception):
    """No roster meets every language floor under the hard rules.

    Attributes
    ----------
    languages
        The languages whose floors cannot be met, sorted.
    core
        ``(language, UTC date)`` floor groups that cannot all hold together (from
        CP-SAT's infeasibility core); empty when a capacity argument proved it first.
    shortfall
        Per interval and language where the best-effort roster falls short:
        ``interval_start_utc``, ``language``, ``floor``, ``staffed``, ``short``
        [agents]; ``None`` if it was not computed.
    best_effort
        The roster that keeps every other hard rule and misses the floors by the least
        agent-intervals, or ``None`` if none was found in time.
    """

    def __init__(
        self,
        message: str,
        *,
        languages: list[str],
        core: list[tuple[str, dt.date]] | None = None,
        shortfall: pd.DataFrame | None = None,
        best_effort: Roster | None = None,
    ) -> None:
        super().__init__(message)
        self.languages = languages
        self.core = core or []
        self.shortfall = shortfall
        self.best_effort = best_effort


class NoRosterError(RuntimeError):
    """The time limit ran out before CP-SAT found any roster (neither found nor disproved), and no
    complete starting roster was at hand to return instead."""


class ProblemTooLargeError(ValueError):
    """The model would exceed the size ``solve`` builds (checked before the build, in milliseconds).

    Attributes
    ----------
    size, limit
        ``{"candidate_shifts": n, "coverage_cells": n}`` of the problem, and the limits.
    """

    def __init__(self, message: str, *, size: dict[str, int], limit: dict[str, int]) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit
