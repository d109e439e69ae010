"""The live page's picture: a computation graph laid out in Python, drawn as SVG with slots for numbers.

The walkthrough page updates every value, gradient and local derivative in place while
the learner moves a slider or trains. So its picture is one SVG whose numbers are text
elements the page rewrites, laid out here once for wide screens (left to right) and once
for narrow ones (top to bottom); the page itself runs no layout.

The layout is a layered drawing: each operation's circle sits one layer after its inputs,
its value's box one layer after the circle, an input one layer before its first use.
Within a layer, nodes are ordered by the mean place of their neighbours (a few sweeps,
which untangles the graphs a lesson uses) and then placed as near as they can be to the
nodes they connect to. A left-to-right picture too wide for a wide screen is wrapped into
rows, like a line of text (:data:`WIDE_VIEW`). Every box is wide enough for its name and for the widest number
the page writes (:data:`NUMBER_CHARS` characters), so that no number ever spills out.

>>> from microgradnode import Value
>>> a = Value(2.0, 'a'); b = Value(-3.0, 'b'); f = a * b + a
>>> picture = layout(f, {n: n.label or 'f' for n in [a, b, f]}, 'LR')
>>> picture.width > 0 and picture.height > 0, len(picture.edges)
(True, 4)
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
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

WIDE_VIEW = (1230, 360)
"""The picture's room on a wide screen (1280x800), in px: a left-to-right picture wider than this
is wrapped into rows when the rows then fit it whole (see :func:`layout`)."""

_TRACK = 7          # px between the wrapping arrows of one break
_ROOM = 12          # px left of the rows and right of them, where wrapping arrows go round
_MAX_ROWS = 4


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


Point = tuple[float, float]
Curve = tuple[Point, Point, Point, Point]


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
    curves: list[Curve] = field(default_factory=list)


@dataclass
class Picture:
    """A graph laid out in one direction: boxes, circles, arrows and where their numbers go."""

    direction: str
    width: float
    height: float
    values: dict[int, Item] = field(default_factory=dict)
    ops: dict[int, Item] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    outs: dict[int, list[Curve]] = field(default_factory=dict)
    """Each operation's arrow to its result's box, as cubic curves."""


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
    wrapped = _wrap(layers, ranks, order, index, values, ops, bends) if direction == 'LR' else []
    return _drawn(order, index, values, ops, bends, direction, wrapped)


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


def _wrap(layers: dict[int, list[Item]], ranks: list[int], order: list[Value], index: Mapping[Value, int],
          values: dict[int, Item], ops: dict[int, Item], bends: Mapping[tuple[int, int], list[Item]]
          ) -> list[list[int]]:
    """A left-to-right picture too wide for :data:`WIDE_VIEW`, cut into rows that fit it whole.

    A long chain (the two-node network) is read like a line of text: its layers are cut into
    rows, at the places fewest arrows cross (best an operation's arrow to its result), and an
    arrow crossing a cut goes round, right of its row and back left under it. Each layer is
    centred on its row's middle line, so that rows are as low as their tallest layer. When no
    cut into at most :data:`_MAX_ROWS` rows fits the view, the picture stays one row (and the
    page shows a close-up of it). Returns the ranks of each row, or [] for one row.
    """
    count = len(ranks)
    start = [min(item.x - item.width / 2 for item in layers[r]) for r in ranks]
    end = [max(item.x + item.width / 2 for item in layers[r]) for r in ranks]
    room_x, room_y = WIDE_VIEW[0] - 2 * _MARGIN - 2 * _ROOM, WIDE_VIEW[1] - 2 * _MARGIN
    if end[-1] - start[0] <= room_x + 2 * _ROOM or count > 200:
        return []
    place = {r: k for k, r in enumerate(ranks)}
    spans = [(values[index[parent]].rank, ops[i].rank)
             for i, node in enumerate(order) for parent in node.parents]
    spans += [(ops[i].rank, values[i].rank) for i in ops]
    crossing = [0] * count       # crossing[k]: arrows crossing a cut just before ranks[k]
    for low, high in spans:
        for k in range(place[low] + 1, place[high] + 1):
            crossing[k] += 1
    across = [sum(item.height for item in layers[r]) + _ACROSS_GAP['LR'] * (len(layers[r]) - 1)
              for r in ranks]

    def gap(k: int) -> float:  # between two rows: one track per crossing arrow
        return 2 * _ROOM + _TRACK * max(crossing[k] - 1, 0)

    for rows in range(2, _MAX_ROWS + 1):
        # best[k][j]: (arrows crossed, widest row) for the first k layers in j rows
        best: dict[tuple[int, int], tuple[tuple[int, float], int]] = {(0, 0): ((0, 0.0), -1)}
        for j in range(1, rows + 1):
            for k in range(1, count + 1):
                for first in range(k):
                    if (first, j - 1) not in best or end[k - 1] - start[first] > room_x:
                        continue
                    (crossed, widest), _ = best[first, j - 1]
                    cost = (crossed + (crossing[first] if first else 0),
                            max(widest, end[k - 1] - start[first]))
                    if (k, j) not in best or cost < best[k, j][0]:
                        best[k, j] = (cost, first)
        if (count, rows) not in best:
            continue
        cuts, k = [], count
        for j in range(rows, 0, -1):
            k = best[k, j][1]
            cuts.append(k)
        cuts = sorted(cuts)[1:] + [count]
        spans_ = list(zip([0] + cuts[:-1], cuts))
        height = sum(max(across[a:b]) for a, b in spans_) + sum(gap(a) for a, _ in spans_[1:])
        if height > room_y:
            continue
        top = 0.0
        for a, b in spans_:
            middle = top + max(across[a:b]) / 2
            for k in range(a, b):
                position = middle - across[k] / 2
                for item in layers[ranks[k]]:
                    item.x += _ROOM + _TRACK * max(max(crossing) - 1, 0) - start[a]
                    item.y = position + item.height / 2
                    position += item.height + _ACROSS_GAP['LR']
            top += max(across[a:b]) + (gap(b) if b < count else 0)
        return [ranks[a:b] for a, b in spans_]
    return []


_MARGIN = 6.0


def _drawn(order: list[Value], index: Mapping[Value, int], values: dict[int, Item], ops: dict[int, Item],
           bends: Mapping[tuple[int, int], list[Item]], direction: str, rows: list[list[int]]) -> Picture:
    """Shift everything to start at the margin, and draw the arrows."""
    margin = _MARGIN
    items = list(values.values()) + list(ops.values()) + [b for chain in bends.values() for b in chain]
    left = 0.0 if rows else min(item.x - item.width / 2 for item in items)
    top = min(item.y - item.height / 2 for item in items)
    for item in items:
        item.x += margin - left
        item.y += margin - top
    width = max(item.x + item.width / 2 for item in items) + margin
    height = max(item.y + item.height / 2 for item in items) + margin
    row_of = {r: j for j, row in enumerate(rows) for r in row}
    in_row = [[item for item in items if row_of[item.rank] == j] for j in range(len(rows))]
    rights = [max(item.x + item.width / 2 for item in row) for row in in_row]
    bottoms = [max(item.y + item.height / 2 for item in row) for row in in_row]
    tracks: dict[int, int] = {}

    def route(start: Point, end: Point, start_rank: int, end_rank: int) -> list[Curve]:
        """From ``start`` to ``end``: a smooth curve along the main axis, or round to the next row."""
        if rows and row_of[start_rank] != row_of[end_rank]:
            j = row_of[start_rank]
            track = tracks[j] = tracks.get(j, -1) + 1
            right = max(rights[j], start[0]) + _ROOM + _TRACK * track
            below = bottoms[j] + _ROOM + _TRACK * track
            back = margin + _ROOM - 2 - _TRACK * track
            return _rounded([start, (right, start[1]), (right, below), (back, below), (back, end[1]), end])
        axis = 0 if direction == 'LR' else 1
        bend = max(12.0, (end[axis] - start[axis]) / 2)
        c1 = (start[0] + bend, start[1]) if axis == 0 else (start[0], start[1] + bend)
        c2 = (end[0] - bend, end[1]) if axis == 0 else (end[0], end[1] - bend)
        return [(start, c1, c2, end)]

    if rows:
        width = max(width, max(rights) + _ROOM + _TRACK * max(len(tracks), 1) + margin)
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
                                        offset=offset, direction=direction, route=route))
        box = values[i]
        if direction == 'LR':
            out = route((op.x + _RADIUS, op.y), (box.x - box.width / 2, box.y), op.rank, box.rank)
        else:
            out = [_line((op.x, op.y + _RADIUS), (box.x, box.y - box.height / 2))]
        picture.outs[i] = out
    rightmost = max(x for curve in _all_curves(picture) for x, _ in curve)
    picture.width = round(max(picture.width, rightmost + margin))
    return picture


def _all_curves(picture: Picture) -> list[Curve]:
    return [c for edge in picture.edges for c in edge.curves] + [c for out in picture.outs.values()
                                                                   for c in out]


def _line(start: Point, end: Point) -> Curve:
    """A straight line as a curve, so that every arrow is one kind of path."""
    return (start, (start[0] + (end[0] - start[0]) / 3, start[1] + (end[1] - start[1]) / 3),
            (start[0] + 2 * (end[0] - start[0]) / 3, start[1] + 2 * (end[1] - start[1]) / 3), end)


def _rounded(points: list[Point], radius: float = 8.0) -> list[Curve]:
    """Straight lines through ``points`` with rounded corners."""
    curves: list[Curve] = []
    here = points[0]
    def towards(corner: Point, target: Point) -> Point:
        dx, dy = target[0] - corner[0], target[1] - corner[1]
        length = max(abs(dx) + abs(dy), 1e-9)
        r = min(radius, length / 2)
        return corner[0] + dx / length * r, corner[1] + dy / length * r

    for before, corner, after in zip(points, points[1:], points[2:]):
        into, out = towards(corner, before), towards(corner, after)
        curves.append(_line(here, into))
        curves.append((into, corner, corner, out))
        here = out
    curves.append(_line(here, points[-1]))
    return curves


def path_of(curves: list[Curve]) -> str:
    """SVG path data of joined cubic curves."""
    parts = [f'M{curves[0][0][0]:.1f},{curves[0][0][1]:.1f}']
    parts += [f'C{a[0]:.1f},{a[1]:.1f} {b[0]:.1f},{b[1]:.1f} {c[0]:.1f},{c[1]:.1f}' for _, a, b, c in curves]
    return ' '.join(parts)


def _arrow(box: Item, op: Item, via: list[Item], *, parent: int, child: int, slot: int, offset: float,
           direction: str, route: Callable[[Point, Point, int, int], list[Curve]]) -> Edge:
    """A smooth arrow from a box through its bend points to an operation; its number near the end."""
    if direction == 'LR':
        points = [(box.x + box.width / 2, box.y + offset), *((b.x, b.y) for b in via),
                  (op.x - _RADIUS, op.y + offset / 2)]
    else:
        points = [(box.x + offset, box.y + box.height / 2), *((b.x, b.y) for b in via),
                  (op.x + offset / 2, op.y - _RADIUS)]
    ranks = [box.rank, *(b.rank for b in via), op.rank]
    curves = [c for k in range(len(points) - 1)
              for c in route(points[k], points[k + 1], ranks[k], ranks[k + 1])]
    start, c1, c2, end = curves[-1]
    length = abs(end[0] - start[0]) + abs(end[1] - start[1])
    t = max(0.5, 1.0 - 52.0 / length) if length else 0.5
    label_x, label_y = _bezier(start, c1, c2, end, t)
    return Edge(parent, child, slot, path_of(curves), round(label_x, 1), round(label_y, 1), curves)


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
    for i, out in picture.outs.items():
        parts.append(f'<path class="out" data-i="{i}" d="{path_of(out)}" marker-end="url(#head-{d})"/>')
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
