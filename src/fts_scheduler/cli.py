"""The ``fts`` command line.

Exit codes that tools can rely on: 0 solved, 2 invalid input (the message names the
field and value), 3 infeasible (the explanation), 4 no roster within the time limit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pydantic
import typer

from . import datasets
from .errors import InfeasibleError, NoRosterError
from .io import read_assignments, read_problem, write_problem, write_roster
from .models import Problem
from .solver import solve
from .validation import validate

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Follow-the-sun workforce scheduling.")

EXIT_OK, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_ROSTER = 0, 2, 3, 4


def _solve_and_write(problem: Problem, out: Path, time_limit: float, seed: int, workers: int | None) -> None:
    typer.echo(
        f"Solving {problem.name}: {len(problem.sites)} sites, {len(problem.agents)} agents, "
        f"{problem.days} days from {problem.start_date} on a {problem.interval_minutes}-min UTC grid "
        f"(time limit {time_limit:g} s)"
    )
    try:
        roster = solve(problem, time_limit_s=time_limit, seed=seed, workers=workers)
    except InfeasibleError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_INFEASIBLE) from None
    except NoRosterError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_NO_ROSTER) from None
    paths = write_roster(roster, out)
    violations = validate(problem, roster)
    typer.echo(roster.summary())
    typer.echo(f"  independent validation: {'no violation' if not violations else f'{len(violations)} VIOLATIONS'}")
    for v in violations[:20]:
        typer.echo(f"    {v}")
    typer.echo("Wrote " + ", ".join(str(p) for p in paths.values()))
    if violations:  # never reached unless the model and the validator disagree: a bug
        raise typer.Exit(1)


@app.command()
def demo(
    out: Path = typer.Option(Path("out"), help="Directory for the roster files."),
    time_limit: float = typer.Option(60.0, help="CP-SAT time limit [s]."),
    seed: int = typer.Option(0, help="Scenario and solver seed."),
    workers: int | None = typer.Option(None, help="CP-SAT workers (default: every core)."),
) -> None:
    """Solve the built-in follow-the-sun demo (5 sites, ~120 agents, 14 days)."""
    problem = datasets.demo_problem(seed)
    write_problem(problem, out / "problem.json")
    _solve_and_write(problem, out, time_limit, seed, workers)


@app.command("solve")
def solve_cmd(
    problem_file: Path = typer.Argument(..., help="Problem as JSON (Problem.model_dump_json())."),
    out: Path = typer.Option(..., help="Directory for the roster files."),
    time_limit: float = typer.Option(60.0, help="CP-SAT time limit [s]."),
    seed: int = typer.Option(0),
    workers: int | None = typer.Option(None, help="CP-SAT workers (default: every core)."),
) -> None:
    """Solve a problem file and write assignments.csv, coverage.csv and summary.json."""
    problem = _load(problem_file)
    _solve_and_write(problem, out, time_limit, seed, workers)


@app.command("validate")
def validate_cmd(
    problem_file: Path = typer.Argument(..., help="Problem as JSON."),
    roster_dir: Path = typer.Argument(..., help="Directory holding assignments.csv."),
) -> None:
    """Check a roster against every hard rule, independently of the solver."""
    problem = _load(problem_file)
    violations = validate(problem, read_assignments(roster_dir / "assignments.csv", problem))
    for v in violations:
        typer.echo(str(v))
    typer.echo(f"{len(violations)} violation(s)")
    raise typer.Exit(1 if violations else 0)


def _load(path: Path) -> Problem:
    try:
        return read_problem(path)
    except FileNotFoundError:
        typer.echo(f"error: {path}: no such file", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    except pydantic.ValidationError as exc:
        typer.echo(f"error: {path} is not a valid problem:", err=True)
        for e in exc.errors():
            loc = ".".join(str(p) for p in e["loc"]) or "(problem)"
            value = json.dumps(e.get("input"), default=str)
            if len(value) > 80:
                value = value[:77] + "..."
            typer.echo(f"  {loc}: {e['msg']} (value: {value})", err=True)
        raise typer.Exit(EXIT_INVALID) from None


def main() -> None:  # pragma: no cover
    sys.exit(app())
