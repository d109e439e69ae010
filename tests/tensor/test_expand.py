"""Expansion to scalars: every tensor gradient is the scalar engine's, element by element."""

from __future__ import annotations

import numpy as np
import pytest

from microgradnode import Value, topological_order
from microgradnode.tensor import Tensor
from microgradnode.tensor.expansion import expand
from microgradnode.tensor.explanation import explain

from .programs import BINARY, STRUCTURAL, UNARY, random_program

TOLERANCE = 1e-12


def _scalar_grads(values: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: v.grad, otypes=[float])(values)


def test_random_programs_agree_with_the_scalar_engine_element_by_element():
    seen: set[str] = set()
    for seed in range(60):
        builder, program = random_program(seed, steps=6)
        output = builder.nodes[program.output]
        output.backward()
        scalars = expand(output)
        assert scalars.output.shape == output.shape
        assert scalars.output.item().data == pytest.approx(output.item(), rel=TOLERANCE, abs=TOLERANCE)
        scalars.output.item().backward()
        for tensor in builder.leaf_tensors:
            if tensor not in scalars.inputs:  # a leaf the program drew but never used
                assert not tensor.grad.any()
                continue
            np.testing.assert_allclose(_scalar_grads(scalars.inputs[tensor]), tensor.grad,
                                       rtol=TOLERANCE, atol=TOLERANCE, err_msg=f'seed {seed}')
        seen |= program.ops
    assert seen >= {*UNARY, *BINARY, 'pow', *STRUCTURAL}


def test_a_matrix_product_expands_to_its_products_and_sums():
    x = Tensor(np.arange(6.0).reshape(2, 3), 'X')
    w = Tensor(np.arange(6.0).reshape(3, 2), 'W')
    scalars = expand(x @ w)
    assert scalars.output.shape == (2, 2)
    nodes = {v for element in scalars.output.ravel() for v in topological_order(element)}
    ops = [v.op for v in nodes]
    assert ops.count('mul') == 12 and ops.count('add') == 8
    assert scalars.output[1, 0].data == float((x.data @ w.data)[1, 0])
    assert scalars.inputs[w][2, 1].label == 'W[2,1]'
    assert all(scalars.made_by[v] is not None for v in nodes if not v.is_leaf)


def test_backward_on_one_element_fills_one_column_of_the_matmul_rule():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], 'X')
    w = Tensor([[5.0, 6.0], [7.0, 8.0]], 'W')
    scalars = expand(x @ w)
    scalars.output[1, 0].backward()  # dY[1,0]/dW[j,k] = X[1,j] if k == 0 else 0
    assert _scalar_grads(scalars.inputs[w]).tolist() == [[3.0, 0.0], [4.0, 0.0]]


def test_expand_refuses_large_programs_and_non_tensors():
    with pytest.raises(ValueError, match='max_elements=10'):
        expand(Tensor(np.ones((4, 4))) * 2.0, max_elements=10)
    with pytest.raises(TypeError, match='needs a Tensor'):
        expand(Value(1.0))  # type: ignore[arg-type]


def test_explain_lists_the_scalar_paths_beside_the_vjp_rule_with_numbers():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], 'X')
    w = Tensor([[0.5], [-1.0]], 'W')
    b = Tensor([0.25], 'b')
    loss = (x @ w + b).tanh().sum()
    loss.label = 'L'
    loss.backward()
    about_w = explain(loss, w, (1, 0))
    assert about_w.gradient == pytest.approx(w.grad[1, 0], rel=1e-15)
    assert about_w.path_sum == pytest.approx(w.grad[1, 0], rel=1e-13)
    assert len(about_w.scalar.paths) == 2        # through Y[0,0] and Y[1,0]
    text = about_w.text()
    assert 'dL/dW = Xᵀ · dL/d(X@W)' in text
    dy = 1.0 - np.tanh(x.data @ w.data + b.data) ** 2
    assert f'Σᵢ X[i,1] · dL/d(X@W)[i,0] = 2·{dy[0, 0]:.4g} + 4·{dy[1, 0]:.4g}' in text
    about_b = explain(loss, b, 0)
    assert 'summed over the broadcast axes (2, 1) → (1,)' in about_b.text()
    assert 'sum over the 2 places it was broadcast to, ((X@W) + b)[0,0], ((X@W) + b)[1,0]' in about_b.text()
    assert about_b.path_sum == pytest.approx(b.grad[0], rel=1e-13)


def test_explain_checks_its_arguments():
    x = Tensor([1.0, 2.0], 'x')
    with pytest.raises(ValueError, match='must hold one number'):
        explain(x * 2.0, x, 0)
    with pytest.raises(IndexError, match=r'index \(5,\) does not name an element of shape \(2,\)'):
        explain((x * 2.0).sum(), x, 5)
    with pytest.raises(ValueError, match='does not depend'):
        explain((x * 2.0).sum(), Tensor([1.0], 'y'), 0)
