"""Text cells that spreadsheet programs open as text, never as formulas.

Excel, LibreOffice and Google Sheets take a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return for a formula, also in a CSV file
("CSV injection", OWASP). Agent ids, site, template and problem names come from HR
systems and colleagues' files, so every CSV the library writes goes through
:func:`write_csv`: text that would open as a formula gets a leading apostrophe
(``=1+1`` is written ``'=1+1``), and so does text that already begins with one
(``'x`` is written ``''x``), so that :func:`read_csv` gives back exactly what was
written. Numbers written as text (``-5``, ``+3.2``) stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["opens_as_formula", "needs_apostrophe", "escape_cell", "unescape_cell", "map_text", "write_csv", "read_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def opens_as_formula(text: str) -> bool:
    """Whether a spreadsheet program would read ``text`` as a formula rather than as text or a number."""
    return text.startswith(FORMULA_STARTS) and _NUMBER.fullmatch(text) is None


def needs_apostrophe(text: str) -> bool:
    """Whether :func:`escape_cell` puts an apostrophe before ``text``."""
    return text.startswith("'") or opens_as_formula(text)


def escape_cell(value: Any) -> Any:
    """``value`` as a CSV cell that opens as text: an apostrophe before text that needs one."""
    if isinstance(value, str) and needs_apostrophe(value):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """The text :func:`escape_cell` was given (a cell it left alone comes back unchanged)."""
    if isinstance(value, str) and value.startswith("'") and needs_apostrophe(value[1:]):
        return value[1:]
    return value


def map_text(frame: pd.DataFrame, func: Callable[[Any], Any]) -> pd.DataFrame:
    """A copy of ``frame`` with ``func`` applied to its column names and to every cell of its text columns.

    ``func`` is handed the other values of a text column too (numbers, None) and
    returns those it does not change.
    """
    out = frame.rename(columns=func)
    for col in out.columns:
        if out[col].dtype.kind == "O":  # object, string and categorical columns: where text lives
            out[col] = out[col].map(func)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV without its index, every text cell through :func:`escape_cell`."""
    map_text(frame, escape_cell).to_csv(path, index=False)
    return Path(path)


def read_csv(path: str | Path, text_columns: Iterable[str]) -> pd.DataFrame:
    """A CSV file written by :func:`write_csv`, with ``text_columns`` read as text and unescaped.

    Only an empty cell is missing: an agent called ``NA`` or a site called ``None``
    stays text (pandas would read both as missing by default).
    """
    text_columns = tuple(text_columns)
    frame = pd.read_csv(path, dtype=dict.fromkeys(text_columns, str), keep_default_na=False, na_values=[""])
    for col in text_columns:
        if col in frame.columns:
            frame[col] = frame[col].map(unescape_cell)
    return frame
