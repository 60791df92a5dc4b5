"""One function run in a few lanes at once: threads, or processes forked from the caller.

The one-agent re-plans (``heuristic``) are half Python (building each agent's CP-SAT
model) and half CP-SAT. In threads, the Python half runs under one lock, one agent at a
time: on Curtois 24 the second core then idles for most of the re-plan. Forked
processes run it on both cores. They inherit the roster model the function reads (a
million variables, which could not be sent, and would take too long to pickle) and
receive only each call's small arguments; what a call returns comes back pickled.

:func:`lanes` chooses: processes where ``fork`` exists (Linux) and the work is large,
threads otherwise. Both run ``fn(*args, **kwargs)`` exactly, so they return the same.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["lanes", "ThreadLanes", "ForkLanes"]


class ThreadLanes:
    """``fn`` in ``count`` threads: ``submit(*args, **kwargs)`` returns a future of ``fn(*args, **kwargs)``."""

    def __init__(self, fn: Callable[..., Any], count: int) -> None:
        self.fn = fn
        self.pool = ThreadPoolExecutor(max_workers=count)

    def __enter__(self) -> ThreadLanes:
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown(wait=True)

    def submit(self, *args, **kwargs):
        return self.pool.submit(self.fn, *args, **kwargs)


class ForkLanes:
    """``fn`` in ``count`` processes forked on entry: they see what the caller held then.

    Calls go to the lanes in turn; each lane answers its calls in order. The lanes
    ignore Ctrl-C: the caller gets it (while waiting for a result) and ends them on
    exit, as it does on any error.
    """

    def __init__(self, fn: Callable[..., Any], count: int, *, daemon: bool = True) -> None:
        self.fn = fn
        self.count = count
        self.daemon = daemon  # a daemon (ended with the caller, however it exits) may not fork lanes of its own
        self.conns: list = []
        self.processes: list = []
        self.waiting: list[deque[_Pending]] = []
        self.turn = 0

    def __enter__(self) -> ForkLanes:
        context = multiprocessing.get_context("fork")
        try:
            for _ in range(self.count):
                mine, theirs = context.Pipe()
                process = context.Process(target=_serve, args=(self.fn, theirs), daemon=self.daemon)
                process.start()
                theirs.close()
                self.conns.append(mine)
                self.processes.append(process)
                self.waiting.append(deque())
        except BaseException:
            self._end(stop=True)
            raise
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self._end(stop=exc_type is not None)

    def submit(self, *args, **kwargs) -> _Pending:
        lane = self.turn
        self.turn = (self.turn + 1) % self.count
        self.conns[lane].send((args, kwargs))
        pending = _Pending(self, lane)
        self.waiting[lane].append(pending)
        return pending

    def _receive(self, lane: int) -> None:
        """The lane's oldest unanswered call gets its answer."""
        try:
            answer = self.conns[lane].recv()
        except EOFError:
            answer = ("error", RuntimeError(f"lane {lane} ended unexpectedly "
                                            f"(exit code {self.processes[lane].exitcode})"))
        self.waiting[lane].popleft().answer = answer

    def _end(self, *, stop: bool) -> None:
        for conn, process in zip(self.conns, self.processes):
            if stop:  # an error or Ctrl-C: what the lanes are doing is not wanted
                process.terminate()
            else:
                try:
                    conn.send(None)
                except OSError:
                    process.terminate()
        for conn, process in zip(self.conns, self.processes):
            process.join()
            conn.close()
        self.conns, self.processes, self.waiting = [], [], []


class _Pending:
    """A call sent to a lane: :meth:`result` waits for its answer."""

    _unset = object()

    def __init__(self, lanes: ForkLanes, lane: int) -> None:
        self.lanes = lanes
        self.lane = lane
        self.answer: Any = self._unset

    def result(self) -> Any:
        while self.answer is self._unset:
            self.lanes._receive(self.lane)
        kind, value = self.answer
        if kind == "error":
            raise value
        return value


def _serve(fn: Callable[..., Any], conn) -> None:
    """A lane: answer calls until told to stop (``None``) or the caller is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            call = conn.recv()
        except EOFError:
            return
        if call is None:
            return
        args, kwargs = call
        try:
            answer = ("ok", fn(*args, **kwargs))
        except Exception as error:  # the caller raises it
            answer = ("error", error)
        try:
            conn.send(answer)
        except OSError:  # the caller is gone (it ended its lanes' parent): nobody to answer
            return
        except Exception as error:  # an answer or error that does not pickle
            conn.send(("error", RuntimeError(f"lane could not send its answer back: {error!r}")))


def can_fork() -> bool:
    """Whether forked lanes are available and worth it here: Linux (macOS forks unsafely), two cores or more."""
    return sys.platform.startswith("linux") and (os.cpu_count() or 1) >= 2


def lanes(fn: Callable[..., Any], count: int, *, fork: bool) -> ThreadLanes | ForkLanes:
    """``count`` lanes running ``fn``: forked processes if ``fork`` and :func:`can_fork`, threads otherwise."""
    return ForkLanes(fn, count) if fork and can_fork() else ThreadLanes(fn, count)
