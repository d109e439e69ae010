"""The options of :func:`microgradnode.draw`, checked once, in one place.

>>> DrawOptions(rankdir='TB').rankdir
'TB'
>>> DrawOptions(number_format='.q')
Traceback (most recent call last):
...
ValueError: number_format '.q' is not a valid format for a float (try '.4g' or '.3f')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .._support.flags import check_flag

__all__ = ['DrawOptions', 'DEFAULT_MAX_NODES', 'RANKDIRS', 'GraphTooLargeError', 'checked_number_format',
           'MAX_WIDTH', 'MAX_PRECISION']


class GraphTooLargeError(ValueError):
    """The graph would take too long to lay out (the message says why and what to do)."""


MAX_WIDTH = 40
MAX_PRECISION = 20
"""Bounds of a number format: a label wider than this helps no one, and an unbounded
one (``'>100000000'``) would make Python build a string of gigabytes."""

# Python's format-spec mini-language for floats: [[fill]align][sign][z][#][0][width]
# [grouping][.precision][type], with a float presentation type (or none, like 'g').
_FLOAT_SPEC = re.compile(r'(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?'
                         r'[eEfFgG%]?', re.DOTALL)


def checked_number_format(spec: object, *, name: str = 'number_format') -> str:
    """``spec`` if it is a bounded format spec for floats, else the error that says what is wrong.

    >>> checked_number_format('.3f')
    '.3f'
    >>> checked_number_format('>100000000')
    Traceback (most recent call last):
    ...
    ValueError: number_format '>100000000': a width of at most 40 characters, please
    """
    if not isinstance(spec, str):
        raise TypeError(f"{name} must be a str such as '.4g', not {type(spec).__name__}")
    match = _FLOAT_SPEC.fullmatch(spec)
    if match is None:
        raise ValueError(f"{name} {spec!r} is not a valid format for a float (try '.4g' or '.3f')")
    if int(match['width'] or 0) > MAX_WIDTH:
        raise ValueError(f'{name} {spec!r}: a width of at most {MAX_WIDTH} characters, please')
    if int(match['precision'] or 0) > MAX_PRECISION:
        raise ValueError(f'{name} {spec!r}: a precision of at most {MAX_PRECISION} digits, please')
    try:
        format(1.5, spec)
    except (ValueError, TypeError):
        raise ValueError(f"{name} {spec!r} is not a valid format for a float (try '.4g' or '.3f')") from None
    return spec

DEFAULT_MAX_NODES = 2000
"""Largest graph, in Values, that ``draw`` accepts unless told otherwise.

Graphviz's layout time grows faster than the graph. Measured here (docs/diagrams.md):
1,000 Values render to SVG in under a second, 2,000 in about 2.5 s, 5,000 in about
half a minute (PDF over a minute), and a picture that large is unreadable anyway.
"""

RANKDIRS = ('LR', 'TB', 'RL', 'BT')


@dataclass(frozen=True)
class DrawOptions:
    """Everything that changes how a graph is drawn, besides the graph itself."""

    rankdir: str = 'LR'
    show_grad: bool = True
    show_local: bool = True
    number_format: str = '.4g'
    color_by_grad: bool = False
    legend: bool = False
    title: str = ''
    max_nodes: int = DEFAULT_MAX_NODES
    constant_grads: bool = True

    def __post_init__(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise ValueError(f'rankdir must be one of {", ".join(RANKDIRS)}, not {self.rankdir!r}')
        checked_number_format(self.number_format)
        if not isinstance(self.title, str):
            raise TypeError(f'title must be a str, not {type(self.title).__name__}')
        for flag in ('show_grad', 'show_local', 'color_by_grad', 'legend', 'constant_grads'):
            check_flag(getattr(self, flag), flag)
        if isinstance(self.max_nodes, bool) or not isinstance(self.max_nodes, int) or self.max_nodes < 1:
            raise ValueError(f'max_nodes must be a positive int, not {self.max_nodes!r}')

    def number(self, x: float) -> str:
        """``x`` written with ``number_format``; a negative sign as a real minus sign.

        >>> DrawOptions().number(-0.123456)
        '−0.1235'
        """
        # + 0.0 turns −0.0 (a product by 0 of a negative number) into 0: "−0" puzzles a reader.
        return format(x + 0.0, self.number_format).replace('-', '−')
