"""CP-SAT plumbing the searches share: a solver that leaves Ctrl-C to Python, the wait
that lets Ctrl-C stop searches running in threads, and hints and boolean bounds written
straight into a model's proto (in place, undone after a step; far faster than the
``CpModel`` calls per variable on large models)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from typing import TypeVar

from ortools.sat.python import cp_model

__all__ = ["boolean_bounds", "set_boolean_bounds", "set_hint", "new_solver", "run_interruptibly"]

T = TypeVar("T")


def boolean_bounds(proto, index: int) -> tuple[int, int]:
    """``(lo, hi)`` of the boolean variable ``index`` of a model's proto (``(v, v)`` once fixed)."""
    domain = proto.variables[index].domain
    return domain[0], domain[1]  # a boolean's domain is [lo, hi]; the proto's negative indices read 0


def set_boolean_bounds(proto, index: int, lo: int, hi: int) -> None:
    """Fix (``lo == hi``) or free the boolean variable ``index`` in place, without a constraint:
    CP-SAT's presolve then drops it, and the bounds can be restored after the solve."""
    domain = proto.variables[index].domain
    domain[0], domain[1] = lo, hi


def set_hint(proto, values: Sequence[int] | Mapping[int, int]) -> None:
    """Replace the hint of a model's proto: ``values`` gives one value per variable in index
    order, or ``{index: value}`` for some of them; ``[]`` clears it. One bulk write, where
    ``CpModel.add_hint`` per variable took seconds on models of half a million variables
    (Curtois 23: ~5 s a time)."""
    proto.solution_hint.vars.clear()
    proto.solution_hint.values.clear()
    if isinstance(values, Mapping):
        proto.solution_hint.vars.extend(values.keys())
        proto.solution_hint.values.extend(values.values())
    elif values:
        proto.solution_hint.vars.extend(range(len(values)))
        proto.solution_hint.values.extend(values)


def new_solver() -> cp_model.CpSolver:
    """A CP-SAT solver that leaves Ctrl-C to Python.

    A search that catches SIGINT itself (CP-SAT's default) leaves it at the system's
    default when it ends (ortools 9.15): the next Ctrl-C then kills the interpreter, or a
    notebook's kernel, instead of raising ``KeyboardInterrupt``. And it would end only
    the search in progress, in whichever thread, while the caller's loop went on.
    """
    solver = cp_model.CpSolver()
    solver.parameters.catch_sigint_signal = False
    return solver


def run_interruptibly(tasks: Sequence[Callable[[], T]], stop: Callable[[], None]) -> tuple[list[T], bool]:
    """Run ``tasks`` (CP-SAT searches) in threads and return their results, and whether Ctrl-C came.

    The calling thread waits awake, so a Ctrl-C raises ``KeyboardInterrupt`` in it at
    once (Python runs signal handlers only in the main thread, between bytecodes, not
    while it is inside a search). Then ``stop()`` asks the searches to end (each keeps
    the best roster it has) and their results are still returned.
    """
    interrupted = False
    with ThreadPoolExecutor(len(tasks)) as pool:
        futures = [pool.submit(task) for task in tasks]
        try:
            while futures_wait(futures, timeout=0.2).not_done:
                pass
        except KeyboardInterrupt:
            interrupted = True
            stop()
        return [f.result() for f in futures], interrupted
