"""The options of :func:`microgradnode.draw`, checked once, in one place.

>>> DrawOptions(rankdir='TB').rankdir
'TB'
>>> DrawOptions(number_format='.q')
Traceback (most recent call last):
...
ValueError: number_format '.q' is not a valid format for a float (try '.4g' or '.3f')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ['DrawOptions', 'DEFAULT_MAX_NODES', 'RANKDIRS']

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

    def __post_init__(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise ValueError(f'rankdir must be one of {", ".join(RANKDIRS)}, not {self.rankdir!r}')
        if not isinstance(self.number_format, str):
            raise TypeError(f'number_format must be a str such as \'.4g\', '
                            f'not {type(self.number_format).__name__}')
        try:
            format(1.5, self.number_format)
        except (ValueError, TypeError):
            raise ValueError(f'number_format {self.number_format!r} is not a valid format for a float '
                             f"(try '.4g' or '.3f')") from None
        if not isinstance(self.title, str):
            raise TypeError(f'title must be a str, not {type(self.title).__name__}')
        if isinstance(self.max_nodes, bool) or not isinstance(self.max_nodes, int) or self.max_nodes < 1:
            raise ValueError(f'max_nodes must be a positive int, not {self.max_nodes!r}')

    def number(self, x: float) -> str:
        """``x`` written with ``number_format``; a negative sign as a real minus sign.

        >>> DrawOptions().number(-0.123456)
        '−0.1235'
        """
        return format(x, self.number_format).replace('-', '−')
