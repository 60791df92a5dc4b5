"""fts-scheduler: follow-the-sun workforce scheduling.

Data flows one way: models -> requirements -> optimizer -> roster -> reports.

>>> from fts_scheduler import datasets, solve, validate
>>> problem = datasets.demo_problem()
>>> roster = solve(problem, time_limit_s=30)          # doctest: +SKIP
>>> validate(problem, roster)                         # doctest: +SKIP
[]
"""

from . import datasets
from .errors import InfeasibleError, NoRosterError, ProblemTooLargeError
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
    ShiftDemand,
    ShiftTemplate,
    Site,
)
from .parallel import ScenarioResult, solve_many
from .replanning import ReplanWarning, replan
from .requirements import ChannelGoal, problem_from_forecast, requirements_by_language, requirements_from_forecast
from .roster import Roster
from .solver import solve
from .validation import Violation, validate

__all__ = [
    "Agent",
    "ChannelGoal",
    "AvailabilityWindow",
    "BreakRule",
    "Contract",
    "InfeasibleError",
    "LabourRules",
    "LanguageFloor",
    "NightRules",
    "NoRosterError",
    "ProblemTooLargeError",
    "ObjectiveWeights",
    "OpeningHours",
    "PayRules",
    "Preference",
    "Problem",
    "Requirement",
    "ReplanWarning",
    "Roster",
    "ScenarioResult",
    "ShiftDemand",
    "ShiftTemplate",
    "Site",
    "Violation",
    "datasets",
    "problem_from_forecast",
    "replan",
    "requirements_by_language",
    "requirements_from_forecast",
    "solve",
    "solve_many",
    "validate",
]

__version__ = "0.1.0"
