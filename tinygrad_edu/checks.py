"""Checks of public arguments: each refuses a bad one by name, where it was passed.

A wrong argument should stop the call it was given to, with a message that names the
argument and says what it must be: a TypeError for the wrong kind of thing, a
ValueError for the right kind with a wrong value (out of range, not finite). Without
these checks the mistake surfaces later, as an AttributeError or an IndexError from
deep inside, or worse, as a wrong number: ``lr=True`` trains with a step of 1,
``max_paths=-1`` lists no paths and reports no dependence.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_edu.engine import _describe, _shown

describe = _describe
"""An object's type and its value, shortened, for error messages: ``str 'abc'``."""

shown = _shown
"""An object's value alone, shortened, for error messages: ``'abc'``, ``-1``."""

Seed = int | np.random.Generator | None
"""An int >= 0 for a reproducible random start, a numpy Generator to draw from, or None."""


def whole_number(name: str, thing: object, minimum: int | None = 0) -> int:
    """``thing`` if it is a whole number >= ``minimum`` (an int, not a bool; any
    sign if ``minimum`` is None)."""
    if isinstance(thing, bool) or not isinstance(thing, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {describe(thing)}")
    if minimum is not None and thing < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {shown(thing)}")
    return int(thing)


def true_or_false(name: str, thing: object) -> bool:
    """``thing`` if it is True or False: 1, "no" or None would each quietly mean one."""
    if not isinstance(thing, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(thing)}")
    return bool(thing)


def real_number(
    name: str,
    thing: object,
    *,
    above: float | None = None,
    at_least: float | None = None,
    below: float | None = None,
    finite: bool = True,
) -> float:
    """``thing`` as a float, if it is a real number (finite, unless ``finite=False``) in
    the range given: > ``above``, >= ``at_least``, < ``below``. A bool, a Value or text
    is refused."""
    if isinstance(thing, bool) or not isinstance(thing, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(thing)}")
    try:
        number = float(thing)
    except OverflowError:
        raise ValueError(f"{name} must be a number, got an int too large for a float") from None
    inside = (
        (math.isfinite(number) or not finite)
        and (above is None or number > above)
        and (at_least is None or number >= at_least)
        and (below is None or number < below)
    )
    if not inside:
        limits = [
            f"{sign} {limit!r}"
            for sign, limit in ((">", above), (">=", at_least), ("<", below))
            if limit is not None
        ]
        wanted = f" {' and '.join(limits)}" if limits else ""
        kind = "a finite number" if finite else "a number"
        raise ValueError(f"{name} must be {kind}{wanted}, got {number!r}")
    return number


def random_generator(name: str, seed: Seed) -> np.random.Generator:
    """The generator a ``seed`` argument stands for: a new one seeded with the int
    (or, for None, from the operating system), or the Generator itself."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None:
        whole_number(name, seed)
    return np.random.default_rng(seed)


def function(name: str, thing: Any) -> Callable[..., Any]:
    """``thing`` if it can be called."""
    if not callable(thing):
        raise TypeError(f"{name} must be a function, got {describe(thing)}")
    return thing  # type: ignore[no-any-return]
