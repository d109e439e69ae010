"""The live page's picture laid out in Python (microgradnode/lesson/picture.py)."""

from __future__ import annotations

import pytest

from microgradnode import Value
from microgradnode.engine import topological_order
from microgradnode.formulas.printing import format_number
from microgradnode.lesson.picture import WIDE_VIEW, label_boxes, layout, sample
from microgradnode.lesson.walkthrough import walkthrough
from microgradnode.twonode import build


def names_of(root: Value) -> dict[Value, str]:
    return {node: node.label or format(node.data, 'g') for node in topological_order(root)}


def test_a_long_chain_wraps_into_rows_that_fit_a_wide_screen():
    net = build()
    picture = layout(net.loss, names_of(net.loss), 'LR')
    assert picture.width <= WIDE_VIEW[0] and picture.height <= WIDE_VIEW[1]
    # two rows: the boxes sit at two heights apart by more than a box
    tops = sorted({round(item.y - item.height / 2) for item in picture.values.values()})
    assert tops[-1] - tops[0] > 61 * 2
    # one arrow crosses the cut: it leaves its row on the right and comes back in from the left
    crossing = [i for i, out in picture.outs.items() if len(out) > 1]
    assert len(crossing) == 1
    (i,) = crossing
    start, end = picture.outs[i][0][0], picture.outs[i][-1][-1]
    assert end[1] > start[1] + 61 and end[0] < start[0]
    assert max(x for curve in picture.outs[i] for x, _ in curve) > start[0]
    # every box inside the picture
    for item in [*picture.values.values(), *picture.ops.values()]:
        assert 0 <= item.x - item.width / 2 and item.x + item.width / 2 <= picture.width
        assert 0 <= item.y - item.height / 2 and item.y + item.height / 2 <= picture.height
    # the phone's layout is one column, top to bottom, as before
    tall = layout(net.loss, names_of(net.loss), 'TB')
    assert tall.width < 400 < tall.height
    assert all(len(out) == 1 for out in tall.outs.values())


def test_a_graph_that_fits_or_cannot_fit_stays_one_row():
    a, b = Value(2.0, 'a'), Value(-3.0, 'b')
    f = a * b + a
    small = layout(f, names_of(f), 'LR')
    assert small.width < WIDE_VIEW[0] and all(len(out) == 1 for out in small.outs.values())
    x = Value(0.5, 'x')
    long = x
    for _ in range(40):  # 81 layers: not even four rows fit the view, so a close-up of one row
        long = (long * 1.01).tanh()
    picture = layout(long, names_of(long), 'LR')
    assert picture.width > 4 * WIDE_VIEW[0]
    assert all(len(out) == 1 for out in picture.outs.values())


def lesson_graphs() -> dict[str, Value]:
    a, b = Value(2.0, 'a'), Value(-3.0, 'b')
    default = a * b + a
    default.label = 'f'
    x = Value(3.0, 'x')
    p, q = Value(2.0, 'p'), Value(-3.0, 'q')
    w0, x0, w1, x1, bias = (Value(v, n) for v, n in ((-3.0, 'w0'), (2.0, 'x0'), (1.0, 'w1'), (0.0, 'x1'),
                                                      (6.88, 'b')))
    return {'a*b + a': default, 'two-node': build().loss, 'x*x + x': x * x + x,
            '(p+q)*(p-q)': (p + q) * (p - q), 'neuron': (w0 * x0 + w1 * x1 + bias).tanh()}


def page_number(x: float) -> str:
    return format_number(x, '.4g').replace('-', '−')


@pytest.mark.parametrize('direction', ['LR', 'TB'])
@pytest.mark.parametrize('which', list(lesson_graphs()))
def test_numbers_on_arrows_sit_beside_them(which, direction):
    """No local derivative or 'gives' number covers an arrow (its own or another), a box, a
    circle or another number; and the arrow nearest to it is its own."""
    root = lesson_graphs()[which]
    walk = walkthrough(root)   # runs the backward pass: the numbers are the page's first ones
    order = walk.order
    picture = layout(root, {node: walk.names[node].replace('-', '−') for node in order}, direction)
    arrows = [(owner, point) for owner, edge in enumerate(picture.edges)
              for point in sample(edge.curves, 1.0)]
    arrows += [(-1, point) for out in picture.outs.values() for point in sample(out, 1.0)]
    shapes = [(item.x - item.width / 2, item.y - item.height / 2,
               item.x + item.width / 2, item.y + item.height / 2)
              for item in [*picture.values.values(), *picture.ops.values()]]
    labels = []
    for owner, edge in enumerate(picture.edges):
        child = order[edge.child]
        local = child.local_grads[edge.slot]
        texts = [page_number(local)] + ([f'gives {page_number(child.grad * local)}'] if edge.gives else [])
        assert edge.gives == (sum(p is order[edge.parent] for node in order for p in node.parents) > 1)
        for box, text in zip(label_boxes(edge, *texts), texts):
            labels.append((owner, text, box))
    assert len(labels) >= len(picture.edges)
    for k, (owner, text, box) in enumerate(labels):
        where = (which, direction, text, box)
        assert 0 <= box[0] and box[2] <= picture.width and 0 <= box[1] and box[3] <= picture.height, where
        covered = [whose for whose, (x, y) in arrows
                   if box[0] - 1 <= x <= box[2] + 1 and box[1] - 1 <= y <= box[3] + 1]
        assert covered == [], where
        assert not any(overlap(box, shape) for shape in shapes), where
        assert not any(overlap(box, other) for j, (_, _, other) in enumerate(labels) if j != k), where
        nearest = min(arrows, key=lambda arrow: distance(box, arrow[1]))
        assert nearest[0] == owner or distance(box, nearest[1]) >= min(
            distance(box, point) for whose, point in arrows if whose == owner) - 0.5, where


def overlap(one, other) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


def distance(box, point) -> float:
    x, y = point
    return max(box[0] - x, x - box[2], 0.0) + max(box[1] - y, y - box[3], 0.0)
