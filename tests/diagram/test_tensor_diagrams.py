"""Tensor diagrams: shapes and backward rules on the tensor graph; the expanded graph by operation."""

from __future__ import annotations

import numpy as np
import pytest

from microgradnode import draw
from microgradnode.diagram.tensors import draw_expanded, draw_tensor
from microgradnode.tensor import Tensor, expand


def _program() -> tuple[Tensor, Tensor]:
    x, w = Tensor([[1.0, 2.0], [3.0, -1.0]], 'X'), Tensor([[0.5, -1.0], [0.2, 0.3]], 'W')
    b = Tensor([0.1, -0.2], 'b')
    y = x @ w + b
    y.label = 'Y'
    loss = y.tanh().sum()
    loss.label = 'L'
    loss.backward()
    return loss, w


def test_the_tensor_graph_shows_shapes_and_each_edges_rule():
    loss, _ = _program()
    diagram = draw_tensor(loss)
    assert (diagram.value_count, diagram.operation_count) == (7, 4)
    source = diagram.source
    for text in ('shape</FONT> 2×2', 'shape</FONT> scalar', 'dL/dX = dL/d(X@W) · Wᵀ',
                 'dL/dW = Xᵀ · dL/d(X@W)', 'summed over the broadcast axes (2, 2) → (2,)',
                 'dL/dtanh(Y) = dL/dL spread over the summed axes'):
        assert text in source, text
    assert draw(loss).source == source  # microgradnode.draw hands a Tensor to draw_tensor


def test_without_grads_or_rules_and_with_bad_options():
    loss, _ = _program()
    bare = draw_tensor(loss, show_grad=False, show_rules=False).source
    assert 'grad</FONT>' not in bare and 'dL/dW' not in bare
    with pytest.raises(TypeError, match='needs a Tensor'):
        draw_tensor(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match='rankdir'):
        draw_tensor(loss, rankdir='up')
    with pytest.raises(ValueError, match='max_nodes=2'):
        draw_tensor(loss, max_nodes=2)


def test_the_expanded_graph_groups_values_by_tensor_operation_and_marks_the_paths():
    x, w = Tensor([[1.0, 2.0], [3.0, -1.0]], 'X'), Tensor([[0.5, -1.0], [0.2, 0.3]], 'W')
    product = x @ w
    product.label = 'Y'
    loss = (product * np.array([[1.0, -2.0], [0.5, 3.0]])).sum()
    scalars = expand(loss)
    total = scalars.output.item()
    total.backward()
    diagram = draw_expanded(total, scalars.made_by, names={product: 'X @ W'},
                            highlight=scalars.inputs[w][1, 0])
    source = diagram.source
    assert source.count('subgraph cluster_') == 3          # matmul, the product with G, the sum
    assert 'label="X @ W"' in source and 'Y[0,1]' in source
    assert source.count('penwidth=2.5') >= 7                 # W[1,0], two products, two sums, ...
    with pytest.raises(ValueError, match='max_nodes=5'):
        draw_expanded(total, scalars.made_by, max_nodes=5)


def test_the_pictures_render(tmp_path):
    loss, _ = _program()
    path = draw_tensor(loss).save(tmp_path / 'tensor.png')
    assert path.stat().st_size > 1000


def test_an_expansion_folds_by_tensor_operation_with_the_diagrams_folding():
    x, w = Tensor([[1.0, 2.0], [3.0, -1.0]], 'X'), Tensor([[0.5, -1.0], [0.2, 0.3]], 'W')
    y = x @ w
    y.label = 'Y'
    z = y.tanh()
    z.label = 'Z'
    loss = z.sum()
    loss.label = 'L'
    scalars = expand(loss)
    total = scalars.output.item()
    total.backward()
    by_element = draw(total, fold='neuron').source
    assert by_element.count(": Σ w·x") == 4 and by_element.count(": tanh(x)") == 4
    assert "L.[]: Σ x" in by_element
    by_operation = draw(total, fold='layer').source
    assert 'Y: 4 × Σ w·x' in by_operation and 'Z: 4 × tanh(x)' in by_operation
    # 16 arrows into Y: the diagram bundles them into one, labelled with the gradients' norm
    assert '16 arrows, ‖grad‖' in by_element


def test_the_arrows_of_an_expansion_carry_the_terms_of_a_gradient():
    # A 2×1 by 1×2 product: 8 arrows into Y, drawn one by one. W[0,0] reaches Y[0,0] and
    # Y[1,0]: the two arrows out of it carry the two terms of its gradient.
    x, w = Tensor([[2.0], [-1.0]], 'X'), Tensor([[0.2, 0.3]], 'W')
    y = x @ w
    y.label = 'Y'
    loss = y.tanh().sum()
    scalars = expand(loss)
    total = scalars.output.item()
    total.backward()
    by_element = draw(total, fold='neuron').source
    w00 = scalars.inputs[w][0, 0]
    terms = [float(x.data[i, 0]) * float(scalars.values[y][i, 0].grad) for i in range(2)]
    assert w00.grad == pytest.approx(sum(terms), rel=1e-15)
    assert all(f'grad {term:.4g}'.replace('-', '−') in by_element for term in terms)  # diagrams print −
