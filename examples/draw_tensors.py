"""From tensors to scalars: draw a tensor program, and the scalar graph one of its products stands for.

Run: python examples/draw_tensors.py [FOLDER]   (default: docs/images)

Writes four pictures (SVG and PNG):

- tensor_graph: ``L = sum(tanh(X @ W + b))`` at the tensor level, each arrow labelled
  with the vector-Jacobian rule that carries the gradient back along it;
- tensor_matmul_expanded: ``Y = X @ W`` (2×2 by 2×2) expanded to scalars, the paths from
  ``W[1,0]`` to the loss in red: the two products whose sum is ``(Xᵀ · dL/dY)[1,0]``;
- tensor_broadcast_expanded: ``X + b`` with ``b`` broadcast over the rows: ``b[0]``
  reaches the loss through both rows, so its gradient is their sum;
- tensor_expanded_folded: ``sum(tanh(X @ W))`` (2×1 by 1×2) expanded and drawn with
  ``draw(..., fold='neuron')``: one box per element of each operation's result, the
  gradient flowing between them on the arrows.
"""

import sys
from pathlib import Path

from microgradnode import draw
from microgradnode.diagram.tensors import draw_expanded, draw_tensor
from microgradnode.tensor import Tensor, expand

# Into the folder given, else the current one (`python -m tools.docs_images` remakes docs/images).
folder = Path(sys.argv[1] if len(sys.argv) > 1 else '.')
folder.mkdir(parents=True, exist_ok=True)


def save(diagram, name: str) -> None:
    print(diagram.save(folder / f'{name}.svg'))
    diagram.digraph.attr(dpi='80')
    print(diagram.save(folder / f'{name}.png'))


X = Tensor([[1.0, 2.0, 0.5], [3.0, -1.0, 2.0]], 'X')
W = Tensor([[0.5, -1.0], [0.2, 0.3], [1.0, 0.1]], 'W')
b = Tensor([0.1, -0.2], 'b')
Y = X @ W + b
Y.label = 'Y'
L = Y.tanh().sum()
L.label = 'L'
L.backward()
title = 'L = sum(tanh(X @ W + b)): shapes, and the backward rule on each arrow'
save(draw_tensor(L, rankdir='TB', title=title), 'tensor_graph')

# A matrix product alone, weighted by a fixed G so that dL/dY = G is not all ones.
X = Tensor([[1.0, 2.0], [3.0, -1.0]], 'X')
W = Tensor([[0.5, -1.0], [0.2, 0.3]], 'W')
G = Tensor([[1.0, -2.0], [0.5, 3.0]], 'G')
product = X @ W
product.label = 'Y'
loss = (product * G).sum()
loss.label = 'L'
scalars = expand(loss)
total = scalars.output.item()
total.backward()
names = {product: 'Y = X @ W: 8 products, 4 sums', loss: 'sum(Y ⊙ G)', loss.parents[0]: 'Y ⊙ G'}
save(draw_expanded(total, scalars.made_by, names=names, highlight=scalars.inputs[W][1, 0],
                   title='dL/dW[1,0] = X[0,1]·G[0,0] + X[1,1]·G[1,0]: one path per row of X'),
     'tensor_matmul_expanded')

x = Tensor([[1.0, 2.0], [3.0, 4.0]], 'X')
bias = Tensor([0.5, -0.5], 'b')
shifted = x + bias
broadcast_loss = (shifted * shifted).sum()
broadcast_loss.label = 'L'
scalars = expand(broadcast_loss)
total = scalars.output.item()
total.backward()
names = {shifted: 'X + b (b broadcast over the rows)', broadcast_loss: 'sum',
         broadcast_loss.parents[0]: 'square'}
save(draw_expanded(total, scalars.made_by, names=names, highlight=scalars.inputs[bias][0],
                   title='b[0] feeds both rows: dL/db[0] is the sum of two paths'),
     'tensor_broadcast_expanded')

# The same kind of expansion through the diagrams' folding (the record nn modules leave,
# which expand() leaves too): one box per element of each tensor operation's result. A 2×1
# by 1×2 product: 8 arrows into Y, few enough that the diagram draws each one.
X = Tensor([[2.0], [-1.0]], 'X')
W = Tensor([[0.2, 0.3]], 'W')
Y = X @ W
Y.label = 'Y'
Z = Y.tanh()
Z.label = 'Z'
L = Z.sum()
L.label = 'L'
scalars = expand(L)
total = scalars.output.item()
total.backward()
save(draw(total, fold='neuron', title='sum(tanh(X @ W)) expanded, one box per element of Y, Z and L'),
     'tensor_expanded_folded')
