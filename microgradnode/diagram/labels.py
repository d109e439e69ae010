"""The HTML-like labels of a diagram: value boxes, operation circles, edge numbers, legend.

Every function here returns a complete label, ``<...>`` included, ready for
``graphviz.Digraph.node(label=...)``; all text inside went through
:func:`~microgradnode.diagram.escape.html_text`.

>>> value_label(name='w<0>', data='2', grad='−0.5', fill='#ffffff', border='#000000',
...             border_width=1)  # doctest: +ELLIPSIS
'<<TABLE ...><TR><TD><B>w&lt;0&gt;</B></TD><TD>...data</FONT> 2</TD>...grad</FONT> −0.5</TD></TR></TABLE>>'
"""

from __future__ import annotations

from .escape import html_text
from .style import EDGE_LABEL, KIND_NAMES, MUTED, STYLES, TANGENT, grad_fill

__all__ = ['value_label', 'operation_label', 'edge_label', 'legend_label', 'title_label', 'LONGEST_TEXT',
           'clipped']

LONGEST_TEXT = 200
"""Longest name or title a diagram shows, in characters; longer ones end in "…".

Graphviz cannot read an HTML-like label longer than 16,384 characters at all (a
100,000-character Value label made rendering fail), and a box that wide is no use."""


def clipped(text: str) -> str:
    """``text``, cut to :data:`LONGEST_TEXT` characters with an ellipsis when longer.

    >>> clipped('x' * 500)[-3:], len(clipped('x' * 500))
    ('xx…', 200)
    """
    return text if len(text) <= LONGEST_TEXT else text[:LONGEST_TEXT - 1] + '…'


def _caption(word: str) -> str:
    return f'<FONT POINT-SIZE="10" COLOR="{MUTED}">{word}</FONT>'


def value_label(*, name: str, data: str, grad: str | None, fill: str, border: str,
                border_width: int, tangent: str | None = None) -> str:
    """A Value's box: its name (when it has one), its data and, optionally, its grad and tangent."""
    cells = []
    if name:
        cells.append(f'<TD><B>{html_text(clipped(name))}</B></TD>')
    cells.append(f'<TD>{_caption("data")} {html_text(data)}</TD>')
    if grad is not None:
        cells.append(f'<TD>{_caption("grad")} {html_text(grad)}</TD>')
    if tangent is not None:
        cells.append(f'<TD>{_caption("tangent")} <FONT COLOR="{TANGENT}">{html_text(tangent)}</FONT></TD>')
    table = (f'<TABLE BORDER="{border_width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="5" '
             f'STYLE="rounded" BGCOLOR="{fill}" COLOR="{border}">')
    return f'<{table}<TR>{"".join(cells)}</TR></TABLE>>'


def operation_label(symbol: str) -> str:
    """An operation's circle: its symbol, as ``ops.OPS`` writes it (``×``, ``σ``, ``^2``)."""
    return f'<<B>{html_text(symbol)}</B>>'


def edge_label(local: str, *, color: str = EDGE_LABEL) -> str:
    """The local derivative d child / d parent that an edge carries."""
    return f'<<FONT COLOR="{color}">{html_text(local)}</FONT>>'


def legend_label(*, color_by_grad: bool) -> str:
    """A key to the colours and shapes, drawn as one extra node."""
    rows = ['<TR><TD COLSPAN="2"><B>key</B></TD></TR>']
    if color_by_grad:
        rows.append(f'<TR><TD BGCOLOR="{grad_fill(1.0, 1.0)}" WIDTH="24"> </TD>'
                    '<TD ALIGN="LEFT">grad &gt; 0 (stronger: larger)</TD></TR>')
        rows.append(f'<TR><TD BGCOLOR="{grad_fill(-1.0, 1.0)}" WIDTH="24"> </TD>'
                    '<TD ALIGN="LEFT">grad &lt; 0</TD></TR>')
    for kind, style in STYLES.items():
        # When colour shows the gradient, only the border tells the kind apart.
        fill = '#ffffff' if color_by_grad else style.fill
        rows.append(f'<TR><TD BGCOLOR="{fill}" COLOR="{style.border}" BORDER="1" WIDTH="24"> </TD>'
                    f'<TD ALIGN="LEFT">{html_text(KIND_NAMES[kind])}</TD></TR>')
    rows.append('<TR><TD>○</TD><TD ALIGN="LEFT">operation</TD></TR>')
    rows.append(f'<TR><TD><FONT COLOR="{EDGE_LABEL}">1.5</FONT></TD>'
                '<TD ALIGN="LEFT">on an arrow: local derivative d child / d parent</TD></TR>')
    table = '<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="3" COLOR="#adb5bd">'
    return f'<{table}{"".join(rows)}</TABLE>>'


def title_label(title: str) -> str:
    """A caption above the graph (a walkthrough frame's "step 3: ...")."""
    return f'<<FONT POINT-SIZE="14">{html_text(clipped(title))}</FONT>>'
