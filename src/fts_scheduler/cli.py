"""The ``fts`` command line.

Exit codes that tools can rely on (docs/cli.md): 0 solved, 1 an internal error (a bug;
``--debug`` shows the traceback), 2 invalid input or an output that cannot be written
(the message names the file, the field and the value), 3 infeasible (the explanation),
4 no roster within the time limit, 130 interrupted by Ctrl-C (the best roster found so
far is written); ``fts validate`` exits 1 when the roster breaks a rule.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import typer

from . import datasets
from .cells import write_csv
from .errors import InfeasibleError, NoRosterError, ProblemTooLargeError
from .io import InputError, Inputs, read_assignments, read_forecast, read_goals, read_inputs, read_roster, write_roster
from .outputs import REPORT_OUTPUTS, ROSTER_OUTPUTS, check_output_dir, staged_output
from .solver import solve
from .validation import validate

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Follow-the-sun workforce scheduling.",
    pretty_exceptions_enable=False,
)  # fmt: skip

EXIT_OK, EXIT_INTERNAL, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_ROSTER = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # as shells report a command ended by SIGINT (128 + 2)

_TIME_LIMIT = typer.Option(
    60.0, min=0.001, help="Time limit of the whole solve [s]: model build, starting roster and search."
)
_WORKERS = typer.Option(None, min=1, help="CP-SAT workers (default: chosen from the model's size).")
_PLOTS = typer.Option(True, "--plots/--no-plots", help="Write PNG charts into DIR/plots.")
_OVERWRITE = typer.Option(
    False, "--overwrite", help="Write into a folder that holds other files (only the library's own file names are replaced)."
)
_DEBUG = {"on": False}


@app.callback()
def _options(
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of an internal error (also FTS_DEBUG=1).")
) -> None:
    """Follow-the-sun workforce scheduling."""
    _DEBUG["on"] = debug or os.environ.get("FTS_DEBUG", "") not in ("", "0")


def _guarded(command: Callable) -> Callable:
    """A command whose failures end in the documented exit codes, never in a bare traceback.

    Input and environment (a file that cannot be written, a full disk) exit 2 with the
    message, Ctrl-C exits 130; anything else is a bug: exit 1, with the traceback under
    ``--debug``.
    """

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            typer.echo("Interrupted (Ctrl-C) before any roster was found; nothing was written.", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except InputError as exc:
            _echo_issues(exc)
            raise typer.Exit(EXIT_INVALID) from None
        except (ProblemTooLargeError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_INVALID) from None
        except Exception as exc:
            if _DEBUG["on"]:
                traceback.print_exc()
            typer.echo(f"internal error (a bug, please report it): {type(exc).__name__}: {_excerpt(str(exc))}"
                       + ("" if _DEBUG["on"] else "\n  run with --debug for the traceback"), err=True)
            raise typer.Exit(EXIT_INTERNAL) from None

    return run


def _excerpt(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
    inputs: Inputs, out: Path, time_limit: float, seed: int, workers: int | None, plots: bool, overwrite: bool
) -> None:
    from .exports import write_report

    problem = inputs.problem
    check_output_dir(out, overwrite=overwrite)  # before the solve: a roster that cannot be written is lost
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
            with staged_output(out, ROSTER_OUTPUTS + REPORT_OUTPUTS) as stage:
                where = stage / "best_effort"
                write_roster(exc.best_effort, where)
                if exc.shortfall is not None:
                    write_csv(exc.shortfall, where / "shortfall.csv")
            typer.echo(f"The best-effort roster and its shortfall are in {out / 'best_effort'}", err=True)
        raise typer.Exit(EXIT_INFEASIBLE) from None
    except NoRosterError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_NO_ROSTER) from None
    interrupted = bool(roster.stats.get("interrupted"))
    if interrupted:
        typer.echo("Interrupted (Ctrl-C): writing the best roster found so far.", err=True)
    violations = validate(problem, roster)
    typer.echo(roster.summary())
    typer.echo(f"  independent validation: {'no violation' if not violations else f'{len(violations)} VIOLATIONS'}")
    for v in violations[:20]:
        typer.echo(f"    {v}")
    with staged_output(out, ROSTER_OUTPUTS + REPORT_OUTPUTS) as stage:
        paths = write_report(problem, roster, stage, forecast=inputs.forecast, goals=inputs.goals, plots=plots)
    _echo_written(out, stage, paths)
    if violations:  # never reached unless the model and the validator disagree: a bug
        raise typer.Exit(EXIT_INTERNAL)
    if interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


def _echo_written(out: Path, stage: Path, paths: dict[str, Path]) -> None:
    """Count what was written (in ``stage``, now moved to ``out``)."""
    top = sorted({p.relative_to(stage).parts[0] for p in paths.values() if p.is_relative_to(stage)})
    typer.echo(f"Wrote {len(set(paths.values()))} files into {out}: " + ", ".join(top))


@app.command()
@_guarded
def demo(
    out: Path = typer.Option(Path("out"), help="Directory for the roster files."),
    time_limit: float = _TIME_LIMIT,
    seed: int = typer.Option(0, help="Scenario and solver seed."),
    workers: int | None = _WORKERS,
    plots: bool = _PLOTS,
    overwrite: bool = _OVERWRITE,
) -> None:
    """Solve the built-in follow-the-sun demo (5 sites, ~120 agents, 14 days)."""
    _solve_and_write(_demo_inputs(seed), out, time_limit, seed, workers, plots, overwrite)


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
@_guarded
def solve_cmd(
    problem_file: Path = typer.Argument(..., help="Problem as .json or .yaml (or a .yaml naming agents.csv)."),
    out: Path = typer.Option(..., help="Directory for the roster, key figures, workbook, calendars and charts."),
    time_limit: float = _TIME_LIMIT,
    seed: int = typer.Option(0, help="CP-SAT random seed."),
    workers: int | None = _WORKERS,
    plots: bool = _PLOTS,
    overwrite: bool = _OVERWRITE,
) -> None:
    """Solve a problem file; write the roster, key figures, roster.xlsx, one .ics per agent and charts."""
    _solve_and_write(_load(problem_file), out, time_limit, seed, workers, plots, overwrite)


@app.command("validate")
@_guarded
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
    with _roster_files(roster_dir):
        roster = read_roster(roster_dir, problem) if whole else read_assignments(file, problem)
    violations = validate(problem, roster)
    for v in violations:
        typer.echo(str(v))
    typer.echo(f"{len(violations)} violation(s)")
    raise typer.Exit(1 if violations else 0)


@app.command("staffing")
@_guarded
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
    partial = out.with_name(f".{out.name}.partial")
    try:  # written whole or not at all: a full disk must not leave half a file under the real name
        text.to_csv(partial, index=False)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    step_h = interval_minutes / 60
    per = frame.groupby(["language", "channel"]).agg(peak=("required", "max"), hours=("required", "sum"))
    typer.echo(f"Wrote {out}: {len(frame)} rows, {frame['required'].sum() * step_h:,.1f} agent-hours")
    for (lang, channel), row in per.iterrows():
        typer.echo(f"  {lang} {channel:<7} peak {int(row['peak']):>3} agents  {row['hours'] * step_h:>9,.1f} agent-h")


@app.command("report")
@_guarded
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
        with _roster_files(roster_dir):
            roster = read_roster(roster_dir, problem)
        frame = read_forecast(forecast) if forecast is not None and goals is not None else None
        channel_goals = read_goals(goals) if frame is not None else None
    except InputError as exc:
        _echo_issues(exc)
        raise typer.Exit(EXIT_INVALID) from None
    owned = REPORT_OUTPUTS + (("forecast.csv", "goals.yaml") if frame is not None else ())
    try:
        with staged_output(roster_dir, owned) as stage:
            paths = write_report(
                problem, roster, stage, forecast=frame, goals=channel_goals, plots=plots, roster_files=False
            )
    except ValueError as exc:  # a forecast that does not fit, or files from different rosters
        typer.echo(f"error: {roster_dir}: {_excerpt(str(exc))}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    typer.echo(roster.summary())
    _echo_written(roster_dir, stage, paths)


@contextlib.contextmanager
def _roster_files(roster_dir: Path) -> Iterator[None]:
    """Roster files that are not what ``fts solve`` wrote (edited by hand, cut short) are input
    errors, exit 2, like a bad problem file."""
    try:
        yield
    except (KeyError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, InputError):
            raise
        kind = "missing column" if isinstance(exc, KeyError) else "unreadable value"
        typer.echo(f"error: {roster_dir}: not a roster written by fts ({kind}: {_excerpt(str(exc), 120)})", err=True)
        raise typer.Exit(EXIT_INVALID) from None


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
