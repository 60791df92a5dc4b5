"""The ``fts`` command line.

Exit codes that tools can rely on: 0 solved, 2 invalid input (the message names the
file, the field and the value), 3 infeasible (the explanation), 4 no roster within
the time limit; ``fts validate`` exits 1 when the roster breaks a rule.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import typer

from . import datasets
from .errors import InfeasibleError, NoRosterError
from .io import InputError, Inputs, read_assignments, read_forecast, read_goals, read_inputs, read_roster, write_roster
from .solver import solve
from .validation import validate

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Follow-the-sun workforce scheduling.")

EXIT_OK, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_ROSTER = 0, 2, 3, 4

_TIME_LIMIT = typer.Option(60.0, help="CP-SAT time limit [s].")
_WORKERS = typer.Option(None, help="CP-SAT workers (default 8).")
_PLOTS = typer.Option(True, "--plots/--no-plots", help="Write PNG charts into DIR/plots.")


class _ProgressLine:
    """Prints the search's progress: time, best roster's objective, bound, gap.

    At most one line a second (the first roster at once), so a search that improves
    hundreds of times early on does not flood the terminal.
    """

    def __init__(self, every_s: float = 1.0) -> None:
        self.every_s = every_s
        self.last = -float("inf")

    def __call__(self, progress) -> None:
        now = time.monotonic()
        if now - self.last < self.every_s:
            return
        self.last = now
        typer.echo(
            f"  {progress.elapsed_s:6.1f} s  best {progress.objective:>14,.2f}  "
            f"bound {progress.bound:>14,.2f}  gap {progress.gap:6.1%}"
        )


def _solve_and_write(
    inputs: Inputs, out: Path, time_limit: float, seed: int, workers: int | None, plots: bool
) -> None:
    from .exports import write_report

    problem = inputs.problem
    typer.echo(
        f"Solving {problem.name}: {len(problem.sites)} sites, {len(problem.agents)} agents, "
        f"{problem.days} days from {problem.start_date} on a {problem.interval_minutes}-min UTC grid "
        f"(time limit {time_limit:g} s)"
    )
    try:
        roster = solve(problem, time_limit_s=time_limit, seed=seed, workers=workers, callback=_ProgressLine())
    except InfeasibleError as exc:
        typer.echo(str(exc), err=True)
        if exc.best_effort is not None:
            where = out / "best_effort"
            write_roster(exc.best_effort, where)
            if exc.shortfall is not None:
                exc.shortfall.to_csv(where / "shortfall.csv", index=False)
            typer.echo(f"The best-effort roster and its shortfall are in {where}", err=True)
        raise typer.Exit(EXIT_INFEASIBLE) from None
    except NoRosterError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_NO_ROSTER) from None
    violations = validate(problem, roster)
    typer.echo(roster.summary())
    typer.echo(f"  independent validation: {'no violation' if not violations else f'{len(violations)} VIOLATIONS'}")
    for v in violations[:20]:
        typer.echo(f"    {v}")
    paths = write_report(problem, roster, out, forecast=inputs.forecast, goals=inputs.goals, plots=plots)
    _echo_written(out, paths)
    if violations:  # never reached unless the model and the validator disagree: a bug
        raise typer.Exit(1)


def _echo_written(out: Path, paths: dict[str, Path]) -> None:
    top = sorted({p.relative_to(out).parts[0] for p in paths.values() if p.is_relative_to(out)})
    typer.echo(f"Wrote {len(paths)} files into {out}: " + ", ".join(top))


@app.command()
def demo(
    out: Path = typer.Option(Path("out"), help="Directory for the roster files."),
    time_limit: float = _TIME_LIMIT,
    seed: int = typer.Option(0, help="Scenario and solver seed."),
    workers: int | None = _WORKERS,
    plots: bool = _PLOTS,
) -> None:
    """Solve the built-in follow-the-sun demo (5 sites, ~120 agents, 14 days)."""
    _solve_and_write(_demo_inputs(seed), out, time_limit, seed, workers, plots)


def _demo_inputs(seed: int) -> Inputs:
    """The demo problem with the forecast and goals its requirements came from."""
    problem = datasets.demo_problem(seed)
    forecast_fn = getattr(datasets, "demo_forecast", None)
    goals = getattr(datasets, "DEMO_GOALS", None)
    if forecast_fn is None or goals is None:
        return Inputs(problem)
    from .requirements import requirements_by_language, requirements_from_forecast

    # The demo's requirements start their forecast two days early (the email backlog
    # is under way at the horizon's start); use it only if it is that forecast.
    warm_up = dt.timedelta(days=2)
    forecast = forecast_fn(seed, days=problem.days + warm_up.days, start_date=problem.start_date - warm_up)
    frame = requirements_from_forecast(forecast, goals, interval_minutes=problem.interval_minutes)
    again = requirements_by_language(
        frame, start=problem.start_date, num_intervals=problem.num_intervals, interval_minutes=problem.interval_minutes
    )
    if again != problem.requirements:
        return Inputs(problem)
    return Inputs(problem, forecast, tuple(goals))


@app.command("solve")
def solve_cmd(
    problem_file: Path = typer.Argument(..., help="Problem as .json or .yaml (or a .yaml naming agents.csv)."),
    out: Path = typer.Option(..., help="Directory for the roster, key figures, workbook, calendars and charts."),
    time_limit: float = _TIME_LIMIT,
    seed: int = typer.Option(0, help="CP-SAT random seed."),
    workers: int | None = _WORKERS,
    plots: bool = _PLOTS,
) -> None:
    """Solve a problem file; write the roster, key figures, roster.xlsx, one .ics per agent and charts."""
    _solve_and_write(_load(problem_file), out, time_limit, seed, workers, plots)


@app.command("validate")
def validate_cmd(
    problem_file: Path = typer.Argument(..., help="Problem as .json or .yaml."),
    roster_dir: Path = typer.Argument(..., help="Directory holding assignments.csv."),
) -> None:
    """Check a roster against every hard rule, independently of the solver (exit 1 on a violation)."""
    problem = _load(problem_file).problem
    file = roster_dir / "assignments.csv"
    if not file.exists():
        typer.echo(f"error: {file}: no such file", err=True)
        raise typer.Exit(EXIT_INVALID)
    # A whole roster directory carries the breaks too (agents on break fill no floor seat);
    # a lone assignments.csv is checked as it is.
    whole = all((roster_dir / name).exists() for name in ("coverage.csv", "summary.json"))
    violations = validate(problem, read_roster(roster_dir, problem) if whole else read_assignments(file, problem))
    for v in violations:
        typer.echo(str(v))
    typer.echo(f"{len(violations)} violation(s)")
    raise typer.Exit(1 if violations else 0)


@app.command("staffing")
def staffing_cmd(
    forecast_file: Path = typer.Argument(..., help="Forecast CSV: interval_start_utc, language, channel, volume, aht_s."),
    goals: Path | None = typer.Option(None, help="Channel goals as YAML (default: the demo's goals)."),
    out: Path | None = typer.Option(None, help="CSV file to write (default: CSV on standard output)."),
    interval_minutes: int = typer.Option(30, help="Width of a forecast interval [min]."),
) -> None:
    """Required agents per interval, language and channel from a contact forecast (Erlang C/A)."""
    from .requirements import requirements_from_forecast

    try:
        forecast = read_forecast(forecast_file)
        channel_goals = read_goals(goals) if goals is not None else tuple(datasets.DEMO_GOALS)
    except InputError as exc:
        _echo_issues(exc)
        raise typer.Exit(EXIT_INVALID) from None
    try:
        frame = requirements_from_forecast(forecast, channel_goals, interval_minutes=interval_minutes)
    except ValueError as exc:
        typer.echo(f"error: {forecast_file}: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    text = frame.assign(interval_start_utc=frame["interval_start_utc"].map(lambda t: t.isoformat()))
    if out is None:
        text.to_csv(sys.stdout, index=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    text.to_csv(out, index=False)
    step_h = interval_minutes / 60
    per = frame.groupby(["language", "channel"]).agg(peak=("required", "max"), hours=("required", "sum"))
    typer.echo(f"Wrote {out}: {len(frame)} rows, {frame['required'].sum() * step_h:,.1f} agent-hours")
    for (lang, channel), row in per.iterrows():
        typer.echo(f"  {lang} {channel:<7} peak {int(row['peak']):>3} agents  {row['hours'] * step_h:>9,.1f} agent-h")


@app.command("report")
def report_cmd(
    roster_dir: Path = typer.Argument(..., help="Directory of a solved roster with its problem.json."),
    forecast: Path | None = typer.Option(None, help="Forecast CSV (default: DIR/forecast.csv if there)."),
    goals: Path | None = typer.Option(None, help="Channel goals YAML (default: DIR/goals.yaml if there)."),
    plots: bool = _PLOTS,
) -> None:
    """Re-generate key figures, roster.xlsx, calendars and charts from a roster directory."""
    from .exports import write_report

    problem = _load(roster_dir / "problem.json").problem
    forecast = forecast or _if_exists(roster_dir / "forecast.csv")
    goals = goals or _if_exists(roster_dir / "goals.yaml")
    try:
        roster = read_roster(roster_dir, problem)
        frame = read_forecast(forecast) if forecast is not None and goals is not None else None
        channel_goals = read_goals(goals) if frame is not None else None
    except InputError as exc:
        _echo_issues(exc)
        raise typer.Exit(EXIT_INVALID) from None
    try:
        paths = write_report(
            problem, roster, roster_dir, forecast=frame, goals=channel_goals, plots=plots, roster_files=False
        )
    except ValueError as exc:  # a forecast that does not fit, or files from different rosters
        typer.echo(f"error: {roster_dir}: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    typer.echo(roster.summary())
    _echo_written(roster_dir, paths)


def _if_exists(path: Path) -> Path | None:
    return path if path.exists() else None


def _load(path: Path) -> Inputs:
    try:
        return read_inputs(path)
    except InputError as exc:
        typer.echo(f"error: {path} is not a valid problem:", err=True)
        _echo_issues(exc)
        raise typer.Exit(EXIT_INVALID) from None


def _echo_issues(exc: InputError) -> None:
    for issue in exc.issues[:50]:
        typer.echo(f"  {issue}", err=True)
    if len(exc.issues) > 50:
        typer.echo(f"  ... and {len(exc.issues) - 50} more", err=True)


def main() -> None:  # pragma: no cover
    sys.exit(app())
