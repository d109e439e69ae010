"""Hypothesis: broadcasting's backward, the rows on arrays and matmul's rule, on generated cases."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from microgradnode import Value
from microgradnode.ops.table import OPS
from microgradnode.tensor import Tensor
from microgradnode.tensor.expansion import expand
from microgradnode.tensor.structural import unbroadcast

FINITE = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
SAFE_BINARY = ['add', 'sub', 'mul']


@settings(max_examples=60, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       st.sampled_from(SAFE_BINARY), st.randoms(use_true_random=False))
def test_broadcast_backward_is_the_sum_over_the_broadcast_axes(shapes, name, rng):
    (left, right), result = shapes.input_shapes, shapes.result_shape
    a = np.array([rng.uniform(-2, 2) for _ in range(int(np.prod(left)))]).reshape(left)
    b = np.array([rng.uniform(-2, 2) for _ in range(int(np.prod(right)))]).reshape(right)
    ta, tb = Tensor(a), Tensor(b)
    out = getattr(ta, name)(tb)
    assert out.shape == result
    out.sum().backward()
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape
    # Every element of a was used prod(result) / prod(left) times, each with slope 1 (or b for mul).
    if name == 'add':
        np.testing.assert_allclose(ta.grad, np.full(left, np.prod(result) / max(np.prod(left), 1)))
    if name == 'mul':
        np.testing.assert_allclose(ta.grad, unbroadcast(np.broadcast_to(b, result), left), rtol=1e-13)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4), elements=FINITE),
       st.sampled_from([n for n, op in OPS.items() if op.arity == 1 and not op.constant]))
def test_unary_rows_on_arrays_are_the_scalar_rows_element_by_element(data, name):
    if name in ('log', 'sqrt'):
        data = np.abs(data) + 0.1
    x = Tensor(data)
    out = getattr(x, name)()
    out.backward(np.ones(data.shape))
    for index in np.ndindex(*data.shape):
        v = Value(float(data[index]))
        w = getattr(v, name)()
        w.backward()
        assert abs(out.data[index] - w.data) <= 1e-14 * max(1.0, abs(w.data))
        assert abs(x.grad[index] - v.grad) <= 1e-13 * max(1.0, abs(v.grad))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.randoms(use_true_random=False))
def test_matmul_rule_is_the_sum_of_the_scalar_paths(m, n, k, rng):
    a = np.array([[rng.uniform(-2, 2) for _ in range(n)] for _ in range(m)])
    b = np.array([[rng.uniform(-2, 2) for _ in range(k)] for _ in range(n)])
    g = np.array([[rng.uniform(-2, 2) for _ in range(k)] for _ in range(m)])
    ta, tb = Tensor(a, 'A'), Tensor(b, 'B')
    loss = (ta @ tb * g).sum()
    loss.backward()
    np.testing.assert_allclose(ta.grad, g @ b.T, rtol=1e-13, atol=1e-14)   # dL/dA = dL/dY · Bᵀ
    np.testing.assert_allclose(tb.grad, a.T @ g, rtol=1e-13, atol=1e-14)   # dL/dB = Aᵀ · dL/dY
    scalars = expand(loss)
    scalars.output.item().backward()
    scalar_grads = np.vectorize(lambda v: v.grad)(scalars.inputs[tb])
    np.testing.assert_allclose(scalar_grads, tb.grad, rtol=1e-12, atol=1e-13)
