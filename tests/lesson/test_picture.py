"""The live page's picture laid out in Python (microgradnode/lesson/picture.py)."""

from __future__ import annotations

from microgradnode import Value
from microgradnode.engine import topological_order
from microgradnode.lesson.picture import WIDE_VIEW, layout
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
