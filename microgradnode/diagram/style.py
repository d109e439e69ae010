"""How each kind of node looks: one palette, so that the picture and its legend agree.

Values are told apart by what they are in the computation:

- ``input``: a leaf the user named (an input or a parameter such as ``w0``),
- ``constant``: a leaf with no name (a number written in the expression, like ``0.5``),
- ``intermediate``: the result of an operation,
- ``output``: the value ``draw`` was called on.

Each kind has its own fill and its own outline (square corners, dashed, rounded, rounded
and thick), so that the kinds stay apart when ``color_by_grad`` fills every box with its
gradient's colour, and for readers who do not tell the fills apart.

>>> node_kind(is_leaf=True, labelled=False, is_output=False)
'constant'
>>> STYLES['output'].fill
'#fff3bf'
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ['KindStyle', 'STYLES', 'KINDS', 'KIND_NAMES', 'node_kind', 'grad_fill', 'FONT', 'INK',
           'MUTED', 'HIGHLIGHT', 'OP_FILL', 'EDGE_LABEL', 'TANGENT', 'NODE_POINTS', 'EDGE_POINTS']


class KindStyle(NamedTuple):
    fill: str
    border: str
    border_width: int
    outline: str  # the HTML table's STYLE: '' (square corners), 'dashed', 'rounded'


STYLES = {
    'input': KindStyle('#d3f9d8', '#2b8a3e', 1, ''),
    'constant': KindStyle('#f1f3f5', '#868e96', 1, 'dashed'),
    'intermediate': KindStyle('#e7f5ff', '#1971c2', 1, 'rounded'),
    'output': KindStyle('#fff3bf', '#e67700', 3, 'rounded'),
    # Only in a gradient graph (grad(..., create_graph=True)): a value the backward pass made.
    'backward': KindStyle('#f3f0ff', '#6741d9', 2, 'rounded'),
}

KINDS = ('input', 'constant', 'intermediate', 'output')
"""The kinds of every diagram, in the key's order ('backward' is a gradient graph's own)."""

KIND_NAMES = {
    'input': 'input or parameter',
    'constant': 'constant',
    'intermediate': 'computed value',
    'output': 'output',
    'backward': ('backward pass: a gradient as a Value (dloss/ds2: d loss / d s2; '
                 '∂out/∂s2: a local derivative)'),
}
"""The words for the kinds, the same in the diagrams' key, the walkthrough page and the docs."""

FONT = 'Helvetica,Arial,sans-serif'
INK = '#212529'          # text and edges
MUTED = '#5c636a'        # the small "data" / "grad" captions
EDGE_LABEL = '#a61e4d'   # local derivatives on edges
TANGENT = '#1864ab'      # forward mode's tangents, in the walkthrough's forward blue
OP_FILL = '#ffffff'
NODE_POINTS = 12         # a node's text
EDGE_POINTS = 11         # the numbers on arrows: 92% of a node's text, read as easily
HIGHLIGHT = '#f03e3e'

# Gradient colours: orange for a positive gradient, purple for a negative one (a
# diverging pair readers with red-green colour blindness tell apart). Not red: red
# (HIGHLIGHT) is the walkthrough's "this step"; not blue: blue is forward mode's tangent.
_POSITIVE = (230, 97, 1)
_NEGATIVE = (94, 60, 153)
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
    ('#f1a873', '#a694c7', '#ffffff')
    """
    if grad is None or not math.isfinite(grad) or largest <= 0.0 or grad == 0.0:
        return '#ffffff'
    strength = _STRONGEST * math.sqrt(min(abs(grad) / largest, 1.0))
    hue = _POSITIVE if grad > 0 else _NEGATIVE
    mixed = (round(255 + (channel - 255) * strength) for channel in hue)
    return '#' + ''.join(f'{channel:02x}' for channel in mixed)
