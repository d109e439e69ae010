"""The live page's picture: a computation graph laid out in Python, drawn as SVG with slots for numbers.

The walkthrough page updates every value, gradient and local derivative in place while
the learner moves a slider or trains. So its picture is one SVG whose numbers are text
elements the page rewrites, laid out here once for wide screens (left to right) and once
for narrow ones (top to bottom); the page itself runs no layout.

The layout is a layered drawing: each operation's circle sits one layer after its inputs,
its value's box one layer after the circle, an input one layer before its first use.
Within a layer, nodes are ordered by the mean place of their neighbours (a few sweeps,
which untangles the graphs a lesson uses) and then placed as near as they can be to the
nodes they connect to. Every box is wide enough for its name and for the widest number
the page writes (:data:`NUMBER_CHARS` characters), so that no number ever spills out.

>>> from microgradnode import Value
>>> a = Value(2.0, 'a'); b = Value(-3.0, 'b'); f = a * b + a
>>> picture = layout(f, {n: n.label or 'f' for n in [a, b, f]}, 'LR')
>>> picture.width > 0 and picture.height > 0, len(picture.edges)
(True, 4)
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..engine import Value, topological_order

__all__ = ['Picture', 'layout', 'svg', 'NUMBER_CHARS', 'LONGEST_NAME', 'BENDS_PER_VALUE', 'box_rows']

NUMBER_CHARS = 10
"""Widest number the page writes, in characters: '−1.235e+05', '−0.0001234'."""

BENDS_PER_VALUE = 4
"""Bend points the layout places, per value of the graph, at most (see :func:`layout`)."""

LONGEST_NAME = 26
"""Names longer than this are shortened in the boxes (ending in …); the page's text has them whole."""

_CHAR = 7.0         # px per character at the boxes' 12 px (a little more than the real width)
_ROW = 17           # px per row of a box
_PAD = 8            # px inside a box, each side
_RADIUS = 15        # operation circles
_SIDE_GAPS = {'LR': (76, 26), 'TB': (46, 18)}   # value -> operation (room for numbers), operation -> value
_ACROSS_GAP = {'LR': 16, 'TB': 10}


def shortened(name: str) -> str:
    """A name as a box shows it: at most :data:`LONGEST_NAME` characters.

    >>> shortened('x'), shortened('y' * 40)[-2:]
    ('x', 'y…')
    """
    return name if len(name) <= LONGEST_NAME else name[:LONGEST_NAME - 1] + '…'


def box_rows(node: Value, fan_out: int) -> int:
    """Rows of a value's box: name, data, grad, and the sum of contributions at fan-out.

    A constant (an unlabelled leaf) shows its number only: its gradient teaches nothing.
    """
    if node.is_leaf and not node.label:
        return 1
    return 4 if fan_out > 1 else 3


@dataclass
class Item:
    """One box or circle: its node's index, centre and size."""

    index: int
    kind: str                  # 'value', 'op', or 'bend' (where a long arrow crosses a layer)
    rank: int
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0
    order: float = 0.0


@dataclass
class Edge:
    """An arrow from a value's box to the circle of an operation using it (slot 0 or 1)."""

    parent: int
    child: int
    slot: int
    path: str = ''
    label_x: float = 0.0
    label_y: float = 0.0


@dataclass
class Picture:
    """A graph laid out in one direction: boxes, circles, arrows and where their numbers go."""

    direction: str
    width: float
    height: float
    values: dict[int, Item] = field(default_factory=dict)
    ops: dict[int, Item] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)


def _fan_out(order: list[Value]) -> dict[Value, int]:
    uses: dict[Value, int] = {}
    for node in order:
        for parent in node.parents:
            uses[parent] = uses.get(parent, 0) + 1
    return uses


def layout(root: Value, names: Mapping[Value, str], direction: str) -> Picture:
    """Place every value box, operation circle and arrow of ``root``'s graph; ``direction`` 'LR' or 'TB'."""
    if direction not in _SIDE_GAPS:
        raise ValueError(f"direction must be 'LR' or 'TB', not {direction!r}")
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    uses = _fan_out(order)
    # Layers: values on even ranks, operations on odd ones.
    rank: dict[int, int] = {}
    for i, node in enumerate(order):
        if node.is_leaf:
            rank[i] = 0
        else:
            rank[i] = max(rank[index[p]] for p in node.parents) + 2
    consumers: dict[int, list[int]] = {i: [] for i in range(len(order))}
    for i, node in enumerate(order):
        for parent in node.parents:
            consumers[index[parent]].append(rank[i])
    for i, node in enumerate(order):  # inputs right before their first use
        if node.is_leaf and consumers[i]:
            rank[i] = min(consumers[i]) - 2
    values = {}
    ops = {}
    for i, node in enumerate(order):
        rows = box_rows(node, uses.get(node, 0))
        longest = max(len(shortened(names.get(node, ''))), NUMBER_CHARS + 5,
                      round((2 * NUMBER_CHARS + 5) * 0.85) if rows == 4 else 0)
        if rows == 1:
            longest = max(len(shortened(names.get(node, ''))), 4)
        values[i] = Item(i, 'value', rank[i], width=round(longest * _CHAR + 2 * _PAD),
                         height=rows * _ROW + 2 * 5)
        if not node.is_leaf:
            ops[i] = Item(i, 'op', rank[i] - 1, width=2 * _RADIUS, height=2 * _RADIUS)
    # An arrow crossing layers gets a bend point in each (as dot does): the bends are
    # ordered and placed with the boxes, so long arrows go round them, not through them.
    # A value reused far away (x + x + ... + x) would need bends in every layer between: the
    # shortest arrows get theirs first, up to BENDS_PER_VALUE per value; longer ones are drawn
    # straight across, so that a large graph is laid out in moments.
    spans = sorted((ops[i].rank - values[index[parent]].rank, i, slot)
                   for i, node in enumerate(order) for slot, parent in enumerate(node.parents))
    budget = BENDS_PER_VALUE * len(order)
    bends: dict[tuple[int, int], list[Item]] = {}
    for span, i, slot in spans:
        parent_rank = values[index[order[i].parents[slot]]].rank
        if span - 1 > budget:
            bends[i, slot] = []
            continue
        budget -= span - 1
        bends[i, slot] = [Item(-1, 'bend', r, width=12, height=12)
                          for r in range(parent_rank + 1, ops[i].rank)]
    items = list(values.values()) + list(ops.values()) + [b for chain in bends.values() for b in chain]
    # neighbours of each item, for ordering and placing
    neighbours: dict[int, list[Item]] = {id(item): [] for item in items}

    def link(one: Item, other: Item) -> None:
        neighbours[id(one)].append(other)
        neighbours[id(other)].append(one)

    for i, node in enumerate(order):
        if node.is_leaf:
            continue
        op = ops[i]
        for slot, parent in enumerate(node.parents):
            chain = [values[index[parent]], *bends[i, slot], op]
            for one, other in zip(chain, chain[1:]):
                link(one, other)
        link(op, values[i])
    layers: dict[int, list[Item]] = {}
    for item in items:
        layers.setdefault(item.rank, []).append(item)
    ranks = sorted(layers)
    for number, item in enumerate(sorted(items, key=lambda item: (item.rank, item.index))):
        item.order = number
    for layer in layers.values():
        layer.sort(key=lambda item: item.index)
        for place, item in enumerate(layer):
            item.order = place
    for sweep in range(_sweeps(len(items), 8)):
        sequence = ranks if sweep % 2 == 0 else ranks[::-1]
        for r in sequence:
            layer = layers[r]
            for item in layer:
                around = [n.order for n in neighbours[id(item)] if (n.rank < r) == (sweep % 2 == 0)]
                item.y = sum(around) / len(around) if around else item.order
            layer.sort(key=lambda item: (item.y, item.order))
            for place, item in enumerate(layer):
                item.order = place
    _place(layers, ranks, neighbours, direction)
    return _drawn(order, index, values, ops, bends, direction)


def _sweeps(count: int, wanted: int) -> int:
    """Passes of ordering or placing: fewer for a large graph, which no one reads box by box."""
    return wanted if count <= 600 else 2


def _place(layers: dict[int, list[Item]], ranks: list[int], neighbours: dict[int, list[Item]],
           direction: str) -> None:
    """Coordinates: layers along the main axis, each node across it as near its neighbours as fits."""
    to_op, to_value = _SIDE_GAPS[direction]
    gap = _ACROSS_GAP[direction]
    along = 0.0
    for r in ranks:
        layer = layers[r]
        depth = max((item.width if direction == 'LR' else item.height) for item in layer)
        for item in layer:
            if direction == 'LR':
                item.x = along + depth / 2
            else:
                item.y = along + depth / 2
        along += depth + (to_op if r % 2 == 0 else to_value)

    def size(item: Item) -> float:
        return item.height if direction == 'LR' else item.width

    def across(item: Item) -> float:
        return item.y if direction == 'LR' else item.x

    def put(item: Item, value: float) -> None:
        if direction == 'LR':
            item.y = value
        else:
            item.x = value

    # First stack each layer; then several passes pull nodes towards their neighbours.
    for r in ranks:
        position = 0.0
        for item in layers[r]:
            put(item, position + size(item) / 2)
            position += size(item) + gap
    for sweep in range(_sweeps(sum(map(len, layers.values())), 10)):
        sequence = ranks if sweep % 2 == 0 else ranks[::-1]
        for r in sequence:
            layer = layers[r]
            wanted = []
            for item in layer:
                around = [across(n) for n in neighbours[id(item)]]
                wanted.append(sum(around) / len(around) if around else across(item))
            # Keep the order, keep the gaps, stay as near the wanted places as possible:
            # push down from the top, then shift the run so it is centred on the wishes.
            placed = []
            low = -1e18
            for item, want in zip(layer, wanted):
                centre = max(want, low + size(item) / 2)
                placed.append(centre)
                low = centre + size(item) / 2 + gap
            high = 1e18
            for k in range(len(layer) - 1, -1, -1):
                item = layer[k]
                centre = min(placed[k], high - size(item) / 2)
                centre = max(centre, (placed[k - 1] + size(layer[k - 1]) / 2 + gap + size(item) / 2)
                             if k else centre)
                placed[k] = centre
                high = centre - size(item) / 2 - gap
            for item, centre in zip(layer, placed):
                put(item, centre)
    if direction == 'TB':
        # A phone's width is what matters: every layer centred on one line, so the picture is
        # as narrow as its widest layer (pulling towards neighbours lets layers drift apart).
        for r in ranks:
            layer = layers[r]
            span = sum(size(item) for item in layer) + gap * (len(layer) - 1)
            position = -span / 2
            for item in layer:
                put(item, position + size(item) / 2)
                position += size(item) + gap


def _drawn(order: list[Value], index: Mapping[Value, int], values: dict[int, Item], ops: dict[int, Item],
           bends: Mapping[tuple[int, int], list[Item]], direction: str) -> Picture:
    """Shift everything to start at the margin, and draw the arrows."""
    margin = 6.0
    items = list(values.values()) + list(ops.values()) + [b for chain in bends.values() for b in chain]
    left = min(item.x - item.width / 2 for item in items)
    top = min(item.y - item.height / 2 for item in items)
    for item in items:
        item.x += margin - left
        item.y += margin - top
    width = max(item.x + item.width / 2 for item in items) + margin
    height = max(item.y + item.height / 2 for item in items) + margin
    picture = Picture(direction, round(width), round(height), values, ops)
    for i, node in enumerate(order):
        if node.is_leaf:
            continue
        op = ops[i]
        pair = node.parents
        for slot, parent in enumerate(pair):
            box = values[index[parent]]
            # x * x: two arrows from one box to one circle, drawn side by side
            offset = (-7.0 if slot == 0 else 7.0) if len(pair) == 2 and pair[0] is pair[1] else 0.0
            picture.edges.append(_arrow(box, op, bends[i, slot], parent=index[parent], child=i, slot=slot,
                                        offset=offset, direction=direction))
    return picture


def _arrow(box: Item, op: Item, via: list[Item], *, parent: int, child: int, slot: int, offset: float,
           direction: str) -> Edge:
    """A smooth arrow from a box through its bend points to an operation; its number near the end."""
    if direction == 'LR':
        points = [(box.x + box.width / 2, box.y + offset), *((b.x, b.y) for b in via),
                  (op.x - _RADIUS, op.y + offset / 2)]
    else:
        points = [(box.x + offset, box.y + box.height / 2), *((b.x, b.y) for b in via),
                  (op.x + offset / 2, op.y - _RADIUS)]
    axis = 0 if direction == 'LR' else 1
    path = [f'M{points[0][0]:.1f},{points[0][1]:.1f}']
    segments = []
    for start, end in zip(points, points[1:]):
        bend = max(12.0, (end[axis] - start[axis]) / 2)
        c1 = (start[0] + bend, start[1]) if axis == 0 else (start[0], start[1] + bend)
        c2 = (end[0] - bend, end[1]) if axis == 0 else (end[0], end[1] - bend)
        segments.append((start, c1, c2, end))
        path.append(f'C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} {end[0]:.1f},{end[1]:.1f}')
    start, c1, c2, end = segments[-1]
    length = abs(end[0] - start[0]) + abs(end[1] - start[1])
    t = max(0.5, 1.0 - 52.0 / length) if length else 0.5
    label_x, label_y = _bezier(start, c1, c2, end, t)
    return Edge(parent, child, slot, ' '.join(path), round(label_x, 1), round(label_y, 1))


def _bezier(p0, p1, p2, p3, t: float) -> tuple[float, float]:
    u = 1.0 - t
    return tuple(u ** 3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t ** 3 * d
                 for a, b, c, d in zip(p0, p1, p2, p3))


def svg(picture: Picture, order: list[Value], names: Mapping[Value, str], symbols: Mapping[int, str],
        kinds: Mapping[int, str], fan_out: Mapping[int, int]) -> str:
    """The picture as SVG markup: every number an empty text element the page fills in.

    Value boxes are ``g.value[data-i]`` (texts ``.data``, ``.grad`` and, at fan-out, ``.sum``),
    operation circles ``g.op[data-i]``, arrows ``path.edge[data-e]`` with ``data-e = 2 × child +
    slot`` (the place of their local derivative in the page's arrays) and their numbers
    ``text.local[data-e]`` and ``text.gives[data-e]``.
    """
    d = picture.direction
    parts = [f'<svg class="graph" data-layout="{d}" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {picture.width} {picture.height}" '
             f'width="{picture.width}" height="{picture.height}" '
             f'role="img" aria-label="computation graph">',
             f'<defs><marker id="head-{d}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
             'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
             '<path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
             '<g class="edges">']
    for edge in picture.edges:
        e = 2 * edge.child + edge.slot
        parts.append(f'<path class="edge" data-e="{e}" data-parent="{edge.parent}" data-child="{edge.child}" '
                     f'd="{edge.path}"/>')
    for i, op in picture.ops.items():
        box = picture.values[i]
        if d == 'LR':
            line = f'M{op.x + _RADIUS:.1f},{op.y:.1f} L{box.x - box.width / 2:.1f},{box.y:.1f}'
        else:
            line = f'M{op.x:.1f},{op.y + _RADIUS:.1f} L{box.x:.1f},{box.y - box.height / 2:.1f}'
        parts.append(f'<path class="out" data-i="{i}" d="{line}" marker-end="url(#head-{d})"/>')
    parts.append('</g><g class="ops">')
    for i, op in picture.ops.items():
        parts.append(f'<g class="op" data-i="{i}"><circle cx="{op.x:.1f}" cy="{op.y:.1f}" r="{_RADIUS}"/>'
                     f'<text x="{op.x:.1f}" y="{op.y + 4.5:.1f}">{html.escape(symbols[i])}</text></g>')
    parts.append('</g><g class="values">')
    for i, node in enumerate(order):
        box = picture.values[i]
        x0, y0 = box.x - box.width / 2, box.y - box.height / 2
        name = names.get(node, '')
        kind = kinds[i]
        rows = box_rows(node, fan_out.get(i, 0))
        label = html.escape(name, quote=True)
        parts.append(f'<g class="value {kind}" data-i="{i}" tabindex="0" role="button" '
                     f'aria-label="{label}"><title>{label}</title>'
                     f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{box.width:.1f}" '
                     f'height="{box.height:.1f}" rx="6"/>')
        left, right = x0 + _PAD, x0 + box.width - _PAD
        if rows == 1:
            parts.append(f'<text class="data num" x="{box.x:.1f}" y="{box.y + 4.5:.1f}" '
                         f'text-anchor="middle"></text></g>')
            continue
        baseline = y0 + 5 + 13
        parts.append(f'<text class="name" x="{box.x:.1f}" y="{baseline:.1f}" text-anchor="middle">'
                     f'{html.escape(shortened(name))}</text>')
        for row, (word, css) in enumerate((('data', 'data'), ('grad', 'grad'), ('=', 'sum'))[:rows - 1], 1):
            y = baseline + row * _ROW
            parts.append(f'<text class="cap {css}-cap" x="{left:.1f}" y="{y:.1f}">{word}</text>'
                         f'<text class="{css} num" x="{right:.1f}" y="{y:.1f}" text-anchor="end"></text>')
        parts.append('</g>')
    parts.append('</g><g class="labels">')
    arity = {edge.child: edge.slot + 1 for edge in picture.edges}
    for edge in picture.edges:
        e = 2 * edge.child + edge.slot
        gives = fan_out.get(edge.parent, 0) > 1
        dy = -3.0 if gives else 4.0
        x, anchor = edge.label_x, 'middle'
        if d == 'TB':  # arrows come down into a circle side by side: numbers beside them, not on top
            left = edge.slot == 0 and arity[edge.child] == 2
            x, anchor = (x - 4, 'end') if left else (x + 4, 'start')
        parts.append(f'<text class="local" data-e="{e}" x="{x:.1f}" y="{edge.label_y + dy:.1f}" '
                     f'text-anchor="{anchor}"></text>')
        if gives:
            parts.append(f'<text class="gives" data-e="{e}" x="{x:.1f}" y="{edge.label_y + 11:.1f}" '
                         f'text-anchor="{anchor}"></text>')
    parts.append('</g></svg>')
    return ''.join(parts)
