"""Many independent scenarios at once, on any :class:`concurrent.futures.Executor`.

``solve_many(problems)`` runs one :func:`~fts_scheduler.solve` per problem on an
executor: a local process pool by default, or a Dask cluster through
``distributed.Client.get_executor()``, or anything else that implements
``submit``. No scheduler is written here: the executor schedules, this module only
packs and unpacks.

Problems and rosters travel as JSON text and JSON-able dicts, not as pickled objects:
``problem.model_dump_json()`` out (validated again on the worker, so a worker runs
exactly the problem the caller holds), and the roster's fields back, DataFrames column
by column with their dtypes, so the caller rebuilds a :class:`~fts_scheduler.Roster`
equal to the one the worker made (time zones of local times included). Every
scenario comes back, in input order, with a status; one that fails (infeasible, no
roster in time, an exception, a lost worker) does not take the others with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import multiprocessing
import os
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .errors import InfeasibleError, NoRosterError
from .models import Problem
from .roster import Roster
from .solver import solve

__all__ = ["solve_many", "ScenarioResult", "STATUSES"]

STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "NO_ROSTER", "ERROR")
"""Every status a :class:`ScenarioResult` can carry."""


@dataclass(frozen=True)
class ScenarioResult:
    """What one scenario of :func:`solve_many` gave.

    Attributes
    ----------
    index
        Position of the problem in the input.
    name
        ``Problem.name``.
    status
        ``"OPTIMAL"`` or ``"FEASIBLE"`` (a roster, as :attr:`Roster.status`),
        ``"INFEASIBLE"`` (:class:`~fts_scheduler.InfeasibleError`), ``"NO_ROSTER"``
        (:class:`~fts_scheduler.NoRosterError`: none found in the time limit) or
        ``"ERROR"`` (any other exception, in the worker or in the executor).
    roster
        The roster, rebuilt on the caller's side; ``None`` unless OPTIMAL or FEASIBLE.
    best_effort
        For INFEASIBLE: ``InfeasibleError.best_effort`` (``None`` if none was found).
    error_type, message
        The exception's class name and message, for every status but OPTIMAL and
        FEASIBLE (INFEASIBLE carries the explanation naming languages and hours).
    traceback
        For ERROR, the formatted traceback from where it was raised.
    wall_s
        Wall time the scenario took where it ran, validation and packing included [s]
        (0 if it never ran).
    """

    index: int
    name: str
    status: str
    roster: Roster | None = None
    best_effort: Roster | None = None
    error_type: str | None = None
    message: str | None = None
    traceback: str | None = None
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the scenario gave a roster."""
        return self.roster is not None


def solve_many(
    problems: Sequence[Problem], *, executor: Executor | None = None, **solve_options: Any
) -> list[ScenarioResult]:
    """Solve independent problems in parallel; one :class:`ScenarioResult` each, in input order.

    Parameters
    ----------
    problems
        The scenarios.
    executor
        Where to run them: any :class:`concurrent.futures.Executor`, e.g.
        ``distributed.Client(...).get_executor()`` for a Dask cluster. ``None`` starts
        a local :class:`~concurrent.futures.ProcessPoolExecutor` (``spawn`` start
        method, one process per CPU at most) and shuts it down afterwards. An executor
        passed in is left running.
    **solve_options
        Passed to :func:`~fts_scheduler.solve` for every problem (``time_limit_s``,
        ``seed``, ``workers``, ``deterministic_time``...). Each solve uses
        ``workers`` CP-SAT threads (8 by default): with several scenarios per machine,
        pass ``workers=1`` or so, or the processes fight over the cores. They must
        pickle (no lambdas).

    Raises
    ------
    TypeError
        An option ``solve`` does not take (checked before anything is submitted).

    Notes
    -----
    With the default process pool, a script that calls ``solve_many`` must guard its
    entry point with ``if __name__ == "__main__":`` (the ``spawn`` start method
    re-imports the main module in each worker).
    """
    _check_options(solve_options)
    payloads = [p.model_dump_json() for p in problems]
    if not payloads:
        return []
    own = executor is None
    pool = executor or ProcessPoolExecutor(
        max_workers=min(len(payloads), os.cpu_count() or 1),
        # spawn, not fork: forking a process that holds threads (CP-SAT's, a Dask
        # client's) can deadlock the child
        mp_context=multiprocessing.get_context("spawn"),
    )
    futures: list[Future] = []
    try:
        for payload in payloads:
            try:
                futures.append(pool.submit(_solve_json, payload, dict(solve_options)))
            except Exception as exc:  # a broken or shut-down executor: this scenario fails alone
                futures.append(_failed(exc))
        results = []
        for i, (problem, future) in enumerate(zip(problems, futures)):
            try:
                packed = future.result()
            except Exception as exc:  # lost worker, unpicklable option, cancelled
                packed = _error_dict(exc, 0.0)
            results.append(_unpack(i, problem, packed))
        return results
    except BaseException:
        # Ctrl-C: do not leave queued scenarios running behind the caller's back
        for future in futures:
            future.cancel()
        if own:
            pool.shutdown(wait=False, cancel_futures=True)
            own = False
        raise
    finally:
        if own:
            pool.shutdown(wait=True)


def _check_options(options: dict[str, Any]) -> None:
    try:
        inspect.signature(solve).bind(None, **options)
    except TypeError as exc:
        raise TypeError(f"solve_many: {exc} (options are passed to fts_scheduler.solve)") from None


def _failed(exc: Exception) -> Future:
    future: Future = Future()
    future.set_exception(exc)
    return future


# --------------------------------------------------------------------------- the worker


def _solve_json(problem_json: str, options: dict[str, Any]) -> dict[str, Any]:
    """Validate, solve, and pack the outcome as a JSON-able dict (runs on the worker).

    Module-level so that it pickles by reference; it never raises (but for
    ``KeyboardInterrupt`` and the like): every outcome is a status.
    """
    t0 = time.perf_counter()
    try:
        problem = Problem.model_validate_json(problem_json)
        roster = solve(problem, **options)
        return {"status": roster.status, "roster": _pack_roster(roster), "wall_s": time.perf_counter() - t0}
    except InfeasibleError as exc:
        best = _pack_roster(exc.best_effort) if exc.best_effort is not None else None
        return {
            "status": "INFEASIBLE",
            "error_type": type(exc).__name__,
            "message": str(exc),
            "best_effort": best,
            "wall_s": time.perf_counter() - t0,
        }
    except NoRosterError as exc:
        return {
            "status": "NO_ROSTER",
            "error_type": type(exc).__name__,
            "message": str(exc),
            "wall_s": time.perf_counter() - t0,
        }
    except Exception as exc:
        return _error_dict(exc, time.perf_counter() - t0)


def _error_dict(exc: BaseException, wall_s: float) -> dict[str, Any]:
    return {
        "status": "ERROR",
        "error_type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
        "wall_s": wall_s,
    }


def _unpack(index: int, problem: Problem, packed: dict[str, Any]) -> ScenarioResult:
    status = packed.get("status", "ERROR")
    try:
        roster = _unpack_roster(packed["roster"]) if packed.get("roster") is not None else None
        best = _unpack_roster(packed["best_effort"]) if packed.get("best_effort") is not None else None
    except Exception as exc:  # a worker on another version sent what we cannot read
        packed, roster, best, status = _error_dict(exc, packed.get("wall_s", 0.0)), None, None, "ERROR"
    return ScenarioResult(
        index=index,
        name=problem.name,
        status=status,
        roster=roster,
        best_effort=best,
        error_type=packed.get("error_type"),
        message=packed.get("message"),
        traceback=packed.get("traceback"),
        wall_s=float(packed.get("wall_s", 0.0)),
    )


# --------------------------------------------------------------------------- rosters as JSON


def _pack_roster(roster: Roster) -> dict[str, Any]:
    """A JSON-able dict of every field of ``roster``; :func:`_unpack_roster` inverts it exactly."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(roster):
        value = getattr(roster, f.name)
        out[f.name] = {"frame": _pack_frame(value)} if isinstance(value, pd.DataFrame) else {"value": _plain(value)}
    return out


def _unpack_roster(packed: dict[str, Any]) -> Roster:
    """The :class:`Roster` that :func:`_pack_roster` packed."""
    fields = {
        name: _unpack_frame(item["frame"]) if "frame" in item else item["value"] for name, item in packed.items()
    }
    return Roster(**fields)


def _pack_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """Column by column with dtypes: ``to_json`` would turn local times into UTC or naive."""
    columns = []
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col.dtype):
            values = [None if pd.isna(v) else v.isoformat() for v in col]
            columns.append({"name": name, "kind": "datetime", "dtype": str(col.dtype), "values": values})
        elif col.dtype == object and _all_of(col, dt.datetime):
            # tz-aware timestamps of several zones (start_local): ISO time and zone key each
            values = [None if _is_missing(v) else [v.isoformat(), v.tzinfo and str(v.tzinfo)] for v in col]
            columns.append({"name": name, "kind": "timestamps", "dtype": "object", "values": values})
        elif col.dtype == object and _all_of(col, (dt.date, dt.time)):
            values = [None if _is_missing(v) else [type(v).__name__, v.isoformat()] for v in col]
            columns.append({"name": name, "kind": "calendar", "dtype": "object", "values": values})
        else:
            values = [None if _is_missing(v) else _plain(v) for v in col.tolist()]
            columns.append({"name": name, "kind": "plain", "dtype": str(col.dtype), "values": values})
    return {"columns": columns, "length": len(frame)}


def _unpack_frame(packed: dict[str, Any]) -> pd.DataFrame:
    data = {}
    for col in packed["columns"]:
        values, dtype = col["values"], col["dtype"]
        if col["kind"] == "datetime":
            series = pd.Series(pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601"))
            tz = pd.api.types.pandas_dtype(dtype)
            if isinstance(tz, pd.DatetimeTZDtype):
                series = series.dt.tz_convert(tz.tz).astype(tz)
            else:
                series = series.dt.tz_localize(None).astype(tz)
        elif col["kind"] == "timestamps":
            series = pd.Series([None if v is None else _timestamp(*v) for v in values], dtype=object)
        elif col["kind"] == "calendar":
            parse = {"date": dt.date.fromisoformat, "time": dt.time.fromisoformat}
            series = pd.Series([None if v is None else parse[v[0]](v[1]) for v in values], dtype=object)
        else:
            series = pd.Series(values, dtype=dtype)
        data[col["name"]] = series
    frame = pd.DataFrame(data, index=pd.RangeIndex(packed["length"]))
    return frame


def _timestamp(iso: str, zone: str | None) -> pd.Timestamp:
    return pd.Timestamp(iso).tz_convert(zone) if zone else pd.Timestamp(iso)


def _all_of(col: pd.Series, kind: type | tuple[type, ...]) -> bool:
    """Every value of ``col`` is a ``kind`` or missing, and at least one is there."""
    present = [v for v in col if not _is_missing(v)]
    return bool(present) and all(isinstance(v, kind) for v in present)


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """NumPy scalars as Python ones, inside dicts and lists too (JSON knows no int64)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value
