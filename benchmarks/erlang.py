"""Benchmark fts_scheduler.erlang.required_agents against pyworkforce.

Usage::

    python benchmarks/erlang.py                 # 1e6 rows vs 200 pyworkforce rows
    python benchmarks/erlang.py --rows 200000 --check

Our vectorised staffing search runs on ``--rows`` random intervals (traffic
uniform in [1, 2000] Erlangs, one service-level goal); pyworkforce's per-row
``ErlangC.required_positions`` runs on ``--ref-rows`` of the same rows, which
is enough to time a pure-Python loop and to compare agent counts.

pyworkforce is a benchmark-only extra (``pip install 'fts-scheduler[bench]'``);
without it the script says so and prints our numbers alone.

Parameter mapping, from pyworkforce/queuing/erlang.py: its intensity is
``transactions / interval * aht`` and its service level is
``1 - P_wait * exp(-(n - A) * asa / aht)``, so its ``asa`` is the answer-time
*target* of the service-level goal (not an average speed of answer), and
``transactions = traffic * interval / aht`` reproduces our traffic.  All its
times just need one common unit; seconds are used here.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

try:
    from fts_scheduler.erlang import required_agents
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    from fts_scheduler.erlang import required_agents


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="rows for our vectorised search (default 1e6)")
    p.add_argument("--ref-rows", type=int, default=200, help="rows timed with pyworkforce (default 200)")
    p.add_argument("--min-traffic", type=float, default=1.0, help="lowest traffic [Erlang]")
    p.add_argument("--max-traffic", type=float, default=2000.0, help="highest traffic [Erlang]")
    p.add_argument("--aht", type=float, default=180.0, help="mean handle time [s]")
    p.add_argument("--target", type=float, default=20.0, help="answer-time target [s]")
    p.add_argument("--service-level", type=float, default=0.8, help="share answered within target")
    p.add_argument("--max-occupancy", type=float, default=None, help="occupancy cap (default none)")
    p.add_argument("--interval", type=float, default=1800.0, help="interval length given to pyworkforce [s]")
    p.add_argument("--repeat", type=int, default=3, help="timed repeats of our search; the best is kept")
    p.add_argument("--seed", type=int, default=2024, help="random seed")
    p.add_argument("--check", action="store_true",
                   help="exit 1 unless ours takes < 1 s and beats pyworkforce >= 1000x per row")
    return p.parse_args(argv)


def _ours(traffic: np.ndarray, args: argparse.Namespace) -> tuple[np.ndarray, float]:
    kwargs = dict(target=args.target, service_level=args.service_level, max_occupancy=args.max_occupancy)
    required_agents(traffic[:1000], args.aht, **kwargs)  # warm caches and lazy imports
    best = float("inf")
    agents = None
    for _ in range(max(args.repeat, 1)):
        t0 = time.perf_counter()
        agents = required_agents(traffic, args.aht, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return agents, best


def _pyworkforce(traffic: np.ndarray, args: argparse.Namespace):
    try:
        from pyworkforce.queuing import ErlangC
    except ImportError:
        return None
    import importlib.metadata as md

    version = md.version("pyworkforce")
    out = np.empty(traffic.size, dtype=np.int64)
    occupancy = 1.0 if args.max_occupancy is None else args.max_occupancy
    t0 = time.perf_counter()
    for i, a in enumerate(traffic):
        erlang = ErlangC(
            transactions=float(a) * args.interval / args.aht,
            aht=args.aht,
            asa=args.target,
            interval=args.interval,
            shrinkage=0.0,
        )
        result = erlang.required_positions(service_level=args.service_level, max_occupancy=occupancy)
        out[i] = result["raw_positions"]
    seconds = time.perf_counter() - t0
    return version, out, seconds


def _fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    rng = np.random.default_rng(args.seed)
    traffic = rng.uniform(args.min_traffic, args.max_traffic, args.rows)

    agents, seconds = _ours(traffic, args)
    per_row = seconds / args.rows

    ref_idx = rng.choice(args.rows, size=min(args.ref_rows, args.rows), replace=False)
    ref = _pyworkforce(traffic[ref_idx], args)

    goal = f"{args.service_level:.0%} within {args.target:g} s, aht {args.aht:g} s"
    if args.max_occupancy is not None:
        goal += f", occupancy <= {args.max_occupancy:g}"
    rows = [
        ("goal", goal),
        ("traffic [Erlang]", f"uniform {args.min_traffic:g} to {args.max_traffic:g}"),
        ("rows (ours)", f"{args.rows:,}"),
        (f"seconds (ours, best of {max(args.repeat, 1)})", f"{seconds:.3f}"),
        ("rows/s (ours)", f"{args.rows / seconds:,.0f}"),
        ("per-row time (ours)", _fmt_time(per_row)),
    ]
    ratio = None
    mismatches: list[tuple[float, int, int]] = []
    if ref is None:
        note = ("pyworkforce is not installed, so the reference timing and the agreement check "
                "were skipped; install it with `pip install 'fts-scheduler[bench]'` "
                "(or `pip install pyworkforce`).")
        rows += [
            ("pyworkforce", "not installed"),
            ("pyworkforce per-row time", "n/a"),
            ("ratio (pyworkforce / ours, per row)", "n/a"),
            ("agreement on common rows", "n/a"),
        ]
    else:
        version, theirs, ref_seconds = ref
        ref_per_row = ref_seconds / theirs.size
        ratio = ref_per_row / per_row
        ours_common = agents[ref_idx]
        same = ours_common == theirs
        mismatches = [(float(traffic[i]), int(o), int(t))
                      for i, o, t, s in zip(ref_idx, ours_common, theirs, same) if not s]
        note = None
        rows += [
            (f"pyworkforce {version} rows timed", f"{theirs.size:,}"),
            ("pyworkforce seconds", f"{ref_seconds:.3f}"),
            ("pyworkforce per-row time", _fmt_time(ref_per_row)),
            ("ratio (pyworkforce / ours, per row)", f"{ratio:,.0f}x"),
            ("agreement on common rows", f"{int(same.sum())}/{same.size} same agent count"),
        ]
    from fts_scheduler.decomposition import machine_cores

    rows.append(("machine cores (this process may use)", str(machine_cores())))

    width = max(len(k) for k, _ in rows)
    vwidth = max(len(v) for _, v in rows)
    print("fts_scheduler.erlang.required_agents vs pyworkforce ErlangC.required_positions")
    print(f"| {'quantity'.ljust(width)} | {'value'.ljust(vwidth)} |")
    print(f"|{'-' * (width + 2)}|{'-' * (vwidth + 2)}|")
    for k, v in rows:
        print(f"| {k.ljust(width)} | {v.ljust(vwidth)} |")
    if note:
        print(note)
    for a, o, t in mismatches[:10]:
        why = ""
        if o < t and o < round(a + 1):
            # pyworkforce never tries fewer than round(A + 1) positions, so a
            # loose goal that floor(A) + 1 already meets is overstaffed there.
            why = f" (pyworkforce starts its search at round(A + 1) = {round(a + 1)})"
        print(f"  differs: traffic {a:.6f} Erlang: ours {o}, pyworkforce {t}{why}")
    if len(mismatches) > 10:
        print(f"  ... and {len(mismatches) - 10} more")

    if args.check:
        failed = []
        if seconds >= 1.0:
            failed.append(f"ours took {seconds:.3f} s (goal < 1 s)")
        if ratio is not None and ratio < 1000:
            failed.append(f"per-row ratio {ratio:,.0f}x (goal >= 1000x)")
        if failed:
            print("CHECK FAILED: " + "; ".join(failed))
            return 1
        print("CHECK PASSED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
