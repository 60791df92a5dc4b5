"""Parser for the Curtois & Qu shift-scheduling benchmark (Instance1..Instance24).

Standalone on purpose (stdlib only): the benchmark harness and the independent
evaluator (``curtois_eval.py``) use it, and neither may depend on ``fts_scheduler``.

File format (see ``FORMAT.md`` next to the instances): seven sections, each opened by a
``SECTION_...`` header, in the order HORIZON, SHIFTS, STAFF, DAYS_OFF, SHIFT_ON_REQUESTS,
SHIFT_OFF_REQUESTS, COVER. ``#`` starts a comment line; blank lines are ignored (they end a
section in the official files, but the next header is what actually switches section here).
Fields are comma separated, lists inside a field use ``|``, key/value pairs use ``=``.
CRLF or LF line endings, surrounding whitespace and trailing commas are all accepted.

Every malformed line raises ``ValueError("<file>:<line>: <reason>")``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

__all__ = [
    "Shift",
    "Staff",
    "Request",
    "Cover",
    "Instance",
    "parse_instance",
    "parse_instance_text",
    "load_best_known",
]

SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)
REQUIRED_SECTIONS = ("SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF")


@dataclass(frozen=True)
class Shift:
    id: str
    length: int  # minutes
    forbidden_next: tuple[str, ...]  # shift ids that may not be worked the next day


@dataclass(frozen=True)
class Staff:
    id: str
    max_shifts: dict[str, int]  # shift id -> most times over the horizon (0 = never)
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int


@dataclass(frozen=True)
class Request:
    """A shift-on or shift-off request (soft)."""

    employee: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True)
class Cover:
    day: int
    shift: str
    requirement: int
    weight_under: int
    weight_over: int


@dataclass(frozen=True)
class Instance:
    name: str
    horizon: int  # number of days; day 0 is a Monday
    shifts: tuple[Shift, ...]
    staff: tuple[Staff, ...]
    days_off: dict[str, tuple[int, ...]]  # employee -> days on which no shift may be worked
    shift_on_requests: tuple[Request, ...]
    shift_off_requests: tuple[Request, ...]
    cover: tuple[Cover, ...]
    # Derived lookups (not part of equality / repr).
    shift_by_id: dict[str, Shift] = field(init=False, repr=False, compare=False)
    staff_by_id: dict[str, Staff] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shift_by_id", {s.id: s for s in self.shifts})
        object.__setattr__(self, "staff_by_id", {e.id: e for e in self.staff})

    @property
    def shift_ids(self) -> list[str]:
        return [s.id for s in self.shifts]

    @property
    def staff_ids(self) -> list[str]:
        return [e.id for e in self.staff]

    @property
    def n_weeks(self) -> int:
        return -(-self.horizon // 7)

    @property
    def n_days_off_entries(self) -> int:
        return sum(len(days) for days in self.days_off.values())


# --------------------------------------------------------------------------- parsing


def _fields(line: str) -> list[str]:
    """Split a data line on commas, strip each field, drop trailing empty fields."""
    parts = [p.strip() for p in line.split(",")]
    while parts and parts[-1] == "":
        parts.pop()
    return parts


class _Parser:
    def __init__(self, name: str) -> None:
        self.name = name
        self.lineno = 0
        self.horizon: int | None = None
        self.shifts: list[Shift] = []
        self.staff: list[Staff] = []
        self.days_off: dict[str, list[int]] = {}
        self.on: list[Request] = []
        self.off: list[Request] = []
        self.cover: list[Cover] = []
        # (lineno, kind, payload) references to check once every id is known
        self._pending: list[tuple[int, str, object]] = []

    # -- helpers
    def err(self, msg: str, lineno: int | None = None) -> ValueError:
        return ValueError(f"{self.name}:{self.lineno if lineno is None else lineno}: {msg}")

    def int_(self, text: str, what: str, minimum: int | None = 0) -> int:
        if not re.fullmatch(r"[+-]?\d+", text):
            raise self.err(f"{what} must be an integer, got {text!r}")
        value = int(text)
        if minimum is not None and value < minimum:
            raise self.err(f"{what} must be >= {minimum}, got {value}")
        return value

    def id_(self, text: str, what: str) -> str:
        if not text or any(c in text for c in "|= \t"):
            raise self.err(f"invalid {what} {text!r}")
        return text

    def expect(self, parts: list[str], n: int, layout: str, exact: bool = True) -> None:
        if (len(parts) != n) if exact else (len(parts) < n):
            raise self.err(f"expected {'' if exact else 'at least '}{n} fields ({layout}), got {len(parts)}")

    # -- sections
    def horizon_line(self, parts: list[str]) -> None:
        if self.horizon is not None:
            raise self.err("SECTION_HORIZON has more than one value")
        self.expect(parts, 1, "number of days")
        self.horizon = self.int_(parts[0], "horizon", minimum=1)

    def shift_line(self, raw: str) -> None:
        parts = [p.strip() for p in raw.split(",")]
        # ForbiddenNext may be empty, which leaves a trailing comma: "D,480,"
        while len(parts) > 3 and parts[-1] == "":
            parts.pop()
        if len(parts) == 2:
            parts.append("")
        self.expect(parts, 3, "ShiftID, LengthInMinutes, ForbiddenNext")
        sid = self.id_(parts[0], "shift id")
        length = self.int_(parts[1], "shift length", minimum=1)
        forbidden = tuple(
            self.id_(x.strip(), "forbidden-next shift id") for x in parts[2].split("|") if x.strip()
        )
        if sid in {s.id for s in self.shifts}:
            raise self.err(f"duplicate shift id {sid!r}")
        self.shifts.append(Shift(sid, length, forbidden))
        self._pending.append((self.lineno, "shifts", forbidden))

    def staff_line(self, parts: list[str]) -> None:
        self.expect(
            parts,
            8,
            "ID, MaxShifts, MaxTotalMinutes, MinTotalMinutes, MaxConsecutiveShifts, "
            "MinConsecutiveShifts, MinConsecutiveDaysOff, MaxWeekends",
        )
        eid = self.id_(parts[0], "employee id")
        if eid in {e.id for e in self.staff}:
            raise self.err(f"duplicate employee id {eid!r}")
        max_shifts: dict[str, int] = {}
        for item in (x.strip() for x in parts[1].split("|")):
            if not item:
                continue
            key, sep, value = item.partition("=")
            if not sep:
                raise self.err(f"MaxShifts entry {item!r} is not ShiftID=count")
            key = self.id_(key.strip(), "shift id in MaxShifts")
            if key in max_shifts:
                raise self.err(f"MaxShifts lists shift {key!r} twice")
            max_shifts[key] = self.int_(value.strip(), f"MaxShifts[{key}]")
        nums = [
            self.int_(parts[i], name)
            for i, name in enumerate(
                (
                    "MaxTotalMinutes",
                    "MinTotalMinutes",
                    "MaxConsecutiveShifts",
                    "MinConsecutiveShifts",
                    "MinConsecutiveDaysOff",
                    "MaxWeekends",
                ),
                start=2,
            )
        ]
        self.staff.append(Staff(eid, max_shifts, *nums))
        self._pending.append((self.lineno, "staff", tuple(max_shifts)))

    def days_off_line(self, parts: list[str]) -> None:
        self.expect(parts, 1, "EmployeeID, d1, d2, ...", exact=False)
        eid = self.id_(parts[0], "employee id")
        days = []
        for x in parts[1:]:
            if x == "":  # tolerate "A,1,,2"
                continue
            days.append(self.int_(x, "day index"))
        self.days_off.setdefault(eid, []).extend(days)
        self._pending.append((self.lineno, "days_off", (eid, tuple(days))))

    def request_line(self, parts: list[str], target: list[Request], kind: str) -> None:
        self.expect(parts, 4, "EmployeeID, Day, ShiftID, Weight")
        req = Request(
            self.id_(parts[0], "employee id"),
            self.int_(parts[1], "day"),
            self.id_(parts[2], "shift id"),
            self.int_(parts[3], "weight"),
        )
        target.append(req)
        self._pending.append((self.lineno, kind, req))

    def cover_line(self, parts: list[str]) -> None:
        self.expect(parts, 5, "Day, ShiftID, Requirement, WeightUnder, WeightOver")
        cov = Cover(
            self.int_(parts[0], "day"),
            self.id_(parts[1], "shift id"),
            self.int_(parts[2], "requirement"),
            self.int_(parts[3], "weight under"),
            self.int_(parts[4], "weight over"),
        )
        self.cover.append(cov)
        self._pending.append((self.lineno, "cover", cov))

    # -- driver
    def parse(self, lines: Iterator[str]) -> Instance:
        section: str | None = None
        seen: list[str] = []
        for self.lineno, raw in enumerate(lines, start=1):
            line = raw.rstrip("\r\n").strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("SECTION_"):
                header = line.rstrip(",").strip()
                if header not in SECTIONS:
                    raise self.err(f"unknown section header {header!r}")
                if header in seen:
                    raise self.err(f"section {header} appears twice")
                seen.append(header)
                section = header
                continue
            if section is None:
                raise self.err(f"data line before any SECTION_ header: {line!r}")
            if section == "SECTION_SHIFTS":
                self.shift_line(line)
                continue
            parts = _fields(line)
            if not parts:  # a line made only of commas
                continue
            if section == "SECTION_HORIZON":
                self.horizon_line(parts)
            elif section == "SECTION_STAFF":
                self.staff_line(parts)
            elif section == "SECTION_DAYS_OFF":
                self.days_off_line(parts)
            elif section == "SECTION_SHIFT_ON_REQUESTS":
                self.request_line(parts, self.on, "on")
            elif section == "SECTION_SHIFT_OFF_REQUESTS":
                self.request_line(parts, self.off, "off")
            elif section == "SECTION_COVER":
                self.cover_line(parts)
        end = self.lineno + 1
        for sec in REQUIRED_SECTIONS:
            if sec not in seen:
                raise self.err(f"missing {sec}", end)
        if self.horizon is None:
            raise self.err("SECTION_HORIZON has no value", end)
        self._check_references()
        return Instance(
            name=self.name.rsplit(".", 1)[0] if self.name.endswith(".txt") else self.name,
            horizon=self.horizon,
            shifts=tuple(self.shifts),
            staff=tuple(self.staff),
            days_off={e: tuple(d) for e, d in self.days_off.items()},
            shift_on_requests=tuple(self.on),
            shift_off_requests=tuple(self.off),
            cover=tuple(self.cover),
        )

    def _check_references(self) -> None:
        shift_ids = {s.id for s in self.shifts}
        staff_ids = {e.id for e in self.staff}
        h = self.horizon
        assert h is not None

        def shift(lineno: int, sid: str) -> None:
            if sid not in shift_ids:
                raise self.err(f"unknown shift id {sid!r}", lineno)

        def emp(lineno: int, eid: str) -> None:
            if eid not in staff_ids:
                raise self.err(f"unknown employee id {eid!r}", lineno)

        def day(lineno: int, d: int) -> None:
            if not 0 <= d < h:
                raise self.err(f"day {d} outside the horizon 0..{h - 1}", lineno)

        cover_keys: set[tuple[int, str]] = set()
        for lineno, kind, payload in self._pending:
            if kind in ("shifts", "staff"):
                for sid in payload:  # type: ignore[union-attr]
                    shift(lineno, sid)
            elif kind == "days_off":
                eid, days = payload  # type: ignore[misc]
                emp(lineno, eid)
                for d in days:
                    day(lineno, d)
            elif kind in ("on", "off"):
                req: Request = payload  # type: ignore[assignment]
                emp(lineno, req.employee)
                day(lineno, req.day)
                shift(lineno, req.shift)
            elif kind == "cover":
                cov: Cover = payload  # type: ignore[assignment]
                day(lineno, cov.day)
                shift(lineno, cov.shift)
                if (cov.day, cov.shift) in cover_keys:
                    raise self.err(f"duplicate cover line for day {cov.day}, shift {cov.shift!r}", lineno)
                cover_keys.add((cov.day, cov.shift))


def parse_instance_text(text: str, name: str = "<string>") -> Instance:
    """Parse instance content already in memory (``name`` is used in error messages)."""
    return _Parser(name).parse(iter(text.splitlines()))


def parse_instance(path: str | Path) -> Instance:
    """Parse a Curtois & Qu ``InstanceN.txt`` file."""
    path = Path(path)
    # newline="" keeps the raw line endings; the parser strips CR/LF itself.
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        return _Parser(path.name).parse(iter(fh))


# --------------------------------------------------------------------------- best known


def _instance_number(text: str) -> int:
    m = re.fullmatch(r"\s*(?:instance)?\s*(\d+)(?:\.txt)?\s*", text, flags=re.IGNORECASE)
    if not m:
        raise ValueError(f"cannot read an instance number from {text!r}")
    return int(m.group(1))


def load_best_known(path: str | Path) -> dict[int, int]:
    """Read ``best_known.csv`` -> {instance number: best known upper bound (objective)}.

    Expected columns: ``instance`` (``Instance7`` or ``7``) and ``best_known_ub``. Blank lines
    and lines starting with ``#`` are skipped.
    """
    path = Path(path)
    out: dict[int, int] = {}
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        rows = csv.reader(fh)
        header: list[str] | None = None
        for row in rows:
            lineno = rows.line_num
            if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [c.strip().lower() for c in row]
                for col in ("instance", "best_known_ub"):
                    if col not in header:
                        raise ValueError(f"{path.name}:{lineno}: missing column {col!r} in header")
                i_inst, i_ub = header.index("instance"), header.index("best_known_ub")
                continue
            try:
                number = _instance_number(row[i_inst])
                ub_text = row[i_ub].strip()
                ub = int(ub_text)
            except (IndexError, ValueError) as exc:
                raise ValueError(f"{path.name}:{lineno}: malformed row {row!r} ({exc})") from None
            if number in out:
                raise ValueError(f"{path.name}:{lineno}: instance {number} listed twice")
            out[number] = ub
    if header is None:
        raise ValueError(f"{path.name}: empty file")
    return out
