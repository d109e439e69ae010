"""From a Value graph to a ``graphviz.Digraph``: the DOT structure of a diagram.

Layout of the drawing: each Value is a box (``v<i>``); each operation is a small
circle (``o<i>``) between the Values it read and the Value it made. The edge from a
parent to the operation carries the local derivative d child / d parent that the
engine recorded, so that on the picture a node's grad is the sum, over its outgoing
edges, of the downstream grad times the number on the edge.

Node ids come from the position in ``topological_order``, never from ``id()``:
the same graph always gives the same DOT text.

>>> from microgradnode import Value
>>> x = Value(3.0, 'x'); y = x * x
>>> source = build_digraph(y, DrawOptions()).digraph.source
>>> [line.strip() for line in source.splitlines() if '->' in line]  # doctest: +NORMALIZE_WHITESPACE
['v0 -> o1 [label=<<FONT COLOR="#a61e4d">3</FONT>>]',
 'v0 -> o1 [label=<<FONT COLOR="#a61e4d">3</FONT>>]',
 'o1 -> v1']
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Iterable, Mapping
from typing import NamedTuple

import graphviz

from ..engine import Value, topological_order
from ..ops import OPS
from .escape import html_text
from .labels import edge_label, legend_label, operation_label, swatch, title_label, value_label
from .options import DrawOptions, GraphTooLargeError
from .style import (
    EDGE_POINTS,
    FONT,
    HIGHLIGHT,
    INK,
    KIND_NAMES,
    MUTED,
    NODE_POINTS,
    OP_FILL,
    STYLES,
    grad_fill,
    node_kind,
)

__all__ = ['build_digraph', 'operation_symbol', 'layout_bends', 'Drawing', 'LONG_EDGES', 'MANY_BENDS',
           'BENDS_PER_NODE']

_EDGE_INK = '#495057'


LARGE_GRAPH = 200
"""From this many Values on (or :data:`LONG_EDGES` bends), the layout trades some tidiness for speed.

Edge labels laid out as part of the graph (``label``) give the cleanest pictures
but multiply Graphviz's work; large graphs get external labels (``xlabel``,
placed after layout) and fewer crossing-minimisation passes (``mclimit``), which
makes a 1,000-Value graph render about five times faster (docs/diagrams.md).
"""


LONG_EDGES = 150
"""From this many bends on, arrows are straight and edge labels placed after layout.

Graphviz's ``dot`` puts every node on a layer and bends an arrow at every layer it
crosses; each bend is one more point to place. A value reused along a long chain
(``x+x+x+...``) makes few nodes but many bends, and then edge labels laid out as part
of the graph (they double the layers, so the bends) and curved arrows routed around
every node cost most of the time: external labels (``xlabel``) and straight arrows
(``splines=line``) keep a 30-term sum at 0.16 s (docs/diagrams.md).
"""

MANY_BENDS = 1000
"""From this many bends on, the layout also skips straightening the arrows.

Placing thousands of bends (``dot``'s network simplex) took a minute or more for
``(x+...+x)*(x+...+x)`` with 56 terms each (112 values, about 6,000 bends; 12,000 with
edge labels). Without that step (``nslimit=0``) it takes 0.5 s; the long arrows then
fan out from the reused value instead of running side by side.
"""

BENDS_PER_NODE = 20
"""A graph with more bends than this times ``max_nodes`` is refused (GraphTooLargeError).

Measured (docs/diagrams.md): with the fast layout, 40,000 bends (the default bound,
``max_nodes=2000``) render to SVG in about 2 s, 80,000 in about 4 s.
"""


class Drawing(NamedTuple):
    """What :func:`build_digraph` made, with the counts a caller reports."""

    digraph: graphviz.Digraph
    value_count: int
    operation_count: int


def layout_bends(order: list[Value]) -> tuple[int, Value | None]:
    """About how many bends ``dot`` puts in the arrows of the diagram of ``order``, and why.

    Counts, on the layers a diagram's boxes and circles go to, how many layers each
    arrow from a value to an operation crosses. Two placements are tried: every node
    as early as its inputs allow, and every node as late as its uses allow; ``dot``
    finds a placement at least as good as the better one, so this is an upper bound.
    Also returns the value whose arrows bend most (the one to blame in a message).

    >>> from microgradnode import Value
    >>> x = Value(1.0, 'x'); y = x
    >>> for _ in range(9): y = y + x
    >>> bends, blamed = layout_bends(topological_order(y))
    >>> bends, blamed is x
    (72, True)
    """
    early: dict[Value, int] = {}    # layer of each value's box; its operation is one layer before
    for node in order:
        if not node.is_leaf:
            early[node] = max((early[p] for p in node.parents if not p.is_leaf), default=0) + 2
    late: dict[Value, int] = {order[-1]: 0} if order else {}
    for node in reversed(order):
        if node.is_leaf:
            continue
        for parent in node.parents:
            late[parent] = min(late.get(parent, 0), late[node] - 2)
    # Leaves sit right before their first use in both placements.
    first_use: dict[Value, int] = {}
    for node in order:
        for parent in node.parents:
            if parent.is_leaf:
                first_use[parent] = min(first_use.get(parent, early[node] - 1), early[node] - 1)
    early_bends: dict[Value, int] = {}
    late_bends: dict[Value, int] = {}
    for node in order:
        for parent in node.parents:
            start = early[parent] if parent in early else first_use[parent] - 1
            early_bends[parent] = early_bends.get(parent, 0) + early[node] - 1 - start - 1
            late_bends[parent] = late_bends.get(parent, 0) + late[node] - 1 - late[parent] - 1
    bends = min(sum(early_bends.values()), sum(late_bends.values()))
    counts = early_bends if sum(early_bends.values()) == bends else late_bends
    blamed = max(counts, key=counts.__getitem__, default=None)
    return bends, blamed


def operation_symbol(node: Value) -> str:
    """How the operation that made ``node`` is written: its symbol, with its constant.

    >>> from microgradnode import Value
    >>> operation_symbol(Value(3.0) ** 2)
    '^2'
    >>> operation_symbol(Value(3.0) ** -0.5)
    '^−0.5'
    """
    symbol = OPS[node.op].symbol
    if node.constant is not None:
        # The constant was written by the user: shortest form, whatever number_format says.
        constant = format(node.constant, 'g').replace('-', '−')
        # After a word (a defined operation's name, say LReLU), in parentheses: LReLU(0.1).
        symbol += f'({constant})' if symbol[-1:].isalnum() else constant
    return symbol


def _graph_too_large(count: int, limit: int, *, made_by_modules: bool = False) -> GraphTooLargeError:
    fold = ("; it was made by microgradnode.nn modules: fold it, draw(..., fold='neuron'), "
            "fold='layer', or fold='sample' for a batch loss" if made_by_modules else '')
    return GraphTooLargeError(
        f'the graph has {count} values, more than max_nodes={limit}: laying it out would take '
        f'long and the picture would be unreadable{fold}; to draw it anyway, raise the limit: '
        f'draw(..., max_nodes={count}), or --max-nodes {count} on the command line')


def _too_many_bends(bends: int, blamed: str, limit: int) -> GraphTooLargeError:
    culprit = f'{blamed!r} is' if blamed else 'some values are'
    needed = -(-bends // BENDS_PER_NODE)
    return GraphTooLargeError(
        f'the graph is too tangled to lay out in reasonable time: {culprit} used by operations far '
        f'apart, which makes about {bends} bends in its arrows, more than {BENDS_PER_NODE} per value '
        f'of max_nodes={limit}; write repeated terms once (3*x rather than x+x+x), or draw it anyway '
        f'(slowly) with draw(..., max_nodes={needed}), or --max-nodes {needed} on the command line')


def _check_marks(order: list[Value], highlight: Iterable[Value],
                 highlight_edges: Iterable[tuple[Value, Value]],
                 grads: Mapping[Value, float | None] | None
                 ) -> tuple[set[Value], set[tuple[Value, Value]], Mapping[Value, float | None]]:
    """Validate the emphasis options against the graph; say which entry is wrong."""
    members = set(order)
    marked = set()
    for value in highlight:
        if not isinstance(value, Value) or value not in members:
            raise ValueError(f'highlight: {value!r} is not a Value of the graph being drawn')
        marked.add(value)
    marked_edges = set()
    for pair in highlight_edges:
        try:
            parent, child = pair
        except (TypeError, ValueError):
            raise ValueError(f'highlight_edges: expected (parent, child) pairs of Values, '
                             f'got {pair!r}') from None
        if not isinstance(child, Value) or child not in members or not any(
                parent is p for p in child.parents):
            raise ValueError(f'highlight_edges: ({parent!r}, {child!r}) is not an edge of the graph '
                             f'being drawn (the first Value must be a parent of the second)')
        marked_edges.add((parent, child))
    if grads is None:
        grads = {}
    elif not isinstance(grads, Mapping):
        raise TypeError(f'grads must be a mapping from Value to a number or None, '
                        f'not {type(grads).__name__}')
    for value, grad in grads.items():
        if not isinstance(value, Value) or value not in members:
            raise ValueError(f'grads: {value!r} is not a Value of the graph being drawn')
        if grad is not None and (isinstance(grad, bool) or not isinstance(grad, numbers.Real)):
            raise TypeError(f'grads: the grad shown for {value!r} must be a number or None, not {grad!r}')
    return marked, marked_edges, grads


def _tangent_text(tangents: Mapping[Value, float | None], node: Value, options: DrawOptions) -> str:
    """A value missing from ``tangents`` does not move (0); None is not computed yet (?)."""
    tangent = tangents.get(node, 0.0)
    return '?' if tangent is None else options.number(tangent)


def _check_names(order: list[Value], names: Mapping[Value, str] | None) -> Mapping[Value, str]:
    """Validate the ``names`` option: display names for Values of this graph."""
    if names is None:
        return {}
    if not isinstance(names, Mapping):
        raise TypeError(f'names must be a mapping from Value to str, not {type(names).__name__}')
    members = set(order)
    for value, name in names.items():
        if not isinstance(value, Value) or value not in members:
            raise ValueError(f'names: {value!r} is not a Value of the graph being drawn')
        if not isinstance(name, str):
            raise TypeError(f'names: the name shown for {value!r} must be a str, not {type(name).__name__}')
    return names


def _computed_names(root: Value, order: list[Value]) -> dict[Value, str]:
    """Unlabelled computed values called as the walkthrough and ``explain`` call them: ``(out − target)``."""
    from ..formulas.printing import NodeNames, minus_signs
    unnamed = [node for node in order if not node.is_leaf and not node.label]
    if not unnamed:
        return {}
    known = NodeNames(root)
    return {node: minus_signs(known[node]) for node in unnamed}


def _check_tangents(order: list[Value], tangents: Mapping[Value, float | None] | None
                    ) -> Mapping[Value, float | None] | None:
    """Validate the tangents to show: numbers (or None, not known yet) for Values of this graph."""
    if tangents is None:
        return None
    if not isinstance(tangents, Mapping):
        raise TypeError(f'tangent_values must be a mapping from Value to a number or None, '
                        f'not {type(tangents).__name__}')
    members = set(order)
    for value, tangent in tangents.items():
        if not isinstance(value, Value) or value not in members:
            raise ValueError(f'tangent_values: {value!r} is not a Value of the graph being drawn')
        if tangent is not None and (isinstance(tangent, bool) or not isinstance(tangent, numbers.Real)):
            raise TypeError(f'tangent_values: the tangent shown for {value!r} must be a number or None, '
                            f'not {tangent!r}')
    return tangents


def build_digraph(root: Value, options: DrawOptions, *, highlight: Iterable[Value] = (),
                  highlight_edges: Iterable[tuple[Value, Value]] = (),
                  grads: Mapping[Value, float | None] | None = None,
                  names: Mapping[Value, str] | None = None,
                  tangents: Mapping[Value, float | None] | None = None,
                  highlight_backward: bool = False, only: Collection[Value] | None = None) -> Drawing:
    """The diagram of ``root`` and everything it was computed from, as a Digraph.

    ``only``: draw these Values alone, with the operations and arrows between them (the
    close-up of one step of a walkthrough); drawn as they are in the whole diagram.
    """
    if not isinstance(root, Value):
        raise TypeError(f'draw needs a Value, not {type(root).__name__}')
    order = topological_order(root)
    if len(order) > options.max_nodes:
        raise _graph_too_large(len(order), options.max_nodes,
                               made_by_modules=any(getattr(n, '_module', None) for n in order))
    marked, marked_edges, grads = _check_marks(order, highlight, highlight_edges, grads)
    names = {**_computed_names(root, order), **_check_names(order, names)}
    tangents = _check_tangents(order, tangents)
    bends, blamed = layout_bends(order)
    if bends > BENDS_PER_NODE * options.max_nodes:
        raise _too_many_bends(bends, names.get(blamed, blamed.label) if blamed else '', options.max_nodes)
    ids = {node: index for index, node in enumerate(order)}

    def shown_grad(node: Value) -> float | None:
        return grads[node] if node in grads else node.grad

    # The output's own grad is the seed (1.0), usually far larger than the rest: scale
    # the colours to the other values, so that their differences show.
    scaled = [g for node in order if node is not root or len(order) == 1
              for g in (shown_grad(node),) if g is not None and math.isfinite(g)]
    largest = max(map(abs, scaled), default=0.0)
    operations = sum(1 for node in order if not node.is_leaf)
    large = len(order) >= LARGE_GRAPH or bends >= LONG_EDGES
    label_attribute = 'xlabel' if large else 'label'
    graph_attr = {'rankdir': options.rankdir, 'bgcolor': 'white', 'fontname': FONT,
                  'nodesep': '0.3', 'ranksep': '0.45'}
    if large:
        graph_attr['mclimit'] = '0.1'
    if bends >= LONG_EDGES:
        graph_attr['splines'] = 'line'
    if bends >= MANY_BENDS:
        graph_attr['nslimit'] = '0'
    if options.title:
        graph_attr.update(label=title_label(options.title), labelloc='t', labeljust='l')
    dot = graphviz.Digraph(
        'computation_graph',
        comment=f'microgradnode computation graph: {len(order)} values, {operations} operations',
        graph_attr=graph_attr,
        node_attr={'fontname': FONT, 'fontsize': str(NODE_POINTS), 'fontcolor': INK},
        edge_attr={'fontname': FONT, 'fontsize': str(EDGE_POINTS), 'color': _EDGE_INK, 'arrowsize': '0.7'})

    bands = _bands(order)
    grad_word = 'grad'
    if bands:  # a gradient graph: its grads are derivatives of a derivative; say of what
        grad_word = f'∂({names.get(root, root.label) or "output"})/∂·'
        band_graphs = {band: graphviz.Digraph(f'cluster_{band}', graph_attr={
            'label': f'<{html_text(BAND_TITLES[band])}>', 'fontname': FONT, 'fontsize': str(NODE_POINTS),
            'fontcolor': MUTED, 'color': '#ced4da', 'style': 'rounded,dashed', 'labeljust': 'l'})
            for band in ('forward', 'backward')}
    for index, node in enumerate(order):
        if only is not None and node not in only:
            continue
        kind = node_kind(is_leaf=node.is_leaf, labelled=bool(node.label), is_output=node is root)
        if bands and bands[node] == 'backward' and kind != 'output' and not node.is_leaf:
            kind = 'backward'
        style = STYLES[kind]
        home = band_graphs[bands[node]] if bands else dot
        grad = shown_grad(node)
        fill = grad_fill(grad, largest) if options.color_by_grad else style.fill
        grad_text = None
        if options.show_grad and (options.constant_grads or node.label or not node.is_leaf):
            grad_text = '?' if grad is None else options.number(grad)
        emphasised = node in marked
        home.node(f'v{index}', value_label(
            name=names.get(node, node.label), data=options.number(node.data), grad=grad_text, fill=fill,
            border=HIGHLIGHT if emphasised else style.border,
            border_width=3 if emphasised else style.border_width, outline=style.outline, grad_word=grad_word,
            tangent=None if tangents is None else _tangent_text(tangents, node, options)), shape='plain')
        if node.is_leaf or (only is not None and not any(parent in only for parent in node.parents)):
            continue
        operation = f'o{index}'
        home.node(operation, operation_label(operation_symbol(node)), shape='circle',
                 style='filled', fillcolor=OP_FILL, color=_EDGE_INK, width='0.42', margin='0.02')
        child_marked = False
        for parent, local in zip(node.parents, node.local_grads):
            if only is not None and parent not in only:
                continue
            attributes = {}
            if options.show_local:
                attributes[label_attribute] = edge_label(options.number(local))
            if (parent, node) in marked_edges:
                attributes.update(color=HIGHLIGHT, penwidth='2.5')
                child_marked = True
                if highlight_backward:  # the gradient flows child -> parent: the head at the parent
                    attributes['dir'] = 'back'
            ends = (f'v{ids[parent]}', operation)
            if bands and bands[node] == 'backward' and _backward_edge(attributes, bands[parent] == 'forward'):
                ends = ends[::-1]
            dot.edge(*ends, **attributes)
        marked_child_edge = {'color': HIGHLIGHT, 'penwidth': '2.5'} if child_marked else {}
        if child_marked and highlight_backward:
            marked_child_edge['dir'] = 'back'
        ends = (operation, f'v{index}')
        if bands and bands[node] == 'backward' and _backward_edge(marked_child_edge, False):
            ends = ends[::-1]
        dot.edge(*ends, **marked_child_edge)

    if bands:
        for band in band_graphs.values():
            dot.subgraph(band)
    if options.legend:
        extra: tuple[tuple[str, str], ...] = ()
        if bands:
            style = STYLES['backward']
            extra = ((swatch(style.fill, style.border, outline=style.outline,
                             border_width=style.border_width),
                      html_text(KIND_NAMES['backward'])),
                     (f'<FONT COLOR="{MUTED}">{html_text(grad_word)}</FONT>',
                      html_text(f'how {grad_word[2:-3]} changes with this value (its grad, after '
                                f'{grad_word[2:-3]}.backward())')))
        dot.node('legend', legend_label(color_by_grad=options.color_by_grad, extra=extra), shape='plain')
    return Drawing(dot, len(order), operations)


BAND_TITLES = {'forward': 'forward pass: the values the gradient is computed from',
               'backward': 'backward pass, recorded: each gradient a Value (grad(..., create_graph=True))'}


def _backward_edge(attributes: dict[str, str], from_forward: bool) -> bool:
    """Lay the backward band out the other way, from the output back to the inputs.

    The backward pass reads the forward values in reverse order: drawn in the same
    direction, dloss/dw0 came last, far below the w0 it is beside in the forward band,
    and the arrows from the forward values crossed the whole picture. So inside the band
    the layout follows each arrow backwards (its head still points where the value goes),
    and the arrows from the forward band do not place anything. True: write the arrow
    head first.
    """
    if from_forward:
        attributes['constraint'] = 'false'
        return False
    attributes['dir'] = 'back' if attributes.get('dir') != 'back' else 'forward'
    return True


def _bands(order: list[Value]) -> dict[Value, str]:
    """In a gradient graph, which band each value goes to: 'forward' or 'backward'; {} otherwise.

    The backward pass's values are GradientValues; a constant goes with what uses it
    (the 2 of 2·a, made by the backward pass, is drawn beside it).
    """
    from ..calculus.reverse import GradientValue
    if not any(isinstance(node, GradientValue) for node in order):
        return {}
    users: dict[Value, list[Value]] = {}
    for node in order:
        for parent in node.parents:
            users.setdefault(parent, []).append(node)
    bands = {}
    for node in order:
        backward = isinstance(node, GradientValue) or (
            node.is_leaf and not node.label and bool(users.get(node))
            and all(isinstance(user, GradientValue) for user in users[node]))
        bands[node] = 'backward' if backward else 'forward'
    return bands
