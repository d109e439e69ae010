"""Backprop is itself a computation graph: draw d loss / d w0 of the two-node network.

Run: python examples/draw_gradient_graph.py [--out FOLDER]   (default: the current folder; the
pictures of docs/images are made by `python -m tools.docs_images`)

``grad(loss, [w0], create_graph=True)`` runs the backward pass with Values instead of
floats, so the gradient comes back as a graph of ordinary operations over the network's
own nodes. This script draws that graph after differentiating it once more (so every box
shows d²loss / d w0 d value, written ∂(dloss/dw0)/∂·) and writes two_node_gradient_graph.svg
and .png: the forward values in one band, the backward pass's nodes (dloss/ds2, ∂s2/∂x2...)
in another, laid out from the output back so that each sits beside the values it reads.
"""

import argparse
from pathlib import Path

from microgradnode import draw, grad, twonode

net = twonode.build()                                   # the seed notebook's network
(dloss_dw0,) = grad(net.loss, [net.w0], create_graph=True)
dloss_dw0.label = 'dloss/dw0'
dloss_dw0.backward()                                    # grads: d (dloss/dw0) / d each value

print(f'dloss/dw0 = {dloss_dw0.data:.6g}, d2loss/dw0^2 = {net.w0.grad:.6g}')
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument('--out', type=Path, default=Path('.'), metavar='FOLDER',
                    help='where to write the pictures (default: the current folder; created if missing)')
folder = parser.parse_args().out
folder.mkdir(parents=True, exist_ok=True)
diagram = draw(dloss_dw0, rankdir='TB', legend=True,
               title='d loss / d w0 of the two-node network, as a graph; '
                     '∂(dloss/dw0)/∂·: how it changes with each value')
print(diagram.save(folder / 'two_node_gradient_graph.svg'))
diagram.digraph.attr(dpi='80')
print(diagram.save(folder / 'two_node_gradient_graph.png'))
