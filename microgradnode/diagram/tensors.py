"""Diagrams of tensor programs: each tensor a box with its shape, each edge its backward rule.

:func:`draw_tensor` draws the tensor-level graph: a box per tensor (name, shape, a few
numbers of its data and gradient), a circle per operation, and on each arrow the
vector-Jacobian rule that carries the gradient back along it (``dL/dB = Aᵀ · dL/dY``,
``summed over the broadcast axes``). :func:`draw_expanded` draws the scalar graph
:func:`microgradnode.tensor.expand` builds, every Value grouped in a cluster named
after the tensor operation that made it.

>>> from microgradnode.tensor import Tensor
>>> X = Tensor([[1.0, 2.0]], 'X'); W = Tensor([[3.0], [4.0]], 'W')
>>> loss = (X @ W).tanh().sum(); loss.backward()
>>> diagram = draw_tensor(loss)
>>> diagram.value_count, diagram.operation_count
(5, 3)
>>> 'dL/dW = Xᵀ · dL/d(X@W)' in diagram.source
True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._support.extras import check_installed
from .._support.flags import check_flag
from ..engine import Value
from ..tensor.core import Tensor, _backward_order
from ..tensor.rules import edge_rule, name, symbol
from .escape import html_text
from .figure import Diagram
from .labels import clipped, edge_label, operation_label, title_label
from .style import EDGE_LABEL, FONT, INK, MUTED, OP_FILL, STYLES, node_kind

__all__ = ['draw_tensor', 'draw_expanded', 'MAX_TENSORS']

MAX_TENSORS = 200
"""Largest tensor graph drawn: past this the picture is no longer readable."""

_EDGE_INK = '#495057'


def _numbers(array: np.ndarray | None, number_format: str) -> str:
    if array is None:
        return '?'
    if array.size <= 4:
        flat = [format(float(x), number_format) for x in np.ravel(array)]
        return flat[0] if array.ndim == 0 else '[' + ', '.join(flat) + ']'
    return f'|·| {float(np.linalg.norm(array)):{number_format}}'


def _box(tensor: Tensor, kind: str, *, show_grad: bool, number_format: str) -> str:
    style = STYLES[kind]
    shape = '×'.join(map(str, tensor.shape)) or 'scalar'
    caption = f'<FONT POINT-SIZE="10" COLOR="{MUTED}">'
    cells = []
    if tensor.label:
        cells.append(f'<TD><B>{html_text(clipped(tensor.label))}</B></TD>')
    elif tensor.op:  # unnamed: the expression its rules call it by, (X@W), tanh(Y)
        cells.append(f'<TD><I>{html_text(clipped(name(tensor)))}</I></TD>')
    cells.append(f'<TD>{caption}shape</FONT> {html_text(shape)}</TD>')
    cells.append(f'<TD>{caption}data</FONT> {html_text(_numbers(tensor.data, number_format))}</TD>')
    if show_grad and not tensor.is_constant:
        cells.append(f'<TD>{caption}grad</FONT> {html_text(_numbers(tensor.grad, number_format))}</TD>')
    table = (f'<TABLE BORDER="{style.border_width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="5" '
             f'STYLE="rounded" BGCOLOR="{style.fill}" COLOR="{style.border}">')
    return f'<{table}<TR>{"".join(cells)}</TR></TABLE>>'


def _digraph(title: str, rankdir: str, comment: str):
    import graphviz

    graph_attr = {'rankdir': rankdir, 'bgcolor': 'white', 'fontname': FONT, 'nodesep': '0.3',
                  'ranksep': '0.5'}
    if title:
        graph_attr.update(label=title_label(title), labelloc='t', labeljust='l')
    return graphviz.Digraph('tensor_graph', comment=comment, graph_attr=graph_attr,
                            node_attr={'fontname': FONT, 'fontsize': '12', 'fontcolor': INK},
                            edge_attr={'fontname': FONT, 'fontsize': '10', 'color': _EDGE_INK,
                                       'arrowsize': '0.7'})


def draw_tensor(root: Tensor, *, rankdir: str = 'LR', show_grad: bool = True, show_rules: bool = True,
                number_format: str = '.4g', title: str = '', max_nodes: int = MAX_TENSORS) -> Diagram:
    """Draw ``root`` and every tensor it was computed from, with shapes and backward rules."""
    check_installed('graphviz', 'diagrams')
    if not isinstance(root, Tensor):
        raise TypeError(f'draw_tensor needs a Tensor, not {type(root).__name__}')
    check_flag(show_grad, 'show_grad')
    check_flag(show_rules, 'show_rules')
    if rankdir not in ('LR', 'TB', 'RL', 'BT'):
        raise ValueError(f"draw_tensor: rankdir must be 'LR', 'TB', 'RL' or 'BT', not {rankdir!r}")
    format(1.0, number_format)  # a bad spec fails here, not halfway through
    order = _backward_order(root)
    order.reverse()
    if len(order) > max_nodes:
        raise ValueError(f'draw_tensor: the graph has {len(order)} tensors, more than max_nodes={max_nodes}')
    operations = sum(1 for node in order if node.op)
    comment = f'microgradnode tensor graph: {len(order)} tensors, {operations} operations'
    dot = _digraph(title, rankdir, comment)
    ids = {node: index for index, node in enumerate(order)}
    for index, node in enumerate(order):
        kind = node_kind(is_leaf=node.is_leaf, labelled=not node.is_constant, is_output=node is root)
        dot.node(f't{index}', _box(node, kind, show_grad=show_grad, number_format=number_format),
                 shape='plain')
        if not node.op:
            continue
        operation = f'o{index}'
        dot.node(operation, operation_label(symbol(node)), shape='circle', style='filled',
                 fillcolor=OP_FILL, color=_EDGE_INK, width='0.42', margin='0.02')
        for position, parent in enumerate(node.parents):
            attributes = {}
            if show_rules and not parent.is_constant:
                attributes['label'] = edge_label(edge_rule(node, position))
            dot.edge(f't{ids[parent]}', operation, **attributes)
        dot.edge(operation, f't{index}')
    return Diagram(dot, value_count=len(order), operation_count=operations)


def draw_expanded(output: Value, made_by: Mapping[Value, Tensor], *,
                  names: Mapping[Tensor, str] | None = None,
                  highlight: Value | None = None, number_format: str = '.4g', rankdir: str = 'LR',
                  title: str = '', max_nodes: int = 400) -> Diagram:
    """The scalar graph of an expansion, each Value in the cluster of the tensor operation that made it.

    ``output`` is a Value of :func:`~microgradnode.tensor.expand`'s result (or their
    total); ``made_by`` is the expansion's map. With ``highlight`` (a leaf's Value), the
    paths from it to ``output`` are drawn in red: the scalar paths whose products add
    up to one element of the tensor gradient.
    """
    check_installed('graphviz', 'diagrams')
    from ..engine import topological_order

    order = topological_order(output)
    if len(order) > max_nodes:
        raise ValueError(f'draw_expanded: {len(order)} Values, more than max_nodes={max_nodes}; '
                         f'expand a smaller example')
    on_path: set[Value] = set()
    if highlight is not None:
        reaches = {highlight}
        for node in order:
            if any(p in reaches for p in node.parents):
                reaches.add(node)
        feeds = {output}
        for node in reversed(order):
            if node in feeds:
                feeds.update(node.parents)
        on_path = reaches & feeds
    dot = _digraph(title, rankdir, f'microgradnode expanded tensor graph: {len(order)} values')
    ids = {node: index for index, node in enumerate(order)}
    clusters: dict[Tensor, list[Value]] = {}
    for node in order:
        if node in made_by:
            clusters.setdefault(made_by[node], []).append(node)
    red = '#e03131'

    def emit(graph, node: Value) -> None:
        index = ids[node]
        kind = node_kind(is_leaf=node.is_leaf, labelled=bool(node.label), is_output=node is output)
        style = STYLES[kind]
        border = red if node in on_path else style.border
        text = (f'{node.label} ' if node.label else '') + format(node.data, number_format)
        if node.is_leaf or node is output:
            text += f'\ngrad {node.grad:{number_format}}'
        graph.node(f'v{index}', html_text(text).join(('<', '>')).replace('\n', '<BR/>'), shape='box',
                   style='rounded,filled', fillcolor=style.fill, color=border,
                   penwidth='2.5' if node in on_path else '1', fontsize='10')
        if node.is_leaf:
            return
        graph.node(f'o{index}', operation_label(_value_symbol(node)), shape='circle', style='filled',
                   fillcolor=OP_FILL, color=red if node in on_path else _EDGE_INK, width='0.3',
                   margin='0.01', fontsize='10')

    for number, (tensor, members) in enumerate(clusters.items()):
        with dot.subgraph(name=f'cluster_{number}') as cluster:
            shape = '×'.join(map(str, tensor.shape))
            label = (names or {}).get(tensor) or f'{tensor.op} → {tensor.label or shape}'
            cluster.attr(label=label, style='rounded,dashed', color='#adb5bd', fontcolor=MUTED, fontsize='11')
            for node in members:
                emit(cluster, node)
    for node in order:
        if node not in made_by:
            emit(dot, node)
    for node in order:
        if node.is_leaf:
            continue
        index = ids[node]
        for parent, local in zip(node.parents, node.local_grads):
            hot = parent in on_path and node in on_path
            dot.edge(f'v{ids[parent]}', f'o{index}', color=red if hot else _EDGE_INK,
                     penwidth='2' if hot else '1',
                     xlabel=edge_label(format(local, number_format), color=EDGE_LABEL) if hot else '')
        dot.edge(f'o{index}', f'v{index}', color=red if node in on_path else _EDGE_INK)
    return Diagram(dot, value_count=len(order), operation_count=sum(1 for n in order if not n.is_leaf))


def _value_symbol(node: Value) -> str:
    from .build import operation_symbol
    return operation_symbol(node)
