"""fts-scheduler: follow-the-sun workforce scheduling.

Data flows one way: models -> requirements -> optimizer -> roster -> reports.

>>> from fts_scheduler import datasets, solve, validate
>>> problem = datasets.demo_problem()
>>> roster = solve(problem, time_limit_s=30)          # doctest: +SKIP
>>> validate(problem, roster)                         # doctest: +SKIP
[]
"""

from . import datasets
from .errors import InfeasibleError, NoRosterError
from .models import (
    Agent,
    AvailabilityWindow,
    BreakRule,
    Contract,
    LabourRules,
    LanguageFloor,
    NightRules,
    ObjectiveWeights,
    OpeningHours,
    PayRules,
    Preference,
    Problem,
    Requirement,
    ShiftTemplate,
    Site,
)
from .roster import Roster
from .solver import solve
from .validation import Violation, validate

__all__ = [
    "Agent",
    "AvailabilityWindow",
    "BreakRule",
    "Contract",
    "InfeasibleError",
    "LabourRules",
    "LanguageFloor",
    "NightRules",
    "NoRosterError",
    "ObjectiveWeights",
    "OpeningHours",
    "PayRules",
    "Preference",
    "Problem",
    "Requirement",
    "Roster",
    "ShiftTemplate",
    "Site",
    "Violation",
    "datasets",
    "solve",
    "validate",
]

__version__ = "0.1.0"
