"""Argument checks shared by the whole package, with one wording for errors.

Every public constructor validates its arguments first and raises a
`ValueError` that names the argument and shows the value received.
"""

import numbers
from collections.abc import Hashable
from collections.abc import Iterable
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def check_positive_int(name: str, value, allow_none: bool = False):
    """Returns `value` as an `int` (or `None` if allowed), else raises.

    NumPy integers are accepted; booleans and floats are not.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        expected = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"`{name}` must be {expected}, received: {name}={value!r}")
    return int(value)


def check_non_negative_int(name: str, value) -> int:
    """Returns `value` as an `int` if it is an integer >= 0, else raises.

    NumPy integers are accepted; booleans and floats are not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(
            f"`{name}` must be a non-negative integer, received: {name}={value!r}"
        )
    return int(value)


def check_positive(name: str, value, allow_none: bool = False):
    """Returns a real number above 0 as a `float` (or `None` if allowed), else raises.

    For learning rates, clipping norms and the like; booleans are not numbers
    here.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"`{name}` must be positive, received: {name}={value!r}")
    return float(value)


def check_rate(name: str, value) -> float:
    """Returns a dropout-style rate in [0, 1) as a `float`, else raises."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 <= value < 1.0
    ):
        raise ValueError(
            f"`{name}` must be a float in [0, 1), received: {name}={value!r}"
        )
    return float(value)


def check_bool(name: str, value) -> bool:
    """Returns `value` as a `bool` if it is one (NumPy's included), else raises."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"`{name}` must be a boolean, received: {name}={value!r}")
    return bool(value)


def check_one_of(
    name: str,
    value: T,
    choices: Iterable,
    allow_none: bool = False,
    context: str = "",
) -> T:
    """Returns `value` if it is one of `choices` (or `None` if allowed), else raises.

    Unhashable values (a list where a name is expected) and NumPy arrays are
    rejected like any other value, never compared element-wise.

    Args:
        name: The argument's name, shown in the error.
        value: The value received.
        choices: The allowed values, listed with `repr` in the error.
        allow_none: Whether `None` is accepted too.
        context: Words inserted after the choices, before "received", saying
            what the choices depend on, e.g. `"for locale 'ko'"`.

    Example:

    >>> from kerasseq import validation
    >>> validation.check_one_of("pooling", "max", ("last", "max"))
    'max'
    >>> validation.check_one_of("pooling", "sum", ("last", "max"))
    Traceback (most recent call last):
    ...
    ValueError: `pooling` must be one of 'last', 'max', received: pooling='sum'
    """
    if value is None and allow_none:
        return value
    choices = tuple(choices)
    if not (isinstance(value, Hashable) and value in choices):
        listed = ", ".join(map(repr, choices))
        if allow_none:
            listed += " or None"
        if context:
            listed += " " + context
        raise ValueError(
            f"`{name}` must be one of {listed}, received: {name}={value!r}"
        )
    return value
