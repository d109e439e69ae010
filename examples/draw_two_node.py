"""Draw the two-node network of the seed notebook after one backward pass.

Run: python examples/draw_two_node.py [--out FOLDER]   (default: the current folder; the
pictures of docs/images are made by `python -m tools.docs_images`)

Writes two_node_graph.svg and two_node_graph.png: every value with its data and
grad, and on each arrow the local derivative, so the chain rule can be checked by
eye: a value's grad is the sum, over its outgoing arrows, of the grad further down
times the number on the arrow.
"""

import argparse
from pathlib import Path

from microgradnode import Value, draw


def named(value: Value, label: str) -> Value:
    value.label = label
    return value


s0 = Value(2.0, 's0')                     # the input
w0, w1, w2 = Value(2.0, 'w0'), Value(1.0, 'w1'), Value(0.5, 'w2')
target = Value(0.7, 'target')

x1 = named(w0 * s0, 'x1')                 # first neuron: activity, then sigmoid
s1 = named(x1.sigmoid(), 's1')
x2 = named(w1 * s1, 'x2')                 # second neuron
s2 = named(x2.sigmoid(), 's2')
out = named(w2 * s2, 'out')
loss = named(0.5 * (out - target) ** 2, 'loss')
loss.backward()

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument('--out', type=Path, default=Path('.'), metavar='FOLDER',
                    help='where to write the pictures (default: the current folder; created if missing)')
folder = parser.parse_args().out
folder.mkdir(parents=True, exist_ok=True)
diagram = draw(loss, rankdir='TB', legend=True)
print(diagram.save(folder / 'two_node_graph.svg'))
diagram.digraph.attr(dpi='110')           # a sharper PNG for screens
print(diagram.save(folder / 'two_node_graph.png'))
