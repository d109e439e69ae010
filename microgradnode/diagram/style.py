"""How each kind of node looks: one palette, so that the picture and its legend agree.

Values are told apart by what they are in the computation:

- ``input``: a leaf the user named (an input or a parameter such as ``w0``),
- ``constant``: a leaf with no name (a number written in the expression, like ``0.5``),
- ``intermediate``: the result of an operation,
- ``output``: the value ``draw`` was called on.

>>> node_kind(is_leaf=True, labelled=False, is_output=False)
'constant'
>>> STYLES['output'].fill
'#fff3bf'
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ['KindStyle', 'STYLES', 'KIND_NAMES', 'node_kind', 'grad_fill', 'FONT', 'INK',
           'MUTED', 'HIGHLIGHT', 'OP_FILL', 'EDGE_LABEL', 'TANGENT']


class KindStyle(NamedTuple):
    fill: str
    border: str
    border_width: int


STYLES = {
    'input': KindStyle('#d3f9d8', '#2b8a3e', 1),
    'constant': KindStyle('#f1f3f5', '#868e96', 1),
    'intermediate': KindStyle('#e7f5ff', '#1971c2', 1),
    'output': KindStyle('#fff3bf', '#e67700', 2),
}

KIND_NAMES = {
    'input': 'input / parameter',
    'constant': 'constant',
    'intermediate': 'intermediate value',
    'output': 'output',
}

FONT = 'Helvetica,Arial,sans-serif'
INK = '#212529'          # text and edges
MUTED = '#5c636a'        # the small "data" / "grad" captions
EDGE_LABEL = '#a61e4d'   # local derivatives on edges
TANGENT = '#1864ab'      # forward mode's tangents, in the walkthrough's forward blue
OP_FILL = '#ffffff'
HIGHLIGHT = '#f03e3e'

# Gradient colours: red for a positive gradient, blue for a negative one.
_POSITIVE = (224, 49, 49)
_NEGATIVE = (25, 113, 194)
_STRONGEST = 0.55


def node_kind(*, is_leaf: bool, labelled: bool, is_output: bool) -> str:
    """Which of the four kinds a Value is."""
    if is_output:
        return 'output'
    if is_leaf:
        return 'input' if labelled else 'constant'
    return 'intermediate'


def grad_fill(grad: float | None, largest: float) -> str:
    """Fill colour for a gradient: its sign picks the hue, its size the strength.

    Strength grows with the square root of ``|grad| / largest``, so that small
    gradients stay visible next to a large one, and stops at a tint light enough
    for the dark text on top to stay readable.

    >>> grad_fill(2.0, 2.0), grad_fill(-2.0, 2.0), grad_fill(0.0, 2.0)
    ('#ee8e8e', '#80b1dd', '#ffffff')
    """
    if grad is None or not math.isfinite(grad) or largest <= 0.0 or grad == 0.0:
        return '#ffffff'
    strength = _STRONGEST * math.sqrt(min(abs(grad) / largest, 1.0))
    hue = _POSITIVE if grad > 0 else _NEGATIVE
    mixed = (round(255 + (channel - 255) * strength) for channel in hue)
    return '#' + ''.join(f'{channel:02x}' for channel in mixed)
