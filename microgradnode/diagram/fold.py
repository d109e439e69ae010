"""Readable diagrams of networks: group Values by module, fold neurons, layers, sums and samples.

:func:`build_folded` draws what :func:`~microgradnode.diagram.build.build_digraph` draws,
with these options of :func:`microgradnode.draw`:

- ``group='module'``: each module's Values inside a labelled cluster (a layer around its neurons);
- ``fold='neuron'`` / ``'layer'``: each neuron (layer) one box, ``L1.n3: relu(Σ w·x + b)``,
  with its output's data and grad and its parameters' count and gradient norm; the arrows
  between boxes carry the gradient flowing back along them (the grad of the consumer's
  operation times the local derivative the engine recorded, summed over the operations
  of the box that read the value: the numbers on the arrows out of a box add up to its
  output's grad);
- ``fold='sample'``: for a batch loss (one network applied to many points, then summed),
  one sample's path, folded by neuron, in a cluster marked "× N samples";
- ``fold_sums=True``: a chain of additions (what ``sum()`` builds) as one Σ operation.

Module names come from :func:`microgradnode.nn.module_names`. Nothing here knows a
derivative: every number is a Value's data or grad or a local derivative the engine recorded.

>>> from microgradnode.nn import MLP
>>> from microgradnode.diagram.options import DrawOptions
>>> model = MLP(2, [3, 1], seed=0)
>>> score = model([1.0, 2.0]); score.backward()
>>> drawing = build_folded(score, DrawOptions(), fold='neuron')
>>> drawing.digraph.source.count('relu(Σ w·x + b)')
3
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import graphviz

from ..engine import Value, topological_order
from ..nn.modules import module_names
from .build import Drawing, _graph_too_large, operation_symbol
from .escape import html_text
from .labels import clipped, edge_label, legend_label, operation_label, swatch, title_label, value_label
from .options import DrawOptions, GraphTooLargeError
from .style import EDGE_LABEL, EDGE_POINTS, FONT, INK, MUTED, NODE_POINTS, OP_FILL, STYLES, node_kind

__all__ = ['build_folded', 'FOLDS', 'GROUPS', 'DEAD_MARK', 'FITTING_ARROWS']

FOLDS = ('neuron', 'layer', 'sample')
GROUPS = ('module',)

_EDGE_INK = '#495057'
_BOX_FILL = '#e7f5ff'
_BOX_BORDER = '#1971c2'
_CLUSTER_INK = '#868e96'
_DEAD_FILL = '#e9ecef'
_DEAD_INK = '#495057'
DEAD_MARK = '✕ dead unit: no gradient'
"""The row a dead unit's box shows (a neuron whose parameters all have grad 0, a ReLU at 0)."""
FITTING_ARROWS = 8
"""Most arrows drawn one by one between two layers; more are drawn as one thick arrow.

Looked at: the 8 labelled arrows from two inputs to four neurons stay apart; the 16
between two layers of 4 crossed into a tangle where no number could be matched to its
arrow, and the 256 between two layers of 16 merged into a black band. Arrows that leave
each box once (16 neurons into one output) are drawn whatever their number: each
number sits by its own box."""
_INPUTS = ('inputs',)  # the cluster of the network's inputs, when their arrows are bundled
_PARAMETERS = '(parameters)'  # the box of values computed from the parameters alone (an L2 penalty)
_SHARED = -1                  # sample of a value that depends on several samples (the batch's sum)


def _layer_of(name: str) -> str:
    return name.rsplit('.', 1)[0] if '.' in name else name


def _prefixes(name: str) -> list[str]:
    parts = name.split('.')
    return ['.'.join(parts[:i]) for i in range(1, len(parts) + 1)]


def _samples(order: list[Value], names: dict[Value, str]) -> dict[Value, int | None]:
    """Which sample each value belongs to: the connected pieces of module-made operations.

    Applied to many points, a network makes one connected piece of operations per point
    (the points share only parameters, which are leaves). A value outside the modules
    belongs to the one sample it depends on, to ``_SHARED`` if it depends on several,
    to None if on none (the parameters, a penalty on them).
    """
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index = {node: i for i, node in enumerate(order)}
    for node in order:
        if node in names and not node.is_leaf:
            i = index[node]
            parent.setdefault(i, i)
            for p in node.parents:
                if p in names and not p.is_leaf:
                    a, b = find(i), find(parent.setdefault(index[p], index[p]))
                    parent[max(a, b)] = min(a, b)
    sample: dict[Value, int | None] = {}
    for node in order:
        if node.is_leaf:
            sample[node] = None
        elif node in names:
            sample[node] = find(index[node])
        else:
            found = {sample[p] for p in node.parents} - {None}
            sample[node] = None if not found else found.pop() if len(found) == 1 else _SHARED
    return sample


def _formula(nodes: list[Value], output: Value) -> str:
    """How a neuron's box is written: ``relu(Σ w·x + b)``, ``Σ x``, ``tanh(x)``, or a count of operations."""
    ops = [n.op for n in nodes if not n.is_leaf]
    inner_ops = list(ops)
    activation = ''
    if output.op not in ('add', 'mul'):
        activation = output.op
        inner_ops.remove(output.op)
    if not inner_ops and activation:  # one operation on its input (an expanded tensor's tanh)
        return f'{activation}(x)'
    if not inner_ops or not set(inner_ops) <= {'add', 'mul'}:
        return f'{len(ops)} operations'
    products, sums = inner_ops.count('mul'), inner_ops.count('add')
    inner = 'Σ x' if not products else 'Σ w·x + b' if sums >= products else 'Σ w·x'
    return f'{activation}({inner})' if activation else inner


def _box_label(title: str, rows: list[str], *, dead: bool = False) -> str:
    cells = [f'<TR><TD ALIGN="LEFT"><B>{html_text(clipped(title))}</B></TD></TR>']
    for row in rows:
        text = html_text(row)
        if row == DEAD_MARK:
            text = f'<B>{text}</B>'
        cells.append(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="11">{text}</FONT></TD></TR>')
    fill, border, outline = ((_DEAD_FILL, _DEAD_INK, 'rounded,dashed') if dead
                             else (_BOX_FILL, _BOX_BORDER, 'rounded'))
    table = (f'<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" STYLE="{outline}" '
             f'BGCOLOR="{fill}" COLOR="{border}">')
    return f'<{table}{"".join(cells)}</TABLE>>'


def _natural(name: str) -> tuple:
    """Sort key putting n2 before n10: the neurons of a layer in index order."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name))


def _fold_key(dead_units: list[str], shown_grad: bool) -> tuple[tuple[str, str], ...]:
    """The key of a folded diagram: boxes, dead units (when there are), arrows."""
    rows = [(swatch(_BOX_FILL, _BOX_BORDER, outline='rounded', border_width=2),
             'a neuron (or layer): its output&#39;s data and grad, its parameters&#39; ‖grad‖')]
    if dead_units:
        rows.append((swatch(_DEAD_FILL, _DEAD_INK, outline='rounded,dashed', border_width=2),
                     f'dead unit ({len(dead_units)} here): ‖grad‖ = 0, its parameters learn nothing '
                     'from this input'))
    if shown_grad:
        rows.append((f'<FONT COLOR="{EDGE_LABEL}">grad 0.5</FONT>',
                     'on an arrow: the gradient flowing back along it'))
        rows.append((f'<FONT COLOR="{EDGE_LABEL}">‖grad‖</FONT>',
                     'on a thick arrow: many arrows between two layers, the norm of their gradients'))
    return tuple(rows)


def _norm(numbers: list[float]) -> float:
    return math.sqrt(math.fsum(g * g for g in numbers))


def build_folded(root: Value, options: DrawOptions, *, fold: str | None = None, group: str | None = None,
                 fold_sums: bool = False) -> Drawing:
    """The diagram of ``root`` grouped by module, folded, or with sums folded (see the module's doc)."""
    if fold is not None and fold not in FOLDS:
        raise ValueError(f'fold must be one of {", ".join(FOLDS)} (or None), not {fold!r}')
    if group is not None and group not in GROUPS:
        raise ValueError(f'group must be {GROUPS[0]!r} (or None), not {group!r}')
    if not isinstance(fold_sums, bool):
        raise TypeError(f'fold_sums must be True or False, not {fold_sums!r}')
    order = topological_order(root)
    names = module_names(root) if fold or group else {}
    if (fold or group) and not names:
        option = f'fold={fold!r}' if fold else f'group={group!r}'
        raise ValueError(f'draw: {option} needs Values made by microgradnode.nn modules (Neuron, Layer, MLP '
                         f'or your own Module); no Value of this graph was')
    if not fold and len(order) > options.max_nodes:  # every value is drawn: refuse now, as draw() does
        raise _graph_too_large(len(order), options.max_nodes,
                               made_by_modules=any(getattr(n, '_module', None) for n in order))
    fold_sums = fold_sums or fold == 'sample'
    consumers: dict[Value, list[Value]] = {}
    for node in order:
        for p in node.parents:
            consumers.setdefault(p, []).append(node)

    sample = _samples(order, names) if fold == 'sample' else {}
    shown = next((sample[n] for n in order if n in names and not n.is_leaf), None) if sample else None
    sample_count = len({sample[n] for n in names if not n.is_leaf}) if fold == 'sample' else 1

    # Which box each value is folded into (None: drawn as itself).
    box: dict[Value, str] = {}
    if fold:
        for node in order:
            if sample and not node.is_leaf and sample[node] not in (None, _SHARED, shown):
                continue  # another sample's: not drawn
            if node in names:
                box[node] = _layer_of(names[node]) if fold == 'layer' else names[node]
            elif not node.is_leaf and _from_parameters_alone(node, box, names):
                # Made from the parameters alone (an L2 penalty): one box, not hundreds of squares.
                box[node] = _PARAMETERS

    def hidden(node: Value) -> bool:
        if not sample:
            return False
        if node.is_leaf:
            return all(hidden(c) for c in consumers.get(node, ())) if node not in box else False
        return sample[node] not in (None, _SHARED, shown)

    def absorbed(node: Value) -> bool:
        """An addition whose only use is another addition: part of that one's Σ."""
        users = consumers.get(node, ())
        return (fold_sums and node.op == 'add' and node is not root and len(users) == 1
                and users[0].op == 'add' and node not in box and users[0] not in box)

    def summands(node: Value) -> Iterator[tuple[Value, float]]:
        """The terms of ``node``'s Σ with d node / d term, in order; a loop: a sum may have 10^5 terms."""
        stack = [(node, 1.0)]
        while stack:
            value, scale = stack.pop()
            if value is not node and not absorbed(value):
                yield value, scale
                continue
            stack.extend(reversed([(p, scale * local) for p, local in zip(value.parents, value.local_grads)]))

    ids = {node: i for i, node in enumerate(order)}
    # Boxes numbered in their names' order (n2 before n10): declared, and their arrows drawn,
    # in that order, a layer's neurons come out in index order (with ordering=out below).
    keys = sorted({box[n] for n in order if n in box}, key=_natural)
    box_ids = {key: f'm{i}' for i, key in enumerate(keys)}

    def unit(node: Value) -> str:
        return box_ids[box[node]] if node in box else f'v{ids[node]}'

    nodes: list[tuple[tuple[str, ...], str, dict[str, str]]] = []   # (cluster path, id, attributes)
    edges: list[tuple[str, str, dict[str, str]]] = []
    shown_grad = options.show_grad

    by_neuron = fold in ('neuron', 'sample')

    def cluster_of(name: str | None, *, folded: bool) -> tuple[str, ...]:
        path: list[str] = ['sample'] if sample else []
        # Folded by neuron, each layer is a column of its neurons, in a cluster of its own.
        if (group or by_neuron) and name:
            path += _prefixes(name)[:-1] if folded else _prefixes(name)
        return tuple(path) if name or not sample else ()

    # Folded boxes.
    dead_units: list[str] = []
    columns: dict[tuple[str, ...], list[tuple[tuple, str]]] = {}  # a layer's neuron boxes, to order
    members: dict[str, list[Value]] = {}
    for node in order:
        if node in box:
            members.setdefault(box[node], []).append(node)
    for key, inside in sorted(members.items(), key=lambda item: _natural(item[0])):
        outputs = [n for n in inside if not n.is_leaf and (n is root or any(
            box.get(c) != key for c in consumers.get(n, ())))]
        params = [n for n in inside if n.is_leaf and n.label]
        rows = []
        if key == _PARAMETERS:
            title = f'from the parameters: {sum(not n.is_leaf for n in inside)} operations'
        elif fold == 'layer':
            formulas = {_formula([n for n in inside if names[n] == names[o]], o) for o in outputs}
            title = f'{key}: {len(outputs)} × {formulas.pop()}' if len(formulas) == 1 else key
        else:
            title = f'{key}: {_formula(inside, outputs[0]) if outputs else ""}'
        if len(outputs) == 1:
            rows.append(f'data {options.number(outputs[0].data)}'
                        + (f'   grad {options.number(outputs[0].grad)}' if shown_grad else ''))
        elif outputs:
            data = [o.data for o in outputs]
            rows.append(f'{len(outputs)} outputs, data {options.number(min(data))} … '
                        f'{options.number(max(data))}')
        dead = False
        if params:
            norm = _norm([p.grad for p in params])
            rows.append(f'{len(params)} parameters'
                        + (f', ‖grad‖ {options.number(norm)}' if shown_grad else ''))
            # A dead unit (a ReLU at 0 for this input): no gradient reaches its parameters.
            dead = shown_grad and by_neuron and norm == 0.0 and key != _PARAMETERS
            if dead:
                rows.append(DEAD_MARK)
                dead_units.append(key)
        some = inside[0]
        place = cluster_of(names.get(some), folded=True) if key != _PARAMETERS else ()
        nodes.append((place, box_ids[key], {'label': _box_label(title, rows, dead=dead), 'shape': 'plain'}))
        if by_neuron and key != _PARAMETERS:
            columns.setdefault(place, []).append((_natural(key), box_ids[key]))

    # Values drawn as themselves, and their operations.
    beside: list[tuple[tuple[str, ...], str, str]] = []  # a module's parameter, in the rank of its operation
    flows: dict[tuple[str, str], list[tuple[Value, float]]] = {}
    for node in order:
        if node in box:
            for p, local in zip(node.parents, node.local_grads):
                if box.get(p) != box[node] and not hidden(p):
                    flows.setdefault((unit(p), unit(node)), []).append((p, node.grad * local))
            continue
        if hidden(node) or absorbed(node):
            continue
        if node.is_leaf and not any(not hidden(c) for c in consumers.get(node, ())) and node is not root:
            continue
        kind = node_kind(is_leaf=node.is_leaf, labelled=bool(node.label), is_output=node is root)
        style = STYLES[kind]
        place = cluster_of(names.get(node), folded=False) if node in names else (
            ('sample',) if sample and sample.get(node) == shown and not node.is_leaf else ())
        nodes.append((place, f'v{ids[node]}', {'label': value_label(
            name=node.label, data=options.number(node.data),
            grad=options.number(node.grad) if shown_grad else None, fill=style.fill, border=style.border,
            border_width=style.border_width, outline=style.outline), 'shape': 'plain'}))
        if node.is_leaf:
            continue
        terms = list(summands(node))
        visible = [(p, local) for p, local in terms if not hidden(p)]
        if len(terms) > 2:
            left_out = len(terms) - len(visible)
            caption = f'{len(terms)} terms' + (f', {left_out} not drawn' if left_out else '')
            label = f'<<B>Σ</B><BR/><FONT POINT-SIZE="9" COLOR="{MUTED}">{html_text(caption)}</FONT>>'
        else:
            label = operation_label(operation_symbol(node))
        nodes.append((place, f'o{ids[node]}', {'label': label, 'shape': 'circle', 'style': 'filled',
                                               'fillcolor': OP_FILL, 'color': _EDGE_INK, 'width': '0.42',
                                               'margin': '0.02'}))
        for p, local in visible:
            edges.append((unit(p), f'o{ids[node]}',
                          {'label': edge_label(options.number(local))} if options.show_local else {}))
            if group and p.is_leaf and p in names and p not in box and place:
                beside.append((place, unit(p), f'o{ids[node]}'))
        edges.append((f'o{ids[node]}', f'v{ids[node]}', {}))

    # A layer folded by neuron is drawn as one node: a column of its neurons' boxes, n0 first
    # (dot keeps the rows of a table in order, not the nodes of a cluster), each box a port
    # its arrows start from and end at. The inputs feeding a layer make a column too.
    inputs = {p for flowing in flows.values() for p, _ in flowing if p.is_leaf and p not in box}
    if by_neuron and len(inputs) > 1:
        columns[_INPUTS] = [(_natural(p.label), unit(p)) for p in inputs]
    home = {box_id: path for path, boxes in columns.items() for _, box_id in boxes}
    # Not a column: boxes that feed one another (a user's module of chained neurons).
    chained = {home[source] for source, target in flows
               if source in home and home.get(target) == home[source]}
    stacked = {path: [box_id for _, box_id in sorted(boxes)] for path, boxes in columns.items()
               if (len(boxes) > 1 or path != _INPUTS) and path not in chained
               and path and path[-1] != 'sample'}  # a layer's cluster: boxes outside any stay as they are
    column_ids = {path: f'c{i}' for i, path in enumerate(stacked)}
    column_of = {box_id: path for path, box_ids_ in stacked.items() for box_id in box_ids_}

    arrows: dict[tuple, list[tuple[str, str, float, int]]] = {}
    pair_of: dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]] = {}  # the two columns of a bundle
    for (source, target), flowing in sorted(flows.items(), key=lambda item: (_natural(item[0][0]),
                                                                            _natural(item[0][1]))):
        per_value: dict[Value, float] = {}
        for value, g in flowing:
            per_value[value] = per_value.get(value, 0.0) + g
        pair = (column_of.get(source), column_of.get(target))
        group_key = pair if None not in pair else (source, target)
        if pair[0] is not None and pair[1] is not None:
            pair_of[group_key] = (pair[0], pair[1])
        if len(per_value) == 1:
            arrows.setdefault(group_key, []).append((source, target, next(iter(per_value.values())), 1))
        else:  # several values (between layer boxes): their norm
            arrows.setdefault(group_key, []).append((source, target, _norm(list(per_value.values())),
                                                     len(per_value)))
    for group_key, group_arrows in arrows.items():
        one_each = len({source for source, *_ in group_arrows}) == len(group_arrows)
        if len(group_arrows) <= FITTING_ARROWS or one_each:  # one each: each number beside its box
            for source, target, gradient, count in group_arrows:
                text = ''
                if options.show_local:
                    text = (f'grad {options.number(gradient)}' if count == 1
                            else f'{count} values, ‖grad‖ {options.number(gradient)}')
                attributes = {'label': edge_label(text)} if text else {}
                if text and one_each and source in column_of:
                    # One arrow out of each box: its number by its tail, beside the box it leaves.
                    # As the arrow's label it would take a place of its own between the layers,
                    # and 16 of them made a column twice as tall as the layer.
                    attributes = {'taillabel': edge_label(text), 'labelfontsize': str(EDGE_POINTS),
                                  'labeldistance': '4', 'labelangle': '12'}
                edges.append((source, target, attributes))
            continue
        # Too many to draw one by one (16 × 16 neurons: 256 arrows and labels, a black band):
        # one thick arrow from layer to layer, carrying how many and the norm of their gradients.
        tails, heads = pair_of[group_key]
        norm = _norm([gradient for _, _, gradient, _ in group_arrows])
        text = (f'{len(group_arrows)} arrows, ‖grad‖ {options.number(norm)}'
                if options.show_local else '')
        edges.append((column_ids[tails], column_ids[heads],
                      {'penwidth': '3', 'arrowsize': '1', **({'label': edge_label(text)} if text else {})}))

    # The columns replace their boxes (and the layer's cluster: the column is framed and titled).
    labels = {node_id: attributes['label'] for _, node_id, attributes in nodes}
    nodes = [node for node in nodes if node[1] not in column_of]
    for path, box_ids_ in stacked.items():
        nodes.append((path[:-1], column_ids[path], {'label': _column_label(path[-1], [
            (box_id, labels[box_id]) for box_id in box_ids_]), 'shape': 'plain'}))

    def end(node_id: str) -> str:
        return f'{column_ids[column_of[node_id]]}:{node_id}' if node_id in column_of else node_id

    edges = [(end(source), end(target), attributes) for source, target, attributes in edges]

    if len(nodes) > options.max_nodes:
        raise GraphTooLargeError(
            f'the folded graph still has {len(nodes)} boxes and operations, more than max_nodes='
            f'{options.max_nodes}; fold more (fold={"layer" if fold != "layer" else "sample"!r}) or raise '
            f'max_nodes')
    key = ''
    if options.legend:
        key = (legend_label(color_by_grad=False, kinds=False, extra=_fold_key(dead_units, shown_grad)) if fold
               else legend_label(color_by_grad=False))
    return Drawing(_emit(nodes, edges, options, sample_count if sample else 0, key, beside),
                   len(order), sum(1 for n in order if not n.is_leaf))


def _column_label(title: str, boxes: list[tuple[str, str]]) -> str:
    """One node for a layer: its name, then each neuron's box (a port named after it), in order."""
    rows = [f'<TR><TD ALIGN="LEFT"><FONT COLOR="{_CLUSTER_INK}">{html_text(clipped(title))}</FONT></TD></TR>']
    rows += [f'<TR><TD PORT="{box_id}">{label[1:-1]}</TD></TR>' for box_id, label in boxes]
    table = (f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="6" CELLPADDING="0" STYLE="rounded" '
             f'COLOR="{_CLUSTER_INK}">')
    return f'<{table}{"".join(rows)}</TABLE>>'


def _from_parameters_alone(node: Value, box: dict[Value, str], names: dict[Value, str]) -> bool:
    # The parents are all boxed already (checked by the caller): made from parameters (leaves in a
    # module's box) or from other values of the parameters' box, never from a module's operation.
    return all((p.is_leaf and p in names) or box.get(p) == _PARAMETERS for p in node.parents)


def _emit(nodes: list[tuple[tuple[str, ...], str, dict[str, str]]],
          edges: list[tuple[str, str, dict]],
          options: DrawOptions, samples: int, key: str,
          beside: list[tuple[tuple[str, ...], str, str]]) -> graphviz.Digraph:
    """The Digraph: nodes in nested clusters (one per module name prefix), then every edge.

    ``key``: a legend's label, or ''. ``beside``: (cluster, parameter, operation) to put in one
    rank: a layer's weights beside the products they enter, in the layer's first rank, so that
    the arrows from the previous layer need no room inside this layer's cluster (they pushed
    each layer below the one before: a staircase).
    """
    large = len(nodes) >= 200
    graph_attr = {'rankdir': options.rankdir, 'bgcolor': 'white', 'fontname': FONT, 'nodesep': '0.3',
                  'ranksep': '0.6', 'newrank': 'true'}
    if large:
        graph_attr['mclimit'] = '0.1'
    if options.title:
        graph_attr.update(label=title_label(options.title), labelloc='t', labeljust='l')
    dot = graphviz.Digraph('computation_graph', graph_attr=graph_attr,
                           node_attr={'fontname': FONT, 'fontsize': str(NODE_POINTS), 'fontcolor': INK},
                           edge_attr={'fontname': FONT, 'fontsize': str(EDGE_POINTS), 'color': _EDGE_INK,
                                      'arrowsize': '0.7'})
    paths = sorted({path[:i] for path, _, _ in nodes for i in range(1, len(path) + 1)}, key=len)
    clusters: dict[tuple[str, ...], graphviz.Digraph] = {}
    for i, path in enumerate(paths):
        if path == ('sample',):
            label = f'one sample of {samples} (× {samples} samples)' if samples > 1 else 'the only sample'
        else:
            label = path[-1]
        clusters[path] = graphviz.Digraph(f'cluster_{i}', graph_attr={
            'label': f'<{html_text(clipped(label))}>', 'fontname': FONT, 'fontsize': str(NODE_POINTS),
            'fontcolor': _CLUSTER_INK, 'color': _CLUSTER_INK, 'style': 'rounded,dashed', 'labeljust': 'l'})
    for path, node_id, attributes in nodes:
        (clusters[path] if path else dot).node(node_id, **attributes)
    for path, parameter, operation in beside:
        pair = graphviz.Digraph(graph_attr={'rank': 'same'})
        pair.node(parameter)
        pair.node(operation)
        clusters[path].subgraph(pair)
    for path in sorted(paths, key=len, reverse=True):
        (clusters[path[:-1]] if len(path) > 1 else dot).subgraph(clusters[path])
    label_attribute = 'xlabel' if large else 'label'
    for source, target, attributes in edges:
        attributes = dict(attributes)
        if 'label' in attributes and label_attribute != 'label':
            attributes[label_attribute] = attributes.pop('label')
        dot.edge(source, target, **attributes)
    if key:
        dot.node('legend', key, shape='plain')
    return dot
