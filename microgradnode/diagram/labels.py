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
from .style import EDGE_LABEL, KIND_NAMES, KINDS, MUTED, STYLES, TANGENT, grad_fill

__all__ = ['value_label', 'operation_label', 'edge_label', 'legend_label', 'title_label', 'LONGEST_TEXT',
           'clipped', 'swatch']

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
                border_width: int, tangent: str | None = None, outline: str = 'rounded',
                grad_word: str = 'grad') -> str:
    """A Value's box: its name (when it has one), its data and, optionally, its grad and tangent.

    ``outline`` is the box's shape (:data:`~.style.STYLES`); ``grad_word`` what the grad is
    called (a gradient graph's values show a second derivative, not "grad").
    """
    cells = []
    if name:
        cells.append(f'<TD><B>{html_text(clipped(name))}</B></TD>')
    cells.append(f'<TD>{_caption("data")} {html_text(data)}</TD>')
    if grad is not None:
        cells.append(f'<TD>{_caption(html_text(grad_word))} {html_text(grad)}</TD>')
    if tangent is not None:
        cells.append(f'<TD>{_caption("tangent")} <FONT COLOR="{TANGENT}">{html_text(tangent)}</FONT></TD>')
    shape = f'STYLE="{outline}" ' if outline else ''
    table = (f'<TABLE BORDER="{border_width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="5" '
             f'{shape}BGCOLOR="{fill}" COLOR="{border}">')
    return f'<{table}<TR>{"".join(cells)}</TR></TABLE>>'


def operation_label(symbol: str) -> str:
    """An operation's circle: its symbol, as ``ops.OPS`` writes it (``×``, ``σ``, ``^2``)."""
    return f'<<B>{html_text(symbol)}</B>>'


def edge_label(local: str, *, color: str = EDGE_LABEL) -> str:
    """The local derivative d child / d parent that an edge carries."""
    return f'<<FONT COLOR="{color}">{html_text(local)}</FONT>>'


def swatch(fill: str, border: str, *, outline: str = '', border_width: int = 1) -> str:
    """A small box drawn like a node of the diagram, for the key."""
    shape = f' STYLE="{outline}"' if outline else ''
    return (f'<TABLE BORDER="{border_width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"{shape} '
            f'BGCOLOR="{fill}" COLOR="{border}"><TR><TD WIDTH="28" HEIGHT="14"> </TD></TR></TABLE>')


def legend_label(*, color_by_grad: bool, kinds: bool = True,
                 extra: tuple[tuple[str, str], ...] = ()) -> str:
    """A key to the colours and shapes, drawn as one extra node.

    ``extra``: more rows, each a swatch (markup, as :func:`swatch` makes) and its words.
    """
    rows = ['<TR><TD COLSPAN="2"><B>key</B></TD></TR>']
    entries: list[tuple[str, str]] = []
    if color_by_grad:
        entries.append((swatch(grad_fill(1.0, 1.0), '#adb5bd'), 'grad &gt; 0 (stronger: larger)'))
        entries.append((swatch(grad_fill(-1.0, 1.0), '#adb5bd'), 'grad &lt; 0'))
    if kinds:
        for kind in KINDS:
            style = STYLES[kind]
            # When colour shows the gradient, the outline tells the kind apart.
            fill = '#ffffff' if color_by_grad else style.fill
            entries.append((swatch(fill, style.border, outline=style.outline,
                                   border_width=style.border_width),
                            html_text(KIND_NAMES[kind])))
    entries += extra
    if kinds:
        entries.append(('○', 'operation'))
        entries.append((f'<FONT COLOR="{EDGE_LABEL}">1.5</FONT>',
                        'on an arrow: local derivative d child / d parent'))
    rows += [f'<TR><TD>{mark}</TD><TD ALIGN="LEFT">{words}</TD></TR>' for mark, words in entries]
    table = '<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="3" COLOR="#adb5bd">'
    return f'<{table}{"".join(rows)}</TABLE>>'


def title_label(title: str) -> str:
    """A caption above the graph (a walkthrough frame's "step 3: ...")."""
    return f'<<FONT POINT-SIZE="14">{html_text(clipped(title))}</FONT>>'
