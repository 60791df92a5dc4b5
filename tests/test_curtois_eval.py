"""Tests for the Curtois & Qu benchmark parser and independent evaluator (benchmarks/).

The 24 instances live outside the repo in ``../shared/benchmarks/curtois``; everything that
needs them is skipped when that directory is absent. The synthetic-instance tests only need
``tmp_path`` but share the module for simplicity.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "benchmarks" / "curtois"
if not (SHARED / "Instance1.txt").is_file():
    pytest.skip(
        f"Curtois & Qu instances not found in {SHARED} (shared benchmark data absent)",
        allow_module_level=True,
    )

sys.path.insert(0, str(REPO / "benchmarks"))
import curtois_eval as ce  # noqa: E402
import curtois_instance as ci  # noqa: E402

# (days, staff, shift types, day-off entries, on+off requests, cover lines): FORMAT.md's table,
# itself checked there against ORProjects/NRP Instances/README.md.
SIZES = {
    1: (14, 8, 1, 8, 26, 14),
    2: (14, 14, 2, 14, 62, 28),
    3: (14, 20, 3, 20, 64, 42),
    4: (28, 10, 2, 20, 71, 56),
    5: (28, 16, 2, 32, 106, 56),
    6: (28, 18, 3, 36, 135, 84),
    7: (28, 20, 3, 40, 168, 84),
    8: (28, 30, 4, 60, 225, 112),
    9: (28, 36, 4, 72, 232, 112),
    10: (28, 40, 5, 80, 284, 140),
    11: (28, 50, 6, 100, 336, 168),
    12: (28, 60, 10, 120, 422, 280),
    13: (28, 120, 18, 240, 841, 504),
    14: (42, 32, 4, 128, 359, 168),
    15: (42, 45, 6, 180, 490, 252),
    16: (56, 20, 3, 120, 280, 168),
    17: (56, 32, 4, 160, 480, 224),
    18: (84, 22, 3, 176, 414, 252),
    19: (84, 40, 5, 320, 834, 420),
    20: (182, 50, 6, 900, 2318, 1092),
    21: (182, 100, 8, 1800, 4702, 1456),
    22: (364, 50, 10, 1800, 4638, 3640),
    23: (364, 100, 16, 3600, 9410, 5824),
    24: (364, 150, 32, 5400, 13809, 11648),
}

# An optimal Instance1 roster (objective 607 = best known), employee -> worked days (shift D).
# Found by a throw-away CP-SAT model; listed here so the test does not need a solver.
OPT1 = {
    "A": (1, 2, 3, 4, 7, 8, 9, 12, 13),
    "B": (0, 1, 2, 3, 4, 7, 8, 12, 13),
    "C": (0, 1, 2, 5, 6, 9, 10, 11),
    "D": (0, 1, 5, 6, 7, 8, 9),
    "E": (1, 2, 7, 8, 11, 12, 13),
    "F": (0, 1, 2, 3, 4, 7, 8, 11, 12),
    "G": (2, 3, 4, 7, 8, 11, 12, 13),
    "H": (0, 1, 4, 5, 8, 9, 10, 11),
}


def roster(days_by_emp: dict[str, tuple[int, ...]], shift: str = "D") -> list[tuple[str, int, str]]:
    return [(e, d, shift) for e, days in days_by_emp.items() for d in days]


def with_days(base: dict, emp: str, add=(), remove=()) -> dict:
    out = dict(base)
    out[emp] = tuple(sorted((set(base[emp]) | set(add)) - set(remove)))
    return out


@pytest.fixture(scope="module")
def inst1() -> ci.Instance:
    return ci.parse_instance(SHARED / "Instance1.txt")


# --------------------------------------------------------------------------- parser


@pytest.mark.parametrize("n", sorted(SIZES))
def test_parse_all_instances_match_published_sizes(n):
    inst = ci.parse_instance(SHARED / f"Instance{n}.txt")
    days, n_staff, n_shifts, n_off, n_req, n_cover = SIZES[n]
    assert inst.name == f"Instance{n}"
    assert inst.horizon == days and days % 7 == 0
    assert len(inst.staff) == n_staff
    assert len(inst.shifts) == n_shifts
    assert inst.n_days_off_entries == n_off
    assert len(inst.shift_on_requests) + len(inst.shift_off_requests) == n_req
    assert len(inst.cover) == n_cover == days * n_shifts  # one line per (day, shift)
    assert {s.length for s in inst.shifts} <= {480, 600, 720}
    assert {(c.weight_under, c.weight_over) for c in inst.cover} == {(100, 1)}
    for e in inst.staff:
        assert set(e.max_shifts) == set(inst.shift_ids)
        assert e.min_total_minutes <= e.max_total_minutes


def test_instance1_fields(inst1):
    assert inst1.shifts == (ci.Shift("D", 480, ()),)
    a = inst1.staff_by_id["A"]
    assert a == ci.Staff("A", {"D": 14}, 4320, 3360, 5, 2, 2, 1)
    assert inst1.days_off == {"A": (0,), "B": (5,), "C": (8,), "D": (2,), "E": (9,), "F": (5,), "G": (1,), "H": (7,)}
    assert inst1.shift_on_requests[0] == ci.Request("A", 2, "D", 2)
    assert inst1.shift_off_requests[-1] == ci.Request("H", 3, "D", 3)
    assert inst1.cover[1] == ci.Cover(1, "D", 7, 100, 1)


def test_forbidden_next_multi_char_ids():
    inst = ci.parse_instance(SHARED / "Instance24.txt")
    assert inst.shift_by_id["a4"].forbidden_next[:3] == ("a1", "a2", "a3")
    assert inst.shift_by_id["a1"].forbidden_next == ()


def test_crlf_and_lf_parse_identically(tmp_path):
    raw = (SHARED / "Instance2.txt").read_bytes()
    assert b"\r\n" in raw
    (tmp_path / "lf").mkdir()
    (tmp_path / "lf" / "Instance2.txt").write_bytes(raw.replace(b"\r\n", b"\n"))
    assert ci.parse_instance(tmp_path / "lf" / "Instance2.txt") == ci.parse_instance(SHARED / "Instance2.txt")


def test_load_best_known():
    bk = ci.load_best_known(SHARED / "best_known.csv")
    assert sorted(bk) == list(range(1, 25))
    assert (bk[1], bk[2], bk[3], bk[24]) == (607, 828, 1001, 42463)


def test_load_best_known_malformed(tmp_path):
    p = tmp_path / "bk.csv"
    p.write_text("# comment\ninstance,best_known_ub\n\nInstance1,607\nInstance2,abc\n")
    with pytest.raises(ValueError, match=r"bk\.csv:5:"):
        ci.load_best_known(p)


# A tiny synthetic instance exercising the tolerated syntax: comments inside sections, blank
# lines, surrounding spaces, trailing commas, an empty ForbiddenNext without its comma.
SYNTH = """\
# synthetic test instance
SECTION_HORIZON
# days
14,

SECTION_SHIFTS
E,480,
L, 600, E
N,720,E|L,
X,480

SECTION_STAFF
# ID, MaxShifts, MaxTotal, MinTotal, MaxConsec, MinConsec, MinConsecOff, MaxWeekends
P,E=14|L=14|N=3|X=14,{maxmin},{minmin},{maxc},{minc},{minoff},{maxwe}
Q,E=14|L=14|N=14|X=0,99999,0,14,1,1,2,

SECTION_DAYS_OFF
P,{p_off},
# a comment between lines
Q,

SECTION_SHIFT_ON_REQUESTS
P,1,L,5
Q,2,E,4

SECTION_SHIFT_OFF_REQUESTS
P,9,N,2
Q,2,L,6

SECTION_COVER
0,E,1,7,3
1,L,2,100,1
2,E,0,100,2
"""
SYNTH_DEFAULTS = dict(maxmin=99999, minmin=0, maxc=14, minc=1, minoff=1, maxwe=2, p_off=3)


def synth(tmp_path, **kw) -> ci.Instance:
    p = tmp_path / "synth.txt"
    p.write_text(SYNTH.format(**{**SYNTH_DEFAULTS, **kw}))
    return ci.parse_instance(p)


def test_synthetic_syntax_tolerated(tmp_path):
    inst = synth(tmp_path)
    assert inst.horizon == 14
    assert [(s.id, s.length, s.forbidden_next) for s in inst.shifts] == [
        ("E", 480, ()),
        ("L", 600, ("E",)),
        ("N", 720, ("E", "L")),
        ("X", 480, ()),
    ]
    assert inst.days_off == {"P": (3,), "Q": ()}
    assert inst.staff_by_id["Q"].max_shifts["X"] == 0
    assert inst.cover[0] == ci.Cover(0, "E", 1, 7, 3)


@pytest.mark.parametrize(
    "old,new,line",
    [
        ("L, 600, E", "L, 6OO, E", 8),  # not an integer
        ("P,3,", "P,three", 18),  # bad day index
        ("P,3,", "P,14", 18),  # day outside horizon
        ("Q,2,E,4", "Q,2,E", 24),  # too few fields
        ("Q,2,E,4", "Q,2,Z,4", 24),  # unknown shift
        ("Q,2,E,4", "R,2,E,4", 24),  # unknown employee
        ("N,720,E|L,", "N,720,E|Z", 9),  # unknown forbidden-next shift
        ("2,E,0,100,2", "1,L,0,100,2", 33),  # duplicate cover line
        ("SECTION_COVER", "SECTION_COVERAGE", 30),  # unknown section
        ("# synthetic test instance", "42", 1),  # data before any section
        ("Q,E=14|L=14|N=14|X=0", "Q,E=14|L14|N=14|X=0", 15),  # bad key=value
        ("Q,E=14|L=14|N=14|X=0", "P,E=14|L=14|N=14|X=0", 15),  # duplicate employee
    ],
)
def test_malformed_lines_raise_with_file_and_line(tmp_path, old, new, line):
    text = SYNTH.format(**SYNTH_DEFAULTS)
    assert text.count(old) == 1
    p = tmp_path / "bad.txt"
    p.write_text(text.replace(old, new))
    with pytest.raises(ValueError, match=rf"^bad\.txt:{line}: "):
        ci.parse_instance(p)


# --------------------------------------------------------------------------- objective


def raw_empty_roster_cost(path: Path) -> int:
    """Empty-roster cost straight from the raw lines: sum of Requirement*WeightUnder over the
    cover lines plus every shift-on request weight (no parser involved)."""
    total, section = 0, None
    for line in path.read_bytes().decode().split("\r\n"):
        if line.startswith("SECTION_"):
            section = line
        elif line and not line.startswith("#"):
            f = line.split(",")
            if section == "SECTION_COVER":
                total += int(f[2]) * int(f[3])
            elif section == "SECTION_SHIFT_ON_REQUESTS":
                total += int(f[3])
    return total


def test_empty_roster_instance1(inst1):
    ev = ce.evaluate(inst1, [])
    assert ev.objective == raw_empty_roster_cost(SHARED / "Instance1.txt") == 7137  # FORMAT.md
    assert ev.breakdown == {"shift_on_requests": 37, "shift_off_requests": 0, "cover_under": 7100, "cover_over": 0}
    # Only the minimum total minutes is broken; the all-off block touches both ends (exempt).
    assert ev.violated_rules == {"min_total_minutes"}
    assert len(ev.violations) == 8


@pytest.mark.parametrize("n", [2, 3])
def test_empty_roster_other_instances(n):
    inst = ci.parse_instance(SHARED / f"Instance{n}.txt")
    assert ce.evaluate(inst, []).objective == raw_empty_roster_cost(SHARED / f"Instance{n}.txt")


def test_format_md_known_value(inst1):
    # FORMAT.md: nurse A works days 2 and 3, everyone else off -> 6933.
    assert ce.evaluate(inst1, [("A", 2, "D"), ("A", 3, "D")]).objective == 6933


def test_optimal_roster_is_clean_and_hits_best_known(inst1):
    ev = ce.evaluate(inst1, roster(OPT1))
    assert ev.violations == []
    assert ev.feasible
    assert ev.objective == 607 == ci.load_best_known(SHARED / "best_known.csv")[1]
    assert ev.breakdown == {"shift_on_requests": 4, "shift_off_requests": 3, "cover_under": 600, "cover_over": 0}


def test_objective_components_synthetic(tmp_path):
    inst = synth(tmp_path)
    # Cover day 0 E: req 1, under 7, over 3.  Cover day 1 L: req 2.  Cover day 2 E: req 0, over 2.
    ev = ce.evaluate(inst, [("P", 0, "E"), ("Q", 0, "E"), ("P", 1, "E"), ("Q", 2, "E"), ("P", 9, "L")])
    assert ev.cover_over_penalty == 3 * 1 + 2 * 1  # day 0 one extra, day 2 one extra
    assert ev.cover_under_penalty == 100 * 2  # nobody on L day 1
    assert ev.shift_on_penalty == 5  # P asked for L on day 1 but works E; Q's request met
    assert ev.shift_off_penalty == 0  # P works L (not N) on day 9; Q works E (not L) on day 2
    ev = ce.evaluate(inst, [("P", 9, "N"), ("Q", 2, "L")])
    assert ev.shift_off_penalty == 2 + 6
    assert ev.cover_under_penalty == 7 * 1 + 100 * 2


# --------------------------------------------------------------------------- hard rules, Instance1

# Each mutation of the optimal roster breaks exactly one hard rule.
INSTANCE1_BREAKS = {
    "days_off": (with_days(OPT1, "D", add=[2]), "employee D, day 2"),
    "max_total_minutes": (with_days(OPT1, "B", add=[9]), "employee B"),
    "min_total_minutes": (with_days(OPT1, "D", remove=[0, 1]), "employee D"),
    "max_consecutive_shifts": (with_days(OPT1, "H", add=[2, 3], remove=[8]), "employee H, days 0-5"),
    "min_consecutive_shifts": (with_days(OPT1, "G", remove=[8]), "employee G, day 7"),
    "min_consecutive_days_off": (with_days(OPT1, "C", add=[3]), "employee C, day 4"),
    # Sunday alone makes a weekend: D already works days 5-6, adds Sunday 13.
    "max_weekends": (with_days(OPT1, "D", add=[13]), "employee D"),
}


@pytest.mark.parametrize("rule", sorted(INSTANCE1_BREAKS))
def test_instance1_single_rule_break(inst1, rule):
    days, where = INSTANCE1_BREAKS[rule]
    ev = ce.evaluate(inst1, roster(days))
    assert ev.violated_rules == {rule}, ev.violations
    assert len(ev.violations) == 1 and where in ev.violations[0], ev.violations


def test_instance1_saturday_only_weekends(inst1):
    # H works Saturday 5 (not Sunday 6) and, added here, Saturday 12 (not Sunday 13).
    ev = ce.evaluate(inst1, roster(with_days(OPT1, "H", add=[12])))
    assert ev.violated_rules == {"max_weekends"}, ev.violations


def test_instance1_invalid_rows(inst1):
    base = roster(OPT1)
    cases = {
        "one_shift_per_day": [("A", 1, "D")],
        "unknown_employee": [("Z", 3, "D")],
        "unknown_shift": [("D", 3, "N")],
        "day_out_of_range": [("A", 14, "D"), ("A", -1, "D")],
    }
    for rule, extra in cases.items():
        ev = ce.evaluate(inst1, base + extra)
        assert ev.violated_rules == {rule}, ev.violations
        assert ev.objective == 607  # invalid / repeated rows count for nothing
    ev = ce.evaluate(inst1, base + [("A", 1, "D")])
    assert "employee A, day 1" in ev.violations[0]


# --------------------------------------------------------------------------- hard rules, synthetic


def test_synthetic_clean(tmp_path):
    inst = synth(tmp_path, minc=2, minoff=2, maxc=5, maxwe=1, minmin=480 * 4, maxmin=480 * 7)
    # P: L day 4 then N day 5 is allowed (N forbids E/L after it, not before); E then L allowed.
    ev = ce.evaluate(inst, [("P", 0, "E"), ("P", 1, "L"), ("P", 4, "L"), ("P", 5, "N"), ("P", 6, "N")])
    assert ev.violations == []


SYNTH_BREAKS = {
    # rule: (instance overrides, assignments of P, text expected in the message)
    "one_shift_per_day": ({}, [("P", 4, "E"), ("P", 4, "L")], "employee P, day 4"),
    "forbidden_succession": ({}, [("P", 4, "L"), ("P", 5, "E")], "employee P, days 4-5"),
    "max_shifts_per_type": ({}, [("P", d, "N") for d in (0, 2, 4, 8)], "employee P"),
    "max_total_minutes": ({"maxmin": 1000}, [("P", 0, "E"), ("P", 1, "L")], "employee P"),
    "min_total_minutes": ({"minmin": 1000}, [("P", 0, "E")], "employee P"),
    "max_consecutive_shifts": ({"maxc": 3}, [("P", d, "E") for d in (10, 11, 12, 13)], "employee P, days 10-13"),
    "min_consecutive_shifts": ({"minc": 3}, [("P", d, "E") for d in (5, 6)], "employee P, days 5-6"),
    "min_consecutive_days_off": ({"minoff": 3}, [("P", d, "E") for d in (0, 1, 4, 5)], "employee P, days 2-3"),
    "max_weekends": ({"maxwe": 1}, [("P", 6, "E"), ("P", 12, "E")], "employee P"),
    "days_off": ({}, [("P", 3, "E")], "employee P, day 3"),
}


@pytest.mark.parametrize("rule", sorted(SYNTH_BREAKS))
def test_synthetic_single_rule_break(tmp_path, rule):
    overrides, rows, where = SYNTH_BREAKS[rule]
    ev = ce.evaluate(synth(tmp_path, **overrides), rows)
    assert ev.violated_rules == {rule}, ev.violations
    assert any(where in v for v in ev.violations), ev.violations


def test_max_shifts_zero_forbids(tmp_path):
    ev = ce.evaluate(synth(tmp_path), [("Q", 0, "X")])
    assert ev.violated_rules == {"max_shifts_per_type"}


@pytest.mark.parametrize(
    "work_days,expected",
    [
        ((0,), set()),  # single working day touching day 0: exempt
        ((13,), set()),  # single working day touching the last day: exempt
        ((6,), {"min_consecutive_shifts"}),  # internal single working day
        ((0, 1, 6), {"min_consecutive_shifts"}),
        (tuple(range(1, 14)), set()),  # single day off on day 0: exempt
        (tuple(range(0, 13)), set()),  # single day off on the last day: exempt
        (tuple(d for d in range(14) if d != 7), {"min_consecutive_days_off"}),  # internal day off
        ((), set()),  # never works: one rest block touching both ends
    ],
)
def test_min_run_horizon_edge_exemption(tmp_path, work_days, expected):
    inst = synth(tmp_path, minc=2, minoff=2, p_off="")  # no day off for P here
    ev = ce.evaluate(inst, [("P", d, "E") for d in work_days])
    assert ev.violated_rules == expected, ev.violations


def test_max_consecutive_applies_at_edges(tmp_path):
    inst = synth(tmp_path, maxc=3, p_off="")
    assert ce.evaluate(inst, [("P", d, "E") for d in range(4)]).violated_rules == {"max_consecutive_shifts"}
    assert ce.evaluate(inst, [("P", d, "E") for d in range(3)]).violations == []


# --------------------------------------------------------------------------- I/O and CLI


def test_read_solution_csv(tmp_path):
    p = tmp_path / "sol.csv"
    p.write_text("Shift,Employee,Day,note\r\nD,A,3,x\r\n\r\n D , B , 4 ,\r\n")
    assert ce.read_solution_csv(p) == [("A", 3, "D"), ("B", 4, "D")]
    p.write_text("employee,day,shift\nA,3,D\nB,four,D\n")
    with pytest.raises(ValueError, match=r"sol\.csv:3:"):
        ce.read_solution_csv(p)
    p.write_text("employee,shift\nA,D\n")
    with pytest.raises(ValueError, match="day"):
        ce.read_solution_csv(p)


def test_dataframe_input(inst1):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(roster(OPT1), columns=["employee", "day", "shift"])
    assert ce.evaluate(inst1, df).objective == 607


def test_cli(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text("employee,day,shift\n" + "".join(f"{e},{d},{s}\n" for e, d, s in roster(OPT1)))
    assert ce.main([str(SHARED / "Instance1.txt"), str(good)]) == 0
    out = capsys.readouterr().out
    assert "objective: 607" in out and "violations: 0" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("employee,day,shift\nA,0,D\n")
    assert ce.main([str(SHARED / "Instance1.txt"), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "days_off: employee A, day 0" in out
    assert ce.main([str(SHARED / "Instance1.txt"), str(tmp_path / "missing.csv")]) == 2
