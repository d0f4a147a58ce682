"""How the server's error messages quote what a request sent: shortened, whatever it was.

A message that names the wrong value helps ("seed must be from 0 to 2147483647, got
-1"), but a request can send anything: a number of 400 digits, a string of a
megabyte, a list nested a hundred deep. Quoted in full, such a value would bury the
message (and make every refusal as large as the request that caused it). So every
value a message quotes goes through ``shown`` or ``shortened`` first, which keep its
start (and, for a number, its end and how many digits it has).
"""

from __future__ import annotations

import reprlib
import sys

MAX_QUOTED_CHARACTERS = 60
"""The most characters of a quoted value a message holds (about, for long numbers)."""
MAX_DIGITS = 15
"""Whole numbers with more digits than this are shown by their ends and their length."""


class _ShortRepr(reprlib.Repr):
    """``repr``, with strings, numbers, lists and objects cut short (``reprlib``)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = MAX_QUOTED_CHARACTERS
        self.maxlong = MAX_DIGITS
        self.maxlevel, self.maxlist, self.maxdict = 2, 4, 4

    def repr_int(self, x: int, level: int) -> str:
        try:
            digits = len(str(abs(x)))
        except ValueError:  # more digits than Python turns into text (4300, usually)
            return f"a whole number of more than {sys.get_int_max_str_digits()} digits"
        shown = super().repr_int(x, level)
        return shown if digits <= MAX_DIGITS else f"{shown} ({digits} digits)"


_short_repr = _ShortRepr()


def shown(value: object) -> str:
    """``repr(value)``, shortened: ``'abc'``, ``1e+300``, ``10000...00000 (301 digits)``."""
    return _short_repr.repr(value)


def shortened(text: str, limit: int = MAX_QUOTED_CHARACTERS) -> str:
    """``text`` itself if it has at most ``limit`` characters, else its start and ``...``."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
