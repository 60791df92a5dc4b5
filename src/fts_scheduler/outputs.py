"""Output folders written whole: every file goes into a staging folder beside the target,
which replaces the earlier output only once all of them are written.

So a full disk, a Ctrl-C or an error half-way leaves the earlier roster as it was (never
a truncated ``result.json``), and a new roster never sits beside files of an older one
(a stale ``breaks.csv`` would make ``fts validate`` report breaks the roster does not
have). Files the library does not write (an analyst's notes) stay where they are.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["OutputError", "ROSTER_OUTPUTS", "REPORT_OUTPUTS", "check_output_dir", "looks_like_output", "staged_output"]

ROSTER_OUTPUTS = (
    "problem.json", "assignments.csv", "coverage.csv", "breaks.csv", "changes.csv", "summary.json",
    "forecast.csv", "goals.yaml", "best_effort",
)  # fmt: skip
"""What ``fts solve`` writes besides the report: the roster and what it was solved from."""

REPORT_OUTPUTS = ("kpi_*.csv", "roster.xlsx", "result.json", "ics", "plots")
"""What ``fts report`` writes (again) from a roster folder."""


class OutputError(OSError):
    """An output folder that cannot or may not be written; the message says which and why."""


def _owned(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def looks_like_output(folder: Path) -> bool:
    """Whether ``folder`` holds an earlier roster or report of the library."""
    return (folder / "summary.json").is_file() or (folder / "result.json").is_file()


def check_output_dir(out: Path, *, overwrite: bool = False) -> None:
    """Refuse, before any work, an output folder that cannot be written or holds files of another kind.

    ``out`` may be missing (it is made later, with its parents), or a folder of an earlier
    output, or empty; a folder holding other files is refused unless ``overwrite`` (even
    then only the library's own file names are replaced). Writing is tried for real: a
    staging folder is made beside ``out`` and removed.

    Raises
    ------
    OutputError
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    if out.is_dir() and not overwrite and any(out.iterdir()) and not looks_like_output(out):
        raise OutputError(
            f"{out}: the folder holds other files and no earlier fts output (summary.json or result.json); "
            "choose an empty or new folder, or pass --overwrite to replace the library's files in it"
        )
    parent = _existing_parent(out)
    if not os.access(parent, os.W_OK | os.X_OK) or (out.is_dir() and not os.access(out, os.W_OK | os.X_OK)):
        raise OutputError(f"{out}: no permission to write there")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _sibling(out, "check").rmdir()
    except OSError as exc:
        raise OutputError(f"{out}: cannot write there: {exc.strerror or exc}") from None


def _sibling(out: Path, tag: str) -> Path:
    """A new, empty folder beside ``out`` (same file system, so renames are atomic), made with the
    user's umask like any folder (``tempfile.mkdtemp``'s are private to the user)."""
    for _ in range(100):
        path = out.parent / f".{out.name}.{tag}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{out.parent}: no free name for a staging folder")  # pragma: no cover


def _existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


@contextlib.contextmanager
def staged_output(out: Path, owned: Iterable[str]) -> Iterator[Path]:
    """A staging folder to write into; on success its entries replace those of ``out``.

    ``owned``: names (glob patterns) of the entries the writer is responsible for. In
    ``out`` they are all removed, also those the new output does not write (an earlier
    roster's ``breaks.csv``); other entries stay. On an error or a Ctrl-C inside the
    block, the staging folder is removed and ``out`` is left as it was.
    """
    out = Path(out)
    owned = tuple(owned)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = _sibling(out, "new")
    try:
        yield stage
        unknown = [p.name for p in stage.iterdir() if not _owned(p.name, owned)]
        if unknown:  # pragma: no cover - a writer and its list of names disagree: a bug
            raise RuntimeError(f"files written that the output does not own: {unknown}")
        _replace(out, stage, owned)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _replace(out: Path, stage: Path, owned: tuple[str, ...]) -> None:
    """Move the staged entries into ``out`` in place of the owned ones there.

    A new folder, or one holding only owned entries, is swapped whole (two renames);
    otherwise the owned entries are moved aside one by one first, and put back if a move
    in fails.
    """
    if not out.exists():
        stage.rename(out)
        return
    trash = _sibling(out, "old")
    try:
        if all(_owned(p.name, owned) for p in out.iterdir()):
            out.rename(trash / "old")
            try:
                stage.rename(out)
            except OSError:
                (trash / "old").rename(out)
                raise
            return
        old = [p for p in out.iterdir() if _owned(p.name, owned)]
        for p in old:
            p.rename(trash / p.name)
        moved: list[Path] = []
        try:
            for p in sorted(stage.iterdir()):
                p.rename(out / p.name)
                moved.append(out / p.name)
        except OSError:
            for p in moved:
                _remove(p)
            for p in trash.iterdir():
                p.rename(out / p.name)
            raise
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
