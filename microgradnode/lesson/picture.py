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
from itertools import product

from ..engine import Value, topological_order
from ..formulas.printing import format_number

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
_ROOMY = {'LR': 24, 'TB': 20}   # more room before operations using values used more than once, per arrow

WIDE_VIEW = (1230, 360)
"""The picture's room on a wide screen (1280x800), in px: a left-to-right picture wider than this
is wrapped into rows when the rows then fit it whole (see :func:`layout`)."""

NARROW_VIEW = 360
"""The picture's width on a phone (390 px wide), in px."""

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
    label_x: float = 0.0      # where the local derivative's text is anchored (its baseline)
    label_y: float = 0.0
    curves: list[Curve] = field(default_factory=list)
    anchor: str = 'middle'
    gives: bool = False       # at fan-out, a second number: what comes back along the arrow
    gives_at: tuple[float, float, str] = (0.0, 0.0, 'middle')
    room: tuple[str, str] = ('', '')   # the texts its label leaves room for: local derivative, gives


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
    # Room for two lines of numbers (a local derivative and what it gives) before an operation
    # using a value used more than once.
    roomy: dict[int, int] = {}
    for i, node in enumerate(order):
        if not node.is_leaf:
            roomy[ops[i].rank] = roomy.get(ops[i].rank, 0) + sum(uses[p] > 1 for p in node.parents)
    _place(layers, ranks, neighbours, direction, roomy)
    wrapped = _wrap(layers, ranks, order, index, values, ops, bends) if direction == 'LR' else []
    picture = _drawn(order, index, values, ops, bends, direction, wrapped)
    for edge in picture.edges:
        edge.gives = uses.get(order[edge.parent], 0) > 1
        child = order[edge.child]
        local = child.local_grads[edge.slot]
        edge.room = (_room(local), 'gives ' + _room(child.grad * local))
    if direction == 'TB' and picture.width < NARROW_VIEW:
        # room at the sides for numbers beside the outer arrows, as far as a phone's width
        _shift(picture, min(50.0, (NARROW_VIEW - picture.width) / 2))
    _place_labels(picture)
    return picture


def _sweeps(count: int, wanted: int) -> int:
    """Passes of ordering or placing: fewer for a large graph, which no one reads box by box."""
    return wanted if count <= 600 else 2


def _place(layers: dict[int, list[Item]], ranks: list[int], neighbours: dict[int, list[Item]],
           direction: str, roomy: Mapping[int, int]) -> None:
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
        along += depth + (to_op if r % 2 == 0 else to_value) + _ROOMY[direction] * min(roomy.get(r + 1, 0), 4)

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

    picture = Picture(direction, round(width), round(height), values, ops)
    # The arrows leaving a value used more than once start apart, in the order of where they
    # go, so that each is told from the others and its numbers are beside it alone.
    across = 1 if direction == 'LR' else 0
    leaving: dict[int, list[tuple[float, int, int]]] = {}
    for i, node in enumerate(order):
        for slot, parent in enumerate(node.parents):
            first = (bends[i, slot] or [ops[i]])[0]
            leaving.setdefault(index[parent], []).append(((first.x, first.y)[across], i, slot))
    start: dict[tuple[int, int], float] = {}
    for source, arrows in leaving.items():
        side = values[source].height if direction == 'LR' else values[source].width
        step = min(24.0 if direction == 'LR' else 80.0, (side - 14) / max(len(arrows) - 1, 1))
        for k, (_, i, slot) in enumerate(sorted(arrows)):
            start[i, slot] = (k - (len(arrows) - 1) / 2) * step
    for i, node in enumerate(order):
        if node.is_leaf:
            continue
        op = ops[i]
        pair = node.parents
        for slot, parent in enumerate(pair):
            box = values[index[parent]]
            # x * x: two arrows from one box end side by side at one circle
            offset = (-3.5 if slot == 0 else 3.5) if len(pair) == 2 and pair[0] is pair[1] else 0.0
            picture.edges.append(_arrow(box, op, bends[i, slot], parent=index[parent], child=i, slot=slot,
                                        offset=(start[i, slot], offset), direction=direction, route=route))
        box = values[i]
        if direction == 'LR':
            out = route((op.x + _RADIUS, op.y), (box.x - box.width / 2, box.y), op.rank, box.rank)
        else:
            out = [_line((op.x, op.y + _RADIUS), (box.x, box.y - box.height / 2))]
        picture.outs[i] = out
    rightmost = max(x for curve in _all_curves(picture) for x, _ in curve)
    picture.width = round(max(picture.width, rightmost + margin))
    return picture


def _shift(picture: Picture, dx: float) -> None:
    """Move everything right by ``dx``, and widen the picture by ``dx`` on both sides."""
    for item in [*picture.values.values(), *picture.ops.values()]:
        item.x += dx

    def moved(curves: list[Curve]) -> list[Curve]:
        return [((a[0] + dx, a[1]), (b[0] + dx, b[1]), (c[0] + dx, c[1]), (d[0] + dx, d[1]))
                for a, b, c, d in curves]

    for edge in picture.edges:
        edge.curves = moved(edge.curves)
        edge.path = path_of(edge.curves)
    for i, out in picture.outs.items():
        picture.outs[i] = moved(out)
    picture.width = round(picture.width + 2 * dx)


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


def _arrow(box: Item, op: Item, via: list[Item], *, parent: int, child: int, slot: int,
           offset: tuple[float, float],
           direction: str, route: Callable[[Point, Point, int, int], list[Curve]]) -> Edge:
    """A smooth arrow from a box through its bend points to an operation, ``offset`` across at each end."""
    if direction == 'LR':
        points = [(box.x + box.width / 2, box.y + offset[0]), *((b.x, b.y) for b in via),
                  (op.x - _RADIUS, op.y + offset[1])]
    else:
        points = [(box.x + offset[0], box.y + box.height / 2), *((b.x, b.y) for b in via),
                  (op.x + offset[1], op.y - _RADIUS)]
    ranks = [box.rank, *(b.rank for b in via), op.rank]
    curves = [c for k in range(len(points) - 1)
              for c in route(points[k], points[k + 1], ranks[k], ranks[k + 1])]
    return Edge(parent, child, slot, path_of(curves), curves=curves)


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point, t: float) -> Point:
    u = 1.0 - t
    return (u ** 3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t ** 3 * p3[0],
            u ** 3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t ** 3 * p3[1])


def sample(curves: list[Curve], step: float = 2.0) -> list[Point]:
    """Points along joined cubic curves, about ``step`` px apart.

    >>> len(sample([((0.0, 0.0), (10.0, 0.0), (20.0, 0.0), (30.0, 0.0))]))
    17
    """
    points: list[Point] = []
    for curve in curves:
        rough = sum(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in zip(curve, curve[1:]))
        count = max(2, int(rough / step) + 1)
        points += [_bezier(*curve, k / count) for k in range(0 if not points else 1, count + 1)]
    return points


Box = tuple[float, float, float, float]   # left, top, right, bottom

def _room(number: float) -> str:
    """The number as the page first writes it, or a short one's room ('−0.5'): a label leaves room
    for it, and a longer number, later, grows away from its arrow."""
    text = format_number(number, '.4g').replace('-', '−')
    return text if len(text) >= 4 else text.rjust(4)


def text_box(text: str, kind: str, x: float, y: float, anchor: str) -> Box:
    """The box a number on an arrow covers, ``kind`` 'local' or 'gives', at baseline ``y``.

    Widths are a wide sans-serif's (DejaVu Sans, measured in Chromium), so that the
    estimate errs on the large side for narrower fonts.

    >>> text_box('0.5', 'local', 100, 50, 'start')
    (100, 39.0, 123.4, 53.0)
    """
    if kind == 'local':   # 11.5 px, semi-bold
        width, above = 7.8 * len(text), 11.0
    else:                 # 11 px: 'gives ' and a number
        number = text.removeprefix('gives ')
        width, above = 7.0 * len(number) + (29.5 if number != text else 0.0), 10.0
    left = {'start': x, 'middle': x - width / 2, 'end': x - width}[anchor]
    return (left, y - above, round(left + width, 1), y + 3.0)


def label_boxes(edge: Edge, local: str | None = None, gives: str | None = None) -> list[Box]:
    """The boxes an arrow's numbers cover: its local derivative and, at fan-out, what it gives."""
    local = edge.room[0] if local is None else local
    gives = edge.room[1] if gives is None else gives
    boxes = [text_box(local, 'local', edge.label_x, edge.label_y, edge.anchor)]
    if edge.gives:
        boxes.append(text_box(gives, 'gives', *edge.gives_at))
    return boxes


_CELL = 24.0
_LOOKS = 12_000
_SEARCH = 400.0   # px back along an arrow from its end where its numbers may go


class _Grid:
    """Arrow points (with the arrow they belong to) and boxes by the square cells they touch,
    to find quickly what a label would cover and which arrow it would sit nearest."""

    def __init__(self) -> None:
        self.points: dict[tuple[int, int], list[tuple[float, float, int]]] = {}
        self.boxes: dict[tuple[int, int], list[Box]] = {}

    @staticmethod
    def cells(box: Box):
        for cx in range(int(box[0] // _CELL), int(box[2] // _CELL) + 1):
            for cy in range(int(box[1] // _CELL), int(box[3] // _CELL) + 1):
                yield cx, cy

    def add_point(self, point: Point, owner: int) -> None:
        self.points.setdefault((int(point[0] // _CELL), int(point[1] // _CELL)), []).append((*point, owner))

    def add_box(self, box: Box) -> None:
        for cell in self.cells(box):
            self.boxes.setdefault(cell, []).append(box)

    def hits(self, box: Box, clearance: float, owner: int, bound: float = float('inf')) -> float:
        """How much ``box`` is in the way: arrow points and boxes it covers (grown by
        ``clearance``), and whether another arrow passes nearer to it than its own (``owner``);
        at least ``bound`` as soon as it is known to be (the best place so far is better)."""
        reach = 14.0
        grown = (box[0] - reach, box[1] - reach, box[2] + reach, box[3] + reach)
        count = 0.0
        own, other = reach, reach
        met: set[int] = set()
        for cell in self.cells(grown):
            for x, y, whose in self.points.get(cell, ()):
                gap = max(box[0] - x, x - box[2], box[1] - y, y - box[3], 0.0)
                if gap <= clearance:
                    count += 3
                if whose == owner:
                    own = min(own, gap)
                else:
                    other = min(other, gap)
            met.update(id(shape) for shape in self.boxes.get(cell, ()) if _overlap(box, shape))
            if count + 30 * len(met) >= bound:
                return bound
        return count + 30 * len(met) + (2 if other <= own + 2 else 0)


def _overlap(one: Box, other: Box) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


def _place_labels(picture: Picture) -> None:
    """Put each arrow's numbers beside it, near its end, where they cover no arrow, box or other
    number, and where no other arrow passes nearer to them than their own.

    Along the arrow from its end back (nearest first), on the side away from the circle's
    other input first; the first place that is in no way wins, else the place least in the way.
    """
    # A large graph is read in close-up, and laid out in moments: its numbers go at the first
    # place looked at (beside the arrow, near its end), without looking at what is there; so do
    # those of a value used many times, whose arrows run in a bundle with no room between.
    uses: dict[int, int] = {}
    for edge in picture.edges:
        uses[edge.parent] = uses.get(edge.parent, 0) + 1
    thorough = len(picture.edges) <= 300 and max(uses.values(), default=0) <= 8
    looks = _LOOKS   # places looked at, at most, before the rest go at the first place looked at
    grid = _Grid()
    # (4 px apart: no line crosses a number, 13 px high, between two of them)
    for owner, edge in enumerate(picture.edges if thorough else []):
        for point in sample(edge.curves, 4.0):
            grid.add_point(point, owner)
    for out in picture.outs.values() if thorough else []:
        for point in sample(out, 4.0):
            grid.add_point(point, -1)
    for item in [*picture.values.values(), *picture.ops.values()] if thorough else []:
        grid.add_box((item.x - item.width / 2, item.y - item.height / 2,
                      item.x + item.width / 2, item.y + item.height / 2))
    arity = {edge.child: edge.slot + 1 for edge in picture.edges}
    for owner, edge in enumerate(picture.edges):
        second = edge.slot == 1 or arity[edge.child] == 1
        points = _near_the_end(edge.curves, _SEARCH + 100)
        walked, along = 0.0, []
        for before, point in zip(points, points[1:]):
            walked += abs(point[0] - before[0]) + abs(point[1] - before[1])
            along.append((walked, point, before))
            if walked > _SEARCH + 100:   # the rest is too far from the end for a number
                break
        points = points[:len(along) + 1]
        texts = [('local', edge.room[0])] + ([('gives', edge.room[1])] if edge.gives else [])
        near = 16   # where along the arrow its local derivative went: what it gives goes near it
        for kind, text in texts:
            best: tuple[float, float, float, str] | None = None
            chosen = near
            step = 0
            for distance in range(16, int(min(walked, _SEARCH)), 8):
                while along[step][0] < distance:
                    step += 1
                _, point, ahead = along[step]
                # beside the arrow where it passes: above or below a level stretch, left or right
                # of a steep one; an operation's first input's number on the side away from its second
                level = abs(ahead[0] - point[0]) >= abs(ahead[1] - point[1])
                sides = ['above', 'below'] if level else ['left', 'right']
                for side, shift in product(sides[::-1] if second else sides, (0, 8, -8, 16)):
                    x, y, anchor = _beside(point, side, 11.0 if kind == 'local' else 10.0)
                    x, y = (x + shift, y) if level else (x, y + shift)
                    x, y = _hug(points, side, text_box(text, kind, x, y, anchor), x, y)
                    box = text_box(text, kind, x, y, anchor)
                    hits = grid.hits(box, 2.0, owner, best[0] if best else float('inf'))
                    looks -= 1
                    hits += (abs(distance - near) + abs(shift)) / 1000
                    if box[0] < 1 or box[1] < 1 or box[2] > picture.width - 1 or box[3] > picture.height - 1:
                        hits += 1000
                    if best is None or hits < best[0]:
                        best = (hits, round(x, 1), round(y, 1), anchor)
                        chosen = distance
                if best is not None and (best[0] < 1 and distance >= near or not thorough or looks < 0):
                    break
            if best is None:
                best = (0, *edge.curves[-1][-1], 'middle')
            if kind == 'local':
                _, edge.label_x, edge.label_y, edge.anchor = best
                near = chosen
            else:
                edge.gives_at = best[1:]
            grid.add_box(text_box(text, kind, *best[1:]))


def _near_the_end(curves: list[Curve], length: float, step: float = 2.0) -> list[Point]:
    """Points along the last ``length`` px (about) of joined curves, from the end back, ``step`` apart."""
    points: list[Point] = []
    for curve in reversed(curves):
        rough = sum(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in zip(curve, curve[1:]))
        part = min(1.0, length / rough) if rough else 1.0
        count = max(2, int(part * rough / step) + 1)
        points += [_bezier(*curve, 1.0 - part * k / count) for k in range(0 if not points else 1, count + 1)]
        length -= part * rough
        if length <= 0:
            break
    return points


def _hug(points: list[Point], side: str, box: Box, x: float, y: float) -> tuple[float, float]:
    """The anchor (``x``, ``y``) of a text whose ``box`` is beside an arrow, moved so that the box
    keeps 4 px off the arrow all along where they face (a sloping arrow under a wide number)."""
    if side in ('above', 'below'):
        facing = [py for px, py in points if box[0] - 2 <= px <= box[2] + 2]
        if facing:
            y += (min(facing) - 4 - box[3]) if side == 'above' else (max(facing) + 4 - box[1])
    else:
        facing = [px for px, py in points if box[1] - 2 <= py <= box[3] + 2]
        if facing:
            x += (min(facing) - 5 - box[2]) if side == 'left' else (max(facing) + 5 - box[0])
    return x, y


def _beside(point: Point, side: str, above: float) -> tuple[float, float, str]:
    """Anchor and baseline of a line of text (``above`` px over its baseline, 3 under) just
    ``side`` of ``point``, 4 px off."""
    x, y = point
    if side == 'above':
        return x, y - 4 - 3, 'middle'
    if side == 'below':
        return x, y + 4 + above, 'middle'
    middle = y + (above - 3) / 2
    return (x - 5, middle, 'end') if side == 'left' else (x + 5, middle, 'start')


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
    for edge in picture.edges:
        e = 2 * edge.child + edge.slot
        x, y, anchor = edge.label_x, edge.label_y, edge.anchor
        parts.append(f'<text class="local" data-e="{e}" x="{x:.1f}" y="{y:.1f}" '
                     f'text-anchor="{anchor}"></text>')
        if edge.gives:
            x, y, anchor = edge.gives_at
            parts.append(f'<text class="gives" data-e="{e}" x="{x:.1f}" y="{y:.1f}" '
                         f'text-anchor="{anchor}"></text>')
    parts.append('</g></svg>')
    return ''.join(parts)
