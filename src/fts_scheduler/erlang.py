"""Vectorised queueing numerics for contact-centre staffing.

Erlang B (loss), Erlang C (M/M/n, infinitely patient callers) and Erlang A
(M/M/n+M, exponentially impatient callers), plus the staffing search
:func:`required_agents`.

Every public function accepts a scalar, a NumPy array or a pandas Series for
each argument; the arguments broadcast against each other like NumPy
operands.  The result has the broadcast shape: a Series in gives a Series
out with the same index, scalars in give a Python scalar out.

Units, used throughout:

* traffic (offered load) ``A = arrival rate * mean handle time`` [Erlang]
* agents ``n`` [agents], whole numbers
* times (``aht``, ``target``, ``asa``, ``patience``) [s]
* arrival rates [1/s]

Nothing here evaluates a factorial or a power of the traffic directly: the
Poisson terms are formed in log-space (Loader's saddle-point form) and the
staffing search walks the Erlang B recursion, so results are finite and
warning-free from 0.01 to well beyond 10,000 Erlangs.

References
----------
.. [Cooper] R. B. Cooper, *Introduction to Queueing Theory*, 2nd ed.,
   North Holland, 1981, sections 3.4 (Erlang B recursion) and 3.5 (Erlang C).
.. [GMR] O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center
   with impatient customers", *Manufacturing & Service Operations
   Management* 4(3):208-227, 2002.
.. [HW] S. Halfin and W. Whitt, "Heavy-traffic limits for queues with many
   exponential servers", *Operations Research* 29(3):567-588, 1981.
.. [Loader] C. Loader, "Fast and accurate computation of binomial
   probabilities", 2000 (the ``bd0``/``stirlerr`` decomposition).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy import special

__all__ = [
    "ErlangAResult",
    "average_speed_of_answer",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "required_agents",
    "service_level",
]

_LOG_2PI = math.log(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)

#: Relative size of the stationary tail that the truncated Erlang A state
#: space may drop (documented contract: below 1e-12).
_TAIL_TOL = 1e-13

#: Beyond this many queue states per row the Erlang A normalising sums switch
#: from direct summation to their incomplete-gamma closed form (only hit by
#: overloaded rows with enormous patience, where the queue holds millions).
_DIRECT_SUM_CAP = 200_000

#: Below this Poisson cdf the closed-form Erlang B ratio would rest on scipy's
#: deep-tail incomplete gamma (only ~1e-11 relative at 10,000 Erlangs, and
#: underflowing further out), so the finite series takes over; there it
#: converges within a few multiples of sqrt(traffic) terms.
_Q_FLOOR = 1e-8


# --------------------------------------------------------------------------
# Argument plumbing
# --------------------------------------------------------------------------


def _fmt(value: float) -> str:
    # Whole numbers print as the caller most likely typed them ("-2", not "-2.0").
    value = float(value)
    return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _prepare(
    named: dict[str, Any],
) -> tuple[dict[str, np.ndarray], Callable[[np.ndarray, str], Any], tuple[int, ...]]:
    """Broadcast the given arguments and build a wrapper for the outputs.

    Returns flat float64 arrays (or 0-d arrays for scalars, so that constant
    parameters cost nothing inside the vectorised loops), a function that
    restores the caller's container, and the broadcast shape.
    """
    index = None
    raw: dict[str, np.ndarray] = {}
    for name, value in named.items():
        if value is None:
            continue
        if isinstance(value, pd.Series):
            if index is None:
                index = value.index
            elif not value.index.equals(index):
                raise ValueError(
                    f"{name} is a pandas Series whose index differs from the "
                    "other Series arguments; align them first"
                )
            arr = value.to_numpy(dtype=float)
        else:
            try:
                arr = np.asarray(value, dtype=float)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be numeric, got {value!r}") from exc
        raw[name] = arr
    try:
        shape = np.broadcast_shapes(*(a.shape for a in raw.values()))
    except ValueError as exc:
        shapes = ", ".join(f"{k}{a.shape}" for k, a in raw.items())
        raise ValueError(f"arguments do not broadcast together: {shapes}") from exc
    size = int(np.prod(shape)) if shape else 1
    flat: dict[str, np.ndarray] = {}
    for name, arr in raw.items():
        if arr.size == 1:
            flat[name] = arr.reshape(())
        else:
            flat[name] = np.ascontiguousarray(np.broadcast_to(arr, shape)).reshape(size)

    scalar = shape == ()

    def wrap(result: np.ndarray, label: str) -> Any:
        result = np.asarray(result)
        if scalar:
            return result.reshape(()).item()
        if result.shape != (size,):
            result = np.broadcast_to(result, (size,)).copy()
        out = result.reshape(shape)
        if index is not None:
            return pd.Series(out, index=index, name=label)
        return out

    return flat, wrap, shape


def _first_bad(arr: np.ndarray, ok: np.ndarray) -> float:
    bad = np.broadcast_to(arr, np.shape(ok))[~ok]
    return bad.flat[0]


def _check(name: str, arr: np.ndarray, ok: np.ndarray, requirement: str) -> None:
    if not np.all(ok):
        raise ValueError(f"{name} must be {requirement}, got {_fmt(_first_bad(arr, ok))}")


def _check_nonneg(name: str, arr: np.ndarray) -> None:
    # `x >= 0` is False for NaN, so one comparison also rejects NaN.
    _check(name, arr, (arr >= 0) & (arr < np.inf), "finite and >= 0")


def _check_positive(name: str, arr: np.ndarray) -> None:
    _check(name, arr, (arr > 0) & (arr < np.inf), "finite and > 0")


def _check_agents(arr: np.ndarray) -> None:
    _check("agents", arr, (arr >= 0) & (arr < np.inf), "a whole number >= 0")
    _check("agents", arr, arr == np.floor(arr), "a whole number >= 0")


def _check_share(name: str, arr: np.ndarray, closed_top: bool = False) -> None:
    if closed_top:
        _check(name, arr, (arr > 0) & (arr <= 1), "in (0, 1]")
    else:
        _check(name, arr, (arr > 0) & (arr < 1), "in (0, 1)")


def _take(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Row subset of a parameter that may be a broadcast 0-d constant."""
    return x if x is None or x.ndim == 0 else x[idx]


# --------------------------------------------------------------------------
# Poisson terms in log-space and the Erlang B function
# --------------------------------------------------------------------------


def _stirlerr(k: np.ndarray) -> np.ndarray:
    """``log Gamma(k + 1) - [(k + 1/2) log k - k + log(2 pi)/2]``, real ``k > 0``."""
    kk = np.maximum(k, 15.0)
    inv = 1.0 / kk
    inv2 = inv * inv
    # Asymptotic series; at k >= 15 the first omitted term is < 3e-16.
    out = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))))
    small = k < 15.0
    if np.any(small):
        ks = k[small]
        # Small arguments: every term is O(10) so no cancellation worth fearing.
        out[small] = special.gammaln(ks + 1.0) - (ks + 0.5) * np.log(ks) + ks - 0.5 * _LOG_2PI
    return out


def _log_poisson_pmf(k: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``log(exp(-lam) lam**k / Gamma(k + 1))`` for real ``k >= 0``, ``lam > 0``.

    The naive ``k log lam - lam - lgamma(k + 1)`` cancels terms of size
    ``k log k``; at 10,000 Erlangs that leaves only ~11 good digits.  Loader's
    split keeps the absolute error near ``eps * |k - lam|``.
    """
    k = np.asarray(k, dtype=float)
    lam = np.asarray(lam, dtype=float)
    # Park k = 0 on 1 so the formula stays finite; its answer is -lam anyway.
    k1 = np.where(k > 0, k, 1.0)
    d = k1 - lam
    with np.errstate(over="ignore", divide="ignore"):
        # k log(k/lam) + lam - k, formed from log1p so it vanishes smoothly at k = lam.
        bd0 = k1 * np.log1p(d / lam) - d
    out = -_stirlerr(k1) - bd0 - 0.5 * (_LOG_2PI + np.log(k1))
    return np.where(k == 0, -lam, out)


def _erlang_b_series(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``1 / B`` as ``sum_j k!/((k-j)! a**j)``, for ``k`` far below ``a``.

    Only used where the Poisson cdf ``P(X <= k)`` is below ``_Q_FLOOR``, i.e.
    ``k < a - 5.6 sqrt(a)``; there the terms shrink at least geometrically
    with ratio ``k / a``, so the loop runs at most ~7 ``sqrt(a)`` times.
    """
    total = np.ones_like(a)
    term = np.ones_like(a)
    live = np.arange(a.size)
    j = 0
    while live.size:
        j += 1
        t = term[live] * np.maximum(k[live] - (j - 1), 0.0) / a[live]
        term[live] = t
        total[live] += t
        live = live[t > 1e-17 * total[live]]
    return total


def _log_erlang_b(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``log B(a, k)`` for ``a > 0`` and whole ``k >= 0`` (flat arrays).

    Uses ``B = P(X = k) / P(X <= k)`` with ``X ~ Poisson(a)`` [Cooper, 3.4]:
    the denominator ``P(X <= k)`` is the regularised upper incomplete gamma
    ``Q(k + 1, a)``, which scipy evaluates to ~1e-14 relative while it is not
    tiny, and the numerator comes from :func:`_log_poisson_pmf`.
    """
    a, k = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(k, dtype=float))
    a = np.ascontiguousarray(a).ravel()
    k = np.ascontiguousarray(k).ravel()
    q = special.gammaincc(k + 1.0, a)
    fine = q > _Q_FLOOR
    if fine.all():
        return _log_poisson_pmf(k, a) - np.log(q)
    out = np.empty_like(a)
    out[fine] = _log_poisson_pmf(k[fine], a[fine]) - np.log(q[fine])
    deep = ~fine
    out[deep] = -np.log(_erlang_b_series(a[deep], k[deep]))
    return out


def _erlang_b_values(traffic: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """Erlang B on validated flat (or 0-d) arrays, zero traffic included."""
    a, n = np.broadcast_arrays(traffic, agents)
    a = np.ascontiguousarray(a, dtype=float).ravel()
    n = np.ascontiguousarray(n, dtype=float).ravel()
    out = np.empty_like(a)
    idle = a == 0
    # No offered traffic: nothing is blocked unless there is no server at all,
    # which the recursion's seed B(A, 0) = 1 fixes for every A.
    out[idle] = (n[idle] == 0).astype(float)
    busy = ~idle
    if busy.all():
        out[:] = np.exp(_log_erlang_b(a, n))
    elif busy.any():
        out[busy] = np.exp(_log_erlang_b(a[busy], n[busy]))
    return out


def erlang_b(traffic, agents):
    """Blocking probability of the Erlang loss system M/M/n/n.

    Parameters
    ----------
    traffic : float, array_like or pandas.Series
        Offered load ``A`` [Erlang], finite and >= 0.
    agents : int, array_like or pandas.Series
        Number of servers ``n`` [agents], whole numbers >= 0.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        ``B(A, n) = (A^n / n!) / sum_{k<=n} A^k / k!`` [probability].

    Notes
    -----
    Mathematically identical to the stable recursion
    ``B(A, 0) = 1, B(A, k) = A B(A, k-1) / (k + A B(A, k-1))`` [Cooper]_,
    but evaluated in O(1) per element as the ratio of a Poisson probability
    (log-space) to a Poisson cdf (regularised incomplete gamma), so a
    million rows of 2,000 agents cost one vectorised call, not two thousand.
    Where that cdf is below 1e-8 (``n`` more than ~5.6 standard deviations
    below ``A``, where scipy's deep-tail incomplete gamma loses digits and
    eventually underflows) the finite series ``1/B = sum_j n!/((n-j)! A^j)``
    is summed instead, its terms built as running products of ``(n-i)/A``.
    ``B(0, 0) = 1`` and ``B(0, n) = 0`` for ``n >= 1``.

    Examples
    --------
    >>> round(erlang_b(20.0, 25), 6)
    0.050222
    """
    args, wrap, _ = _prepare({"traffic": traffic, "agents": agents})
    _check_nonneg("traffic", args["traffic"])
    _check_agents(args["agents"])
    return wrap(_erlang_b_values(args["traffic"], args["agents"]), "erlang_b")


# --------------------------------------------------------------------------
# Erlang C
# --------------------------------------------------------------------------


def _erlang_c_from_b(a, n, b):
    """Erlang C from Erlang B, valid only where ``n > a`` [Cooper, 3.5]."""
    return n * b / (n - a * (1.0 - b))


def _erlang_c_values(traffic: np.ndarray, agents: np.ndarray) -> np.ndarray:
    a, n = np.broadcast_arrays(traffic, agents)
    a = np.ascontiguousarray(a, dtype=float).ravel()
    n = np.ascontiguousarray(n, dtype=float).ravel()
    out = np.ones_like(a)
    stable = n > a
    if stable.any():
        aa, nn = a[stable], n[stable]
        b = _erlang_b_values(aa, nn)
        out[stable] = _erlang_c_from_b(aa, nn, b)
    # With no traffic nobody arrives, so nobody waits, even with no agents:
    # this keeps erlang_c consistent with required_agents(0, ...) == 0.
    out[a == 0] = 0.0
    return out


def erlang_c(traffic, agents):
    """Probability that an arriving contact has to wait (Erlang C, M/M/n).

    Parameters
    ----------
    traffic : float, array_like or pandas.Series
        Offered load ``A = arrival rate * mean handle time`` [Erlang], >= 0.
    agents : int, array_like or pandas.Series
        Number of agents ``n`` [agents], whole numbers >= 0.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        ``C(A, n) = n B / (n - A (1 - B))`` with ``B`` the Erlang B value
        [probability].  ``1.0`` wherever ``n <= A``: the queue is unstable and
        every contact eventually waits.  ``0.0`` wherever ``A == 0`` (no
        contacts arrive, so none waits).

    References
    ----------
    R. B. Cooper, *Introduction to Queueing Theory*, 2nd ed., 1981, s. 3.5.
    """
    args, wrap, _ = _prepare({"traffic": traffic, "agents": agents})
    _check_nonneg("traffic", args["traffic"])
    _check_agents(args["agents"])
    return wrap(_erlang_c_values(args["traffic"], args["agents"]), "erlang_c")


def service_level(traffic, agents, aht, target):
    """Share of contacts answered within ``target`` seconds (Erlang C).

    Parameters
    ----------
    traffic : float, array_like or pandas.Series
        Offered load [Erlang], >= 0.
    agents : int, array_like or pandas.Series
        Number of agents [agents], whole numbers >= 0.
    aht : float, array_like or pandas.Series
        Mean handle time [s], > 0.
    target : float, array_like or pandas.Series
        Answer-time threshold [s], >= 0.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        ``1 - C(A, n) exp(-(n - A) target / aht)`` [share], the M/M/n
        waiting-time cdf at ``target``.  ``0.0`` where ``n <= A`` (unstable
        queue: the wait grows without bound); ``1.0`` where ``A == 0``.

    References
    ----------
    R. B. Cooper, *Introduction to Queueing Theory*, 2nd ed., 1981, s. 3.5.
    """
    args, wrap, _ = _prepare({"traffic": traffic, "agents": agents, "aht": aht, "target": target})
    a, n = args["traffic"], args["agents"]
    _check_nonneg("traffic", a)
    _check_agents(n)
    _check_positive("aht", args["aht"])
    _check_nonneg("target", args["target"])
    c = _erlang_c_values(a, n)
    a_b, n_b, aht_b, t_b = (np.broadcast_to(x, c.shape) for x in (a, n, args["aht"], args["target"]))
    stable = n_b > a_b
    # Clamp the gap so unstable rows, discarded below, cannot overflow exp.
    decay = np.exp(-np.maximum(n_b - a_b, 0.0) * (t_b / aht_b))
    sl = np.where(stable, 1.0 - c * decay, 0.0)
    sl = np.where(a_b == 0, 1.0, sl)
    return wrap(sl, "service_level")


def average_speed_of_answer(traffic, agents, aht):
    """Mean wait in queue over all contacts, answered at once or not [s].

    Parameters
    ----------
    traffic : float, array_like or pandas.Series
        Offered load [Erlang], >= 0.
    agents : int, array_like or pandas.Series
        Number of agents [agents], whole numbers >= 0.
    aht : float, array_like or pandas.Series
        Mean handle time [s], > 0.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        ``ASA = C(A, n) aht / (n - A)`` [s]; ``inf`` where ``n <= A``
        (unstable queue), ``0.0`` where ``A == 0``.

    References
    ----------
    R. B. Cooper, *Introduction to Queueing Theory*, 2nd ed., 1981, s. 3.5.
    """
    args, wrap, _ = _prepare({"traffic": traffic, "agents": agents, "aht": aht})
    a, n = args["traffic"], args["agents"]
    _check_nonneg("traffic", a)
    _check_agents(n)
    _check_positive("aht", args["aht"])
    c = _erlang_c_values(a, n)
    a_b, n_b, aht_b = (np.broadcast_to(x, c.shape) for x in (a, n, args["aht"]))
    stable = n_b > a_b
    gap = np.where(stable, n_b - a_b, 1.0)
    asa = np.where(stable, c * aht_b / gap, np.inf)
    asa = np.where(a_b == 0, 0.0, asa)
    return wrap(asa, "asa_s")


# --------------------------------------------------------------------------
# Staffing search
# --------------------------------------------------------------------------


def _hw_terms(beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``R = Phi/phi`` and ``h = 1 + beta R`` of the Halfin-Whitt delay law."""
    r = _SQRT_2PI * special.ndtr(beta) * np.exp(0.5 * beta * beta)
    return r, 1.0 + beta * r


def _hw_beta_service_level(k: np.ndarray, log_miss: np.ndarray) -> np.ndarray:
    """Halfin-Whitt safety factor for a service-level goal.

    Solves ``log h(beta) + beta k = log_miss`` where ``C ~ 1/h(beta)`` is the
    Halfin-Whitt delay probability, ``k = sqrt(A) target/aht`` and
    ``log_miss = -log(1 - goal)``.  Only a starting point for the exact walk,
    so a handful of Newton steps (from the tangent at 0) is plenty.
    """
    beta = log_miss / (k + _SQRT_2PI / 2.0)
    for _ in range(3):
        r, h = _hw_terms(beta)
        g = np.log(h) + beta * k - log_miss
        beta = np.clip(beta - g / ((r + beta * h) / h + k), 0.0, 12.0)
    return beta


def _hw_beta_asa(c: np.ndarray) -> np.ndarray:
    """Halfin-Whitt safety factor for an ASA goal.

    ASA ~ aht / (sqrt(A) beta h(beta)), so the goal is ``beta h(beta) = 1/c``
    with ``c = asa sqrt(A) / aht``; Newton in ``log beta`` from the quadratic
    that uses ``h ~ 1 + 1.25 beta``.
    """
    q = _SQRT_2PI / 2.0
    beta = (np.sqrt(1.0 + 4.0 * q / c) - 1.0) / (2.0 * q)
    u = np.log(np.clip(beta, 1e-12, 12.0))
    target = -np.log(c)
    for _ in range(3):
        beta = np.exp(u)
        r, h = _hw_terms(beta)
        g = u + np.log(h) - target
        u = np.clip(u - g / (1.0 + beta * (r + beta * h) / h), -30.0, math.log(12.0))
    return np.exp(u)


def _meets_sl(a, n, b, tau, goal):
    c = _erlang_c_from_b(a, n, b)
    return 1.0 - c * np.exp(-(n - a) * tau) >= goal


def _meets_asa(a, n, b, aht, goal):
    # Same expression as average_speed_of_answer, so both agree on the boundary.
    c = _erlang_c_from_b(a, n, b)
    return c * aht / (n - a) <= goal


def _fewest_agents(a, start, meets, p1, p2):
    """Smallest whole ``n > a`` with ``meets(a, n, B(a, n), p1, p2)``.

    ``meets`` must be monotone in ``n`` (true from some ``n`` on), which
    holds for the Erlang C service level and ASA.  Starts at the estimate
    ``start`` and walks the Erlang B recursion one agent at a time: downward
    while the goal still holds, upward until it first holds.  Each pass
    touches only the rows still moving, so a good estimate makes the whole
    search cost about two vectorised evaluations.
    """
    floor_n = np.floor(a) + 1.0
    n = np.maximum(start, floor_n)
    b = np.exp(_log_erlang_b(a, n))
    ok = meets(a, n, b, p1, p2)

    # Downward: B(n - 1) = n B(n) / (A (1 - B(n))) is the recursion run
    # backwards; above the load B is small, so it stays well conditioned.
    idx = np.flatnonzero(ok & (n > floor_n))
    while idx.size:
        ai, ni, bi = a[idx], n[idx], b[idx]
        bd = ni * bi / (ai * (1.0 - bi))
        nd = ni - 1.0
        good = meets(ai, nd, bd, _take(p1, idx), _take(p2, idx))
        moved = idx[good]
        n[moved] = nd[good]
        b[moved] = bd[good]
        idx = moved[nd[good] > floor_n[moved]]

    # Upward: the forward recursion, a contraction, so errors never grow.
    idx = np.flatnonzero(~ok)
    while idx.size:
        ai, bi = a[idx], b[idx]
        nu = n[idx] + 1.0
        bu = ai * bi / (nu + ai * bi)
        n[idx] = nu
        b[idx] = bu
        good = meets(ai, nu, bu, _take(p1, idx), _take(p2, idx))
        idx = idx[~good]
    return n


def _fewest_for_occupancy(a: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Smallest whole ``n`` with ``a / n <= cap``, judged in floating point.

    ``ceil(a / cap)`` alone can land one off when ``a / cap`` is within
    rounding of a whole number (0.7 / 0.1 is 6.999999999999999), so the
    candidate is nudged until the very comparison a caller would make holds.
    """
    n = np.ceil(a / cap)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower_ok = (n > 1) & (a / (n - 1.0) <= cap)
        n = np.where(lower_ok, n - 1.0, n)
        n = np.where(a / n > cap, n + 1.0, n)
    return n


#: Rows per block of the staffing search: small enough that a block's
#: temporaries stay in cache (about 1.5x faster than one huge block).
_STAFF_CHUNK = 65_536


def _staff(a, aht, target, goal, asa, occ):
    """Fewest agents for one block of rows; parameters are 0-d or aligned."""
    out = np.zeros(a.size, dtype=np.int64)
    live = a > 0
    every = bool(live.all())
    rows = None if every else np.flatnonzero(live)

    def sub(x: np.ndarray) -> np.ndarray:
        return x if every or x.ndim == 0 else x[rows]

    a = a if every else a[rows]
    if not a.size:
        return out
    root = np.sqrt(a)
    aht_v = sub(aht)
    need = np.zeros_like(a)
    if goal is not None:
        tau = sub(target) / aht_v
        log_miss = -np.log1p(-sub(goal))
        beta = _hw_beta_service_level(root * tau, np.broadcast_to(log_miss, a.shape))
        start = np.ceil(a + beta * root)
        need = _fewest_agents(a, start, _meets_sl, tau, sub(goal))
    if asa is not None:
        w = sub(asa) / aht_v
        beta = _hw_beta_asa(np.broadcast_to(w * root, a.shape))
        start = np.ceil(a + beta * root)
        need = np.maximum(need, _fewest_agents(a, start, _meets_asa, aht_v, sub(asa)))
    if occ is not None:
        need = np.maximum(need, _fewest_for_occupancy(a, sub(occ)))
    if every:
        out[:] = need
    else:
        out[rows] = need
    return out


def required_agents(traffic, aht, *, target=None, service_level=None, asa=None, max_occupancy=None):
    """Fewest agents meeting a service-level or ASA goal (Erlang C).

    Parameters
    ----------
    traffic : float, array_like or pandas.Series
        Offered load [Erlang], >= 0.
    aht : float, array_like or pandas.Series
        Mean handle time [s], > 0.
    target : float, array_like or pandas.Series, optional
        Answer-time threshold of the service-level goal [s], >= 0.  Must be
        given together with `service_level`.
    service_level : float, array_like or pandas.Series, optional
        Required share answered within `target` [share], in (0, 1).
    asa : float, array_like or pandas.Series, optional
        Required average speed of answer [s], > 0 (see
        :func:`average_speed_of_answer`).
    max_occupancy : float, array_like or pandas.Series, optional
        Occupancy cap: ``traffic / agents <= max_occupancy``, in (0, 1].

    Returns
    -------
    int, numpy.ndarray of int64 or pandas.Series
        The smallest agent count [agents] for which every given goal holds.
        Wherever ``traffic > 0`` that count exceeds ``traffic``: with
        ``n <= A`` the queue is unstable (service level 0, ASA infinite), so
        the search starts at ``floor(A) + 1`` and can return it when the goal
        is loose.  ``traffic == 0`` needs 0 agents.

    Raises
    ------
    ValueError
        If no goal is given, if only one of `target` / `service_level` is
        given, or if any argument is out of range (the message names it).

    Notes
    -----
    The search is exact, not an approximation: it starts from the
    square-root-staffing estimate ``n0 = A + beta sqrt(A)`` with ``beta`` from
    the Halfin-Whitt delay law [HW]_, evaluates Erlang B there once, then
    walks the Erlang B recursion down while the goal still holds and up until
    it first holds.  All rows move together as NumPy arrays; the Python loop
    runs over steps (typically one or two), never over rows.  Large inputs are
    processed in blocks of 65,536 rows so that temporaries stay in cache.
    """
    sl_goal = target is not None or service_level is not None
    if (target is None) != (service_level is None):
        missing = "service_level" if service_level is None else "target"
        raise ValueError(f"a service-level goal needs both target and service_level; {missing} is missing")
    if not sl_goal and asa is None:
        raise ValueError("required_agents needs a goal: target with service_level, or asa")

    args, wrap, shape = _prepare(
        {
            "traffic": traffic,
            "aht": aht,
            "target": target,
            "service_level": service_level,
            "asa": asa,
            "max_occupancy": max_occupancy,
        }
    )
    a_in = args["traffic"]
    _check_nonneg("traffic", a_in)
    _check_positive("aht", args["aht"])
    if sl_goal:
        _check_nonneg("target", args["target"])
        _check_share("service_level", args["service_level"])
    if asa is not None:
        _check_positive("asa", args["asa"])
    if max_occupancy is not None:
        _check_share("max_occupancy", args["max_occupancy"], closed_top=True)

    size = int(np.prod(shape)) if shape else 1
    a_all = np.ascontiguousarray(np.broadcast_to(a_in, (size,)), dtype=float)
    goals = (
        args["aht"],
        args.get("target"),
        args.get("service_level"),
        args.get("asa"),
        args.get("max_occupancy"),
    )
    result = np.empty(size, dtype=np.int64)

    def run(lo: int, hi: int) -> None:
        part = (g if g is None or g.ndim == 0 else g[lo:hi] for g in goals)
        result[lo:hi] = _staff(a_all[lo:hi], *part)

    for lo in range(0, size, _STAFF_CHUNK):
        run(lo, min(lo + _STAFF_CHUNK, size))
    return wrap(result, "agents")


# --------------------------------------------------------------------------
# Erlang A
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangAResult:
    """Steady-state measures of the M/M/n+M (Erlang A) queue.

    Each field has the container of the inputs to :func:`erlang_a`: a float
    for scalar inputs, an array or a pandas Series otherwise.

    Attributes
    ----------
    prob_wait : float, numpy.ndarray or pandas.Series
        Share of arrivals that find every agent busy and queue [probability].
    prob_abandon : float, numpy.ndarray or pandas.Series
        Share of all arrivals that hang up before being answered
        [probability].
    service_level : float, numpy.ndarray or pandas.Series
        Answered within `target` seconds, as a share of *all* arrivals
        [share]: callers who abandon count in the denominator and never in
        the numerator, whether they hang up before or after `target`.
    mean_wait_s : float, numpy.ndarray or pandas.Series
        Mean time in queue over all arrivals, served or abandoning, and
        including the zero waits, ``Lq / lambda`` [s].
    mean_queue_length : float, numpy.ndarray or pandas.Series
        Mean number waiting, ``Lq`` [contacts].
    occupancy : float, numpy.ndarray or pandas.Series
        Mean share of agents busy, ``E[min(k, n)] / n`` [share], which equals
        ``lambda (1 - P_ab) aht / n`` by flow balance; 0 when there are no
        agents.
    """

    prob_wait: Any
    prob_abandon: Any
    service_level: Any
    mean_wait_s: Any
    mean_queue_length: Any
    occupancy: Any


#: Queue states per vectorised step and rows per batch in erlang_a: a batch's
#: (rows x states) temporaries stay near a million elements.
_BLOCK = 64
_ROW_CHUNK = 16_384


def _answered_within(j, x, p):
    """P(answered within target | j callers ahead on arrival), given a wait.

    The tagged caller's offered wait is a sum of exponential stages with rates
    ``n mu + k nu`` (k = j, ..., 0: a server frees up, or one of the k ahead
    abandons); it is answered within ``t`` if all stages finish by ``t`` and
    before its own Exp(nu) patience runs out.  Discounting by the patience
    survival ``exp(-nu v)`` shifts every stage rate up by ``nu`` and leaves
    the telescoping factor ``x / (x + j + 1)`` (``x = n mu / nu``), the
    chance of not abandoning at all.  Partial fractions of the shifted
    hypoexponential (rates ``nu (x + k)``, k = 1..j+1) sum in closed form to a
    regularised incomplete beta function:

        P(stages done by t) = I_{1 - exp(-nu t)}(j + 1, x + 1),

    which scipy evaluates stably, with no alternating partial-fraction sums.
    """
    done = special.betainc(j + 1.0, x + 1.0, p)
    return x / (x + j + 1.0) * done


def _needs_closed_form(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows whose queue is too long to sum state by state.

    The weights ``r_j`` peak at ``j* = max(0, y - x)`` and must then fall by
    ~30 in log before the tail is negligible; past the peak each step lowers
    them by about ``(x - y + i) / y``, so that takes about
    ``min(30 y / (x - y), sqrt(60 y))`` more states.  The closed form is kept
    to rows that are not clearly stable (``x - y < sqrt(y)``): for stable
    rows its ``S1 = (y - x) S0 + x`` would cancel catastrophically.
    """
    root = np.sqrt(y)
    gap = x - y
    with np.errstate(divide="ignore"):
        fall = np.minimum(30.0 * y / np.maximum(gap, 1e-300), np.sqrt(60.0 * y))
    span = np.maximum(-gap, 0.0) + 1.5 * fall + 64.0
    return (span > _DIRECT_SUM_CAP) & (gap < root)


def _queue_block_sums(x, y, p, log_low, closed):
    """Sums over queue states for one chunk of rows (flat arrays).

    Queue state ``j`` (callers waiting) has stationary weight ``pi_n r_j`` with
    ``r_j = prod_{i<=j} y / (x + i)``, ``x = n mu/nu``, ``y = lambda/nu``.
    Returns logs of ``S0 = sum r_j``, ``S1 = sum j r_j`` and
    ``Ssl = sum r_j P(answered within target | j)``.

    Weights are kept relative to a running maximum (online log-sum-exp) so
    overloaded rows, whose weights peak near ``j = y - x``, cannot overflow.
    Summation of a row stops once it is past the peak and the geometric bound
    on the remaining tail is below ``_TAIL_TOL`` of the total mass (and of
    ``S1``).  Rows flagged ``closed`` take ``S0`` and ``S1`` from closed forms
    and only need the service-level sum, which stops once the answer
    probability has fallen below ``_TAIL_TOL``.
    """
    m = x.size
    log_y = np.log(y)
    ref = np.zeros(m)           # running log scale of the accumulators
    s0 = np.zeros(m)
    s1 = np.zeros(m)
    ssl = np.zeros(m)
    carry = np.zeros(m)         # log r_{j0 - 1}
    live = np.arange(m)
    j0 = 0
    while live.size:
        js = np.arange(j0, j0 + _BLOCK, dtype=float)
        xl, yl = x[live, None], log_y[live, None]
        steps = yl - np.log(xl + np.maximum(js, 1.0))
        if j0 == 0:
            steps[:, 0] = 0.0   # r_0 = 1
        logr = carry[live, None] + np.cumsum(steps, axis=1)
        carry[live] = logr[:, -1]
        top = np.maximum(ref[live], logr.max(axis=1))
        rescale = np.exp(ref[live] - top)
        ref[live] = top
        w = np.exp(logr - top[:, None])
        s0[live] = s0[live] * rescale + w.sum(axis=1)
        s1[live] = s1[live] * rescale + (w * js).sum(axis=1)
        # The incomplete beta is the costly part: skip weights too small to
        # move the total.
        worth = w > 1e-18
        ans = np.zeros_like(w)
        if worth.any():
            jj = np.broadcast_to(js, w.shape)[worth]
            ans[worth] = _answered_within(jj, np.broadcast_to(xl, w.shape)[worth],
                                          np.broadcast_to(p[live, None], w.shape)[worth])
        ssl[live] = ssl[live] * rescale + (w * ans).sum(axis=1)

        j_end = j0 + _BLOCK - 1
        rho = y[live] / (x[live] + j_end + 1.0)
        past_peak = rho < 1.0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            geo = rho / (1.0 - rho)
            last = np.exp(carry[live] - top)
            tail0 = last * geo
            tail1 = last * (j_end * geo + geo / (1.0 - rho))
            mass = s0[live] + np.exp(log_low[live] - top)
            done_direct = past_peak & (tail0 <= _TAIL_TOL * mass) & (tail1 <= _TAIL_TOL * s1[live])
            done_closed = (ans[:, -1] <= _TAIL_TOL) | (past_peak & (tail0 <= _TAIL_TOL * mass))
        done = np.where(closed[live], done_closed, done_direct)
        live = live[~done]
        j0 += _BLOCK

    with np.errstate(divide="ignore"):
        log_s0 = ref + np.log(s0)
        log_s1 = ref + np.log(s1)
        log_ssl = ref + np.log(ssl)
    if closed.any():
        xc, yc = x[closed], y[closed]
        # S0 is Kummer's 1F1(1; x+1; y) = P(x, y) e^y y^-x Gamma(x+1) [GMR]:
        # a Poisson-like cdf over a Poisson-like pmf, both in log-space.
        lc = np.log(special.gammainc(xc, yc)) - _log_poisson_pmf(xc, yc)
        # Balance of the queue's birth-death flows gives S1 = (y - x) S0 + x.
        log_s0[closed] = lc
        log_s1[closed] = lc + np.log((yc - xc) + xc * np.exp(-lc))
    return log_s0, log_s1, log_ssl


def erlang_a(arrival_rate, aht, patience, agents, target):
    """Erlang A (M/M/n+M): Erlang C with exponentially impatient callers.

    Parameters
    ----------
    arrival_rate : float, array_like or pandas.Series
        Poisson arrival rate ``lambda`` [1/s], >= 0.
    aht : float, array_like or pandas.Series
        Mean handle time ``1/mu`` [s], > 0.
    patience : float, array_like or pandas.Series
        Mean patience ``1/nu`` [s], finite and > 0: each caller hangs up after
        an Exp(nu) time unless answered first.
    agents : int, array_like or pandas.Series
        Number of agents ``n`` [agents], whole numbers >= 0.
    target : float, array_like or pandas.Series
        Answer-time threshold for the service level [s], >= 0.

    Returns
    -------
    ErlangAResult
        ``prob_wait``, ``prob_abandon``, ``service_level``, ``mean_wait_s``,
        ``mean_queue_length`` and ``occupancy``, each shaped like the inputs.
        ``service_level`` counts answered-within-target calls over *all*
        arrivals, abandoned ones included (the usual WFM definition).

    Notes
    -----
    The number in system is a birth-death chain with birth rate ``lambda``
    and death rate ``min(k, n) mu + max(k - n, 0) nu`` [GMR]_.  Its
    stationary law is assembled relative to ``pi_n``: the states below ``n``
    weigh ``1/B(A, n) - 1`` (Erlang B, ``A = lambda/mu``, evaluated in
    log-space) and queue state ``j`` weighs ``prod_{i<=j} lambda/(n mu + i nu)``,
    accumulated in log-space with a running rescale.  The queue is truncated
    per row once past its mode with a geometric tail bound below 1e-12 of the
    total mass; rows whose queue would need more than 200,000 states
    (overloaded, with very large patience) use the incomplete-gamma closed
    form of the normalising sums instead.  By PASTA an arrival sees the
    stationary law; given ``j`` callers ahead its chance of being answered
    within ``target`` is exact (see ``_answered_within``), not a
    constant-rate approximation.  ``prob_abandon = nu Lq / lambda``
    follows from flow balance (abandonments happen at rate ``nu Lq``).  With ``arrival_rate == 0`` nothing waits: service level 1,
    every other measure 0.

    References
    ----------
    O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center with
    impatient customers", *Manufacturing & Service Operations Management*
    4(3):208-227, 2002.
    """
    args, wrap, shape = _prepare(
        {
            "arrival_rate": arrival_rate,
            "aht": aht,
            "patience": patience,
            "agents": agents,
            "target": target,
        }
    )
    _check_nonneg("arrival_rate", args["arrival_rate"])
    _check_positive("aht", args["aht"])
    _check_positive("patience", args["patience"])
    _check_agents(args["agents"])
    _check_nonneg("target", args["target"])

    size = int(np.prod(shape)) if shape else 1
    lam, aht_v, pat, n, t = (
        np.ascontiguousarray(np.broadcast_to(args[k], (size,)), dtype=float)
        for k in ("arrival_rate", "aht", "patience", "agents", "target")
    )
    p_wait = np.zeros(size)
    p_ab = np.zeros(size)
    sl = np.ones(size)
    lq = np.zeros(size)
    occ = np.zeros(size)

    rows = np.flatnonzero(lam > 0)
    for start in range(0, rows.size, _ROW_CHUNK):
        r = rows[start : start + _ROW_CHUNK]
        lr, ar, pr, nr, tr = lam[r], aht_v[r], pat[r], n[r], t[r]
        a = lr * ar
        x = nr * pr / ar            # n mu / nu
        y = lr * pr                 # lambda / nu
        p = -np.expm1(-tr / pr)     # 1 - exp(-nu t), kept accurate for tiny nu t
        # B(A, 0) = 1 up to rounding either way; n = 0 has no states below n.
        log_b = np.where(nr > 0, _log_erlang_b(a, nr), -1.0)
        # log(1/B - 1): the weight of states k < n relative to state n.
        log_low = np.where(nr > 0, np.log(-np.expm1(log_b)) - log_b, -np.inf)
        closed = _needs_closed_form(x, y)
        log_s0, log_s1, log_ssl = _queue_block_sums(x, y, p, log_low, closed)
        log_norm = np.logaddexp(log_low, log_s0)
        with np.errstate(under="ignore"):
            pw = np.exp(log_s0 - log_norm)
            q = np.exp(log_s1 - log_norm)
            below = np.exp(log_low - log_norm)     # P(an agent is free)
            at_n = np.exp(-log_norm)               # pi_n
            s = below + np.exp(log_ssl - log_norm)
        # P_ab <= P_wait exactly; the clamp only absorbs the last ulp.
        ab = np.minimum(q / y, pw)
        p_wait[r] = pw
        lq[r] = q
        p_ab[r] = ab
        sl[r] = np.minimum(s, 1.0)
        # E[busy] / n = (A/n) P(k < n) - pi_n + P(k >= n), from k pi_k = A pi_{k-1}
        # below n.  Unlike A (1 - P_ab) / n it does not cancel when almost
        # everyone abandons.
        safe_n = np.where(nr > 0, nr, 1.0)
        busy = (a / safe_n) * below - at_n + pw
        occ[r] = np.where(nr > 0, np.clip(busy, 0.0, 1.0), 0.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        wait = np.where(lam > 0, lq / np.where(lam > 0, lam, 1.0), 0.0)

    return ErlangAResult(
        prob_wait=wrap(p_wait, "prob_wait"),
        prob_abandon=wrap(p_ab, "prob_abandon"),
        service_level=wrap(sl, "service_level"),
        mean_wait_s=wrap(wait, "mean_wait_s"),
        mean_queue_length=wrap(lq, "mean_queue_length"),
        occupancy=wrap(occ, "occupancy"),
    )
