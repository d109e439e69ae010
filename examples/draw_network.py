"""Diagrams of a real network: the moons MLP grouped by module, folded by neuron and by layer.

Run: python examples/draw_network.py [--out FOLDER]   (default: the current folder; the
pictures of docs/images are made by `python -m tools.docs_images`)

One forward pass of a 2-16-16-1 MLP for one point is about 660 Values, a training step
over 100 points about 66,000: drawn value by value, no one can read them. Folded, each
neuron (or layer) is one box with its output's data and grad, and the arrows between
boxes carry the gradient flowing back along them. Writes, after training briefly on
two moons:

- moons_grouped.png: a small 2-3-3-1 MLP, every Value drawn, each neuron and layer a cluster;
- moons_neurons.png: the 2-4-4-1 MLP, one box per neuron (as ``microgradnode fit --graph`` draws);
- moons_neurons_16.png: the 2-16-16-1 MLP, one box per neuron, each layer a column in index
  order, the 256 arrows between the hidden layers as one, dead units marked;
- moons_layers.png: the 2-16-16-1 MLP, one box per layer;
- moons_step.svg: the whole training step of the 2-16-16-1 MLP (about 69,000 Values), one
  sample's path folded by neuron, "× 100 samples".
"""

import argparse
import time
from pathlib import Path

from microgradnode import Value, draw, topological_order
from microgradnode.nn import MLP
from microgradnode.nn.datasets import moons
from microgradnode.nn.optim import Adam
from microgradnode.nn.training import batch_loss, train

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument('--out', type=Path, default=Path('.'), metavar='FOLDER',
                    help='where to write the pictures (default: the current folder; created if missing)')
folder = parser.parse_args().out
folder.mkdir(parents=True, exist_ok=True)
points, labels = moons(100, seed=0)


def trained(sizes: list[int]) -> MLP:
    model = MLP(2, [*sizes, 1], seed=0)
    train(model, points, labels, optimizer=Adam(model.parameters(), lr=0.05), steps=30, progress=False)
    return model


def on_first_point(model: MLP) -> Value:
    score = model([Value(x, f'x{i}') for i, x in enumerate(points[0])])  # named inputs: drawn as boxes
    model.zero_grad()
    score.backward()
    return score


small, mid, big = trained([3, 3]), trained([4, 4]), trained([16, 16])
pictures = [
    ('moons_grouped.png', on_first_point(small), {'group': 'module', 'fold_sums': True}),
    ('moons_neurons.png', on_first_point(mid), {'fold': 'neuron', 'group': 'module', 'legend': True}),
    ('moons_neurons_16.png', on_first_point(big), {'fold': 'neuron', 'legend': True}),
    ('moons_layers.png', on_first_point(big), {'fold': 'layer'}),
]
for name, score, options in pictures:
    diagram = draw(score, **options)
    if 'fold_sums' in options:  # every value drawn: the widest; the others stay at 96 dpi, text >= 13 px
        diagram.digraph.attr(dpi='80')
    print(diagram.save(folder / name), f'({len(topological_order(score))} values)')

loss, _ = batch_loss(big, points, labels)
big.zero_grad()
loss.backward()
start = time.perf_counter()
diagram = draw(loss, fold='sample', group='module', show_local=False)
path = diagram.save(folder / 'moons_step.svg')
print(path, f'({len(topological_order(loss))} values, {time.perf_counter() - start:.1f} s)')
