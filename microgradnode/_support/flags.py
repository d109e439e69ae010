"""The one check of every True/False keyword of the public API.

``compile(..., compact='yes')`` used to compile compactly ('yes' is truthy), and
``walkthrough(quiz='no')`` made a quiz: a flag that is not a bool is a mistake to name,
not a value to guess at. Each public function with a ``bool`` keyword passes it through
:func:`check_flag` (tests/package/test_flags.py finds them all and tries each).

>>> check_flag(True, 'legend'), check_flag(None, 'compact', none=True)
(True, None)
>>> check_flag('yes', 'compact', none=True)
Traceback (most recent call last):
...
TypeError: compact must be True, False or None, not 'yes'
"""

from __future__ import annotations

from typing import Literal, overload

__all__ = ['check_flag']


@overload
def check_flag(value: object, name: str, *, none: Literal[False] = False) -> bool: ...
@overload
def check_flag(value: object, name: str, *, none: bool) -> bool | None: ...


def check_flag(value: object, name: str, *, none: bool = False) -> bool | None:
    """``value`` if it is True or False (or None when ``none``), else a TypeError naming ``name``.

    NumPy's booleans (``numpy.bool_``, what comparing arrays gives) count as booleans and
    come back as Python's.
    """
    if value is True or value is False or (none and value is None):
        return value
    kind = type(value)
    if kind.__module__ == 'numpy' and kind.__name__ in ('bool_', 'bool'):
        return bool(value)
    allowed = 'True, False or None' if none else 'True or False'
    raise TypeError(f'{name} must be {allowed}, not {value!r}'[:200])  # a long repr cut short
