"""Tests for fts_scheduler.erlang: published values, brute force, properties."""

from __future__ import annotations

import csv
import math
import os
import warnings
from decimal import Decimal, getcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from fts_scheduler import erlang as E
from fts_scheduler.erlang import (
    ErlangAResult,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    required_agents,
    service_level,
)

REFERENCE_CSV = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "erlang_c_cases.csv"

# ERLANG_EXAMPLES=2000 turns the property tests into a soak run.
FAST = settings(
    max_examples=int(os.environ.get("ERLANG_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --------------------------------------------------------------------------
# Independent slow references
# --------------------------------------------------------------------------


def recursion_b(traffic: float, n_max: int) -> list[float]:
    """Erlang B for 0..n_max by the textbook recursion (Cooper 3.4)."""
    out = [1.0]
    for k in range(1, n_max + 1):
        out.append(traffic * out[-1] / (k + traffic * out[-1]))
    return out


def brute_required(traffic, aht, *, target=None, sl=None, asa=None, occ=None) -> int:
    """Linear scan from 0 with the public scalar functions."""
    if traffic == 0:
        return 0
    n = 0
    while True:
        ok = n > traffic
        if ok and sl is not None:
            ok = service_level(traffic, n, aht, target) >= sl
        if ok and asa is not None:
            ok = average_speed_of_answer(traffic, n, aht) <= asa
        if ok and occ is not None:
            ok = traffic / n <= occ
        if ok:
            return n
        n += 1


# --------------------------------------------------------------------------
# Published reference values
# --------------------------------------------------------------------------


def _decimals(text: str) -> int:
    text = text.strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def _half_unit(text: str) -> float:
    """Half a unit of the last printed digit, plus room for binary rounding."""
    return 0.5 * 10.0 ** (-_decimals(text)) + 1e-12


def _load_reference_rows() -> list:
    if not REFERENCE_CSV.exists():
        return [pytest.param(None, id="reference-csv-missing")]
    with REFERENCE_CSV.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [pytest.param(row, id=row["case_id"]) for row in rows]


def _num(row: dict, key: str) -> float | None:
    text = (row.get(key) or "").strip()
    return float(text) if text else None


def _traffic(row: dict) -> float:
    calls, interval, aht = (_num(row, k) for k in ("calls_per_interval", "interval_seconds", "aht_seconds"))
    if calls is not None and interval is not None and aht is not None:
        # The sources derive traffic from the call volume; the CSV's
        # traffic_erlangs column is a rounded print of it.
        return calls / interval * aht
    return _num(row, "traffic_erlangs")


@pytest.mark.parametrize("row", _load_reference_rows())
def test_published_reference_values(row):
    if row is None:
        pytest.skip(f"reference cases not found at {REFERENCE_CSV}")
    traffic = _traffic(row)
    aht = _num(row, "aht_seconds")
    agents = _num(row, "agents")
    target = _num(row, "target_answer_seconds")
    checked = 0

    if row["traffic_erlangs"].strip():
        printed = row["traffic_erlangs"]
        assert abs(traffic - float(printed)) <= _half_unit(printed)

    if agents is not None:
        n = int(agents)
        if row["published_prob_wait"].strip():
            printed = row["published_prob_wait"]
            assert abs(erlang_c(traffic, n) - float(printed)) <= _half_unit(printed), printed
            checked += 1
        if row["published_service_level"].strip():
            printed = row["published_service_level"]
            got = service_level(traffic, n, aht, target)
            assert abs(got - float(printed)) <= _half_unit(printed), (got, printed)
            checked += 1
        if row["published_asa_seconds"].strip():
            printed = row["published_asa_seconds"]
            got = average_speed_of_answer(traffic, n, aht)
            assert abs(got - float(printed)) <= _half_unit(printed), (got, printed)
            checked += 1

    if row["published_required_agents"].strip():
        expected = int(float(row["published_required_agents"]))
        sl_goal, asa_goal = _num(row, "sl_goal"), _num(row, "asa_goal_seconds")
        if sl_goal is not None:
            assert required_agents(traffic, aht, target=target, service_level=sl_goal) == expected
            checked += 1
        if asa_goal is not None:
            assert required_agents(traffic, aht, asa=asa_goal) == expected
            checked += 1
    assert checked, f"case {row['case_id']} has no published value this test understands"


# --------------------------------------------------------------------------
# Erlang B / C basics
# --------------------------------------------------------------------------


@pytest.mark.parametrize("traffic", [0.01, 0.7, 1.0, 9.5, 48.0, 333.3, 2000.0, 10_000.0])
def test_erlang_b_matches_recursion(traffic):
    n_max = int(traffic + 12 * math.sqrt(traffic) + 40)
    expected = np.array(recursion_b(traffic, n_max))
    got = erlang_b(traffic, np.arange(n_max + 1))
    keep = expected > 1e-250
    np.testing.assert_allclose(got[keep], expected[keep], rtol=5e-12)
    assert np.all(got[~keep] < 1e-240)


def test_erlang_b_high_precision_points():
    getcontext().prec = 50
    traffic = 10_000.0
    wanted = {5_000, 9_700, 10_000, 10_200, 10_600}
    b, exact = Decimal(1), {}
    a = Decimal(traffic)
    for k in range(1, max(wanted) + 1):
        b = a * b / (k + a * b)
        if k in wanted:
            exact[k] = float(b)
    for k, value in exact.items():
        assert erlang_b(traffic, k) == pytest.approx(value, rel=1e-13)


def test_zero_traffic_and_unstable_conventions():
    assert erlang_b(0.0, 0) == 1.0
    assert erlang_b(0.0, 3) == 0.0
    assert erlang_c(0.0, 0) == 0.0
    assert service_level(0.0, 0, 180, 20) == 1.0
    assert average_speed_of_answer(0.0, 0, 180) == 0.0
    # n <= A: the queue is unstable.
    assert erlang_c(10.0, 10) == 1.0
    assert erlang_c(10.5, 3) == 1.0
    assert service_level(10.0, 10, 180, 20) == 0.0
    assert average_speed_of_answer(10.0, 10, 180) == math.inf
    assert required_agents(0.0, 180, target=20, service_level=0.8) == 0
    assert required_agents(0.0, 180, asa=5, max_occupancy=0.8) == 0


def test_cooper_textbook_identity():
    # C = n B / (n - A (1 - B)) against B from the recursion.
    traffic, n = 48.0, 55
    b = recursion_b(traffic, n)[-1]
    assert erlang_c(traffic, n) == pytest.approx(n * b / (n - traffic * (1 - b)), rel=1e-12)


# --------------------------------------------------------------------------
# required_agents: exactness against brute force
# --------------------------------------------------------------------------


def test_required_agents_brute_force_grid():
    rng = np.random.default_rng(20240501)
    m = 400
    traffic = np.exp(rng.uniform(np.log(0.01), np.log(600.0), m))
    aht = rng.uniform(20, 900, m)
    target = rng.uniform(0, 300, m)
    sl = rng.uniform(0.05, 0.995, m)
    asa = np.exp(rng.uniform(np.log(0.5), np.log(900), m))
    occ = rng.uniform(0.5, 1.0, m)
    got_sl = required_agents(traffic, aht, target=target, service_level=sl)
    got_asa = required_agents(traffic, aht, asa=asa)
    got_all = required_agents(traffic, aht, target=target, service_level=sl, asa=asa, max_occupancy=occ)
    for i in range(m):
        a = float(traffic[i])
        assert got_sl[i] == brute_required(a, aht[i], target=target[i], sl=sl[i]), i
        assert got_asa[i] == brute_required(a, aht[i], asa=asa[i]), i
        expected = brute_required(a, aht[i], target=target[i], sl=sl[i], asa=asa[i], occ=occ[i])
        assert got_all[i] == expected, i


def test_required_agents_blocks_agree_with_single_rows():
    # More rows than one block, so the block split is exercised.
    rng = np.random.default_rng(7)
    traffic = rng.uniform(0.0, 2000.0, 3 * E._STAFF_CHUNK + 17)
    traffic[::1000] = 0.0
    aht = rng.uniform(60.0, 600.0, traffic.size)
    blocked = required_agents(traffic, aht, target=20.0, service_level=0.8, max_occupancy=0.9)
    assert blocked.flags.writeable
    for i in rng.choice(traffic.size, 25, replace=False):
        expected = brute_required(float(traffic[i]), aht[i], target=20.0, sl=0.8, occ=0.9)
        assert blocked[i] == expected
        single = required_agents(float(traffic[i]), aht[i], target=20.0, service_level=0.8, max_occupancy=0.9)
        assert single == blocked[i]


def test_required_agents_loose_goal_takes_first_stable_count():
    # A loose goal is met by floor(A) + 1, even where that is ceil(A).
    assert required_agents(10.4, 180, target=600, service_level=0.1) == 11
    assert required_agents(10.0, 180, target=600, service_level=0.1) == 11
    assert required_agents(0.01, 180, target=20, service_level=0.5) == 1


def test_occupancy_cap_boundary_uses_float_comparison():
    for traffic, cap in [(8.0, 0.8), (7.0, 0.7), (0.3, 0.1), (17.0, 0.85), (45.0, 0.9)]:
        n = required_agents(traffic, 1.0, asa=1e9, max_occupancy=cap)
        assert traffic / n <= cap
        assert n - 1 <= traffic or traffic / (n - 1) > cap


@FAST
@given(
    traffic=st.floats(0.01, 3000.0),
    aht=st.floats(5.0, 3600.0),
    target=st.floats(0.0, 1200.0),
    goal=st.floats(0.01, 0.999),
)
def test_required_agents_is_smallest_for_service_level(traffic, aht, target, goal):
    n = required_agents(traffic, aht, target=target, service_level=goal)
    assert isinstance(n, int)
    assert n > traffic
    # Slack of 1e-12 only guards against exact float ties with the goal.
    assert service_level(traffic, n, aht, target) >= goal - 1e-12
    assert n - 1 <= traffic or service_level(traffic, n - 1, aht, target) < goal + 1e-12


@FAST
@given(
    traffic=st.floats(0.01, 3000.0),
    aht=st.floats(5.0, 3600.0),
    asa=st.floats(0.01, 3600.0),
    occ=st.one_of(st.none(), st.floats(0.3, 1.0)),
)
def test_required_agents_is_smallest_for_asa(traffic, aht, asa, occ):
    n = required_agents(traffic, aht, asa=asa, max_occupancy=occ)
    assert average_speed_of_answer(traffic, n, aht) <= asa * (1 + 1e-12)
    if occ is not None:
        assert traffic / n <= occ
    if n - 1 > traffic and (occ is None or traffic / (n - 1) <= occ):
        assert average_speed_of_answer(traffic, n - 1, aht) > asa * (1 - 1e-12)


# --------------------------------------------------------------------------
# Monotonicity, vectorisation, containers
# --------------------------------------------------------------------------


@FAST
@given(traffic=st.floats(0.0, 2000.0), aht=st.floats(1.0, 3600.0), target=st.floats(0.0, 3600.0))
def test_service_level_non_decreasing_in_agents(traffic, aht, target):
    agents = np.arange(0, int(traffic + 6 * math.sqrt(traffic) + 20))
    sl = service_level(traffic, agents, aht, target)
    assert np.all(np.diff(sl) >= -1e-14)
    assert np.all((sl >= 0) & (sl <= 1))
    asa = average_speed_of_answer(traffic, agents[agents > traffic], aht)
    assert np.all(np.isfinite(asa))
    assert np.all(np.diff(asa) <= 1e-12 * asa[1:])


@FAST
@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 2500.0),
            st.floats(10.0, 900.0),
            st.floats(0.0, 300.0),
            st.floats(0.05, 0.99),
            st.integers(0, 2600),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_vectorised_equals_scalar(rows):
    traffic, aht, target, goal, agents = (np.array(col) for col in zip(*rows))
    vec = {
        "b": erlang_b(traffic, agents),
        "c": erlang_c(traffic, agents),
        "sl": service_level(traffic, agents, aht, target),
        "asa": average_speed_of_answer(traffic, agents, aht),
        "need": required_agents(traffic, aht, target=target, service_level=goal),
    }
    for i in range(len(rows)):
        a, h, t, g, n = (x.item() for x in (traffic[i], aht[i], target[i], goal[i], agents[i]))
        assert vec["b"][i] == pytest.approx(erlang_b(a, n), rel=1e-13, abs=1e-300)
        assert vec["c"][i] == pytest.approx(erlang_c(a, n), rel=1e-13)
        assert vec["sl"][i] == pytest.approx(service_level(a, n, h, t), rel=1e-13, abs=1e-15)
        assert vec["asa"][i] == pytest.approx(average_speed_of_answer(a, n, h), rel=1e-13)
        assert vec["need"][i] == required_agents(a, h, target=t, service_level=g)
    assert vec["need"].dtype == np.int64


def test_scalar_in_gives_python_scalar_out():
    assert isinstance(erlang_b(5.0, 6), float)
    assert isinstance(erlang_c(5.0, 6), float)
    assert isinstance(service_level(5, 6, 180, 20), float)
    assert isinstance(average_speed_of_answer(5, 6, 180), float)
    assert isinstance(required_agents(5.0, 180, asa=20), int)
    res = erlang_a(0.05, 180, 120, 10, 20)
    assert isinstance(res, ErlangAResult)
    assert all(isinstance(getattr(res, f), float) for f in res.__dataclass_fields__)
    with pytest.raises(AttributeError):
        res.prob_wait = 0.0  # frozen


def test_arrays_keep_shape():
    traffic = np.array([[1.0, 5.0, 20.0], [50.0, 0.0, 3.0]])
    assert erlang_c(traffic, 30).shape == (2, 3)
    assert service_level(traffic, np.array([10, 20, 30]), 180.0, 20.0).shape == (2, 3)
    assert required_agents(traffic, 180.0, target=20.0, service_level=0.8).shape == (2, 3)
    assert erlang_a(traffic / 180.0, 180.0, 120.0, 30, 20.0).service_level.shape == (2, 3)


def test_series_in_gives_series_out():
    idx = pd.date_range("2024-01-01", periods=4, freq="30min", name="interval")
    traffic = pd.Series([0.0, 2.5, 48.0, 900.0], index=idx)
    for out in (
        erlang_b(traffic, 50),
        erlang_c(traffic, 50),
        service_level(traffic, 60, 240.0, 15.0),
        average_speed_of_answer(traffic, 60, 240.0),
        required_agents(traffic, 240.0, target=15.0, service_level=0.8),
    ):
        assert isinstance(out, pd.Series)
        assert out.index.equals(idx)
    needed = required_agents(traffic, 240.0, target=15.0, service_level=0.8)
    assert needed.dtype == np.int64
    assert needed.iloc[2] == required_agents(48.0, 240.0, target=15.0, service_level=0.8)
    res = erlang_a(traffic / 240.0, 240.0, 180.0, needed, 15.0)
    for field in res.__dataclass_fields__:
        value = getattr(res, field)
        assert isinstance(value, pd.Series) and value.index.equals(idx)


def test_series_with_different_indexes_rejected():
    with pytest.raises(ValueError, match="index"):
        erlang_c(pd.Series([1.0, 2.0], index=[0, 1]), pd.Series([3, 4], index=[1, 2]))


# --------------------------------------------------------------------------
# Erlang A against an independent birth-death solve
# --------------------------------------------------------------------------


def reference_erlang_a(lam, aht, patience, n, targets, states):
    """Generator-matrix solve of the truncated M/M/n+M chain, plus the tagged
    caller's phase chain (matrix exponential) for the service level."""
    mu, nu = 1.0 / aht, 1.0 / patience
    k = np.arange(states + 1)
    death = np.minimum(k, n) * mu + np.maximum(k - n, 0) * nu
    q = np.zeros((states + 1, states + 1))
    q[k[:-1], k[:-1] + 1] = lam
    q[k[1:], k[1:] - 1] = death[1:]
    q[k, k] = -q.sum(axis=1)
    # pi Q = 0 with one (redundant) balance equation swapped for sum(pi) = 1.
    system = q.T.copy()
    system[0, :] = 1.0
    rhs = np.zeros(states + 1)
    rhs[0] = 1.0
    pi = np.linalg.solve(system, rhs)
    assert pi[-1] < 1e-15, "reference truncation too short"

    queue = np.maximum(k - n, 0)
    waiting = pi[k >= n]
    lq = float(pi @ queue)
    # Tagged caller with m ahead: advances at n mu + m nu, abandons at nu.
    m_max = states - n
    phases = m_max + 1
    g = np.zeros((phases + 2, phases + 2))
    served, gone = phases, phases + 1
    for m in range(phases):
        if m > 0:
            g[m, m - 1] = n * mu + m * nu
        else:
            g[0, served] = n * mu
        g[m, gone] = nu
        g[m, m] = -(g[m].sum())
    # Absorption in "gone" eventually: h(m) = (nu + (n mu + m nu) h(m-1)) / (n mu + (m+1) nu)
    h = np.zeros(phases)
    for m in range(phases):
        prev = h[m - 1] if m else 0.0
        h[m] = (nu + (n * mu + m * nu) * prev) / (n * mu + (m + 1) * nu)
    sls = []
    for t in targets:
        within = expm(g * t)[:phases, served] if t > 0 else np.zeros(phases)
        sls.append(float(pi[k < n].sum() + waiting @ within))
    return {
        "prob_wait": float(waiting.sum()),
        "prob_abandon": float(waiting @ h),
        "mean_queue_length": lq,
        "mean_wait_s": lq / lam,
        "occupancy": float(pi @ np.minimum(k, n)) / n if n else 0.0,
        "service_level": sls,
    }


ERLANG_A_GRID = [
    # arrival rate [1/s], aht [s], patience [s], agents, states kept
    (0.1, 120.0, 20.0, 0, 60),
    (0.1, 120.0, 180.0, 5, 120),
    (0.1, 120.0, 180.0, 12, 120),
    (0.1, 120.0, 600.0, 12, 220),
    (0.1, 120.0, 600.0, 15, 200),
    (0.1, 120.0, 600.0, 0, 200),
    (0.5, 180.0, 100.0, 85, 260),
    (0.5, 180.0, 100.0, 95, 220),
    (0.02, 300.0, 60.0, 1, 40),
    (0.002, 60.0, 30.0, 3, 30),
]
TARGETS = [0.0, 20.0, 90.0]


@pytest.mark.parametrize("lam,aht,patience,n,states", ERLANG_A_GRID)
def test_erlang_a_against_generator_matrix(lam, aht, patience, n, states):
    ref = reference_erlang_a(lam, aht, patience, n, TARGETS, states)
    got = erlang_a(lam, aht, patience, n, np.array(TARGETS))
    for field in ("prob_wait", "prob_abandon", "mean_queue_length", "mean_wait_s", "occupancy"):
        np.testing.assert_allclose(getattr(got, field), ref[field], rtol=1e-9, atol=1e-13, err_msg=field)
    np.testing.assert_allclose(got.service_level, ref["service_level"], rtol=1e-9, atol=1e-12)


def test_erlang_a_closed_form_path_agrees(monkeypatch):
    lam = np.array([row[0] for row in ERLANG_A_GRID])
    aht = np.array([row[1] for row in ERLANG_A_GRID])
    pat = np.array([row[2] for row in ERLANG_A_GRID])
    n = np.array([row[3] for row in ERLANG_A_GRID])
    direct = erlang_a(lam, aht, pat, n, 30.0)
    monkeypatch.setattr(E, "_DIRECT_SUM_CAP", 0)
    closed = erlang_a(lam, aht, pat, n, 30.0)
    for field in direct.__dataclass_fields__:
        np.testing.assert_allclose(getattr(closed, field), getattr(direct, field), rtol=1e-9, atol=1e-13)


def test_erlang_a_zero_arrivals():
    res = erlang_a(0.0, 180.0, 60.0, 3, 20.0)
    assert (res.prob_wait, res.prob_abandon, res.service_level) == (0.0, 0.0, 1.0)
    assert (res.mean_wait_s, res.mean_queue_length, res.occupancy) == (0.0, 0.0, 0.0)


def test_erlang_a_no_agents_everyone_abandons():
    res = erlang_a(0.1, 180.0, 60.0, 0, 20.0)
    assert res.prob_wait == 1.0
    assert res.prob_abandon == pytest.approx(1.0)
    assert res.service_level == 0.0
    assert res.mean_wait_s == pytest.approx(60.0)


@FAST
@given(
    traffic=st.floats(0.05, 150.0),
    headroom=st.floats(0.5, 30.0),
    aht=st.floats(10.0, 600.0),
    target=st.floats(0.0, 300.0),
)
def test_erlang_a_tends_to_erlang_c(traffic, headroom, aht, target):
    n = math.ceil(traffic + headroom)
    patience = 1e7
    res = erlang_a(traffic / aht, aht, patience, n, target)
    # Abandonment perturbs the M/M/n measures by O(aht n / ((n - A)^2 patience))
    # (callers wait ~aht/(n - A), about n/(n - A) of them at once); the
    # constant 5 is twice the worst ratio seen over a wide random grid.
    rel = 5.0 * aht * n / ((n - traffic) ** 2 * patience) + 1e-9
    assert res.prob_wait == pytest.approx(erlang_c(traffic, n), rel=rel, abs=1e-9)
    assert res.service_level == pytest.approx(service_level(traffic, n, aht, target), rel=rel, abs=1e-9)
    asa = average_speed_of_answer(traffic, n, aht)
    assert res.mean_wait_s == pytest.approx(asa, rel=rel, abs=1e-9)
    assert res.prob_abandon <= rel
    assert res.occupancy == pytest.approx(traffic / n, rel=rel)


@FAST
@given(
    lam=st.floats(0.001, 2.0),
    aht=st.floats(10.0, 600.0),
    patience=st.floats(1.0, 3600.0),
    n=st.integers(0, 400),
    target=st.floats(0.0, 600.0),
)
def test_erlang_a_sane_and_vectorised(lam, aht, patience, n, target):
    assume(lam * patience < 5e4)
    res = erlang_a(lam, aht, patience, n, target)
    for field in res.__dataclass_fields__:
        assert math.isfinite(getattr(res, field)), field
    assert 0.0 <= res.service_level <= 1.0 - res.prob_abandon + 1e-12
    assert 0.0 <= res.prob_abandon <= res.prob_wait <= 1.0
    assert 0.0 <= res.occupancy <= 1.0 + 1e-12
    more = erlang_a(np.array([lam, lam]), aht, patience, np.array([n, n + 1]), target)
    assert more.service_level[0] == pytest.approx(res.service_level, rel=1e-12, abs=1e-15)
    assert more.service_level[1] >= res.service_level - 1e-12


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: erlang_b(-1.0, 3), r"traffic must be .*got -1"),
        (lambda: erlang_c(5.0, -2), r"agents must be .*got -2"),
        (lambda: erlang_c(5.0, 2.5), r"agents must be a whole number.*got 2\.5"),
        (lambda: erlang_c(np.array([1.0, np.nan]), 3), r"traffic must be .*got nan"),
        (lambda: service_level(5.0, 6, 0.0, 20), r"aht must be .*> 0.*got 0"),
        (lambda: service_level(5.0, 6, 180, -1.0), r"target must be .*got -1"),
        (lambda: average_speed_of_answer(5.0, 6, -3.0), r"aht must be .*got -3"),
        (lambda: required_agents(5.0, 180, target=20, service_level=1.5), r"service_level must be in \(0, 1\), got 1\.5"),
        (lambda: required_agents(5.0, 180, target=20, service_level=0.0), r"service_level must be in \(0, 1\), got 0"),
        (lambda: required_agents(-5.0, 180, asa=20), r"traffic must be .*got -5"),
        (lambda: required_agents(5.0, 0.0, asa=20), r"aht must be .*got 0"),
        (lambda: required_agents(5.0, 180, asa=0.0), r"asa must be .*got 0"),
        (lambda: required_agents(5.0, 180, asa=20, max_occupancy=1.2), r"max_occupancy must be in \(0, 1\], got 1\.2"),
        (lambda: required_agents(5.0, 180), r"needs a goal"),
        (lambda: required_agents(5.0, 180, target=20), r"service_level is missing"),
        (lambda: required_agents(5.0, 180, service_level=0.8), r"target is missing"),
        (lambda: erlang_a(-0.1, 180, 60, 3, 20), r"arrival_rate must be .*got -0\.1"),
        (lambda: erlang_a(0.1, 180, 0.0, 3, 20), r"patience must be .*got 0"),
        (lambda: erlang_a(0.1, 180, -5.0, 3, 20), r"patience must be .*got -5"),
        (lambda: erlang_a(0.1, -180, 60, 3, 20), r"aht must be .*got -180"),
        (lambda: erlang_a(0.1, 180, 60, -1, 20), r"agents must be .*got -1"),
    ],
)
def test_bad_input_names_argument_and_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------
# Numerical range
# --------------------------------------------------------------------------


@pytest.mark.parametrize("traffic", [0.01, 10_000.0])
def test_extreme_traffic_is_finite_and_silent(traffic):
    with warnings.catch_warnings():
        # NumPy overflow / divide / invalid events surface as RuntimeWarning.
        warnings.simplefilter("error")
        need = required_agents(traffic, 180.0, target=20.0, service_level=0.8)
        need_asa = required_agents(traffic, 180.0, asa=15.0, max_occupancy=0.95)
        assert need > traffic and need_asa > traffic
        agents = np.array([0, 1, int(traffic), need, need + 50, int(2 * traffic) + 5])
        for values in (
            erlang_b(traffic, agents),
            erlang_c(traffic, agents),
            service_level(traffic, agents, 180.0, 20.0),
        ):
            assert np.all(np.isfinite(values))
            assert np.all((values >= 0) & (values <= 1))
        asa = average_speed_of_answer(traffic, agents, 180.0)
        assert np.all(np.isfinite(asa[agents > traffic]))
        assert service_level(traffic, need, 180.0, 20.0) >= 0.8
        res = erlang_a(traffic / 180.0, 180.0, 300.0, np.array([max(need - 5, 0), need, need + 5]), 20.0)
        for field in res.__dataclass_fields__:
            assert np.all(np.isfinite(getattr(res, field))), field
        res_c = erlang_a(traffic / 180.0, 180.0, 1e7, need, 20.0)
        rel = 5.0 * 180.0 * need / ((need - traffic) ** 2 * 1e7)
        assert res_c.service_level == pytest.approx(service_level(traffic, need, 180.0, 20.0), rel=rel)
