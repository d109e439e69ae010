"""Tensor: forward values, backward semantics, the operation table's rows on arrays, bad input."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from microgradnode import GradcheckError, Value, no_grad
from microgradnode.ops.table import OPS
from microgradnode.tensor import Tensor, concatenate, cross_entropy, grad, log_softmax, softmax, stack
from microgradnode.tensor.arrays import ARRAY_FUNCTIONS, ROWS
from microgradnode.tensor.check import gradcheck
from microgradnode.tensor.structural import STRUCTURAL, unbroadcast


def test_every_row_of_the_table_is_a_tensor_method_and_every_helper_has_an_array_counterpart():
    from microgradnode.ops.table import FUNCTIONS
    assert set(ROWS) == set(OPS)
    assert set(FUNCTIONS) <= set(ARRAY_FUNCTIONS)
    for name in OPS:
        assert callable(getattr(Tensor, name))
        assert OPS[name].forward in getattr(Tensor, name).__doc__


@pytest.mark.parametrize('name', [n for n, op in OPS.items() if not op.constant])
def test_each_row_on_arrays_equals_the_scalar_engine_element_by_element(name):
    rng = np.random.default_rng(1)
    op = OPS[name]
    signs = 1 if name in ('log', 'sqrt', 'powv') else rng.choice([-1, 1], (2, 3))
    a = rng.uniform(0.2, 2.0, size=(2, 3)) * signs
    b = rng.uniform(0.5, 2.0, size=(3,))
    ta = Tensor(a, 'a')
    tb = Tensor(b, 'b')
    out = getattr(ta, name)(tb) if op.arity == 2 else getattr(ta, name)()
    weights = rng.normal(size=(2, 3))
    (out * weights).sum().backward()
    grads_a, grads_b = np.zeros_like(a), np.zeros_like(b)
    for i in range(2):
        for j in range(3):
            va, vb = Value(a[i, j]), Value(b[j])
            vo = getattr(va, name)(vb) if op.arity == 2 else getattr(va, name)()
            assert out.data[i, j] == pytest.approx(vo.data, rel=1e-14, abs=1e-15)
            (vo * weights[i, j]).backward()
            grads_a[i, j] = va.grad
            grads_b[j] += vb.grad
    np.testing.assert_allclose(ta.grad, grads_a, rtol=1e-13, atol=1e-15)
    if op.arity == 2:  # b was broadcast over the rows: its gradient is the sum over them
        np.testing.assert_allclose(tb.grad, grads_b, rtol=1e-13, atol=1e-15)


def test_pow_with_a_constant_reads_its_row_with_k():
    x = Tensor([1.0, 2.0, 3.0], 'x')
    (x ** 3).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0, 27.0]
    assert (x ** 3).params == 3.0 and (x ** 3).op == 'pow'
    assert (2.0 ** x).op == 'powv'


def test_backward_accumulates_on_leaves_and_shows_this_pass_on_intermediates():
    x = Tensor([1.0, 2.0], 'x')
    y = x * x
    z = y.sum()
    z.backward()
    z.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    assert y.grad.tolist() == [1.0, 1.0]
    z.zero_grad()
    assert x.grad.tolist() == [0.0, 0.0]


def test_backward_with_a_vector_is_a_vector_jacobian_product():
    x = Tensor([1.0, 2.0, 3.0], 'x')
    y = x * x
    y.backward([1.0, 0.0, -1.0])
    assert x.grad.tolist() == [2.0, 0.0, -6.0]
    with pytest.raises(ValueError, match=r'gradient has shape \(2,\), the tensor has shape \(3,\)'):
        y.backward([1.0, 2.0])


def test_a_deep_graph_needs_no_recursion():
    x = Tensor([0.5, -0.5], 'x')
    y = x
    for _ in range(20_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_a_tensor_used_twice_gets_both_gradients():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], 'x')
    (x @ x).sum().backward()
    expected = np.ones((2, 2)) @ x.data.T + x.data.T @ np.ones((2, 2))
    np.testing.assert_array_equal(x.grad, expected)


def test_no_grad_records_nothing_and_is_the_engines_own_mode():
    x = Tensor([1.0, 2.0], 'x')
    with no_grad():
        y = (x * x).sum()
    assert y.is_leaf and y.item() == 5.0


def test_grad_returns_gradients_without_touching_grad():
    x = Tensor([1.0, 2.0], 'x')
    w = Tensor([3.0, 4.0], 'w')
    unused = Tensor([1.0], 'u')
    gx, gw, gu = grad((x * w).sum(), [x, w, unused])
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0] and gu.tolist() == [0.0]
    assert x.grad.tolist() == [0.0, 0.0]


def test_constants_get_no_gradient():
    x = Tensor([1.0, 2.0], 'x')
    y = x * 2.0 + np.array([1.0, 1.0])
    y.sum().backward()
    constants = [p for p in (y.parents[0].parents[1], y.parents[1])]
    assert all(c.is_constant and c.grad is None for c in constants)


@pytest.mark.parametrize(('axis', 'keepdims'), [(None, False), (None, True), (0, False), (1, True),
                                                  ((0, 2), False), (-1, True)])
def test_sum_mean_and_max_over_axes(axis, keepdims):
    rng = np.random.default_rng(2)
    data = rng.normal(size=(2, 3, 4))
    for name in ('sum', 'mean', 'max'):
        if name == 'max' and isinstance(axis, tuple):
            continue
        x = Tensor(data, 'x')
        out = getattr(x, name)(axis, keepdims)
        np.testing.assert_allclose(out.data, getattr(data, name)(axis=axis, keepdims=keepdims))
        gradcheck(lambda t, name=name: (getattr(t, name)(axis, keepdims) ** 2).sum(), [data])


def test_structural_operations_pass_gradcheck():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    batch = rng.normal(size=(2, 3, 4))
    cases = [
        (lambda x: (x.reshape(3, 2) ** 2).sum(), [a]),
        (lambda x: (x.transpose() @ x).tanh().sum(), [a]),
        (lambda x: (x.broadcast_to((4, 2, 3)) * np.arange(24.0).reshape(4, 2, 3)).sum(), [a]),
        (lambda x, y: (x @ y).sin().sum(), [a, b]),
        (lambda x, y: (x @ y).sin().sum(), [a, batch]),
        (lambda x, y: (x[0] @ y).sum(), [a, b]),
        (lambda x, y: (x @ y[:, 0]).exp().sum(), [a, b]),
        (lambda x: (x[[1, 1, 0]] ** 2).sum(), [a]),
        (lambda x: (x.gather([2, 0, 2], axis=1) ** 3).sum(), [a]),
        (lambda x, y: (concatenate([x, y.transpose()], axis=0) ** 2).sum(), [a, b]),
        (lambda x, y: (stack([x, y[:, :2].transpose()], axis=1) ** 2).sum(), [a, b]),
        (lambda x: (softmax(x, 0) * np.arange(6.0).reshape(2, 3)).sum(), [a]),
        (lambda x: (log_softmax(x) * np.arange(6.0).reshape(2, 3)).sum(), [a]),
        (lambda x: cross_entropy(x, [2, 0]), [a]),
    ]
    for f, inputs in cases:
        assert gradcheck(f, inputs).ok


def test_gather_twice_the_same_row_adds_both_gradients():
    table = Tensor([[1.0, 2.0], [3.0, 4.0]], 'E')
    table[[1, 1, 0]].sum().backward()
    assert table.grad.tolist() == [[1.0, 1.0], [2.0, 2.0]]


def test_unbroadcast_sums_over_the_broadcast_axes():
    g = np.arange(6.0).reshape(2, 3)
    assert unbroadcast(g, (3,)).tolist() == [3.0, 5.0, 7.0]
    assert unbroadcast(g, (2, 1)).tolist() == [[3.0], [12.0]]
    assert unbroadcast(g, ()).tolist() == 15.0


def test_every_structural_operation_has_a_rule_for_people():
    for op in STRUCTURAL.values():
        assert op.rule and op.symbol


def test_gradcheck_catches_a_wrong_gradient():
    with pytest.raises(GradcheckError, match='off'):
        gradcheck(lambda x: (x * x).sum() + Tensor(x.data).sum(), [np.array([1.0, 2.0])])


def test_softmax_and_cross_entropy_values():
    logits = Tensor([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(softmax(logits).data.sum(), 1.0)
    expected = -np.log(np.exp(3.0) / np.exp([1.0, 2.0, 3.0]).sum())
    assert cross_entropy(logits, [2]).item() == pytest.approx(expected, rel=1e-15)


# -- bad input: the right exception and a message naming the operation and the shapes --------

@pytest.mark.parametrize(('make', 'error', 'message'), [
    (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones(4)), ValueError,
     r'Tensor\.add: shapes \(2, 3\) and \(4,\) do not broadcast'),
    (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3))), ValueError,
     r'Tensor\.matmul: shapes \(2, 3\) and \(2, 3\) do not match: 3 columns on the left, 2 rows'),
    (lambda: Tensor(np.ones((2, 2, 3))) @ Tensor(np.ones((3, 3, 1))), ValueError,
     r'batch axes \(2,\) and \(3,\)'),
    (lambda: Tensor(['a', 'b']), TypeError, r'Tensor needs real numbers .* not numpy\.str_'),
    (lambda: Tensor([1 + 2j]), TypeError, 'complex numbers'),
    (lambda: Tensor([[1.0], [1.0, 2.0]]), ValueError, 'rows of different lengths'),
    (lambda: Tensor([10 ** 400]), OverflowError, 'too large for a float64'),
    (lambda: Tensor([1.0, float('nan')]), ValueError, r'NaN \(at index \(1,\) of shape \(2,\)\)'),
    (lambda: Tensor([1.0, -1.0]).log(), ValueError,
     r'Tensor\.log on shape \(2,\): log needs a positive input \(at index \(1,\): a = -1\.0\)'),
    (lambda: Tensor([[1.0, 2.0]]) / Tensor([1.0, 0.0]), ZeroDivisionError,
     r'Tensor\.div on shapes \(1, 2\) and \(2,\): division by zero'),
    (lambda: Tensor([-8.0]) ** 0.5, ValueError, 'a negative base needs an integer exponent'),
    (lambda: Tensor([1000.0]).exp(), OverflowError, 'too large for a float'),
    (lambda: Tensor([1.0]) + 'x', TypeError, r'not numpy\.str_.*other operand has shape \(1,\)'),
    (lambda: Tensor([1.0]) + Value(1.0), TypeError, 'not a Value'),
    (lambda: Tensor([1.0, 2.0]).reshape(3), ValueError, r'cannot reshape shape \(2,\) into \(3,\)'),
    (lambda: Tensor([1.0, 2.0]).sum(1), ValueError, r'Tensor\.sum: axis 1 is out of range for shape \(2,\)'),
    (lambda: Tensor([1.0, 2.0])[5], IndexError, r'does not fit shape \(2,\)'),
    (lambda: Tensor([1.0, 2.0])[[0.5]], TypeError, 'must hold integers'),
    (lambda: concatenate([Tensor(np.ones((2, 2))), Tensor(np.ones((3, 3)))]), ValueError,
     r'concatenate: shapes \(2, 2\), \(3, 3\)'),
    (lambda: cross_entropy(Tensor(np.ones((2, 3))), [0, 3]), ValueError, 'outside 0..2'),
    (lambda: Tensor([1.0], label=3), TypeError, 'label must be a str'),
])
def test_bad_input_gets_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_the_extra_is_named_when_numpy_is_missing_and_the_core_stays_numpy_free():
    code = textwrap.dedent('''
        import sys
        import microgradnode
        assert 'numpy' not in sys.modules, 'import microgradnode imported numpy'
        sys.modules['numpy'] = None  # as if NumPy were not installed
        try:
            import microgradnode.tensor
        except ImportError as error:
            print(error)
    ''')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ("tensors need the package 'numpy', which is not installed: "
                                   "pip install 'microgradnode[tensor]'")


def test_the_methods_declared_for_type_checkers_are_the_generated_ones():
    import ast
    import inspect

    from microgradnode.tensor import core

    tree = ast.parse(inspect.getsource(core.Tensor))
    declared = {node.name for block in ast.walk(tree) if isinstance(block, ast.If)
                for node in block.body if isinstance(node, ast.FunctionDef)}
    generated = set(OPS) | set(core._OPERATORS) | {'__neg__', '__abs__'}
    assert declared == generated
